/**
 * Sense data that does not follow SPC-6 4.4 (response code 70h-73h, lengths that fit, valid
 * descriptors). A host that cannot parse sense treats the error as fatal or ignores it.
 */
import { captureCutPart } from '../../model/capture-cut.js';
import { decodeSense } from '../../scsi/index.js';
import { defineRule } from '../rule.js';

/** decodeSense's complaint about sense shorter than it says (scsi/sense.ts). */
const SHORT = /^ADDITIONAL SENSE LENGTH says \d+ bytes, but only \d+ are present$/;
/** Tasks whose sense the capture cut (a note says so), waiting for their completion. */
const MAX_CUT_TASKS = 4096;

export default defineRule({
  meta: {
    id: 'malformed-sense',
    category: 'commands',
    severity: 'warning',
    description: 'Sense data that is not valid SPC fixed or descriptor format',
    messages: {
      unknownFormat: 'sense data has response code 0x{code}, not 70h-73h: the host cannot parse it',
      problems: 'malformed sense data: {problems}',
    },
  },
  create({ report }) {
    // Sense that the capture cut (usbmon text keeps 16 bytes of UAS sense) is short by the
    // capture's doing, not the device's: that one complaint is left out for those tasks.
    const cut = new Set<bigint>();
    return {
      note(n) {
        if (n.taskId === undefined || captureCutPart(n.text) !== 'sense data') return;
        if (cut.size >= MAX_CUT_TASKS) cut.clear();
        cut.add(n.taskId);
      },
      complete(t) {
        const c = t.complete;
        const wasCut = cut.delete(c.taskId);
        if (c.sense.length === 0 || c.sense.every((b) => b === 0)) return;
        const d = decodeSense(c.sense);
        const problems = wasCut ? d.problems.filter((p) => !SHORT.test(p)) : d.problems;
        const hexSense = Array.from(c.sense.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join(' ');
        if (d.format === 'unknown') {
          report({
            messageId: 'unknownFormat',
            data: { code: (c.sense[0]! & 0x7f).toString(16).padStart(2, '0') },
            at: c,
            task: t.submit,
            evidence: { sense: hexSense },
          });
        } else if (problems.length) {
          report({ messageId: 'problems', data: { problems: problems.join('; ') }, at: c, task: t.submit, evidence: { sense: hexSense } });
        }
      },
    };
  },
});
