/** A task id submitted again while the earlier task with that id is still in flight. */
import { durationText } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'task-id-reused',
    category: 'lifecycle',
    severity: 'error',
    description: 'A task id reused while the earlier task with that id was still in flight',
    messages: {
      reused: 'task id {taskId} submitted again while its earlier task (submitted {age} before, at byte {previousOffset}) was still in flight',
    },
  },
  create({ report }) {
    return {
      reused(previous, next) {
        report({
          messageId: 'reused',
          data: { taskId: next.taskId, age: durationText(next.timeNs - previous.timeNs), previousOffset: `0x${previous.offset.toString(16)}` },
          at: next,
          task: next,
          evidence: { previousOffset: previous.offset, previousRecord: previous.index, previousSubmittedNs: previous.timeNs },
        });
      },
    };
  },
});
