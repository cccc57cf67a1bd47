import rule from '../../../src/checks/rules/malformed-sense.js';
import { captureCutNote } from '../../../src/model/capture-cut.js';
import { testRule } from '../../helpers/rule-tester.js';
import { CHECK_CONDITION, TUR, sense } from '../fixtures.js';

testRule(rule, {
  valid: [
    { name: 'fixed format sense', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: sense(6, 0x29, 0) }) },
    { name: 'descriptor format sense', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: [0x72, 5, 0x24, 0, 0, 0, 0, 0] }) },
    { name: 'no sense at all (another rule)', build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION }) },
    {
      name: 'sense the capture cut (usbmon text: 16 of 18 bytes), as a note on the task says',
      build: (b) => {
        const id = b.submit({ cdb: TUR });
        b.w.note(b.timeNs, captureCutNote('sense data', 16, 18), id);
        b.complete(id, { status: CHECK_CONDITION, sense: sense(6, 0x29, 0).slice(0, 16) });
      },
    },
  ],
  invalid: [
    {
      name: 'response code not 70h-73h',
      build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: [0x05, 0, 0x20, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0] }),
      errors: [{ messageId: 'unknownFormat', message: '0x05' }],
    },
    {
      name: 'fixed sense cut short',
      build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: [0x70, 0, 0x05] }),
      errors: [{ messageId: 'problems' }],
    },
    {
      name: 'sense 16 of 18 bytes with no note: the device sent it short',
      build: (b) => void b.task({ cdb: TUR }, { status: CHECK_CONDITION, sense: sense(6, 0x29, 0).slice(0, 16) }),
      errors: [{ messageId: 'problems' }],
    },
    {
      name: 'a cut note on another task does not excuse this one',
      build: (b) => {
        const id = b.submit({ cdb: TUR });
        b.w.note(b.timeNs, captureCutNote('sense data', 16, 18), id + 100);
        b.complete(id, { status: CHECK_CONDITION, sense: sense(6, 0x29, 0).slice(0, 16) });
      },
      errors: [{ messageId: 'problems' }],
    },
  ],
});
