import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTrace } from '../../../src/formats/open.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNative } from '../../../src/formats/native/reader.js';
import { writeTraceToBytes } from '../../../src/formats/native/writer.js';
import {
  DEXT_MESSAGE_MAX,
  encodeUnitLines,
  FRAGMENT_BYTES_BASE64,
  FRAGMENT_BYTES_HEX,
  MAX_PARTS,
  messageOf,
  parseLine,
} from '../../../src/formats/oslog/encoding.js';
import { oslogFormat } from '../../../src/formats/oslog/index.js';
import { decodeOslog, OslogDecoder } from '../../../src/formats/oslog/reader.js';
import { DataDirection, GapAffects, GapUnit, type TraceEvent } from '../../../src/model/events.js';
import { newReadStats } from '../../../src/model/stats.js';
import { rw10 } from '../../helpers/trace.js';
import { LOG_STYLES, wrapInLogStyle } from './styles.js';

/** A native trace cut into units: the file header, then one unit per record. */
function units(build: Parameters<typeof writeTraceToBytes>[1], tickNs = 1, producer = 'MyHBA 1.0', startWallNs = 1_000n): Uint8Array[] {
  const bytes = writeTraceToBytes({ producer, tickNs, startWallNs }, build);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const headerLength = view.getUint32(12, true);
  const out = [bytes.subarray(0, headerLength)];
  for (let p = headerLength; p < bytes.length; p += 16 + view.getUint32(p + 8, true)) out.push(bytes.subarray(p, p + 16 + view.getUint32(p + 8, true)));
  return out;
}

const bigWrite = (w: Parameters<Parameters<typeof writeTraceToBytes>[1]>[0], id: number, time: number) => {
  w.submit({
    timeNs: time,
    taskId: id,
    direction: DataDirection.ToDevice,
    requestedBytes: 65536,
    cdb: rw10(true, id * 128, 128),
    segments: Array.from({ length: 40 }, (_, i) => ({ address: 0x10000 * (i + 1), length: 1638 })),
  });
  w.complete({ timeNs: time + 500, taskId: id, bytesTransferred: 65536 });
};

const kinds = (evs: TraceEvent[]) => evs.map((e) => e.kind);

describe('os_log SCT1 lines', () => {
  it('parses the marker anywhere in a message, and nowhere inside another payload', () => {
    expect(parseLine('2026-01-05 10:20:30.123 Df kernel[0:2a1f] (com.example.MyHBADriver) SCT1B 0000000a 2/3 AAEC')).toMatchObject({
      encoding: 'base64',
      seq: 10,
      part: 2,
      parts: 3,
      payload: Uint8Array.of(0, 1, 2),
    });
    expect(parseLine('x: SCT1X FFFFFFFF 1/1 00ff"')).toMatchObject({ encoding: 'hex', seq: 0xffffffff, payload: Uint8Array.of(0, 255) });
    expect(parseLine('abcSCT1B 0000000a 1/1 AAEC')).toBeUndefined();
    expect(parseLine('+SCT1B 0000000a 1/1 AAEC')).toBeUndefined();
    expect(parseLine('<private>')).toBeUndefined();
    expect(parseLine('SCT1B 0000000a 1/1 AA%C')).toEqual({ problem: 'SCT1B line (unit 0xa, part 1/1): payload is not base64', seq: 10, part: 1, parts: 1 });
    expect(parseLine('SCT1X 0000000a 1/1 0g')).toEqual({ problem: 'SCT1X line (unit 0xa, part 1/1): payload is not hex', seq: 10, part: 1, parts: 1 });
    expect(parseLine('SCT1B 0000000a 3/2 AAEC')).toEqual({ problem: 'SCT1B line (unit 0xa): part 3 of 2', seq: 10, parts: 2 });
    expect(parseLine('SCT1B 0000000a 1/5000 AAEC')).toEqual({ problem: 'SCT1B line (unit 0xa): 5000 parts is outside 1..4096', seq: 10 });
  });

  it('takes the message of ndjson/json lines, undoing Apple\'s "\\/" escapes', () => {
    expect(messageOf('{"eventMessage":"SCT1B 00000001 1\\/1 ab\\/c=","x":1}')).toBe('SCT1B 00000001 1/1 ab/c=');
    expect(messageOf('  "eventMessage" : "SCT1X 00000002 1\\/1 00",')).toBe('SCT1X 00000002 1/1 00');
    expect(messageOf('plain line')).toBe('plain line');
  });

  it('reassembles fragments of interleaved units, ignores identical repeats, and keeps the header clock', () => {
    const u = units(
      (w) => {
        bigWrite(w, 1, 100);
        bigWrite(w, 2, 200);
      },
      40,
      'slow clock',
    );
    const [header, s1, c1, s2, c2] = u as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const a = encodeUnitLines(s1, 1, 'base64', 100);
    const b = encodeUnitLines(s2, 3, 'hex', 100);
    expect(a.length).toBeGreaterThan(3);
    // Two threads logging at once: fragments alternate; one line is logged twice.
    const mixed = [
      ...encodeUnitLines(header, 0),
      ...a.flatMap((l, i) => [l, b[i]!]).filter(Boolean),
      a[1]!,
      ...encodeUnitLines(c1, 2),
      ...encodeUnitLines(c2, 4),
      ...encodeUnitLines(header, 5),
    ];
    const evs = decodeOslog(wrapInLogStyle(mixed, 'show-compact'));
    expect(kinds(evs)).toEqual(['header', 'submit', 'submit', 'complete', 'complete']);
    expect(evs[0]).toMatchObject({ format: 'oslog', producer: 'slow clock' });
    const native = decodeNative(
      writeTraceToBytes({ producer: 'slow clock', tickNs: 40, startWallNs: 1_000n }, (w) => {
        bigWrite(w, 1, 100);
        bigWrite(w, 2, 200);
      }),
    );
    // Times in ticks of 40 ns, as the header says (the log order differs from the file's).
    expect(evs.map((e) => e.timeNs).sort((x, y) => x - y)).toEqual(native.map((e) => e.timeNs).sort((x, y) => x - y));
    expect(evs.map((e) => e.timeNs)).toEqual([0, 120, 200, 600, 720]);
    expect(evs.find((e) => e.kind === 'submit' && e.taskId === 2n)).toMatchObject({ requestedBytes: 65536 });
  });

  it('reads records before any header with a 1 ns clock, and starts a new session on a different header', () => {
    const first = units((w) => w.note(5, 'before'), 1, 'A');
    const second = units((w) => w.note(5000, 'after'), 1000, 'B');
    const lines = [...encodeUnitLines(first[1]!, 1), ...encodeUnitLines(first[0]!, 2), ...encodeUnitLines(second[0]!, 3), ...encodeUnitLines(second[1]!, 4)];
    const evs = decodeOslog(lines.join('\n'));
    expect(evs.map((e) => [e.kind, e.timeNs])).toEqual([
      ['header', 0],
      ['note', 5],
      ['header', 0],
      ['header', 0],
      ['note', 5000],
    ]);
    expect(evs[0]).toMatchObject({ producer: 'os_log export without a header line (timestamps read as ns)' });
  });

  it('reports damage with the byte offset of the line and reads on', () => {
    const u = units((w) => {
      w.note(1, 'one');
      w.note(2, 'two');
      w.note(3, 'three');
      bigWrite(w, 9, 10);
    });
    const good = encodeUnitLines(u[1]!, 1);
    const crcBroken = Buffer.from(u[2]!);
    crcBroken[20]! ^= 1;
    const lines = [
      'Timestamp               Ty Process[PID:TID]',
      ...good,
      encodeUnitLines(crcBroken, 2)[0]!,
      'SCT1B 00000003 1/1 %%%%',
      encodeUnitLines(Uint8Array.of(1, 2, 3, 4), 4)[0]!,
      ...encodeUnitLines(u[3]!, 5),
      ...encodeUnitLines(u[4]!, 6, 'base64', 100).slice(0, 2),
    ];
    const text = lines.join('\n') + '\n';
    const stats = newReadStats();
    const evs = decodeOslog(text, stats);
    const at = (i: number) => `at byte 0x${Buffer.byteLength(lines.slice(0, i).join('\n') + '\n').toString(16)}`;
    expect(evs.filter((e) => e.kind === 'diagnostic').map((e) => (e as { message: string }).message)).toEqual([
      `${at(2)}: record CRC32C mismatch (type 6, unit 0x2); skipped`,
      `${at(3)}: SCT1B line (unit 0x3, part 1/1): payload is not base64; line skipped`,
      `${at(4)}: SCT1 unit 0x4 is neither a record (A5 5A C3 3C) nor a file header; skipped`,
    ]);
    // The export ends in the middle of unit 6: a capture loss, not damage.
    expect(evs.filter((e) => e.kind === 'gap')).toEqual([
      {
        kind: 'gap',
        offset: Buffer.byteLength(lines.slice(0, 6).join('\n') + '\n'),
        index: 4,
        timeNs: 3,
        endNs: 3,
        lost: 1,
        unit: GapUnit.Records,
        affects: GapAffects.All,
        detail: 'SCT1 unit 0x6 incomplete (2 of 8 parts arrived) after 0.000000003 s',
      },
    ]);
    expect(evs.filter((e) => e.kind === 'note').map((e) => (e as { text: string }).text)).toEqual(['one', 'three']);
    expect(stats.skippedRecords).toBe(3);
    expect(stats.records).toBe(2);
  });

  it('gives the same events whatever the chunk size', () => {
    const u = units((w) => {
      bigWrite(w, 1, 100);
      w.note(3, 'ünïcödé → ok');
    });
    const text = Buffer.from(
      wrapInLogStyle(
        u.flatMap((x, i) => encodeUnitLines(x, i, 'base64', 64)),
        'show-ndjson',
      ),
    );
    const whole = decodeOslog(text);
    expect(kinds(whole)).toEqual(['header', 'submit', 'complete', 'note']);
    for (const size of [1, 5, 333]) {
      const dec = new OslogDecoder();
      const out: TraceEvent[] = [];
      for (let i = 0; i < text.length; i += size) dec.push(text.subarray(i, i + size), out);
      dec.end(out);
      expect(out).toEqual(whole);
    }
  });

  it('says so when an export has no SCT1 lines (e.g. every line redacted to <private>)', () => {
    const evs = decodeOslog(wrapInLogStyle(['<private>', '<private>'], 'show-default'));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ kind: 'diagnostic', fatal: false });
  });

  it('is detected from content', () => {
    const u = units((w) => w.note(1, 'x'));
    const lines = u.flatMap((x, i) => encodeUnitLines(x, i));
    for (const style of LOG_STYLES) expect(oslogFormat.sniff(Buffer.from(wrapInLogStyle(lines, style)))).toBe(true);
    expect(oslogFormat.sniff(Buffer.from(lines.join('\n')))).toBe(true);
    expect(oslogFormat.sniff(readFileSync(new URL('../../../traces/linux-ftrace-fixture-6.1-perf.txt', import.meta.url)))).toBe(false);
    expect(oslogFormat.sniff(writeTraceToBytes({}, (w) => w.note(1, 'SCT1B 00000000 1/1 AAAA')))).toBe(false);
  });

  it('decodes the example in docs/FORMAT.md (SCT1 lines) as the text says', () => {
    const doc = readFileSync(new URL('../../../docs/FORMAT.md', import.meta.url), 'utf8');
    const lines = doc.split('\n').filter((l) => /^SCT1[BX] /.test(l));
    expect(lines).toHaveLength(3);
    // The hex line is unit 3 again (same number, same bytes): a repeated line, read once.
    const evs = decodeOslog(lines.join('\n'));
    expect(evs.map((e) => e.kind)).toEqual(['header', 'note']);
    expect(evs[0]).toMatchObject({ producer: 'MyHBA 1.0' });
    expect(evs[1]).toMatchObject({ text: 'hello', taskId: 7n, timeNs: 1000 });
    expect(decodeOslog([lines[0], lines[2]].join('\n')).map((e) => e.kind)).toEqual(['header', 'note']);
    const u = units((w) => w.note(1000, 'hello', 7), 1, 'MyHBA 1.0', 0n);
    expect(lines).toEqual([encodeUnitLines(u[0]!, 2)[0], encodeUnitLines(u[1]!, 3)[0], encodeUnitLines(u[1]!, 3, 'hex')[0]]);
  });

  it('is what openTrace picks for an export in each style', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-oslog-'));
    try {
      const u = units((w) => bigWrite(w, 4, 10));
      const lines = u.flatMap((x, i) => encodeUnitLines(x, i));
      for (const style of LOG_STYLES) {
        const path = join(dir, `${style}.log`);
        writeFileSync(path, wrapInLogStyle(lines, style));
        const opened = await openTrace(path);
        expect(opened.format.id).toBe('oslog');
        const evs: TraceEvent[] = [];
        for await (const batch of opened.events) evs.push(...batch);
        expect(kinds(evs)).toEqual(['header', 'submit', 'complete']);
        expect(opened.stats.bytesRead).toBe(readFileSync(path).length);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds at most 16 MiB of incomplete units, giving up the oldest first', () => {
    const fragment = Buffer.alloc(200_000, 0x41).toString('base64');
    const lines: string[] = [];
    for (let seq = 0; seq < 30; seq++) for (let part = 1; part <= 3; part++) lines.push(`SCT1B ${seq.toString(16).padStart(8, '0')} ${part}/4 ${fragment}`);
    const evs = decodeOslog(lines.join('\n'));
    const messages = evs.filter((e) => e.kind === 'diagnostic').map((e) => (e as { message: string }).message);
    // 83 fragments fit in 16 MiB: the oldest units go (damage: the reader gave them up) as the
    // 84th and later arrive; the rest are incomplete when the export ends (a capture loss).
    expect(messages).toHaveLength(3);
    expect(messages.every((m) => m.includes('more than 16777216 bytes of incomplete units'))).toBe(true);
    expect(messages[0]).toMatch(/^at byte 0x0: unit 0x0 incomplete/);
    const gaps = evs.filter((e) => e.kind === 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({
      lost: 27,
      detail:
        'SCT1 units 0x3..0x1d lost (27 units: 0x3 incomplete (3 of 4 parts arrived), 0x4 incomplete (3 of 4 parts arrived), 0x5 incomplete (3 of 4 parts arrived), 24 more incomplete)',
    });
  });

  it('still decodes exports the C emitter wrote (fixtures): same events as the native file of the session', () => {
    // The C emitter's lines (base64 in 159-byte fragments, hex in 107-byte ones: each line fits a
    // dext's 239 characters), as a dext's kernel lines in `log show --style compact` and
    // `log stream --style ndjson`; emitter-session.sct is the TypeScript writer's file of it.
    const native = decodeNative(readFileSync(new URL('./fixtures/emitter-session.sct', import.meta.url)));
    const strip = (evs: TraceEvent[]) => evs.map((e) => ({ ...e, offset: 0, index: 0, ...(e.kind === 'header' ? { format: '' } : {}) }));
    expect(native.filter((e) => e.kind === 'submit')).toHaveLength(5);
    for (const name of ['log-show-compact.log', 'log-stream-ndjson-hex.log']) {
      const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
      const evs = decodeOslog(text);
      expect(strip(evs)).toEqual(strip(native));
      for (const line of text.toString().split('\n')) {
        const message = messageOf(line);
        if (message.includes('SCT1')) expect(message.slice(message.indexOf('SCT1')).length).toBeLessThanOrEqual(DEXT_MESSAGE_MAX);
      }
    }
    expect(
      readFileSync(new URL('../../../traces/emitter-log-show-compact.log', import.meta.url), 'utf8')
        .split('\n')
        .filter((l) => l.includes('SCT1B '))
        .every((l) => / Df kernel\[0:[0-9a-f]+\] \(com\.example\.MyHBADriver\) SCT1B /.test(l)),
    ).toBe(true);
  });
});

describe('SCT1 fragment sizes and lines cut by os_log', () => {
  /** A session of random records: CDBs of 6 to 16 bytes, up to 300 segments, notes up to 3000 characters. */
  const random = fc.record({
    tasks: fc.array(fc.record({ cdb: fc.integer({ min: 6, max: 16 }), segments: fc.integer({ min: 0, max: 300 }), sense: fc.integer({ min: 0, max: 96 }) }), {
      minLength: 1,
      maxLength: 4,
    }),
    note: fc.string({ maxLength: 3000 }),
  });
  const build = (s: { tasks: { cdb: number; segments: number; sense: number }[]; note: string }) =>
    units((w) => {
      s.tasks.forEach((t, i) => {
        w.submit({
          timeNs: 10 * i,
          taskId: i,
          cdb: [0x28, ...Array.from({ length: t.cdb - 1 }, (_, k) => k)],
          segments: Array.from({ length: t.segments }, (_, k) => ({ address: 0x1000 * k, length: 512 })),
        });
        w.complete({ timeNs: 10 * i + 5, taskId: i, status: t.sense ? 2 : 0, sense: Array.from({ length: t.sense }, (_, k) => k) });
      });
      w.note(100, s.note);
    });

  it(`writes, by default, lines a dext's os_log keeps whole (at most ${DEXT_MESSAGE_MAX} characters), in each encoding`, () => {
    for (const encoding of ['base64', 'hex'] as const) {
      for (let size = 1; size <= 2000; size++) {
        const lines = encodeUnitLines(new Uint8Array(size).fill(0xa5), 0xfffffff0, encoding);
        expect(Math.max(...lines.map((l) => l.length)), `${size} bytes, ${encoding}`).toBeLessThanOrEqual(DEXT_MESSAGE_MAX);
      }
      // The largest unit that fits in 4096 lines still does.
      const f = encoding === 'hex' ? FRAGMENT_BYTES_HEX : FRAGMENT_BYTES_BASE64;
      const largest = encodeUnitLines(new Uint8Array(MAX_PARTS * f), 0xffffffff, encoding);
      expect(largest).toHaveLength(MAX_PARTS);
      expect(Math.max(...largest.map((l) => l.length))).toBe(encoding === 'hex' ? DEXT_MESSAGE_MAX : DEXT_MESSAGE_MAX - 2);
    }
  });

  it('reads units cut into fragments of any size the format allows, up to 4096 parts', () => {
    fc.assert(
      fc.property(random, fc.integer({ min: 1, max: 4000 }), fc.constantFrom<'base64' | 'hex'>('base64', 'hex'), (s, fragment, encoding) => {
        const u = build(s);
        const expected = decodeNative(Buffer.concat(u));
        const strip = (evs: TraceEvent[]) => evs.map((e) => ({ ...e, offset: 0, index: 0, ...(e.kind === 'header' ? { format: '' } : {}) }));
        const lines = u.flatMap((x, i) => encodeUnitLines(x, i, encoding, Math.max(fragment, Math.ceil(x.length / MAX_PARTS))));
        const evs = decodeOslog(lines.join('\n'));
        expect(strip(evs)).toEqual(strip(expected));
      }),
      { numRuns: 60 },
    );
    // The most parts a unit may have: one byte each.
    const u = build({ tasks: [{ cdb: 16, segments: 250, sense: 0 }], note: '' });
    const big = u[1]!;
    expect(big.length).toBeGreaterThan(4000);
    const lines = encodeUnitLines(big, 1, 'hex', Math.ceil(big.length / MAX_PARTS));
    expect(lines.length).toBeLessThanOrEqual(MAX_PARTS);
    expect(decodeOslog([...encodeUnitLines(u[0]!, 0), ...lines].join('\n')).filter((e) => e.kind === 'submit')).toHaveLength(1);
  });

  it("says a line cut by os_log (a fragment too long for a dext's 239 characters) looks truncated by the log", () => {
    const u = units((w) => bigWrite(w, 1, 100));
    for (const encoding of ['base64', 'hex'] as const) {
      for (const seq of [7, 0x1234567, 0xfffffff]) {
        // 384-byte fragments: lines of 500 characters and more, cut where a dext's os_log cuts.
        const lines = [...encodeUnitLines(u[0]!, seq - 1, encoding), ...encodeUnitLines(u[1]!, seq, encoding, 384)];
        const cut = lines.map((l) => l.slice(0, DEXT_MESSAGE_MAX));
        const messages = decodeOslog(wrapInLogStyle(cut, 'stream-ndjson'))
          .filter((e) => e.kind === 'diagnostic')
          .map((e) => (e as { message: string }).message);
        expect(messages.length).toBeGreaterThan(0);
        for (const m of messages) expect(m).toMatch(/looks truncated by the log \(a dext's os_log keeps 239 characters of a message/);
      }
    }
    // A middle line cut at a whole number of base64 groups: the unit comes out short, and the
    // message names the short part.
    const lines = encodeUnitLines(u[1]!, 3, 'base64', 200);
    expect(lines.length).toBeGreaterThan(2);
    lines[1] = lines[1]!.slice(0, 19 + 100);
    const text = [...encodeUnitLines(u[0]!, 2), ...lines];
    const messages = decodeOslog(text.join('\n'))
      .filter((e) => e.kind === 'diagnostic')
      .map((e) => (e as { message: string }).message);
    const at = Buffer.byteLength(text.slice(0, 2).join('\n') + '\n');
    expect(messages).toEqual([
      `at byte 0x${Buffer.byteLength(text[0]! + '\n').toString(16)}: SCT1 unit 0x3 of ${u[1]!.length - 125} bytes holds a record whose length field says ${u[1]!.length}: 125 bytes are missing (part 2/${lines.length}, at byte 0x${at.toString(16)}, has 75 bytes where part 1 has 200), so a line looks truncated by the log (a dext's os_log keeps 239 characters of a message, so a line carrying a fragment too long for it loses its end); skipped`,
    ]);
  });
});

describe('the docs tell a dext developer how to collect the lines the reader accepts', () => {
  const docs = ['README.md', 'emit/README.md', 'docs/driverkit.md', 'docs/FORMAT.md', 'traces/README.md'].map((p) => ({
    path: p,
    text: readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8'),
  }));
  /** default, compact, syslog, ndjson, json: every style the tests wrap lines in, for log show and log stream alike. */
  const styles = [...new Set(LOG_STYLES.map((s) => s.slice(s.indexOf('-') + 1)))];
  const predicate = 'process == "kernel" AND eventMessage BEGINSWITH "SCT1"';

  it('every list of log styles names each style the reader accepts', () => {
    const word = `(?:${styles.join('|')})`;
    const list = new RegExp(`\\b${word}(?:, (?:and |or )?${word}){2,}\\b`, 'g');
    let lists = 0;
    for (const d of docs) {
      for (const m of d.text.matchAll(list)) {
        lists++;
        const named = new Set(m[0].split(/, (?:and |or )?/));
        expect(
          styles.filter((s) => !named.has(s)),
          `${d.path}: "${m[0]}"`,
        ).toEqual([]);
      }
    }
    expect(lists).toBeGreaterThanOrEqual(3);
  });

  it("every SCT1 predicate is the one that keeps a dext's lines: process kernel, the message from its start", () => {
    let seen = 0;
    for (const d of docs) {
      for (const m of d.text.matchAll(/--predicate '([^']*SCT1[^']*)'/g)) {
        seen++;
        expect(m[1], d.path).toBe(predicate);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(4);
    // What the predicate tests is what a dext's line carries in every JSON style (the text styles
    // print the same event): process kernel, PID 0, no subsystem, the message starting with SCT1.
    for (const style of LOG_STYLES.filter((s) => s.endsWith('json'))) {
      const text = wrapInLogStyle(['SCT1B 00000000 1/1 AAAA'], style);
      const events = style.endsWith('ndjson')
        ? text
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : (JSON.parse(text.slice(text.indexOf('['))) as Array<Record<string, unknown>>);
      const ours = events.filter((e) => String(e.eventMessage).startsWith('SCT1'));
      expect(ours, style).toHaveLength(1);
      expect(ours[0], style).toMatchObject({ processImagePath: '/kernel', processID: 0, subsystem: '', category: '', formatString: '%s' });
    }
  });
});
