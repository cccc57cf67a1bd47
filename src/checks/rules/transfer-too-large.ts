/** A transfer above IOMaximumByteCountRead/Write or IOMaximumBlockCountRead/Write. */
import { directionWord, limitKey, limitsFor } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'transfer-too-large',
    category: 'dma',
    severity: 'error',
    description: 'A transfer larger than IOMaximumByteCount or IOMaximumBlockCount (read or write) allows',
    messages: {
      bytes: '{direction} of {bytes} bytes; the HBA allows {max} ({key})',
      blocks: '{direction} of {blocks} blocks; the HBA allows {max} ({key})',
    },
  },
  create({ state, report }) {
    return {
      submit(s, f) {
        const d = limitsFor(state, s);
        const maxBytes = d.maxByteCount;
        if (s.requestedBytes > maxBytes) {
          const key = limitKey(d, 'ByteCount');
          report({ messageId: 'bytes', data: { direction: directionWord(s), bytes: s.requestedBytes, max: maxBytes, key }, at: s, task: s, evidence: { requestedBytes: s.requestedBytes, limit: maxBytes, key } });
          return;
        }
        if (f.dataBlocks <= 0) return;
        const maxBlocks = d.maxBlockCount;
        if (f.dataBlocks > maxBlocks) {
          const key = limitKey(d, 'BlockCount');
          report({ messageId: 'blocks', data: { direction: directionWord(s), blocks: f.dataBlocks, max: maxBlocks, key }, at: s, task: s, evidence: { blocks: f.dataBlocks, limit: maxBlocks, key } });
        }
      },
    };
  },
});
