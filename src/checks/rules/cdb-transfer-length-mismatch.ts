/**
 * CDB TRANSFER LENGTH × logical block size differs from the task's requested transfer count
 * (SBC-5 4.5): the HBA will move a different amount of data than the device expects.
 */
import { defineRule } from '../rule.js';
import { CommandKind } from '../state.js';

export default defineRule({
  meta: {
    id: 'cdb-transfer-length-mismatch',
    category: 'dma',
    severity: 'error',
    description: 'CDB transfer length × logical block size differs from the requested transfer count',
    messages: {
      mismatch: 'CDB asks for {blocks} blocks × {blockSize} bytes = {expected} bytes but the task requests {requested} bytes (block size {source})',
    },
  },
  create({ report }) {
    return {
      submit(s, f) {
        if (f.dataBlocks < 0 || f.kind === CommandKind.Verify) return;
        const bs = f.lunInfo.blockSize;
        if (!bs) return;
        // WRITE SAME sends one block; protection information adds 8 bytes per block.
        const expected = f.dataBlocks * bs;
        if (s.requestedBytes === expected) return;
        if (f.protectionBytes && s.requestedBytes === f.dataBlocks * (bs + f.protectionBytes)) return;
        report({
          messageId: 'mismatch',
          data: { blocks: f.dataBlocks, blockSize: bs, expected, requested: s.requestedBytes, source: f.lunInfo.blockSizeSource ?? 'unknown' },
          at: s,
          task: s,
          evidence: {
            blocks: f.dataBlocks,
            blockSize: bs,
            expectedBytes: expected,
            requestedBytes: s.requestedBytes,
            blockSizeSource: f.lunInfo.blockSizeSource ?? 'unknown',
          },
        });
      },
    };
  },
});
