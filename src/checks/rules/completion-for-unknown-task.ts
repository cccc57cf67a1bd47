/** A completion whose task id was never submitted (or was given up): the driver answered a task the OS does not have. */
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'completion-for-unknown-task',
    category: 'lifecycle',
    severity: 'error',
    description: 'A completion for a task id that was never submitted',
    messages: {
      unknown: 'completion for task id {taskId}, which was never submitted (or was lost before it completed)',
    },
  },
  create({ report }) {
    return {
      orphan(c, alreadyCompleted) {
        if (alreadyCompleted) return;
        report({ messageId: 'unknown', data: { taskId: c.taskId }, at: c, taskId: c.taskId, evidence: { status: c.status, serviceResponse: c.serviceResponse } });
      },
    };
  },
});
