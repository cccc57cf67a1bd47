/**
 * GOOD status with less data moved than requested and no residual reported, or no data at all
 * on a data command: "success without doing it". SAM-6 5.3: GOOD means the command did its job.
 */
import { DataDirection, ResidualFlag } from '../../model/events.js';
import { completedGood } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'short-transfer-reported-good',
    category: 'commands',
    severity: 'error',
    description: 'GOOD status with fewer bytes transferred than requested and no residual, or zero bytes on a data command',
    messages: {
      zeroBytes: 'completed GOOD but moved 0 of {requested} bytes: success reported without doing the transfer',
      shortBlocks: 'completed GOOD but moved {moved} of {requested} bytes with no residual reported: {missing} bytes of block data silently missing',
    },
  },
  create({ report }) {
    return {
      complete(t, f) {
        const c = t.complete;
        const s = t.submit;
        if (s.direction === DataDirection.None || s.requestedBytes === 0 || c.bytesTransferred >= s.requestedBytes) return;
        if (!completedGood(c)) return;
        const evidence = { requestedBytes: s.requestedBytes, bytesTransferred: c.bytesTransferred, residual: c.residual, residualFlags: c.residualFlags };
        if (c.bytesTransferred === 0) {
          report({ messageId: 'zeroBytes', data: { requested: s.requestedBytes }, at: c, task: s, evidence });
          return;
        }
        // Allocation-length commands (INQUIRY, MODE SENSE...) may return less; block data may not.
        if (f.dataBlocks <= 0) return;
        const missing = s.requestedBytes - c.bytesTransferred;
        if (c.residualFlags & ResidualFlag.Underflow && c.residual === missing) return;
        report({ messageId: 'shortBlocks', data: { moved: c.bytesTransferred, requested: s.requestedBytes, missing }, at: c, task: s, evidence });
      },
    };
  },
});
