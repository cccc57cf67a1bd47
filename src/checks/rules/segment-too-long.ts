/** A segment longer than IOMaximumSegmentByteCountRead/Write. */
import { directionWord, limitKey, limitsFor, segmentEvidence } from '../helpers.js';
import { defineLimitRule } from '../limit-rule.js';

export default defineLimitRule({
  id: 'segment-too-long',
  usesSegments: true,
  description: 'A scatter/gather segment longer than IOMaximumSegmentByteCountRead/Write allows',
  messages: {
    tooLong: '{direction} segment {index} is {length} bytes; the HBA allows {max} per segment ({key})',
  },
  measure(s, _f, scan, state) {
    const d = limitsFor(state, s);
    const max = d.maxSegmentByteCount;
    if (scan!.longestBytes <= max) return undefined;
    const key = limitKey(d, 'SegmentByteCount');
    return {
      messageId: 'tooLong',
      data: { direction: directionWord(s), index: scan!.longestIndex, length: scan!.longestBytes, max, key },
      evidence: { ...segmentEvidence(s, scan!.longestIndex), limit: max, key },
    };
  },
});
