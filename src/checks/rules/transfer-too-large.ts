/** A transfer above IOMaximumByteCountRead/Write or IOMaximumBlockCountRead/Write. */
import { directionWord, limitKey, limitsFor } from '../helpers.js';
import { defineLimitRule, type LimitExcess } from '../limit-rule.js';

export default defineLimitRule({
  id: 'transfer-too-large',
  description: 'A transfer larger than IOMaximumByteCount or IOMaximumBlockCount (read or write) allows',
  messages: {
    bytes: '{direction} of {bytes} bytes; the HBA allows {max} ({key})',
    blocks: '{direction} of {blocks} blocks; the HBA allows {max} ({key})',
  },
  measure(s, f, _scan, state): LimitExcess<'bytes' | 'blocks'> | undefined {
    const d = limitsFor(state, s);
    const maxBytes = d.maxByteCount;
    if (s.requestedBytes > maxBytes) {
      const key = limitKey(d, 'ByteCount');
      return {
        messageId: 'bytes',
        data: { direction: directionWord(s), bytes: s.requestedBytes, max: maxBytes, key },
        evidence: { requestedBytes: s.requestedBytes, limit: maxBytes, key },
      };
    }
    const maxBlocks = d.maxBlockCount;
    if (f.dataBlocks <= 0 || f.dataBlocks <= maxBlocks) return undefined;
    const key = limitKey(d, 'BlockCount');
    return {
      messageId: 'blocks',
      data: { direction: directionWord(s), blocks: f.dataBlocks, max: maxBlocks, key },
      evidence: { blocks: f.dataBlocks, limit: maxBlocks, key },
    };
  },
});
