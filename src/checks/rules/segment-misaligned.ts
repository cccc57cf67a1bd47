/** A segment address or length not a multiple of IOMinimumSegmentAlignmentByteCount. */
import { hex, segmentEvidence } from '../helpers.js';
import { defineLimitRule } from '../limit-rule.js';

export default defineLimitRule({
  id: 'segment-misaligned',
  usesSegments: true,
  description: 'A segment address or length breaks the minimum alignment (IOMinimumSegmentAlignmentByteCount)',
  messages: {
    address: 'segment {index} starts at {address}, not a multiple of the {alignment}-byte alignment the HBA requires',
    length: 'segment {index} is {length} bytes, not a multiple of the {alignment}-byte alignment the HBA requires',
  },
  measure(s, _f, scan, state) {
    if (scan!.misalignedIndex < 0) return undefined;
    const i = scan!.misalignedIndex;
    const alignment = state.limits.minSegmentAlignment;
    const addressBad = (s.segments.addressLow(i) & (alignment - 1)) !== 0;
    // A transfer whose length is not a multiple of the alignment (INQUIRY with allocation
    // length 255) must end in a short element: that length is the command's, not the list's.
    if (!addressBad && i === s.segments.count - 1 && s.requestedBytes % alignment !== 0) return undefined;
    return {
      messageId: addressBad ? 'address' : 'length',
      data: { index: i, address: hex(s.segments.address(i)), length: s.segments.length(i), alignment },
      evidence: { ...segmentEvidence(s, i), alignment },
    };
  },
});
