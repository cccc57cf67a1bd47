/**
 * CHECK CONDITION with no sense data (SAM-6 5.13: autosense delivers the sense data with the
 * status). Without it the host cannot tell a UNIT ATTENTION from a MEDIUM ERROR.
 *
 * Whether a capture carries sense is the trace's metadata (the header's senseCaptured: a native
 * trace records what the driver returned, sense included), never its format id. When the header
 * does not say (Linux tracepoints before 6.5 carry no sense), a missing sense counts only once
 * the same trace has shown a completion with sense: until then findings are held.
 */
import type { TaskCompleted, TaskSubmitted } from '../../model/events.js';
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
  create({ state, report }) {
    /** Whether this trace's capture is known to carry sense data. */
    let senseCaptured: boolean | undefined;
    const held: Array<{ c: TaskCompleted; s: TaskSubmitted }> = [];
    const captures = (): boolean => senseCaptured === true || state.senseCaptured === true;
    const emit = (c: TaskCompleted, s: TaskSubmitted): void => {
      const how = state.senseCaptured === true ? 'trace header' : 'sense seen in this trace';
      if (c.sense.length === 0) report({ messageId: 'missing', at: c, task: s, evidence: { senseLength: 0, senseCapturedFrom: how } });
      else report({ messageId: 'zeros', data: { length: c.sense.length }, at: c, task: s, evidence: { senseLength: c.sense.length, senseCapturedFrom: how } });
    };
    return {
      complete(t) {
        const c = t.complete;
        if (state.senseCaptured === false) return;
        const missing = c.sense.length === 0 || c.sense.every((b) => b === 0);
        if (!missing) {
          // Any completion with sense shows that this capture records it.
          if (!captures()) {
            senseCaptured = true;
            for (const h of held.splice(0)) emit(h.c, h.s);
          }
          return;
        }
        if (!checkCondition(c)) return;
        if (captures()) emit(c, t.submit);
        else if (held.length < 1000) held.push({ c: c.snapshot(), s: t.submit.snapshot() });
      },
      end() {
        held.length = 0;
      },
    };
  },
});
