/** A segment longer than IOMaximumSegmentByteCountRead/Write. */
import { directionWord, limitKey, limitsFor, segmentEvidence } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'segment-too-long',
    category: 'dma',
    severity: 'error',
    usesSegments: true,
    description: 'A scatter/gather segment longer than IOMaximumSegmentByteCountRead/Write allows',
    messages: {
      tooLong: '{direction} segment {index} is {length} bytes; the HBA allows {max} per segment ({key})',
    },
  },
  create({ state, report }) {
    return {
      submit(s, _f, scan) {
        if (!scan) return;
        const d = limitsFor(state, s);
        const max = d.maxSegmentByteCount;
        if (scan.longestBytes <= max) return;
        const key = limitKey(d, 'SegmentByteCount');
        report({
          messageId: 'tooLong',
          data: { direction: directionWord(s), index: scan.longestIndex, length: scan.longestBytes, max, key },
          at: s,
          task: s,
          evidence: { ...segmentEvidence(s, scan.longestIndex), limit: max, key },
        });
      },
    };
  },
});
