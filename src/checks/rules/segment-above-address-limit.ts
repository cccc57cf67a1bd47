/**
 * A segment whose last byte lies above the HBA's addressable limit
 * (IOMaximumSegmentAddressableBitCount): a 32-bit HBA handed memory above 4 GiB, including
 * segments that start below the boundary and run across it. The HBA truncates the address
 * and DMA lands in the wrong memory.
 */
import { hex, segmentEvidence } from '../helpers.js';
import { defineLimitRule } from '../limit-rule.js';

export default defineLimitRule({
  id: 'segment-above-address-limit',
  usesSegments: true,
  description: 'A DMA segment ends above the addressable limit the HBA reported (IOMaximumSegmentAddressableBitCount)',
  messages: {
    above: 'segment {index} at {address} (+{length} bytes) is above the {bits}-bit DMA limit {limit}: the HBA cannot address it',
    straddles: 'segment {index} at {address} (+{length} bytes) crosses the {bits}-bit DMA limit {limit}: its tail is unreachable for the HBA',
  },
  measure(s, _f, scan, state) {
    if (scan!.aboveLimitIndex < 0) return undefined;
    const i = scan!.aboveLimitIndex;
    const bits = state.limits.addressBits;
    const limit = hex(2n ** BigInt(bits));
    return {
      messageId: scan!.aboveLimitStraddles ? 'straddles' : 'above',
      data: { index: i, address: hex(s.segments.address(i)), length: s.segments.length(i), bits, limit },
      evidence: { ...segmentEvidence(s, i), addressBits: bits, straddles: scan!.aboveLimitStraddles },
    };
  },
});
