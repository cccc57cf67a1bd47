/**
 * Sense data that does not follow SPC-6 4.4 (response code 70h-73h, lengths that fit, valid
 * descriptors). A host that cannot parse sense treats the error as fatal or ignores it.
 */
import { decodeSense } from '../../scsi/index.js';
import { defineRule } from '../rule.js';

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
    return {
      complete(t) {
        const c = t.complete;
        if (c.sense.length === 0 || c.sense.every((b) => b === 0)) return;
        const d = decodeSense(c.sense);
        const hexSense = Array.from(c.sense.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join(' ');
        if (d.format === 'unknown') {
          report({ messageId: 'unknownFormat', data: { code: (c.sense[0]! & 0x7f).toString(16).padStart(2, '0') }, at: c, task: t.submit, evidence: { sense: hexSense } });
        } else if (d.problems.length) {
          report({ messageId: 'problems', data: { problems: d.problems.join('; ') }, at: c, task: t.submit, evidence: { sense: hexSense } });
        }
      },
    };
  },
});
