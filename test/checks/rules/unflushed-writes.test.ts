import rule from '../../../src/checks/rules/unflushed-writes.js';
import { describe, expect, it } from 'vitest';
import { runRule, testRule } from '../../helpers/rule-tester.js';
import { buildTraceEvents } from '../../helpers/trace.js';
import { DataDirection, HbaEventKind, HbaEventPhase, SYNC10, hba, rw10, writeTask } from '../fixtures.js';

const VOLATILE = 'lun-info target=0 lun=0 write-cache-volatile=yes';

testRule(rule, {
  valid: [
    {
      name: 'writes then a GOOD SYNCHRONIZE CACHE (host sends sync: cache assumed on)',
      build: (b) => {
        writeTask(b, 0, 8);
        writeTask(b, 8, 8);
        b.task({ cdb: SYNC10 }, {}, 1_000_000);
      },
    },
    {
      name: 'no SYNCHRONIZE CACHE ever and write cache not known: nothing assumed',
      build: (b) => {
        writeTask(b, 0, 8);
      },
    },
    {
      name: 'write cache configured off',
      constraints: { writeCacheEnabled: false },
      build: (b) => {
        writeTask(b, 0, 8);
      },
    },
    {
      name: 'FUA writes are durable when acknowledged',
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        b.task({ cdb: rw10(true, 0, 8, 0x08), direction: DataDirection.ToDevice, requestedBytes: 4096 });
      },
    },
    {
      name: 'write cache learned off from a lun-info note',
      constraints: {},
      build: (b) => {
        b.w.note(0, 'lun-info target=0 lun=0 write-cache=off');
        b.task({ cdb: SYNC10 });
        writeTask(b, 0, 8);
      },
    },
    {
      name: 'non-volatile (battery- or flash-backed) cache: acknowledged writes are safe',
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        b.w.note(0, 'lun-info target=0 lun=0 write-cache-volatile=no');
        writeTask(b, 0, 8);
        hba(b, { kind: HbaEventKind.BusReset });
      },
    },
    {
      name: 'a controller flush completing after the writes covers them (issued/completed pair)',
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        writeTask(b, 0, 8);
        hba(b, { kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued });
        hba(b, { kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed });
      },
    },
    {
      name: 'HBA events recorded and the controller flushed',
      build: (b) => {
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        hba(b, { kind: HbaEventKind.ControllerCacheFlush, taskId: id });
        b.complete(id);
      },
    },
  ],
  invalid: [
    {
      name: 'writes after the last flush, end of trace (configured cache on)',
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 1_000_000);
        writeTask(b, 100, 8);
        writeTask(b, 108, 8);
        writeTask(b, 500, 1);
      },
      errors: [{ messageId: 'atEnd', severity: 'info', message: 'LBAs at risk: 100-115, 500', evidence: { writes: 3, bytes: 8704 } }],
    },
    {
      name: 'volatile cache (note): the same at the end of the trace is a warning',
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        b.w.note(0, VOLATILE);
        writeTask(b, 100, 8);
      },
      errors: [{ messageId: 'atEnd', severity: 'warning', message: 'volatile (note)' }],
    },
    {
      name: 'a capture gap since the writes may hold their flush: info',
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        b.w.note(0, VOLATILE);
        writeTask(b, 100, 8);
        b.gap({ lost: 7 });
        hba(b, { kind: HbaEventKind.BusReset });
      },
      errors: [{ messageId: 'atReset', severity: 'info', message: 'may hold the flush that covered them' }],
    },
    {
      name: "an HBA event after the GOOD SYNCHRONIZE CACHE still makes the controller's flush the evidence (decided at the end)",
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        b.w.note(0, VOLATILE);
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 });
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 2, arg1: 1 });
      },
      errors: [{ messageId: 'atEnd', severity: 'warning', message: 'no completed controller cache flush', evidence: { evidence: 'hba-events' } }],
    },
    {
      name: 'bus reset with unflushed writes (cache assumed on: host sent SYNCHRONIZE CACHE)',
      build: (b) => {
        b.task({ cdb: SYNC10 });
        writeTask(b, 0, 8);
        hba(b, { kind: HbaEventKind.BusReset });
      },
      errors: [{ messageId: 'atReset', severity: 'warning', message: 'bus reset' }],
    },
    {
      name: 'bus reset with unflushed writes into a volatile cache: error',
      build: (b) => {
        b.w.note(0, VOLATILE);
        b.task({ cdb: SYNC10 });
        writeTask(b, 0, 8);
        hba(b, { kind: HbaEventKind.BusReset });
      },
      errors: [{ messageId: 'atReset', severity: 'error', message: 'volatile (note)' }],
    },
    {
      name: 'power-down to state 0 with unflushed writes',
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        writeTask(b, 0, 8);
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 2, arg1: 0, durationNs: 1000 });
      },
      errors: [{ messageId: 'atReset', message: 'power-down' }],
    },
    {
      name: 'HBA events recorded: GOOD SYNCHRONIZE CACHE without a controller flush does not count',
      constraints: { writeCacheEnabled: true },
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2 });
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 });
      },
      errors: [{ messageId: 'atEnd' }],
    },
  ],
});

describe('a reset in a capture that cannot show controller flushes (issue 11)', () => {
  /** Writes, a GOOD SYNCHRONIZE CACHE, one more write, then a bus reset. */
  const events = (flushEventsRecorded?: boolean) =>
    buildTraceEvents((b) => {
      writeTask(b, 0, 8);
      writeTask(b, 8, 8);
      b.task({ cdb: SYNC10 }, {}, 2_000_000);
      writeTask(b, 100, 8);
      hba(b, { kind: HbaEventKind.BusReset });
    }).map((e) => (e.kind === 'header' && flushEventsRecorded !== undefined ? { ...e, flushEventsRecorded } : e));

  it("is judged from the host's view: only the writes after the last GOOD SYNCHRONIZE CACHE are at risk", () => {
    // A driver's trace: no controller flush was recorded, so all three writes are at risk.
    expect(runRule(rule, events()).map((f) => f.evidence)).toMatchObject([{ writes: 3, evidence: 'hba-events' }]);
    // A wire capture: the SYNCHRONIZE CACHE answered GOOD is all it can see of a flush.
    expect(runRule(rule, events(false)).map((f) => f.evidence)).toMatchObject([{ writes: 1, evidence: 'host-commands' }]);
  });
});
