/**
 * GOOD (or CONDITION MET) status that carries sense data reporting an error: a sense key other
 * than NO SENSE (0h), RECOVERED ERROR (1h) or COMPLETED (Fh). Seen from a real target answering
 * UNMAP. A host takes GOOD as success and does not act on the sense; the sense says otherwise.
 */
import { ascName, commandName, senseKeyName } from '../../scsi/index.js';
import { ascText, completedGood, senseOf } from '../helpers.js';
import { defineRule } from '../rule.js';

/** SPC-6 sense keys that go with a command that succeeded: NO SENSE, RECOVERED ERROR, COMPLETED. */
const SUCCESS_KEYS = new Set([0x0, 0x1, 0xf]);

export default defineRule({
  meta: {
    id: 'good-status-with-error-sense',
    category: 'commands',
    severity: 'warning',
    description: 'GOOD status delivered with sense data that reports an error (sense key other than NO SENSE, RECOVERED ERROR or COMPLETED)',
    messages: {
      contradicts:
        '{command} completed {status} but its sense data reports {sense}: the status says the command succeeded, the sense says it did not, and a host acts on the status',
    },
  },
  create({ report }) {
    return {
      complete(t) {
        const c = t.complete;
        if (c.sense.length === 0 || !completedGood(c)) return;
        const q = senseOf(c);
        if (!q || SUCCESS_KEYS.has(q.key)) return;
        const command = commandName(t.submit.cdb);
        report({
          messageId: 'contradicts',
          data: {
            command,
            status: c.status === 0 ? 'GOOD' : 'CONDITION MET',
            sense: `${senseKeyName(q.key)}, ${ascName(q.asc, q.ascq)} (${ascText(q.asc, q.ascq)})`,
          },
          at: c,
          task: t.submit,
          subject: command,
          evidence: { status: c.status, senseKey: q.key, asc: q.asc, ascq: q.ascq, senseLength: c.sense.length },
        });
      },
    };
  },
});
