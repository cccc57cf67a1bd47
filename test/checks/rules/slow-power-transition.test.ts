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
    { name: 'raised warning limit', constraints: { powerTransitionWarnMs: 15000 }, build: (b) => hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 12 * s }) },
  ],
  invalid: [
    { name: '12 s: warning', build: (b) => hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 12 * s }), errors: [{ messageId: 'slow', severity: 'warning', message: '0 → 2 took 12 s' }] },
    { name: '25 s: error (past the 21 s panic)', build: (b) => hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 25 * s }), errors: [{ messageId: 'slow', severity: 'error', evidence: { durationNs: 25 * s } }] },
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
