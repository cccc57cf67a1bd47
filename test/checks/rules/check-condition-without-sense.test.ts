import { DeliveryStatus, ServiceResponse } from '../../../src/model/events.js';
import rule from '../../../src/checks/rules/check-condition-without-sense.js';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../src/model/events.js';
import { runRule, testRule } from '../../helpers/rule-tester.js';
import { buildTraceEvents } from '../../helpers/trace.js';
import { CHECK_CONDITION, TUR, sense } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'CHECK CONDITION with sense', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: sense(6, 0x29, 0) }) },
    { name: 'GOOD without sense', build: (b) => void b.task({ cdb: TUR }) },
    {
      name: 'DriverKit PROTOCOL TIMEOUT (0x02 under SERVICE DELIVERY FAILURE) is not CHECK CONDITION',
      build: (b) =>
        void b.task({ cdb: TUR }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.ProtocolTimeoutOccurred }),
    },
  ],
  invalid: [
    { name: 'no sense bytes', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION }), errors: [{ messageId: 'missing' }] },
    {
      name: 'all-zero sense buffer',
      build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: new Array(18).fill(0) }),
      errors: [{ messageId: 'zeros', evidence: { senseLength: 18 } }],
    },
  ],
});

describe('captures that may not carry sense (Linux tracepoints before 6.5): the header says, not the format id', () => {
  /** The trace's header metadata as a reader that does not know whether sense is recorded gives it. */
  const ftraceEvents = (withSenseLater: boolean, senseCaptured?: boolean): TraceEvent[] => {
    const events = buildTraceEvents((b) => {
      b.task({ cdb: TUR }, { status: CHECK_CONDITION });
      if (withSenseLater) b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: sense(6, 0x29, 0) });
    });
    return events.map((e) => {
      if (e.kind !== 'header') return e;
      const { senseCaptured: _drop, ...rest } = e;
      return { ...rest, format: 'native', ...(senseCaptured !== undefined ? { senseCaptured } : {}) };
    });
  };
  it('a header saying sense is not captured silences it, whatever the format id', () => {
    expect(runRule(rule, ftraceEvents(true, false))).toEqual([]);
  });
  it('a GOOD completion with sense also shows that the capture records sense', () => {
    const events = buildTraceEvents((b) => {
      b.task({ cdb: TUR }, { status: CHECK_CONDITION });
      b.task({ cdb: TUR }, { sense: sense(1, 0x17, 1) });
    }).map((e) => (e.kind === 'header' ? { ...e, senseCaptured: undefined } : e));
    expect(runRule(rule, events).map((f) => f.messageId)).toEqual(['missing']);
  });
  it('says nothing when the capture never shows sense data', () => {
    expect(runRule(rule, ftraceEvents(false))).toEqual([]);
  });
  it('reports held findings once the capture has shown it carries sense', () => {
    expect(runRule(rule, ftraceEvents(true)).map((f) => [f.messageId, f.taskId])).toEqual([['missing', 1n]]);
  });
});
