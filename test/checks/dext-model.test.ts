/**
 * The DriverKit task model through the whole rule set: one IOVM range per task (buffer) and,
 * when recorded, the SGL the driver built from it. Segment rules judge only a recorded list; the
 * range-and-SGL rules say each defect once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvents } from '../../src/checks/engine.js';
import { walkSgl } from '../../src/checks/sgl.js';
import { constraintConfig } from '../../src/checks/constraints.js';
import { PackedSegmentList } from '../../src/model/segments.js';
import type { TaskSubmitted, TraceEvent } from '../../src/model/events.js';
import { buildTraceEvents } from '../helpers/trace.js';
import { DataDirection, dextTask, low32, rw10, splitRange } from './fixtures.js';

/** The seed case's declarations: a 32-bit HBA, 64-bit DMA specification, 64 KiB elements, 4-byte alignment. */
const SEED = constraintConfig(
  {
    IOMaximumSegmentAddressableBitCount: 32,
    dmaNumAddressBits: 64,
    IOMaximumSegmentByteCountWrite: 0x10000,
    IOMaximumSegmentCountWrite: 129,
    IOMinimumSegmentAlignmentByteCount: 4,
  },
  'test',
);

const rulesFound = (events: TraceEvent[]) => checkEvents(events, { constraints: SEED }).groups.map((g) => `${g.ruleId}:${g.count}`);

describe('DriverKit traces through every rule', () => {
  it('a range with no recorded SGL: the range is judged, no segment rule speaks', () => {
    const events = buildTraceEvents((b) => {
      for (let i = 0; i < 4; i++)
        b.task({
          cdb: rw10(true, i * 1024, 1024),
          direction: DataDirection.ToDevice,
          requestedBytes: 524288,
          buffer: { address: 0x1_2340_0000n + BigInt(i) * 0x80000n, length: 524288 },
        });
    });
    expect(rulesFound(events)).toEqual(['buffer-above-address-limit:4']);
  });

  it('a source that says its list is not recorded (sglRecorded false) keeps segment rules silent', () => {
    const events = buildTraceEvents((b) => void b.task({ cdb: rw10(true, 0, 16), direction: DataDirection.ToDevice, requestedBytes: 8192 }));
    const withList = (sglRecorded: boolean | undefined): TraceEvent[] =>
      events.map((e) =>
        e.kind === 'submit'
          ? {
              ...e,
              ...(sglRecorded !== undefined ? { sglRecorded } : {}),
              segments: PackedSegmentList.from([
                { address: 0x1_0000_0003n, length: 0x20000 },
                { address: 0x1_0000_0003n, length: 1 },
              ]),
            }
          : e,
      );
    expect(rulesFound(withList(false))).toEqual([]);
    // The same list, recorded: every segment rule has something to say.
    expect(rulesFound(withList(undefined)).length).toBeGreaterThanOrEqual(4);
  });

  it('the seed case: each defect once, by the rule that names it', () => {
    const events = buildTraceEvents((b) => {
      dextTask(b, { lba: 0, blocks: 1024, iova: 0x8000_0000 }); // sound
      dextTask(b, { lba: 1024, blocks: 1024, iova: 0x1_2340_0000, sgl: splitRange(0x1_2340_0000, 524288, 0x10000, low32) }); // truncated
      dextTask(b, { lba: 2048, blocks: 1024, iova: 0x9000_0000, sgl: splitRange(0x9000_0000, 262144, 0x10000) }); // short
      dextTask(b, {
        lba: 3072,
        blocks: 16,
        iova: 0x9100_0000,
        sgl: [
          { address: 0x9100_0000, length: 8192 },
          { address: 0x9100_0000, length: 0 },
          { address: 0x9100_1000, length: 4096 },
        ],
      }); // overlap + long
    });
    expect(rulesFound(events).sort()).toEqual(['buffer-above-address-limit:1', 'sgl-address-truncated:1', 'sgl-not-covering-buffer:2']);
  });
});

describe("the segment rules judge a dext's own SGL", () => {
  it('each limit broken by one task, each rule naming that task (the ranges are covered exactly)', () => {
    const hw = constraintConfig(
      {
        IOMaximumSegmentAddressableBitCount: 32,
        dmaNumAddressBits: 32,
        IOMaximumSegmentByteCountWrite: 0x10000,
        IOMaximumSegmentCountWrite: 4,
        IOMinimumSegmentAlignmentByteCount: 4,
        segmentBoundary: 0x1_0000_0000,
      },
      'test',
    );
    const events = buildTraceEvents((b) => {
      dextTask(b, { lba: 0, blocks: 256, iova: 0x8000_0000, sgl: [{ address: 0x8000_0000, length: 0x20000 }] }); // 1: one element of 128 KiB
      dextTask(b, { lba: 256, blocks: 256, iova: 0x8100_0000, sgl: splitRange(0x8100_0000, 0x20000, 0x4000) }); // 2: eight elements
      dextTask(b, { lba: 512, blocks: 8, iova: 0x8200_0002, sgl: [{ address: 0x8200_0002, length: 4096 }] }); // 3: at an odd address
      dextTask(b, { lba: 600, blocks: 16, iova: 0xffff_f000, sgl: [{ address: 0xffff_f000, length: 8192 }] }); // 4: across 4 GiB
    });
    const found = checkEvents(events, { constraints: hw, maxExamples: Infinity }).groups.map((g) => [g.ruleId, g.examples.map((f) => Number(f.taskId))]);
    expect(Object.fromEntries(found)).toEqual({
      'segment-too-long': [1],
      'segment-count-exceeded': [2],
      'segment-misaligned': [3],
      'segment-crosses-boundary': [4],
      'segment-above-address-limit': [4],
      'buffer-above-address-limit': [4],
    });
  });
});

describe('walking an SGL against its range', () => {
  const submitWith = (address: bigint, length: number, sgl: Array<{ address: bigint; length: number }>): TaskSubmitted => ({
    kind: 'submit',
    offset: 0,
    index: 0,
    timeNs: 0,
    taskId: 1n,
    targetId: 0n,
    lun: 0,
    tag: 0n,
    attribute: 0,
    direction: DataDirection.ToDevice,
    requestedBytes: length,
    timeoutMs: 0,
    cdb: new Uint8Array(10),
    segments: PackedSegmentList.from(sgl),
    sglRecorded: true,
    buffer: { address, length },
  });
  /** The range split into elements of the given lengths (the last takes the rest). */
  const split = (address: bigint, length: number, cuts: number[]) => {
    const out: Array<{ address: bigint; length: number }> = [];
    let at = 0;
    for (const c of cuts) {
      if (at >= length) break;
      const n = Math.min(c, length - at);
      out.push({ address: address + BigInt(at), length: n });
      at += n;
    }
    if (at < length) out.push({ address: address + BigInt(at), length: length - at });
    return out;
  };
  const range = fc.record({
    address: fc.oneof(
      fc.bigInt({ min: 0n, max: 1n << 40n }),
      fc.bigInt({ min: 0xffff_0000n, max: 0x1_0001_0000n }),
      fc.bigInt({ min: (1n << 64n) - (1n << 30n), max: (1n << 64n) - (1n << 24n) }),
    ),
    length: fc.integer({ min: 1, max: 1 << 24 }),
    cuts: fc.array(fc.integer({ min: 1, max: 1 << 22 }), { maxLength: 40 }),
  });

  it('an SGL that walks its range covers it, whatever the element sizes; cut to 32 bits it is truncated exactly where the range lies past 4 GiB', () => {
    fc.assert(
      fc.property(range, ({ address, length, cuts }) => {
        const sgl = split(address, length, cuts);
        expect(walkSgl(submitWith(address, length, sgl))).toMatchObject({ truncated: 0, problem: undefined, totalBytes: length });
        const cut = walkSgl(
          submitWith(
            address,
            length,
            sgl.map((e) => ({ ...e, address: e.address & 0xffff_ffffn })),
          ),
        )!;
        expect(cut.problem).toBeUndefined();
        expect(cut.truncated).toBe(sgl.filter((e) => e.address >= 1n << 32n).length);
      }),
      { numRuns: 300, seed: 20261205 },
    );
  });

  it('two elements swapped are out of order; one dropped is a gap or a short list; one repeated is an overlap or a long list', () => {
    fc.assert(
      fc.property(
        range.filter((r) => r.cuts.length >= 2 && r.length > 2 * r.cuts[0]!),
        ({ address, length, cuts }) => {
          const sgl = split(address, length, cuts);
          fc.pre(sgl.length >= 3);
          const swapped = [sgl[1]!, sgl[0]!, ...sgl.slice(2)];
          expect(walkSgl(submitWith(address, length, swapped))!.problem).toBe('outOfOrder');
          expect(['gap', 'short']).toContain(walkSgl(submitWith(address, length, [sgl[0]!, ...sgl.slice(2)]))!.problem);
          expect(['overlap', 'long', 'outside']).toContain(walkSgl(submitWith(address, length, [sgl[0]!, sgl[0]!, ...sgl.slice(1)]))!.problem);
        },
      ),
      { numRuns: 300, seed: 20261205 },
    );
  });
});
