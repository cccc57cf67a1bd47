import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineOutput } from '../../src/cli/output.js';
import { NativeDecoder } from '../../src/formats/native/reader.js';
import { writeTraceToBytes, type CompleteInput, type SubmitInput } from '../../src/formats/native/writer.js';
import { TaskMatcher } from '../../src/analysis/tasks.js';
import { matchesFilter, type StatusClass, type TaskFilter } from '../../src/analysis/filter.js';
import { newTaskLine, taskLineOf, textStyle, writeTaskText, type TaskLine } from '../../src/report/decode.js';
import { GapLedger, completionMayBeLost } from '../../src/analysis/gaps.js';
import { TaskLineMatcher } from '../../src/report/task-lines.js';

const STYLE = textStyle(false);

/** What decode does to a line that never completed (COMPLETION NOT CAPTURED after a capture gap). */
function judge(gaps: GapLedger, line: TaskLine): void {
  if (!line.completed && completionMayBeLost(gaps, line.timeNs, line.targetId)) line.completionNotCaptured = true;
}

/**
 * decode has two ways from a native trace to its lines: events through TaskMatcher (every
 * other format, and --format json), and the reader's task sink through TaskLineMatcher (text
 * output of native traces). Both must print the same lines and flag the same orphans, for any
 * trace, damaged or not, with or without a filter.
 */
function collector() {
  const chunks: Buffer[] = [];
  const out = new LineOutput(new Writable({ write: (c, _e, done) => (chunks.push(Buffer.from(c)), done()) }), 1024);
  return { out, text: async () => (await out.flush(), Buffer.concat(chunks).toString('utf8')) };
}

async function viaEvents(bytes: Uint8Array, filter: TaskFilter, chunk: number) {
  const c = collector();
  const orphans: string[] = [];
  const line = newTaskLine();
  const matcher = new TaskMatcher();
  const gaps = new GapLedger();
  const print = (t: Parameters<typeof taskLineOf>[0]) => {
    judge(gaps, taskLineOf(t, line));
    if (matchesFilter(filter, line)) void writeTaskText(c.out, line, STYLE);
  };
  const dec = new NativeDecoder();
  const events = [];
  for (let at = 0; at < bytes.length; at += chunk) events.push(...dec.push(bytes.subarray(at, at + chunk)));
  events.push(...dec.end());
  for (const ev of events) {
    if (ev.kind === 'gap') gaps.add(ev);
    if (ev.kind === 'submit') {
      const r = matcher.submit(ev);
      if (r?.kind === 'reused') print({ submit: r.previous });
    } else if (ev.kind === 'complete') {
      const r = matcher.complete(ev);
      if (r.kind === 'task') print(r.task);
      else if (r.kind === 'orphan') orphans.push(`${ev.offset}/${ev.index}: ${ev.taskId}${r.alreadyCompleted ? ' again' : ''}`);
    }
  }
  for (const t of matcher.drain()) print(t);
  const diagnostics = events.filter((e) => e.kind === 'diagnostic').map((e) => e.message);
  return { text: await c.text(), orphans, diagnostics };
}

async function viaSink(bytes: Uint8Array, filter: TaskFilter, chunk: number) {
  const c = collector();
  const orphans: string[] = [];
  const gaps = new GapLedger();
  const lines = new TaskLineMatcher(
    (line) => {
      judge(gaps, line);
      if (matchesFilter(filter, line)) void writeTaskText(c.out, line, STYLE);
    },
    (f, again) => orphans.push(`${f.offset}/${f.index}: ${f.taskId}${again ? ' again' : ''}`),
  );
  const dec = new NativeDecoder(undefined, { taskSink: { submit: (f) => lines.submit(f), complete: (f) => lines.complete(f), gap: (g) => gaps.add(g) } });
  const events = [];
  // Lines are written while the chunk is being decoded: the sink's views into it are only
  // valid then. Chunks come in three buffers in turn, as openTrace gives them, and each is
  // overwritten as soon as the reader may let go of it (once it has the chunk after it).
  const scratch = [0, 1, 2].map(() => new Uint8Array(chunk));
  for (let at = 0, k = 0; at < bytes.length; at += chunk, k++) {
    const piece = bytes.subarray(at, at + chunk);
    scratch[k % 3]!.set(piece);
    events.push(...dec.push(scratch[k % 3]!.subarray(0, piece.length)));
    scratch[(k + 2) % 3]!.fill(0xee);
  }
  events.push(...dec.end());
  lines.drain();
  expect(events.filter((e) => e.kind === 'submit' || e.kind === 'complete')).toEqual([]);
  const diagnostics = events.filter((e) => e.kind === 'diagnostic').map((e) => e.message);
  return { text: await c.text(), orphans, diagnostics };
}

const id = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 2n }) });
const cdb = fc.oneof(
  fc.tuple(fc.constantFrom(0x28, 0x2a), fc.nat(0xffff_ffff), fc.nat(0xffff)).map(([op, lba, len]) => [op, 0, lba >>> 24, (lba >>> 16) & 255, (lba >>> 8) & 255, lba & 255, 0, len >> 8, len & 255, 0]),
  fc.tuple(fc.constantFrom(0x88, 0x8a), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(0xffff)).map(([op, lba, len]) => [op, 0, ...Array.from({ length: 8 }, (_, i) => Number((lba >> BigInt(56 - 8 * i)) & 255n)), 0, 0, len >> 8, len & 255, 0, 0]),
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
    sense: fc.oneof(fc.constant([]), fc.constant([0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0]), fc.uint8Array({ maxLength: 20 }).map((a) => [...a])),
  }),
);
const filter: fc.Arbitrary<TaskFilter> = fc.oneof(
  fc.constant({}),
  fc.record({ luns: fc.constant(new Set([0, 1])) }),
  fc.record({ statuses: fc.constantFrom(new Set<StatusClass | number>(['good']), new Set<StatusClass | number>(['incomplete', 'check']), new Set<StatusClass | number>([8])) }),
  fc.record({ opcodes: fc.constant(new Set([0x28, 0x8a])), sinceNs: fc.nat(50_000) }),
);

describe('decode lines: the task-sink path prints what the event path prints', () => {
  it('for random traces (reused ids, orphans, double completions, ids past 2^53, long CDBs, sense, target labels, capture gaps), any chunking and filter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 60 }), filter, fc.integer({ min: 16, max: 400 }), fc.option(fc.nat(), { nil: undefined }), async (records, f, chunk, damageAt) => {
        let time = 0;
        const bytes = writeTraceToBytes({}, (w) => {
          for (const r of records) {
            time += 1234;
            if (r.kind === 'submit') w.submit({ ...(r as Omit<SubmitInput, 'timeNs'>), timeNs: time });
            else if (r.kind === 'gap') w.gap({ timeNs: time, endNs: time + r.endDelta, affects: r.affects, ...(r.targetId !== undefined ? { targetId: r.targetId } : {}) });
            else w.complete({ ...(r as Omit<CompleteInput, 'timeNs'>), timeNs: time });
          }
        });
        if (damageAt !== undefined && bytes.length > 64) bytes[64 + (damageAt % (bytes.length - 64))]! ^= 0x5a;
        const a = await viaEvents(bytes, f, chunk);
        const b = await viaSink(bytes, f, chunk);
        expect(b).toEqual(a);
      }),
      { numRuns: 400 },
    );
  });
});
