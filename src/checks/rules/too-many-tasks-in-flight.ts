/**
 * More tasks outstanding than the configured maximum (the task count the driver reported).
 * Tasks whose completion a capture gap may hold stay "in flight" here, so after such a gap the
 * count may be too high and the finding says so.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects, type TaskSubmitted } from '../../model/events.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'too-many-tasks-in-flight',
    category: 'lifecycle',
    severity: 'error',
    description: 'More tasks in flight than the configured maximum (maxTasksInFlight)',
    messages: {
      exceeded: '{count} tasks in flight, above the maximum of {max} (peak {peak} before it fell back)',
      exceededAfterGap:
        '{count} tasks in flight, above the maximum of {max} (peak {peak} before it fell back); a {gap} before it may hold completions, so some of these tasks may have finished',
    },
  },
  create({ state, report }) {
    let over: { at: TaskSubmitted; count: number; peak: number } | undefined;
    const close = (): void => {
      if (!over) return;
      const max = state.limits.maxTasksInFlight;
      const evidence = { inFlight: over.count, peak: over.peak, limit: max };
      // Any gap before the excursion that could have lost a completion inflates the count.
      const gap = state.gaps.lostSince(-Infinity, GapAffects.Completions);
      if (gap && gap.timeNs <= over.at.timeNs)
        report({
          messageId: 'exceededAfterGap',
          severity: 'info',
          data: { count: over.count, max, peak: over.peak, gap: gapText(gap) },
          at: over.at,
          task: over.at,
          evidence: { ...evidence, captureGapNs: gap.timeNs },
        });
      else report({ messageId: 'exceeded', data: { count: over.count, max, peak: over.peak }, at: over.at, task: over.at, evidence });
      over = undefined;
    };
    return {
      submit(s) {
        const n = state.inFlight.count;
        if (n <= state.limits.maxTasksInFlight) return;
        if (!over) over = { at: s.snapshot(), count: n, peak: n };
        else if (n > over.peak) over.peak = n;
      },
      complete() {
        if (over && state.inFlight.count <= state.limits.maxTasksInFlight) close();
      },
      end() {
        close();
      },
    };
  },
});
