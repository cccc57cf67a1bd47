import rule from '../../../src/checks/rules/dma-mapped-bytes-exceeded.js';
import { testRule } from '../../helpers/rule-tester.js';
import type { TraceBuilder } from '../../helpers/trace.js';
import { DataDirection, rw16 } from '../fixtures.js';

const MiB = 1 << 20;
/** Submits `n` 256 MiB writes without completing them; returns their ids. */
function burst(b: TraceBuilder, n: number): number[] {
  return Array.from({ length: n }, (_, i) => b.submit({ cdb: rw16(true, i * 524288, 524288), direction: DataDirection.ToDevice, requestedBytes: 256 * MiB }));
}

/** The budget is opt-in (no Apple source sets one; docs/constraints.md): these cases set 2 GiB. */
const BUDGET = { maxMappedDmaBytes: '2GiB' };

testRule(rule, {
  valid: [
    { name: 'no budget set: 4 GiB in flight is no finding', build: (b) => burst(b, 16).forEach((id) => b.complete(id)) },
    { name: '2 GiB in flight exactly', constraints: BUDGET, build: (b) => burst(b, 8).forEach((id) => b.complete(id, { bytesTransferred: 256 * MiB })) },
    { name: 'smaller configured limit respected', constraints: { maxMappedDmaBytes: '1GiB' }, build: (b) => burst(b, 4).forEach((id) => b.complete(id)) },
  ],
  invalid: [
    {
      name: 'past 2 GiB in flight, once per excursion',
      constraints: BUDGET,
      build: (b) => {
        const first = burst(b, 10);
        first.forEach((id) => b.complete(id));
        const second = burst(b, 9);
        second.forEach((id) => b.complete(id));
      },
      errors: [
        { messageId: 'exceeded', evidence: { inFlightBytes: 9 * 256 * MiB, peakBytes: 10 * 256 * MiB, peakTasks: 10, limit: 2048 * MiB, crossings: 1 } },
        { messageId: 'exceeded', evidence: { peakTasks: 9 } },
      ],
    },
    {
      name: 'after a capture gap that may hold completions: info',
      constraints: BUDGET,
      build: (b) => {
        b.gap();
        burst(b, 10).forEach((id) => b.complete(id));
      },
      errors: [{ messageId: 'exceededAfterGap', severity: 'info' }],
    },
    {
      name: 'hovering at the limit is one excursion with several crossings',
      constraints: BUDGET,
      build: (b) => {
        const ids = burst(b, 9);
        for (let i = 0; i < 3; i++) {
          b.complete(ids.shift()!);
          ids.push(...burst(b, 1));
        }
        ids.forEach((id) => b.complete(id));
      },
      errors: [{ messageId: 'exceeded', evidence: { crossings: 4, peakTasks: 9 } }],
    },
  ],
});
