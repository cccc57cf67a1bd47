import { TaskMatcher, type TaskRecord } from '../../../src/analysis/tasks.js';
import type { TraceEvent } from '../../../src/model/events.js';

/** Pairs events the way `decode` does: completed tasks in completion order, what stayed open, orphans. */
export function tasksOf(evs: TraceEvent[]): { done: TaskRecord[]; open: TaskRecord[]; orphans: number } {
  const m = new TaskMatcher();
  const done: TaskRecord[] = [];
  let orphans = 0;
  for (const e of evs) {
    if (e.kind === 'submit') m.submit(e);
    else if (e.kind === 'complete') {
      const r = m.complete(e);
      if (r.kind === 'task') done.push(r.task);
      else orphans++;
    }
  }
  return { done, open: m.drain(), orphans };
}
