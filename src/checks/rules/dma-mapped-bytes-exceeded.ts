/**
 * More bytes mapped for DMA by the tasks in flight than the configured limit (maxMappedDmaBytes:
 * no Apple source sets one; docs/rules/dma-mapped-bytes-exceeded.md). Reported once per excursion above the limit; an
 * excursion ends when the total falls to three quarters of the limit, so a total hovering at
 * the limit is one finding, not one per task.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects, type TaskSubmitted } from '../../model/events.js';
import { bytesText } from '../helpers.js';
import { defineRule } from '../rule.js';

interface Excursion {
  /** The submission that took the total over the limit. */
  at: TaskSubmitted;
  firstBytes: number;
  firstTasks: number;
  peakBytes: number;
  peakTasks: number;
  /** Times the total went from at-or-below the limit to above it during the excursion. */
  crossings: number;
  above: boolean;
}

export default defineRule({
  meta: {
    id: 'dma-mapped-bytes-exceeded',
    category: 'dma',
    severity: 'error',
    description: 'Total bytes mapped by tasks in flight exceed the configured DMA mapping limit (maxMappedDmaBytes)',
    messages: {
      exceeded:
        '{tasks} tasks in flight map {bytes}, above the {limit} DMA mapping limit (peak {peak} with {peakTasks} tasks; crossed the limit {crossings} times before falling back)',
      exceededAfterGap:
        '{tasks} tasks in flight map {bytes}, above the {limit} DMA mapping limit (peak {peak} with {peakTasks} tasks); a {gap} before it may hold completions, so some of these tasks may have finished',
    },
  },
  create({ state, report }) {
    let over: Excursion | undefined;
    const close = (): void => {
      if (!over) return;
      const limit = state.limits.maxMappedDmaBytes;
      // Any gap before the excursion that could have lost a completion inflates the total.
      const gap = state.gaps.lostSince(-Infinity, GapAffects.Completions);
      const afterGap = gap !== undefined && gap.timeNs <= over.at.timeNs;
      report({
        messageId: afterGap ? 'exceededAfterGap' : 'exceeded',
        ...(afterGap ? { severity: 'info' as const } : {}),
        data: {
          tasks: over.firstTasks,
          bytes: bytesText(over.firstBytes),
          limit: bytesText(limit),
          peak: bytesText(over.peakBytes),
          peakTasks: over.peakTasks,
          crossings: over.crossings,
          ...(afterGap ? { gap: gapText(gap) } : {}),
        },
        at: over.at,
        task: over.at,
        evidence: {
          inFlightBytes: over.firstBytes,
          inFlightTasks: over.firstTasks,
          peakBytes: over.peakBytes,
          peakTasks: over.peakTasks,
          crossings: over.crossings,
          limit,
          ...(afterGap ? { captureGapNs: gap.timeNs } : {}),
        },
      });
      over = undefined;
    };
    return {
      submit(s) {
        const bytes = state.inFlight.bytes;
        if (bytes <= state.limits.maxMappedDmaBytes) return;
        const tasks = state.inFlight.count;
        if (!over) {
          over = { at: s.snapshot(), firstBytes: bytes, firstTasks: tasks, peakBytes: bytes, peakTasks: tasks, crossings: 1, above: true };
          return;
        }
        if (!over.above) {
          over.above = true;
          over.crossings++;
        }
        if (bytes > over.peakBytes) {
          over.peakBytes = bytes;
          over.peakTasks = tasks;
        }
      },
      complete() {
        if (!over) return;
        const bytes = state.inFlight.bytes;
        const limit = state.limits.maxMappedDmaBytes;
        if (bytes <= limit) over.above = false;
        if (bytes <= limit * 0.75) close();
      },
      end() {
        close();
      },
    };
  },
});
