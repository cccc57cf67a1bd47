/**
 * A scatter/gather element runs across an address boundary the HBA's elements cannot cross
 * (segmentBoundary: 4 GiB for descriptors that keep the high address word fixed within one
 * element). Only checked when segmentBoundary is set: no IOKit key carries it.
 */
import { addressLimitText } from '../constraints.js';
import { hex, segmentEvidence } from '../helpers.js';
import { defineRule } from '../rule.js';

const TWO32 = 0x1_0000_0000;

export default defineRule({
  meta: {
    id: 'segment-crosses-boundary',
    category: 'dma',
    severity: 'error',
    description: 'A scatter/gather element crosses an address boundary the HBA cannot cross within one element (segmentBoundary, e.g. 4 GiB)',
    messages: {
      crosses: 'element {index} at {address} (+{length} bytes) crosses the {boundary} boundary at {crossing}: the HBA cannot carry one element across it{more}',
    },
  },
  create({ state, report }) {
    return {
      submit(s) {
        const boundary = state.limits.segmentBoundary;
        const segs = s.segments;
        if (boundary === Infinity || segs.count === 0 || s.sglRecorded === false) return;
        // Boundaries up to 4 GiB divide 2^32: the low word decides. Larger ones use the high word's low bits too.
        const highSpan = boundary > TWO32 ? boundary / TWO32 : 1;
        let first = -1;
        let firstOffset = 0;
        let crossing = 0;
        for (let i = 0; i < segs.count; i++) {
          const len = segs.length(i);
          if (len <= 1) continue;
          const within = boundary > TWO32 ? (segs.addressHigh(i) % highSpan) * TWO32 + segs.addressLow(i) : segs.addressLow(i) % boundary;
          if (within + len <= boundary) continue;
          if (first < 0) {
            first = i;
            firstOffset = boundary - within;
          }
          crossing++;
        }
        if (first < 0) return;
        const at = segs.address(first) + BigInt(firstOffset);
        report({
          messageId: 'crosses',
          data: {
            index: first,
            address: hex(segs.address(first)),
            length: segs.length(first),
            boundary: addressLimitText(Math.log2(boundary)),
            crossing: hex(at),
            more: crossing > 1 ? `; ${crossing} elements of this task cross one` : '',
          },
          at: s,
          task: s,
          evidence: { ...segmentEvidence(s, first), boundary, crossingAt: hex(at), crossingElements: crossing },
        });
      },
    };
  },
});
