import rule from '../../../src/checks/rules/slow-power-transition.js';
import { testRule } from '../../helpers/rule-tester.js';
import { HbaEventKind, HbaEventPhase, TUR, hba } from '../fixtures.js';

const s = 1e9;

testRule(rule, {
  valid: [
    { name: 'fast instant transition', build: (b) => hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 2 * s }) },
    {
      name: 'issued/completed pair within the limit',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 2, arg1: 0 });
        b.wait(9 * s);
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Completed, arg0: 2, arg1: 0 });
      },
    },
    {
      name: 'a pair timed by its timestamps (2 s) although its duration field claims 25 s',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 2, arg1: 0 });
        b.wait(2 * s);
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Completed, arg0: 2, arg1: 0, durationNs: 25 * s });
      },
    },
    {
      name: 'an unfinished transition whose completion may be in a capture gap is not judged slow',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 2, arg1: 1 });
        b.wait(1 * s);
        b.gap({ ns: 1e6 });
        b.wait(1 * s);
        b.task({ cdb: TUR });
      },
    },
    {
      name: 'raised warning limit',
      constraints: { powerTransitionWarnMs: 15000 },
      build: (b) => hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 12 * s }),
    },
  ],
  invalid: [
    {
      name: '12 s: warning',
      build: (b) => hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 12 * s }),
      errors: [{ messageId: 'slow', severity: 'warning', message: '0 → 2 took 12 s' }],
    },
    {
      name: '25 s: error (past the 20 s a dext has to acknowledge SetPowerState)',
      build: (b) => hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 25 * s }),
      errors: [{ messageId: 'slow', severity: 'error', evidence: { durationNs: 25 * s } }],
    },
    {
      // IOUserServer::serviceSetPowerState gives a dext 20,000,000 µs; past it macOS panics (IOService::ackTimerTick).
      name: '20.5 s: an error, past the 20 s a dext has to acknowledge SetPowerState',
      build: (b) => hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 20.5 * s }),
      errors: [{ messageId: 'slow', severity: 'error', message: 'over the 20 s error limit' }],
    },
    {
      name: 'duration from issued/completed times',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 0, arg1: 2 });
        b.wait(11 * s);
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Completed, arg0: 0, arg1: 2 });
      },
      errors: [{ messageId: 'slow', severity: 'warning' }],
    },
    {
      name: 'issued/completed timestamps 21.5 s apart win over a duration field of 21.5 ms (a tick unit read as ns)',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 2, arg1: 0 });
        b.wait(21.5 * s);
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Completed, arg0: 2, arg1: 0, durationNs: 21.5e6 });
      },
      // The native reader times the pair by its timestamps (and reports the disagreeing field as damage).
      errors: [{ messageId: 'slow', severity: 'error', message: 'took 21.5 s', evidence: { durationNs: 21.5 * s, durationFrom: 'timestamps' } }],
    },
    {
      name: 'several transitions in flight are each judged at the end',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 2, arg1: 1 });
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, taskId: 7, arg0: 1, arg1: 0 });
        b.wait(30 * s);
        b.task({ cdb: TUR });
      },
      errors: [
        { messageId: 'unfinished', severity: 'error' },
        { messageId: 'unfinished', severity: 'error' },
      ],
    },
    {
      name: 'unfinished with a capture gap since it started: its completion was not captured',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 2, arg1: 1 });
        b.wait(15 * s);
        b.gap({ ns: 1e6, lost: 4 });
        b.wait(15 * s);
        b.task({ cdb: TUR });
      },
      errors: [{ messageId: 'unfinishedAfterGap', severity: 'info', message: '4 lines lost' }],
    },
    {
      name: 'never finished',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 2, arg1: 1 });
        b.wait(30 * s);
        b.task({ cdb: TUR });
      },
      errors: [{ messageId: 'unfinished', severity: 'error' }],
    },
  ],
});
