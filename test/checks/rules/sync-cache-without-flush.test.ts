import { describe, expect, it } from 'vitest';
import rule from '../../../src/checks/rules/sync-cache-without-flush.js';
import { runRule, testRule } from '../../helpers/rule-tester.js';
import { buildTraceEvents, type TraceBuilder } from '../../helpers/trace.js';
import { HbaEventKind, HbaEventPhase, SYNC10, SYNC10_IMMED, SYNC16, hba, writeTask } from '../fixtures.js';

const VOLATILE = 'lun-info target=0 lun=0 write-cache=on write-cache-volatile=yes';
const NON_VOLATILE = 'lun-info target=0 lun=0 write-cache=on write-cache-volatile=no';
const note = (b: TraceBuilder, text: string): void => b.w.note(b.timeNs, text);
const flush = (b: TraceBuilder, phase: number, taskId?: number, status = 0): void =>
  hba(b, { kind: HbaEventKind.ControllerCacheFlush, phase, status, ...(taskId !== undefined ? { taskId } : {}) });

testRule(rule, {
  valid: [
    {
      name: 'flush event linked to the SYNCHRONIZE CACHE',
      build: (b) => {
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        b.wait(2_000_000);
        hba(b, { kind: HbaEventKind.ControllerCacheFlush, taskId: id, durationNs: 2_000_000 });
        b.complete(id);
      },
    },
    {
      name: 'issued and completed flush pair, completed before the GOOD',
      build: (b) => {
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        flush(b, HbaEventPhase.Issued, id);
        b.wait(2_000_000);
        flush(b, HbaEventPhase.Completed, id);
        b.complete(id);
      },
    },
    {
      name: 'unlinked controller flush while the SYNCHRONIZE CACHE(16) is in flight',
      build: (b) => {
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC16 });
        hba(b, { kind: HbaEventKind.ControllerCacheFlush });
        b.wait(1_000_000);
        b.complete(id);
      },
    },
    {
      name: 'IMMED: the device may answer before the flush it issued completes',
      build: (b) => {
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10_IMMED });
        flush(b, HbaEventPhase.Issued, id);
        b.wait(1000);
        b.complete(id);
        b.wait(2_000_000);
        flush(b, HbaEventPhase.Completed, id);
      },
    },
    {
      name: 'non-volatile (battery- or flash-backed) write cache: GOOD at once without a flush is what SBC allows',
      build: (b) => {
        note(b, NON_VOLATILE);
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 1000 });
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 2_000);
      },
    },
    {
      name: 'write cache off (WCE = 0): nothing to flush',
      build: (b) => {
        note(b, 'lun-info target=0 lun=0 write-cache=off');
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 1000 });
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 2_000);
      },
    },
    {
      name: 'no HBA events: slow enough to be a real flush',
      build: (b) => {
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 3_000_000);
      },
    },
    {
      name: 'no HBA events: fast, but no writes since the last flush',
      build: (b) => {
        b.task({ cdb: SYNC10 }, {}, 1_000);
      },
    },
    {
      name: 'no HBA events: fast with IMMED set (the device may answer first)',
      build: (b) => {
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10_IMMED }, {}, 1_000);
      },
    },
    {
      name: 'fast answer above a configured lower threshold',
      constraints: { syncCacheFastThresholdUs: 1 },
      build: (b) => {
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 5_000);
      },
    },
  ],
  invalid: [
    {
      name: 'HBA events recorded but none linked to the SYNCHRONIZE CACHE (volatility unknown: warning)',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 1000 });
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 2_000_000);
      },
      errors: [
        {
          messageId: 'noFlushEvent',
          severity: 'warning',
          message: 'may be volatile (unknown',
          evidence: { evidence: 'hba-events', writesSincePreviousFlush: 1, writeCacheVolatile: 'unknown' },
        },
      ],
    },
    {
      name: 'volatile write cache (from a lun-info note): error',
      build: (b) => {
        note(b, VOLATILE);
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 1000 });
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 2_000_000);
      },
      errors: [{ messageId: 'noFlushEvent', severity: 'error', message: 'volatile write cache (note)', evidence: { writeCacheVolatile: true } }],
    },
    {
      name: 'judged although the first HBA event comes after the SYNCHRONIZE CACHE (issue 11: evidence decided at the end)',
      build: (b) => {
        note(b, VOLATILE);
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 2_000_000);
        b.wait(1_000_000);
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 2, arg1: 1, durationNs: 1000 });
      },
      errors: [{ messageId: 'noFlushEvent', severity: 'error', evidence: { evidence: 'hba-events' } }],
    },
    {
      name: 'flush linked but failed, task still GOOD',
      build: (b) => {
        note(b, VOLATILE);
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        hba(b, { kind: HbaEventKind.ControllerCacheFlush, taskId: id, status: 0xe00002bc });
        b.complete(id);
      },
      errors: [{ messageId: 'flushFailed', severity: 'error', message: '0xe00002bc' }],
    },
    {
      name: 'GOOD while the linked flush was only issued and never completed (issue 11)',
      build: (b) => {
        note(b, VOLATILE);
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        flush(b, HbaEventPhase.Issued, id);
        b.wait(50_000);
        b.complete(id);
        b.wait(10_000_000);
        writeTask(b, 8, 8);
      },
      errors: [{ messageId: 'flushNotCompleted', severity: 'error', message: 'had not completed, and it never did' }],
    },
    {
      name: 'GOOD before the linked flush completed (issue 11)',
      build: (b) => {
        note(b, VOLATILE);
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        flush(b, HbaEventPhase.Issued, id);
        b.wait(50_000);
        b.complete(id);
        b.wait(3_000_000);
        flush(b, HbaEventPhase.Completed, id);
      },
      errors: [
        {
          messageId: 'flushCompletedLate',
          severity: 'error',
          message: 'completed GOOD 3 ms before the controller cache flush',
          evidence: { lagNs: 3_000_000 },
        },
      ],
    },
    {
      name: 'an unlinked flush issued but completed only after the GOOD',
      build: (b) => {
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        flush(b, HbaEventPhase.Issued);
        b.wait(50_000);
        b.complete(id);
        b.wait(1_000_000);
        flush(b, HbaEventPhase.Completed);
      },
      errors: [{ messageId: 'flushCompletedLate', severity: 'warning' }],
    },
    {
      name: 'no flush event, but a capture gap since the submission may hold it',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 1000 });
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        b.gap({ lost: 5 });
        b.complete(id);
      },
      errors: [{ messageId: 'flushNotCaptured', severity: 'info', message: '5 lines lost' }],
    },
    {
      name: 'no HBA events: answered in 1 µs after writes',
      build: (b) => {
        writeTask(b, 0, 8);
        writeTask(b, 8, 8);
        b.task({ cdb: SYNC10 }, {}, 1_000);
      },
      errors: [{ messageId: 'tooFast', severity: 'warning', evidence: { evidence: 'timing', writesSincePreviousFlush: 2, bytesSincePreviousFlush: 8192 } }],
    },
  ],
});

describe('writeCacheVolatile from the constraints file or the trace’s constraints record', () => {
  const build =
    (record?: boolean) =>
    (b: TraceBuilder): void => {
      if (record !== undefined) b.w.constraints(0, { writeCacheVolatile: record });
      hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 1000 });
      writeTask(b, 0, 8);
      b.task({ cdb: SYNC10 }, {}, 2_000_000);
    };
  it('a config: false, no finding; true, an error', () => {
    expect(runRule(rule, buildTraceEvents(build()), { writeCacheVolatile: false })).toEqual([]);
    expect(runRule(rule, buildTraceEvents(build()), { writeCacheVolatile: true }).map((f) => f.severity)).toEqual(['error']);
  });
  it('the trace’s constraints record (a driver that knows its cache logs it): the same, and unknown is a warning', () => {
    expect(runRule(rule, buildTraceEvents(build(false)))).toEqual([]);
    expect(runRule(rule, buildTraceEvents(build(true))).map((f) => f.severity)).toEqual(['error']);
    expect(runRule(rule, buildTraceEvents(build())).map((f) => f.severity)).toEqual(['warning']);
  });
});

describe('a source that cannot show controller flushes (issue 11: evidence from the trace header)', () => {
  /** Writes, a SYNCHRONIZE CACHE answered after `latencyNs`, and a LOGICAL UNIT RESET (task management, as a wire capture has it). */
  const events = (latencyNs: number, flushEventsRecorded?: boolean) =>
    buildTraceEvents((b) => {
      writeTask(b, 0, 8);
      b.task({ cdb: SYNC10 }, {}, latencyNs);
      b.wait(1_000_000);
      hba(b, { kind: HbaEventKind.LogicalUnitReset, arg0: 0, arg1: 0 });
    }).map((e) => (e.kind === 'header' && flushEventsRecorded !== undefined ? { ...e, flushEventsRecorded } : e));

  it('a wire capture holding task-management events is judged by timing, not by flush events it could never hold', () => {
    // A driver's own trace with an HBA event: no flush event is evidence.
    expect(runRule(rule, events(2_000_000)).map((f) => f.messageId)).toEqual(['noFlushEvent']);
    // An iSCSI/USB/FCoE capture or Linux tracepoints: the header says flushes cannot be seen.
    expect(runRule(rule, events(2_000_000, false))).toEqual([]);
    const fast = runRule(rule, events(5_000, false));
    expect(fast.map((f) => f.messageId)).toEqual(['tooFast']);
    expect(fast[0]!.evidence).toMatchObject({ evidence: 'timing' });
  });

  it('the header says so for every capture reader (pcap, ftrace, usbmon) and JSON Lines carries it', async () => {
    const { decodeCapture } = await import('../../../src/formats/pcap/index.js');
    const { decodeFtrace } = await import('../../../src/formats/ftrace/reader.js');
    const { decodeUsbmon } = await import('../../../src/formats/usbmon/reader.js');
    const { decodeJsonl, eventToJson } = await import('../../../src/formats/jsonl/index.js');
    const { readFileSync } = await import('node:fs');
    const sample = (name: string) => readFileSync(new URL(`../../../traces/${name}`, import.meta.url));
    for (const evs of [
      decodeCapture(sample('iscsi-libiscsi.pcapng')),
      decodeCapture(sample('usb-bot.pcap')),
      decodeFtrace(sample('linux-ftrace-6.1.0-56-amd64-megasas.txt')),
      decodeUsbmon(sample('usbmon-bot.0u.txt')),
    ]) {
      const header = evs.find((e) => e.kind === 'header');
      expect(header).toMatchObject({ flushEventsRecorded: false });
      const line = JSON.stringify(eventToJson(header!), (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      expect(decodeJsonl(new TextEncoder().encode(`${line}\n`))[0]).toMatchObject({ flushEventsRecorded: false });
    }
  });
});
