/** A segment address or length not a multiple of IOMinimumSegmentAlignmentByteCount. */
import { hex, segmentEvidence } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'segment-misaligned',
    category: 'dma',
    severity: 'error',
    usesSegments: true,
    description: 'A segment address or length breaks the minimum alignment (IOMinimumSegmentAlignmentByteCount)',
    messages: {
      address: 'segment {index} starts at {address}, not a multiple of the {alignment}-byte alignment the HBA requires',
      length: 'segment {index} is {length} bytes, not a multiple of the {alignment}-byte alignment the HBA requires',
    },
  },
  create({ state, report }) {
    return {
      submit(s, _f, scan) {
        if (!scan || scan.misalignedIndex < 0) return;
        const i = scan.misalignedIndex;
        const alignment = state.limits.minSegmentAlignment;
        const addressBad = (s.segments.addressLow(i) & (alignment - 1)) !== 0;
        // A transfer whose length is not a multiple of the alignment (INQUIRY with allocation
        // length 255) must end in a short element: that length is the command's, not the list's.
        if (!addressBad && i === s.segments.count - 1 && s.requestedBytes % alignment !== 0) return;
        report({
          messageId: addressBad ? 'address' : 'length',
          data: { index: i, address: hex(s.segments.address(i)), length: s.segments.length(i), alignment },
          at: s,
          task: s,
          evidence: { ...segmentEvidence(s, i), alignment },
        });
      },
    };
  },
});
