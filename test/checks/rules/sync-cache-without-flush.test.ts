import rule from '../../../src/checks/rules/sync-cache-without-flush.js';
import { testRule } from '../../helpers/rule-tester.js';
import { HbaEventKind, SYNC10, SYNC10_IMMED, SYNC16, hba, writeTask } from '../fixtures.js';

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
      name: 'HBA events recorded but none linked to the SYNCHRONIZE CACHE',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 1000 });
        writeTask(b, 0, 8);
        b.task({ cdb: SYNC10 }, {}, 2_000_000);
      },
      errors: [{ messageId: 'noFlushEvent', severity: 'error', evidence: { evidence: 'hba-events', writesSincePreviousFlush: 1 } }],
    },
    {
      name: 'flush linked but failed, task still GOOD',
      build: (b) => {
        writeTask(b, 0, 8);
        const id = b.submit({ cdb: SYNC10 });
        hba(b, { kind: HbaEventKind.ControllerCacheFlush, taskId: id, status: 0xe00002bc });
        b.complete(id);
      },
      errors: [{ messageId: 'flushFailed', message: '0xe00002bc' }],
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
