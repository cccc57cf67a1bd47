/**
 * Tasks still in flight at the end of the trace: the driver lost them or never answered. A task
 * whose completion could have fallen into a capture gap is "completion not captured" instead:
 * the capture, not necessarily the driver, lost it.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects } from '../../model/events.js';
import { durationText } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'task-never-completed',
    category: 'lifecycle',
    severity: 'error',
    description: 'Tasks submitted but never completed by the end of the trace',
    messages: {
      pending: 'never completed: submitted {age} before the end of the trace{timeout}',
      pendingShort: 'no completion by the end of the trace ({age} after submission, within its {timeoutMs} ms timeout)',
      completionNotCaptured: 'completion not captured: submitted {age} before the end of the trace, and a {gap} may hold its completion',
    },
  },
  create({ state, report }) {
    return {
      end(left, at) {
        for (const t of left) {
          const s = t.submit;
          const ageNs = at.timeNs - s.timeNs;
          const age = durationText(ageNs);
          const evidence = { submittedNs: s.timeNs, traceEndNs: at.timeNs, timeoutMs: s.timeoutMs };
          const gap = state.gaps.lostSince(s.timeNs, GapAffects.Completions, s.targetId);
          if (gap) {
            report({
              messageId: 'completionNotCaptured',
              severity: 'info',
              data: { age, gap: gapText(gap) },
              at: s,
              task: s,
              evidence: { ...evidence, captureGapNs: gap.timeNs },
            });
          } else if (s.timeoutMs > 0 && ageNs < s.timeoutMs * 1e6) {
            // A task younger than its own timeout may simply have been cut off by the capture's end.
            report({ messageId: 'pendingShort', severity: 'warning', data: { age, timeoutMs: s.timeoutMs }, at: s, task: s, evidence });
          } else {
            report({ messageId: 'pending', data: { age, timeout: s.timeoutMs > 0 ? `, past its ${s.timeoutMs} ms timeout` : '' }, at: s, task: s, evidence });
          }
        }
      },
    };
  },
});
