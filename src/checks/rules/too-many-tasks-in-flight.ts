/** More tasks outstanding than the configured maximum (the task count the driver reported). */
import type { TaskSubmitted } from '../../model/events.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'too-many-tasks-in-flight',
    category: 'lifecycle',
    severity: 'error',
    description: 'More tasks in flight than the configured maximum (maxTasksInFlight)',
    messages: {
      exceeded: '{count} tasks in flight, above the maximum of {max} (peak {peak} before it fell back)',
    },
  },
  create({ state, report }) {
    let over: { at: TaskSubmitted; count: number; peak: number } | undefined;
    const close = (): void => {
      if (!over) return;
      const max = state.limits.maxTasksInFlight;
      report({ messageId: 'exceeded', data: { count: over.count, max, peak: over.peak }, at: over.at, task: over.at, evidence: { inFlight: over.count, peak: over.peak, limit: max } });
      over = undefined;
    };
    return {
      submit(s) {
        const n = state.matcher.inFlight.size;
        if (n <= state.limits.maxTasksInFlight) return;
        if (!over) over = { at: s, count: n, peak: n };
        else if (n > over.peak) over.peak = n;
      },
      complete() {
        if (over && state.matcher.inFlight.size <= state.limits.maxTasksInFlight) close();
      },
      end() {
        close();
      },
    };
  },
});
