/**
 * The DriverKit task model through the whole rule set: one IOVM range per task (buffer) and,
 * when recorded, the SGL the driver built from it. Segment rules judge only a recorded list; the
 * range-and-SGL rules say each defect once.
 */
import { describe, expect, it } from 'vitest';
import { checkEvents } from '../../src/checks/engine.js';
import { constraintConfig } from '../../src/checks/constraints.js';
import { PackedSegmentList } from '../../src/model/segments.js';
import type { TraceEvent } from '../../src/model/events.js';
import { buildTraceEvents } from '../helpers/trace.js';
import { DataDirection, dextTask, low32, rw10, splitRange } from './fixtures.js';

/** The seed case's declarations: a 32-bit HBA, 64-bit DMA specification, 64 KiB elements, 4-byte alignment. */
const SEED = constraintConfig({ IOMaximumSegmentAddressableBitCount: 32, dmaNumAddressBits: 64, IOMaximumSegmentByteCountWrite: 0x10000, IOMaximumSegmentCountWrite: 129, IOMinimumSegmentAlignmentByteCount: 4 }, 'test');

const rulesFound = (events: TraceEvent[]) => checkEvents(events, { constraints: SEED }).groups.map((g) => `${g.ruleId}:${g.count}`);

describe('DriverKit traces through every rule', () => {
  it('a range with no recorded SGL: the range is judged, no segment rule speaks', () => {
    const events = buildTraceEvents((b) => {
      for (let i = 0; i < 4; i++) b.task({ cdb: rw10(true, i * 1024, 1024), direction: DataDirection.ToDevice, requestedBytes: 524288, buffer: { address: 0x1_2340_0000n + BigInt(i) * 0x80000n, length: 524288 } });
    });
    expect(rulesFound(events)).toEqual(['buffer-above-address-limit:4']);
  });

  it('a source that says its list is not recorded (sglRecorded false) keeps segment rules silent', () => {
    const events = buildTraceEvents((b) => void b.task({ cdb: rw10(true, 0, 16), direction: DataDirection.ToDevice, requestedBytes: 8192 }));
    const withList = (sglRecorded: boolean | undefined): TraceEvent[] =>
      events.map((e) => (e.kind === 'submit' ? { ...e, ...(sglRecorded !== undefined ? { sglRecorded } : {}), segments: PackedSegmentList.from([{ address: 0x1_0000_0003n, length: 0x20000 }, { address: 0x1_0000_0003n, length: 1 }]) } : e));
    expect(rulesFound(withList(false))).toEqual([]);
    // The same list, recorded: every segment rule has something to say.
    expect(rulesFound(withList(undefined)).length).toBeGreaterThanOrEqual(4);
  });

  it('the seed case: each defect once, by the rule that names it', () => {
    const events = buildTraceEvents((b) => {
      dextTask(b, { lba: 0, blocks: 1024, iova: 0x8000_0000 }); // sound
      dextTask(b, { lba: 1024, blocks: 1024, iova: 0x1_2340_0000, sgl: splitRange(0x1_2340_0000, 524288, 0x10000, low32) }); // truncated
      dextTask(b, { lba: 2048, blocks: 1024, iova: 0x9000_0000, sgl: splitRange(0x9000_0000, 262144, 0x10000) }); // short
      dextTask(b, { lba: 3072, blocks: 16, iova: 0x9100_0000, sgl: [{ address: 0x9100_0000, length: 8192 }, { address: 0x9100_0000, length: 0 }, { address: 0x9100_1000, length: 4096 }] }); // overlap + long
    });
    expect(rulesFound(events).sort()).toEqual(['buffer-above-address-limit:1', 'sgl-address-truncated:1', 'sgl-not-covering-buffer:2']);
  });
});
