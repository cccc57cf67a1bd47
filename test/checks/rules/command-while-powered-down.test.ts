import rule from '../../../src/checks/rules/command-while-powered-down.js';
import { testRule } from '../../helpers/rule-tester.js';
import { HbaEventKind, HbaEventPhase, TUR, hba } from '../fixtures.js';

testRule(rule, {
  valid: [
    {
      name: 'commands before power-down and after power-up',
      build: (b) => {
        b.task({ cdb: TUR });
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 2, arg1: 0 });
        b.wait(1e9);
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2 });
        b.task({ cdb: TUR });
      },
    },
    {
      name: 'low-power state 1 is not off',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 2, arg1: 1 });
        b.task({ cdb: TUR });
      },
    },
  ],
  invalid: [
    {
      name: 'command while off: says for how long',
      build: (b) => {
        b.wait(2e9);
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 2, arg1: 0 });
        b.wait(5e8);
        b.task({ cdb: TUR });
      },
      errors: [{ messageId: 'down', message: 'in power state 0 (for 500 ms)', evidence: { powerState: 0, sinceNs: 2e9 } }],
    },
    {
      name: 'a capture gap since the power-down may hold the power-up',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 2, arg1: 0 });
        b.gap();
        b.task({ cdb: TUR });
      },
      errors: [{ messageId: 'stateNotCaptured', severity: 'info' }],
    },
    {
      name: 'command while still powering up',
      build: (b) => {
        hba(b, { kind: HbaEventKind.PowerStateChange, arg0: 2, arg1: 0 });
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 0, arg1: 2 });
        b.task({ cdb: TUR });
        hba(b, { kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Completed, arg0: 0, arg1: 2 });
        b.task({ cdb: TUR });
      },
      errors: [{ messageId: 'poweringUp', message: 'transition to 2' }],
    },
  ],
});
