import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineOutput } from '../../src/cli/output.js';
import { newTaskLine, writeTaskText } from '../../src/report/decode.js';
import { formatDuration, formatTimestamp } from '../../src/report/time.js';
import { ServiceResponse } from '../../src/model/events.js';

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

async function one(write: (out: LineOutput) => void): Promise<string> {
  const c = capture();
  c.out.begin(512);
  write(c.out);
  c.out.end();
  return (await c.text()).replace(/\n$/, '');
}

describe('LineOutput byte writers', () => {
  it('int writes what String() writes, for any number', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.nat(), fc.integer(), fc.maxSafeNat(), fc.double({ noNaN: false })), async (n) => {
        expect(await one((o) => o.int(n))).toBe(String(n));
      }),
      { numRuns: 500 },
    );
  });

  it('zeroPadded and padStart agree with String#padStart', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 14 }), async (n, width) => {
        expect(await one((o) => o.zeroPadded(n, 9))).toBe(String(n).padStart(9, '0'));
        const s = `+${n}µs`;
        expect(await one((o) => {
          const at = o.pos;
          o.text(s);
          o.padStart(at, width, s.length);
        })).toBe(s.padStart(width));
      }),
      { numRuns: 300 },
    );
  });

  it('hands a full buffer on and goes on in a fresh one; a line longer than the buffer still fits', async () => {
    const c = capture(64);
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat(i)}`);
    for (const l of lines) await c.out.line(l);
    await c.out.line('y'.repeat(500));
    expect(await c.text()).toBe([...lines, 'y'.repeat(500)].join('\n') + '\n');
  });
});

describe('decode text line: times and durations as formatTimestamp/formatDuration write them', () => {
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
    `${formatTimestamp(timeNs)} ${`+${formatDuration(latencyNs)}`.padStart(9)} 0:0 #0 TEST UNIT READY → GOOD`;

  it('for random times and latencies of every magnitude', async () => {
    const magnitude = fc.integer({ min: 0, max: 15 }).chain((e) => fc.integer({ min: 0, max: 10 ** e }));
    await fc.assert(
      fc.asyncProperty(fc.maxSafeNat(), magnitude, async (time, latency) => {
        fc.pre(time + latency <= Number.MAX_SAFE_INTEGER);
        const c = capture();
        writeTaskText(c.out, line(time, latency), false);
        expect(await c.text()).toBe(expected(time, latency) + '\n');
      }),
      { numRuns: 3000 },
    );
  });

  it('at every rounding edge: x.x5 and x.xx5 halfway cases, unit boundaries, fractional ns', async () => {
    const cases = [0, 999, 1000, 1049, 1050, 1150, 1250, 1450, 99_950, 999_949, 999_950, 999_999, 1e6, 1_004_999, 1_005_000, 1_015_000,
      999_994_999, 999_995_000, 1e9, 1_005_000_000, 1_015_000_000, 21_265_000_000, 2.5, 999.5, -1500];
    for (const latency of cases) {
      const c = capture();
      writeTaskText(c.out, line(5_000_000_123, latency), false);
      expect(await c.text(), `latency ${latency}`).toBe(expected(5_000_000_123, latency) + '\n');
    }
  });
});
