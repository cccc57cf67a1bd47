import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineOutput } from '../../src/report/line-output.js';
import { NativeDecoder } from '../../src/formats/native/reader.js';
import { writeTraceToBytes, type CompleteInput, type SubmitInput } from '../../src/formats/native/writer.js';
import { matchesFilterAt, type TaskFilter } from '../../src/analysis/filter.js';
import { PairedPipeline, type PairedConsumer } from '../../src/analysis/pipeline.js';
import { RowFlag, RowKind, TaskBatch } from '../../src/model/batch.js';
import { eventBatches } from '../../src/model/batch-builder.js';
import { jsonLine, textStyle, writeTaskText } from '../../src/report/decode.js';
import type { TraceEvent } from '../../src/model/events.js';

const STYLE = textStyle(false);

/**
 * decode reads every trace through one path: reader batches, the pairer, the printer. The event
 * API (NativeDecoder.push / openTrace().events) is an adapter over that path, and readers that
 * make events (pcap, ftrace, os_log, JSON Lines) come back into it through eventBatches. These
 * tests hold both ends together: the same trace read as batches straight from the record bytes
 * and read as events and put back into batches prints the same lines, the same orphan warnings
 * and the same diagnostics, for any trace, damaged or not, any chunking and any filter; and the
 * pairing matches a reference model written with a Map.
 */
function collector() {
  const chunks: Buffer[] = [];
  const out = new LineOutput(new Writable({ write: (c, _e, done) => (chunks.push(Buffer.from(c)), done()) }), 1024);
  return { out, text: async () => (await out.flush(), Buffer.concat(chunks).toString('utf8')) };
}

/** A printer like decode's: text and JSON lines for every task row that passes the filter, and the orphans. */
function printer(filter: TaskFilter) {
  const text = collector();
  const json: string[] = [];
  const orphans: string[] = [];
  const emit = (b: TaskBatch, r: number) => {
    const notCaptured = b.kind[r] !== RowKind.Complete && (b.flags[r]! & RowFlag.CompletionMayBeLost) !== 0;
    if (!matchesFilterAt(filter, b, r)) return;
    void writeTaskText(text.out, b, r, STYLE, notCaptured);
    json.push(jsonLine(b, r, { completionNotCaptured: notCaptured }));
  };
  const consumer: PairedConsumer = {
    rows(b, from, to) {
      for (let r = from; r < to; r++) {
        const kind = b.kind[r]!;
        if (kind === RowKind.Submit && b.flags[r]! & RowFlag.Reused) emit(b, b.link[r]!);
        else if (kind === RowKind.Complete) emit(b, r);
        else if (kind === RowKind.Orphan)
          orphans.push(`${b.offset[r]}/${b.index[r]}: ${b.taskIdHi[r]}:${b.taskIdLo[r]}${b.flags[r]! & RowFlag.AlreadyCompleted ? ' again' : ''}`);
      }
    },
    endTrace(end) {
      for (const b of end.left()) for (let r = 0; r < b.length; r++) emit(b, r);
    },
  };
  return { consumer, result: async () => ({ text: await text.text(), json, orphans }) };
}

/** The event API: events from NativeDecoder.push, back into batches through the adapter. */
async function viaEvents(bytes: Uint8Array, filter: TaskFilter, chunk: number) {
  const dec = new NativeDecoder();
  const events: TraceEvent[] = [];
  for (let at = 0; at < bytes.length; at += chunk) events.push(...dec.push(bytes.subarray(at, at + chunk)));
  events.push(...dec.end());
  const p = printer(filter);
  const pipeline = new PairedPipeline([p.consumer]);
  for await (const b of eventBatches([events])) pipeline.push(b);
  pipeline.finish();
  const diagnostics = events.filter((e) => e.kind === 'diagnostic').map((e) => e.message);
  return { ...(await p.result()), diagnostics };
}

/**
 * The batch path: columns filled straight from the record bytes. Chunks come in three buffers in
 * turn, as openTrace gives them, and each is overwritten as soon as the reader may let go of it:
 * a batch that kept a view into a chunk would print garbage.
 */
async function viaBatches(bytes: Uint8Array, filter: TaskFilter, chunk: number) {
  const dec = new NativeDecoder();
  const p = printer(filter);
  const pipeline = new PairedPipeline([p.consumer]);
  const diagnostics: string[] = [];
  const take = (b: TaskBatch) => {
    for (const e of b.events) if (e.kind === 'diagnostic') diagnostics.push(e.message);
    pipeline.push(b);
  };
  const scratch = [0, 1, 2].map(() => new Uint8Array(chunk));
  for (let at = 0, k = 0; at < bytes.length; at += chunk, k++) {
    const piece = bytes.subarray(at, at + chunk);
    scratch[k % 3]!.set(piece);
    take(dec.pushBatch(scratch[k % 3]!.subarray(0, piece.length)));
    scratch[(k + 2) % 3]!.fill(0xee);
  }
  take(dec.endBatch());
  pipeline.finish();
  return { ...(await p.result()), diagnostics };
}

const id = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 2n }) });
const cdb = fc.oneof(
  fc
    .tuple(fc.constantFrom(0x28, 0x2a), fc.nat(0xffff_ffff), fc.nat(0xffff))
    .map(([op, lba, len]) => [op, 0, lba >>> 24, (lba >>> 16) & 255, (lba >>> 8) & 255, lba & 255, 0, len >> 8, len & 255, 0]),
  fc
    .tuple(fc.constantFrom(0x88, 0x8a), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(0xffff))
    .map(([op, lba, len]) => [op, 0, ...Array.from({ length: 8 }, (_, i) => Number((lba >> BigInt(56 - 8 * i)) & 255n)), 0, 0, len >> 8, len & 255, 0, 0]),
  fc.uint8Array({ minLength: 6, maxLength: 16 }).map((a) => [...a]),
  fc.uint8Array({ minLength: 17, maxLength: 40 }).map((a) => [0x7f, ...a.subarray(1)]),
);
const record = fc.oneof(
  fc.record(
    {
      kind: fc.constant('submit' as const),
      taskId: id,
      cdb,
      lun: fc.nat(300),
      tag: fc.oneof(fc.nat(1000), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
      targetId: fc.oneof(fc.nat(5), fc.constant(2n ** 63n)),
      targetLabel: fc.constantFrom('0:2:0', '1:0:0'),
      requestedBytes: fc.nat(1 << 20),
      segments: fc.array(fc.record({ address: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), length: fc.nat(1 << 20) }), { maxLength: 4 }),
      buffer: fc.record({ address: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), length: fc.nat(1 << 20) }),
    },
    { requiredKeys: ['kind', 'taskId', 'cdb', 'lun', 'tag', 'targetId', 'requestedBytes'] },
  ),
  fc.record(
    { kind: fc.constant('gap' as const), endDelta: fc.nat(5000), affects: fc.constantFrom<0 | 1 | 2>(0, 1, 2), targetId: fc.nat(5) },
    { requiredKeys: ['kind', 'endDelta', 'affects'] },
  ),
  fc.record({
    kind: fc.constant('complete' as const),
    taskId: id,
    serviceResponse: fc.constantFrom(2, 2, 2, 1, 3, 5),
    status: fc.constantFrom(0, 0, 2, 8, 0x18, 0x28),
    bytesTransferred: fc.nat(1 << 20),
    residual: fc.nat(4096),
    residualFlags: fc.constantFrom(0, 0, 1, 2),
    sense: fc.oneof(
      fc.constant([]),
      fc.constant([0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0]),
      fc.uint8Array({ maxLength: 20 }).map((a) => [...a]),
    ),
  }),
);
const filter = fc.oneof(
  fc.constant({}),
  fc.record({ luns: fc.constant(new Set([0, 1])) }),
  fc.record({ statuses: fc.constantFrom(new Set(['good']), new Set(['incomplete', 'check']), new Set<'failed' | number>([8])) }),
  fc.record({ opcodes: fc.constant(new Set([0x28, 0x8a])), sinceNs: fc.nat(50_000) }),
) as unknown as fc.Arbitrary<TaskFilter>;

function traceBytes(records: Array<typeof record extends fc.Arbitrary<infer T> ? T : never>, damageAt: number | undefined): Uint8Array {
  let time = 0;
  const bytes = writeTraceToBytes({}, (w) => {
    for (const r of records) {
      time += 1234;
      if (r.kind === 'submit') w.submit({ ...(r as unknown as Omit<SubmitInput, 'timeNs'>), timeNs: time });
      else if (r.kind === 'gap')
        w.gap({ timeNs: time, endNs: time + r.endDelta, affects: r.affects, ...(r.targetId !== undefined ? { targetId: r.targetId } : {}) });
      else w.complete({ ...(r as Omit<CompleteInput, 'timeNs'>), timeNs: time });
    }
  });
  if (damageAt !== undefined && bytes.length > 64) bytes[64 + (damageAt % (bytes.length - 64))]! ^= 0x5a;
  return bytes;
}

describe('one path: the batch path prints what the event adapter prints', () => {
  it('for random traces (reused ids, orphans, double completions, ids past 2^53, long CDBs, sense, labels, buffers, segments, capture gaps, damage), any chunking and filter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 60 }),
        filter,
        fc.integer({ min: 16, max: 400 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (records, f, chunk, damageAt) => {
          const bytes = traceBytes(records, damageAt);
          const a = await viaEvents(bytes, f, chunk);
          const b = await viaBatches(bytes, f, chunk);
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('pairs as a reference model does (a Map in submission order; a reused id gives up the earlier task in its place)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 60 }), fc.integer({ min: 16, max: 400 }), async (records, chunk) => {
        const bytes = traceBytes(records, undefined);
        const dec = new NativeDecoder();
        const events = [...dec.push(bytes), ...dec.end()];
        // The model: what decode prints, in order, as "id@submitted→completed".
        const expected: string[] = [];
        const inFlight = new Map<bigint, number>();
        for (const e of events) {
          if (e.kind === 'submit') {
            const had = inFlight.get(e.taskId);
            if (had !== undefined) expected.push(`${e.taskId}@${had}→never`);
            inFlight.set(e.taskId, e.timeNs);
          } else if (e.kind === 'complete') {
            const at = inFlight.get(e.taskId);
            if (at === undefined) continue;
            inFlight.delete(e.taskId);
            expected.push(`${e.taskId}@${at}→${e.timeNs}`);
          }
        }
        for (const [taskId, at] of inFlight) expected.push(`${taskId}@${at}→never`);
        const got = (await viaBatches(bytes, {}, chunk)).json.map((l) => {
          const j = JSON.parse(l) as { taskId: number | string; startNs: number; endNs: number | null };
          return `${j.taskId}@${j.startNs}→${j.endNs ?? 'never'}`;
        });
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
