/** Segment lengths that do not add up to the task's requested transfer count. */
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'segment-total-mismatch',
    category: 'dma',
    severity: 'error',
    usesSegments: true,
    description: 'Scatter/gather segment lengths do not add up to the requested transfer count',
    messages: {
      short: '{count} segments cover {total} bytes but the task requests {requested}: {missing} bytes have nowhere to go',
      long: '{count} segments cover {total} bytes but the task requests only {requested}',
    },
  },
  create({ report }) {
    return {
      submit(s, _f, scan) {
        // Traces without segment lists (most captures) say nothing here. With the IOVM range
        // recorded (DriverKit), sgl-not-covering-buffer judges the list against it instead.
        if (!scan || s.buffer !== undefined || scan.totalBytes === s.requestedBytes) return;
        const evidence = { segments: scan.count, segmentBytes: scan.totalBytes, requestedBytes: s.requestedBytes };
        if (scan.totalBytes < s.requestedBytes) {
          report({
            messageId: 'short',
            data: { count: scan.count, total: scan.totalBytes, requested: s.requestedBytes, missing: s.requestedBytes - scan.totalBytes },
            at: s,
            task: s,
            evidence,
          });
        } else {
          report({
            messageId: 'long',
            severity: 'warning',
            data: { count: scan.count, total: scan.totalBytes, requested: s.requestedBytes },
            at: s,
            task: s,
            evidence,
          });
        }
      },
    };
  },
});
