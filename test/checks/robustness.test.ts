/**
 * Whatever a reader hands over — random CDBs, sense bytes, segment lists, HBA events, digests,
 * notes and constraint records in any order — the checker finishes without throwing, keeps
 * counts consistent with its groups, and fills every message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEvents } from '../../src/checks/engine.js';
import type { TraceEvent } from '../../src/model/events.js';
import { PackedSegmentList } from '../../src/model/segments.js';

const id = fc.integer({ min: 1, max: 12 }).map(BigInt);
const origin = { offset: 0, index: 0, timeNs: 0 };
const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });

const submit = fc
  .record({
    taskId: id,
    lun: fc.integer({ min: 0, max: 3 }),
    direction: fc.integer({ min: 0, max: 3 }),
    requestedBytes: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1 << 22 })),
    timeoutMs: fc.integer({ min: 0, max: 100 }),
    cdb: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc
        .constantFrom(0x28, 0x2a, 0x88, 0x8a, 0x35, 0x91, 0x41, 0x93, 0x89, 0x2f, 0x7f, 0x08, 0x0a, 0xc5)
        .chain((op) => fc.uint8Array({ minLength: 5, maxLength: 32 }).map((rest) => Uint8Array.of(op, ...rest))),
    ),
    segments: fc.array(fc.record({ address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), length: fc.integer({ min: 0, max: 1 << 20 }) }), { maxLength: 8 }),
    // DriverKit's one IOVM range, anywhere in 64 bits, and whether the list is the recorded SGL.
    buffer: fc.option(
      fc.record({
        address: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0xffff_f000n, 0x1_0000_0000n, (1n << 64n) - 4096n)),
        length: fc.integer({ min: 0, max: 1 << 22 }),
      }),
      { nil: undefined },
    ),
    sglRecorded: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(
    (s): TraceEvent =>
      ({
        kind: 'submit',
        ...origin,
        targetId: 0n,
        tag: s.taskId,
        attribute: 0,
        bundleSlot: undefined,
        ...s,
        segments: PackedSegmentList.from(s.segments),
      }) as TraceEvent,
  );

const complete = fc
  .record({
    taskId: id,
    serviceResponse: fc.integer({ min: 0, max: 6 }),
    status: fc.constantFrom(0, 2, 4, 8, 0x18, 0x28, 0x40, 1, 5, 0xff),
    bytesTransferred: fc.integer({ min: 0, max: 1 << 22 }),
    residual: fc.integer({ min: 0, max: 1 << 22 }),
    residualFlags: fc.integer({ min: 0, max: 3 }),
    sense: fc.oneof(bytes(40), fc.constantFrom(Uint8Array.of(0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0xc0, 0, 2))),
  })
  .map((c): TraceEvent => ({ kind: 'complete', ...origin, ...c }));

const hba = fc
  .record({
    hbaKind: fc.integer({ min: 0, max: 9 }),
    phase: fc.integer({ min: 0, max: 3 }),
    taskId: fc.option(id, { nil: undefined }),
    status: fc.constantFrom(0, 1, 0xe00002bc),
    durationNs: fc.integer({ min: 0, max: 30e9 }),
    arg0: fc.bigInt({ min: 0n, max: 3n }),
    arg1: fc.bigInt({ min: 0n, max: 3n }),
  })
  .map((h): TraceEvent => ({ kind: 'hba', ...origin, detail: '', ...h }));

const digest = fc
  .record({
    taskId: id,
    lba: fc.option(fc.bigInt({ min: 0n, max: 64n }), { nil: undefined }),
    byteCount: fc.constantFrom(512, 4096),
    direction: fc.integer({ min: 0, max: 3 }),
    crc32c: fc.integer({ min: 0, max: 3 }),
  })
  .map((d): TraceEvent => ({ kind: 'digest', ...origin, chunkBytes: 0, chunkDigests: new Uint32Array(0), ...d }) as TraceEvent);

const note = fc
  .oneof(fc.string(), fc.constantFrom('lun-info lun=0 block-size=4096 capacity-blocks=10 write-cache=on', 'lun-info target=x lun=-1 block-size=0'))
  .map((text): TraceEvent => ({ kind: 'note', ...origin, text }));

const constraintsRecord = fc
  .dictionary(
    fc.constantFrom(
      'IOMaximumSegmentCountWrite',
      'IOMaximumSegmentAddressableBitCount',
      'IOMinimumSegmentAlignmentByteCount',
      'IOMaximumByteCountRead',
      'HBA Data Alignment',
      'dmaNumAddressBits',
      'segmentBoundary',
      'Unknown Key',
    ),
    fc.oneof(fc.integer({ min: 0, max: 1 << 20 }), fc.constantFrom(32, 36, 64, 3, 4096, 4294967296, '0x80000', 'junk', true)),
  )
  .map((entries): TraceEvent => ({ kind: 'constraints', ...origin, entries }));

const events = fc
  .array(fc.oneof({ weight: 5, arbitrary: submit }, { weight: 5, arbitrary: complete }, hba, digest, note, constraintsRecord), { maxLength: 60 })
  .map((list) =>
    // Monotonic times and positions, as a reader gives them.
    list.map((e, i) => ({ ...e, offset: i * 64, index: i, timeNs: i * 1_000_000 })),
  );

describe('checker robustness', () => {
  it('never throws and keeps its counts consistent on arbitrary event streams', () => {
    fc.assert(
      fc.property(events, (list) => {
        const r = checkEvents(list, { maxExamples: 2 });
        const total = r.groups.reduce((n, g) => n + g.count, 0);
        expect(total).toBe(r.counts.error + r.counts.warning + r.counts.info);
        for (const g of r.groups) {
          expect(g.examples.length).toBeLessThanOrEqual(2);
          for (const f of g.examples) expect(f.message).not.toMatch(/\{\w+\}/);
        }
      }),
      { numRuns: 400, seed: 20261124 },
    );
  });
});
