/**
 * A second completion for a task that already completed. DriverKit hands the task back to the
 * framework on the first; a second ParallelTaskCompletion uses freed state. When a capture gap
 * could have held a new submission under the same id, the second completion may be that task's.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects } from '../../model/events.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'duplicate-completion',
    category: 'lifecycle',
    severity: 'error',
    description: 'A task completed a second time',
    messages: {
      again: 'task {taskId} completed again after it had already completed',
      afterGap: 'task {taskId} completed again after it had already completed; a {gap} may hold a new submission with the same id',
    },
  },
  create({ state, report }) {
    return {
      orphan(c, alreadyCompleted) {
        if (!alreadyCompleted) return;
        const evidence = { status: c.status, serviceResponse: c.serviceResponse };
        const gap = state.gaps.lostSince(-Infinity, GapAffects.Submissions);
        if (gap)
          report({
            messageId: 'afterGap',
            severity: 'info',
            data: { taskId: c.taskId, gap: gapText(gap) },
            at: c,
            taskId: c.taskId,
            evidence: { ...evidence, captureGapNs: gap.timeNs },
          });
        else report({ messageId: 'again', data: { taskId: c.taskId }, at: c, taskId: c.taskId, evidence });
      },
    };
  },
});
