/**
 * A task id submitted again while the earlier task with that id is still in flight. When a
 * capture gap since the earlier submission could have held its completion, the id was free.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects } from '../../model/events.js';
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
      completionNotCaptured:
        'task id {taskId} submitted again {age} after its earlier task (at byte {previousOffset}), whose completion was not captured: a {gap} may hold it',
    },
  },
  create({ state, report }) {
    return {
      reused(previous, next) {
        const evidence = { previousOffset: previous.offset, previousRecord: previous.index, previousSubmittedNs: previous.timeNs };
        const data = { taskId: next.taskId, age: durationText(next.timeNs - previous.timeNs), previousOffset: `0x${previous.offset.toString(16)}` };
        const gap = state.gaps.lostSince(previous.timeNs, GapAffects.Completions, previous.targetId);
        if (gap)
          report({
            messageId: 'completionNotCaptured',
            severity: 'info',
            data: { ...data, gap: gapText(gap) },
            at: next,
            task: next,
            evidence: { ...evidence, captureGapNs: gap.timeNs },
          });
        else report({ messageId: 'reused', data, at: next, task: next, evidence });
      },
    };
  },
});
