/** Two segments of one task covering the same memory: a read scribbles over its own data. */
import { hex } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'overlapping-segments',
    category: 'dma',
    severity: 'warning',
    usesSegments: true,
    description: 'Two scatter/gather segments of one task overlap in memory',
    messages: {
      overlap: 'segments {a} ({addressA} +{lengthA}) and {b} ({addressB} +{lengthB}) overlap in memory',
    },
  },
  create({ report }) {
    return {
      submit(s, _f, scan) {
        // With the IOVM range recorded (DriverKit), sgl-not-covering-buffer reports the overlap, with where in the range.
        if (!scan || scan.overlapA < 0 || s.buffer !== undefined) return;
        const a = scan.overlapA;
        const b = scan.overlapB;
        const seg = s.segments;
        report({
          messageId: 'overlap',
          severity: s.direction === 2 ? 'error' : 'warning',
          data: { a, b, addressA: hex(seg.address(a)), lengthA: seg.length(a), addressB: hex(seg.address(b)), lengthB: seg.length(b) },
          at: s,
          task: s,
          evidence: { segmentA: a, segmentB: b, addressA: hex(seg.address(a)), addressB: hex(seg.address(b)) },
        });
      },
    };
  },
});
