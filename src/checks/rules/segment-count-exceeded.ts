/** More scatter/gather segments than the HBA reported it takes (IOMaximumSegmentCountRead/Write). */
import { directionWord, limitKey, limitsFor } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'segment-count-exceeded',
    category: 'dma',
    severity: 'error',
    usesSegments: true,
    description: 'A task has more scatter/gather segments than IOMaximumSegmentCountRead/Write allows',
    messages: {
      tooMany: '{direction} with {count} segments; the HBA allows {max} ({key})',
    },
  },
  create({ state, report }) {
    return {
      submit(s, _f, scan) {
        if (!scan) return;
        const d = limitsFor(state, s);
        const max = d.maxSegmentCount;
        if (scan.count <= max) return;
        const key = limitKey(d, 'SegmentCount');
        report({ messageId: 'tooMany', data: { direction: directionWord(s), count: scan.count, max, key }, at: s, task: s, evidence: { segments: scan.count, limit: max, key, requestedBytes: s.requestedBytes } });
      },
    };
  },
});
