/** A command addressing blocks past the end of the logical unit (SBC-5: LBA OUT OF RANGE). */
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'lba-beyond-capacity',
    category: 'lifecycle',
    severity: 'error',
    description: 'A command addresses LBAs beyond the capacity of the logical unit',
    messages: {
      beyond: 'addresses LBAs {first}-{last} but LUN {lun} has {capacity} blocks (last LBA {lastLba}; capacity from {source})',
    },
  },
  create({ report }) {
    return {
      submit(s, f) {
        if (f.lba < 0) return;
        const capacity = f.lunInfo.capacityBlocks;
        if (!capacity) return;
        // SYNCHRONIZE CACHE / WRITE SAME with 0 blocks mean "to the end": only the start counts.
        const blocks = f.rangeBlocks > 0 ? f.rangeBlocks : 1;
        if (f.lba + blocks <= capacity) return;
        report({
          messageId: 'beyond',
          data: {
            first: f.lba,
            last: f.lba + blocks - 1,
            lun: `${s.targetId}:${s.lun}`,
            capacity,
            lastLba: capacity - 1,
            source: f.lunInfo.capacitySource ?? 'unknown',
          },
          at: s,
          task: s,
          evidence: { lba: f.lba, blocks, capacityBlocks: capacity, capacitySource: f.lunInfo.capacitySource ?? 'unknown' },
        });
      },
    };
  },
});
