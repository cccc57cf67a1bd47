/**
 * A second completion for a task that already completed. DriverKit hands the task back to the
 * framework on the first; a second ParallelTaskCompletion uses freed state.
 */
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'duplicate-completion',
    category: 'lifecycle',
    severity: 'error',
    description: 'A task completed a second time',
    messages: {
      again: 'task {taskId} completed again after it had already completed',
    },
  },
  create({ report }) {
    return {
      orphan(c, alreadyCompleted) {
        if (!alreadyCompleted) return;
        report({ messageId: 'again', data: { taskId: c.taskId }, at: c, taskId: c.taskId, evidence: { status: c.status, serviceResponse: c.serviceResponse } });
      },
    };
  },
});
