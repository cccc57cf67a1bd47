/**
 * CHECK CONDITION with no sense data (SAM-6 5.13: autosense delivers the sense data with the
 * status). Without it the host cannot tell a UNIT ATTENTION from a MEDIUM ERROR.
 */
import { checkCondition } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'check-condition-without-sense',
    category: 'commands',
    severity: 'error',
    description: 'CHECK CONDITION reported with no sense data (or all-zero sense)',
    messages: {
      missing: 'CHECK CONDITION with no sense data: the host cannot tell why the command failed',
      zeros: 'CHECK CONDITION with {length} bytes of all-zero sense data: the driver returned the buffer without filling it',
    },
  },
  create({ report }) {
    return {
      complete(t) {
        const c = t.complete;
        if (!checkCondition(c)) return;
        if (c.sense.length === 0) {
          report({ messageId: 'missing', at: c, task: t.submit, evidence: { senseLength: 0 } });
          return;
        }
        if (c.sense.every((b) => b === 0)) report({ messageId: 'zeros', data: { length: c.sense.length }, at: c, task: t.submit, evidence: { senseLength: c.sense.length } });
      },
    };
  },
});
