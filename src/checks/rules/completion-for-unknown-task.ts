/**
 * A completion whose task id was never submitted (or was given up): the driver answered a task
 * the OS does not have. When a capture gap before it could have held the submission, that is
 * what the trace shows instead.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects } from '../../model/events.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'completion-for-unknown-task',
    category: 'lifecycle',
    severity: 'error',
    description: 'A completion for a task id that was never submitted',
    messages: {
      unknown: 'completion for task id {taskId}, which was never submitted (or was lost before it completed)',
      submissionNotCaptured: 'completion for task id {taskId}, whose submission was not captured: a {gap} before it may hold the submission',
    },
  },
  create({ state, report }) {
    return {
      orphan(c, alreadyCompleted) {
        if (alreadyCompleted) return;
        const evidence = { status: c.status, serviceResponse: c.serviceResponse };
        // A completion names no target: any gap that could lose a submission counts.
        const gap = state.gaps.lostSince(-Infinity, GapAffects.Submissions);
        if (gap)
          report({
            messageId: 'submissionNotCaptured',
            severity: 'info',
            data: { taskId: c.taskId, gap: gapText(gap) },
            at: c,
            taskId: c.taskId,
            evidence: { ...evidence, captureGapNs: gap.timeNs },
          });
        else report({ messageId: 'unknown', data: { taskId: c.taskId }, at: c, taskId: c.taskId, evidence });
      },
    };
  },
});
