import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineOutput } from '../../src/cli/output.js';
import { padStartAt, putAscii, putBytes, putInt, putText, putZeroPadded } from '../../src/report/bytes.js';
import { textStyle, writeTaskText as writeRow, type TextStyle } from '../../src/report/decode.js';
import { formatLatency, formatTimestamp } from '../../src/report/time.js';
import { ServiceResponse } from '../../src/model/events.js';
import { EMPTY_SEGMENTS } from '../../src/model/segments.js';
import { BatchBuilder } from '../../src/model/batch-builder.js';
import { Pairer } from '../../src/analysis/pairer.js';
import { RowKind } from '../../src/model/batch.js';

/** What a line shows of a task, as plain values the tests set one by one. */
function newTaskLine() {
  return {
    taskId: 0 as number | bigint,
    timeNs: 0,
    completed: false,
    completionNotCaptured: false,
    endNs: 0,
    targetLabel: undefined as string | undefined,
    targetId: 0 as number | bigint,
    lun: 0,
    tag: 0 as number | bigint,
    cdb: new Uint8Array(0),
    serviceResponse: 0,
    status: 0,
    bytesTransferred: 0,
    requestedBytes: 0,
    residual: 0,
    residualFlags: 0,
    sense: new Uint8Array(0),
  };
}

/** Writes the line of such a task the way decode does: as a row paired from its submission and completion. */
function writeTaskText(out: LineOutput, t: ReturnType<typeof newTaskLine>, style: TextStyle) {
  const w = new BatchBuilder(false);
  w.submit({
    offset: 0,
    index: 0,
    timeNs: t.timeNs,
    taskId: BigInt(t.taskId),
    targetId: BigInt(t.targetId),
    targetLabel: t.targetLabel,
    lun: t.lun,
    tag: BigInt(t.tag),
    attribute: 0,
    direction: 0,
    requestedBytes: t.requestedBytes,
    timeoutMs: 0,
    cdb: t.cdb,
    segments: EMPTY_SEGMENTS,
  });
  if (t.completed) {
    w.complete({
      offset: 1,
      index: 1,
      timeNs: t.endNs,
      taskId: BigInt(t.taskId),
      serviceResponse: t.serviceResponse,
      status: t.status,
      bytesTransferred: t.bytesTransferred,
      residual: t.residual,
      residualFlags: t.residualFlags,
      sense: t.sense,
    });
  }
  const b = w.take();
  const pairer = new Pairer();
  pairer.pair(b);
  if (t.completed) return writeRow(out, b, 1, style);
  const left = pairer.left().next().value!;
  expect(left.kind[0]).toBe(RowKind.NeverCompleted);
  return writeRow(out, left, 0, style, t.completionNotCaptured);
}

/** A LineOutput whose text is collected, and a helper that writes one line and returns it. */
function capture(size = 4096) {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c, _e, done) => (chunks.push(Buffer.from(c)), done()) });
  const out = new LineOutput(sink, size);
  return {
    out,
    async text(): Promise<string> {
      await out.flush();
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** Writes with one of the report/bytes functions into a fresh buffer and returns the text. */
function put(write: (b: Buffer, p: number) => number): string {
  const b = Buffer.alloc(256);
  return b.toString('utf8', 0, write(b, 0));
}

describe('byte writers (report/bytes)', () => {
  it('putInt writes what String() writes, for any number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.integer(), fc.maxSafeNat(), fc.double({ noNaN: false })), (n) => {
        expect(put((b, p) => putInt(b, p, n))).toBe(String(n));
      }),
      { numRuns: 1000 },
    );
  });

  it('putZeroPadded and padStartAt agree with String#padStart', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 14 }), (n, digits, width) => {
        const m = n % 10 ** digits;
        expect(put((b, p) => putZeroPadded(b, p, m, digits))).toBe(String(m).padStart(digits, '0'));
        const s = `+${n}µs`;
        expect(put((b, p) => padStartAt(b, p, putText(b, p, s), width, s.length))).toBe(s.padStart(width));
      }),
      { numRuns: 500 },
    );
  });

  it('putBytes and putAscii copy short and long runs', () => {
    const long = new TextEncoder().encode('x'.repeat(40) + 'y');
    expect(put((b, p) => putBytes(b, putBytes(b, p, Uint8Array.of(0x61, 0x62)), long))).toBe('ab' + 'x'.repeat(40) + 'y');
    expect(put((b, p) => putAscii(b, p, 'READ(10) LBA '))).toBe('READ(10) LBA ');
  });
});

describe('LineOutput', () => {
  it('hands a full buffer on and goes on in a fresh one; a line longer than the buffer still fits', async () => {
    const c = capture(64);
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat(i)}`);
    for (const l of lines) await c.out.line(l);
    await c.out.line('y'.repeat(500));
    expect(await c.text()).toBe([...lines, 'y'.repeat(500)].join('\n') + '\n');
  });
});

describe('decode text line: times and durations as formatTimestamp/formatLatency write them', () => {
  const line = (timeNs: number, latencyNs: number) => {
    const t = newTaskLine();
    t.timeNs = timeNs;
    t.completed = true;
    t.endNs = timeNs + latencyNs;
    t.cdb = Uint8Array.of(0, 0, 0, 0, 0, 0);
    t.serviceResponse = ServiceResponse.TaskComplete;
    return t;
  };
  const expected = (timeNs: number, latencyNs: number) =>
    `${formatTimestamp(timeNs).padStart(15)} ${`+${formatLatency(latencyNs)}`.padStart(10)} 0:0 task 0 tag 0x0 TEST UNIT READY → GOOD`;

  it('for random times and latencies of every magnitude', async () => {
    const magnitude = fc.integer({ min: 0, max: 15 }).chain((e) => fc.integer({ min: 0, max: 10 ** e }));
    await fc.assert(
      fc.asyncProperty(fc.maxSafeNat(), magnitude, async (time, latency) => {
        fc.pre(time + latency <= Number.MAX_SAFE_INTEGER);
        const c = capture();
        await writeTaskText(c.out, line(time, latency), textStyle(false));
        expect(await c.text()).toBe(expected(time, latency) + '\n');
      }),
      { numRuns: 3000 },
    );
  });

  it('at every rounding edge: x.x5 and x.xx5 halfway cases, unit boundaries, fractional ns', async () => {
    const cases = [
      0, 999, 1000, 1049, 1050, 1150, 1250, 1450, 99_950, 999_949, 999_950, 999_999, 1e6, 1_004_999, 1_005_000, 1_015_000, 999_994_999, 999_995_000, 1e9,
      1_005_000_000, 1_015_000_000, 21_265_000_000, 2.5, 999.5, -1500,
    ];
    for (const latency of cases) {
      const c = capture();
      await writeTaskText(c.out, line(5_000_000_123, latency), textStyle(false));
      expect(await c.text(), `latency ${latency}`).toBe(expected(5_000_000_123, latency) + '\n');
    }
  });
});

describe('decode text line: columns and ids', () => {
  const write = async (edit: (t: ReturnType<typeof newTaskLine>) => void, originNs = 0n) => {
    const t = newTaskLine();
    t.cdb = Uint8Array.of(0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0);
    edit(t);
    const c = capture();
    await writeTaskText(c.out, t, textStyle(false, originNs));
    return (await c.text()).replace(/\n$/, '');
  };

  it('pads the time column so that the columns after it do not shift (up to 99999 s)', async () => {
    const starts = await Promise.all([0, 9.5e9, 12.25e9, 99_999e9].map((ns) => write((t) => ((t.timeNs = ns), (t.completed = true), (t.endNs = ns + 1500)))));
    const at = starts.map((l) => l.indexOf('+'));
    expect(new Set(at).size).toBe(1);
    expect(starts[0]).toMatch(/^ {4}0\.000000000 {4}\+1\.5 µs 0:0 task 0 tag 0x0 READ\(10\) LBA 8 len 1 → /);
    expect(starts[3]).toMatch(/^99999\.000000000 {4}\+1\.5 µs /);
  });

  it('shows the task id that check findings name and the tag in hex (an iSCSI initiator task tag as the capture shows it)', async () => {
    const l = await write((t) => {
      t.taskId = (3n << 32n) | 0x1f00_002an;
      t.tag = 0x1f00_002a;
      t.targetId = 1;
      t.lun = 2;
    });
    expect(l).toContain(' 1:2 task 13404995626 tag 0x1f00002a READ(10) LBA 8 len 1 → NEVER COMPLETED');
    expect(await write((t) => ((t.tag = 0xffff_ffff_ffff_fff0n), (t.taskId = 7)))).toContain(' task 7 tag 0xfffffffffffffff0 ');
  });

  it('says COMPLETION NOT CAPTURED for a task whose completion a capture gap may have swallowed', async () => {
    expect(await write((t) => (t.completionNotCaptured = true))).toMatch(/ → COMPLETION NOT CAPTURED$/);
    expect(await write(() => undefined)).toMatch(/ → NEVER COMPLETED$/);
  });

  it('prints times since timestamp 0 for a trace counted from a time origin', async () => {
    const origin = 1_234_567_890_000_000_000n; // 1234567890 s
    expect(await write((t) => (t.timeNs = 5_000_000_007), origin)).toMatch(/^1234567895\.000000007 /);
  });
});
