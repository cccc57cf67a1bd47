/** More scatter/gather segments than the HBA reported it takes (IOMaximumSegmentCountRead/Write). */
import { directionWord, limitKey, limitsFor } from '../helpers.js';
import { defineLimitRule } from '../limit-rule.js';

export default defineLimitRule({
  id: 'segment-count-exceeded',
  usesSegments: true,
  description: 'A task has more scatter/gather segments than IOMaximumSegmentCountRead/Write allows',
  messages: {
    tooMany: '{direction} with {count} segments; the HBA allows {max} ({key})',
  },
  measure(s, _f, scan, state) {
    const d = limitsFor(state, s);
    const max = d.maxSegmentCount;
    if (scan!.count <= max) return undefined;
    const key = limitKey(d, 'SegmentCount');
    return {
      messageId: 'tooMany',
      data: { direction: directionWord(s), count: scan!.count, max, key },
      evidence: { segments: scan!.count, limit: max, key, requestedBytes: s.requestedBytes },
    };
  },
});
