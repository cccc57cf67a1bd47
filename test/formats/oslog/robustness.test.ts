import { describe, expect, it } from 'vitest';
import { writeTraceToBytes } from '../../../src/formats/native/writer.js';
import { encodeUnitLines, messageOf, parseLine } from '../../../src/formats/oslog/encoding.js';
import { decodeOslog, OslogDecoder } from '../../../src/formats/oslog/reader.js';
import { checkEvents } from '../../../src/checks/engine.js';
import type { CaptureGap, TraceEvent } from '../../../src/model/events.js';
import { rw10 } from '../../helpers/trace.js';
import { LOG_STYLES, wrapInLogStyle } from './styles.js';

/**
 * Damage to an os_log export, in the style of the native reader's robustness tests: whatever
 * happens to the text, the reader returns only records the writer wrote, one-line diagnostics
 * at byte offsets inside the input, and capture gaps; lines lost or repeated by the log are
 * gaps or nothing, never damage.
 */

/** A driver session cut into units; some records need several lines. */
function session(tasks: number, producer: string, start: number): Uint8Array[] {
  const bytes = writeTraceToBytes({ producer, tickNs: 1, startWallNs: 1n }, (w) => {
    for (let i = 0; i < tasks; i++) {
      const t = start + (i + 1) * 1_000_000;
      const segments =
        i % 4 === 3 ? Array.from({ length: 30 }, (_, k) => ({ address: 0x10000 * (k + 1), length: 512 })) : [{ address: 0x1000 * i, length: 4096 }];
      w.submit({ timeNs: t, taskId: i + 1, cdb: rw10(i % 2 === 0, i * 8, 8), requestedBytes: 4096, segments });
      w.complete({
        timeNs: t + 50_000,
        taskId: i + 1,
        bytesTransferred: 4096,
        ...(i % 7 === 6 ? { status: 2, sense: [0x70, 0, 3, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x11, 0] } : {}),
      });
    }
    w.note(start + tasks * 1_000_000 + 1, 'end of session');
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out = [bytes.subarray(0, view.getUint32(12, true))];
  for (let p = out[0]!.length; p < bytes.length; p += 16 + view.getUint32(p + 8, true)) out.push(bytes.subarray(p, p + 16 + view.getUint32(p + 8, true)));
  return out;
}

/** Every unit as its lines: base64 and hex alternate, fragments of 150 bytes (lines fit 239 characters). */
const unitLines = (units: Uint8Array[], first = 0) => units.map((u, i) => encodeUnitLines(u, first + i, i % 3 === 2 ? 'hex' : 'base64', 150));

const key = ({ offset: _o, index: _i, ...e }: TraceEvent) =>
  JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v));
const isRecord = (e: TraceEvent) => e.kind !== 'diagnostic' && e.kind !== 'gap' && e.kind !== 'header';

let rng = 20260105;
const rand = (n: number) => ((rng = (rng * 1103515245 + 12345) & 0x7fffffff), rng % n);

/** A capture gap comes before every record later than its start (TraceFormat.read's promise). */
function gapsFirst(evs: TraceEvent[]): void {
  let latestRecordNs = -Infinity;
  for (const e of evs) {
    if (e.kind === 'gap') {
      expect(latestRecordNs, `a record at ${latestRecordNs} ns came before the gap "${e.detail}"`).toBeLessThanOrEqual(e.timeNs);
    } else if (isRecord(e) && e.kind !== 'note') latestRecordNs = Math.max(latestRecordNs, e.timeNs);
  }
}

/** The outcome is sane: known records, one-line diagnostics and gaps at offsets inside the input. */
function sane(evs: TraceEvent[], length: number, known: Set<string> | undefined): void {
  for (const e of evs) {
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(length);
    if (e.kind === 'diagnostic') {
      expect(e.message).toMatch(/^at byte 0x[0-9a-f]+: \S/);
      expect(e.message).not.toMatch(/[\n\r]/);
      expect(e.message.length).toBeLessThan(600);
    } else if (e.kind === 'gap') {
      expect(e.detail).toMatch(/^SCT1 units? 0x[0-9a-f]+/);
      expect(e.lost).toBeGreaterThan(0);
      expect(e.endNs).toBeGreaterThanOrEqual(e.timeNs);
    } else if (known && isRecord(e)) {
      expect(known.has(key(e)), key(e)).toBe(true);
    }
  }
}

describe('os_log export under damage', () => {
  const units = session(40, 'MyHBA 1.0', 0);
  const lines = unitLines(units);
  const flat = lines.flat();
  const whole = decodeOslog(flat.join('\n'));
  const known = new Set(whole.filter(isRecord).map(key));
  const lostIn = (evs: TraceEvent[]) => evs.filter((e): e is CaptureGap => e.kind === 'gap').reduce((n, g) => n + g.lost, 0);

  it('reads the undamaged export whole, in every style', () => {
    expect(whole.filter((e) => e.kind === 'submit')).toHaveLength(40);
    for (const style of LOG_STYLES) expect(decodeOslog(wrapInLogStyle(flat, style)).map(key)).toEqual(whole.map(key));
  });

  it('random truncations: records read are right; a line cut inside its fields is a diagnostic, a lost tail is a gap', () => {
    for (const style of ['show-compact', 'stream-ndjson', 'show-json'] as const) {
      const text = Buffer.from(wrapInLogStyle(flat, style));
      for (let iter = 0; iter < 200; iter++) {
        const cut = rand(text.length);
        const evs = decodeOslog(text.subarray(0, cut));
        sane(evs, cut, known);
      }
    }
  });

  it('random bit flips: records read are right, and a flip that changes what an SCT1 line says is reported', () => {
    const text = Buffer.from(wrapInLogStyle(flat, 'show-compact'));
    const textLines = text.toString('latin1').split('\n');
    const lineStart: number[] = [];
    textLines.reduce((at, l) => (lineStart.push(at), at + l.length + 1), 0);
    const headerLine = textLines.findIndex((l) => l.includes('SCT1B 00000000 '));
    const asText = (p: unknown) => JSON.stringify(p, (k, v) => (k === 'encoding' ? undefined : v instanceof Uint8Array ? Array.from(v) : v));
    const original = new Set(textLines.map((l) => asText(parseLine(messageOf(l)))));
    for (let iter = 0; iter < 1500; iter++) {
      const damaged = Buffer.from(text);
      const at = rand(damaged.length);
      damaged[at]! ^= 1 << rand(8);
      const evs = decodeOslog(damaged);
      let line = lineStart.length - 1;
      while (lineStart[line]! > at) line--;
      // A flipped file header (its tick unit, say) legitimately changes every record's time.
      sane(evs, damaged.length, line === headerLine ? undefined : known);
      const before = textLines[line]!;
      const marker = before.indexOf('SCT1');
      const after = damaged
        .subarray(lineStart[line], lineStart[line]! + before.length + 1)
        .toString('latin1')
        .replace(/\n$/, '');
      const inFields = marker >= 0 && at >= lineStart[line]! + marker + 4 && !before.includes('\n', at - lineStart[line]!);
      // The file header has no CRC (as in a native file): a flip there can go unnoticed.
      if (!inFields || line === headerLine || damaged[at] === 10 || /[\s"]/.test(String.fromCharCode(damaged[at]!))) continue;
      const now = asText(parseLine(messageOf(after)));
      // Unchanged (a hex digit's case), or exactly another line of the export (a line lost and
      // another delivered twice: what the log itself does).
      const same = original.has(now);
      const col = at - lineStart[line]!;
      if (!same)
        expect(
          evs.some((e) => e.kind === 'diagnostic'),
          `flip at ${at}: ${before.slice(marker, marker + 20)} … ${before.slice(col - 5, col + 5)} → ${after.slice(col - 5, col + 5)}; ${evs.flatMap((e) => (e.kind === 'gap' ? [e.detail] : [])).join('; ')}`,
        ).toBe(true);
    }
  });

  it('duplicated lines are read once: no diagnostics, no gaps, the same records', () => {
    for (let iter = 0; iter < 150; iter++) {
      const copy = [...flat];
      for (let k = rand(6) + 1; k > 0; k--) {
        const from = rand(copy.length);
        copy.splice(Math.min(copy.length, from + rand(40)), 0, copy[from]!);
      }
      const evs = decodeOslog(copy.join('\n'));
      expect(evs.filter((e) => e.kind === 'diagnostic' || e.kind === 'gap')).toEqual([]);
      expect(evs.map(key)).toEqual(whole.map(key));
    }
  });

  it('lines reordered: no diagnostics; within the window nothing is lost, farther what is missing is a gap', () => {
    for (let iter = 0; iter < 150; iter++) {
      const copy = [...flat];
      const far = iter % 3 === 0;
      for (let k = rand(4) + 1; k > 0; k--) {
        const from = rand(copy.length);
        const [moved] = copy.splice(from, 1);
        copy.splice(Math.min(copy.length, from + 1 + rand(far ? 400 : 30)), 0, moved!);
      }
      const evs = decodeOslog(copy.join('\n'));
      expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
      sane(evs, Infinity, known);
      gapsFirst(evs);
      const read = evs.filter(isRecord).length;
      const wholeRecords = whole.filter(isRecord).length;
      if (!far) expect(read).toBe(wholeRecords);
      expect(read + lostIn(evs)).toBeGreaterThanOrEqual(wholeRecords);
    }
  });

  it('lines dropped: no diagnostics; every unit lost between the first and last that arrived is counted in a gap', () => {
    for (let iter = 0; iter < 200; iter++) {
      const dropped = new Set(Array.from({ length: rand(8) + 1 }, () => rand(flat.length)));
      const kept = flat.filter((_, i) => !dropped.has(i));
      const evs = decodeOslog(kept.join('\n'));
      expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
      sane(evs, Infinity, known);
      gapsFirst(evs);
      // Units some of whose lines were dropped; those after the first and before the last unit
      // that arrived whole can be told lost from the numbers.
      let first = Infinity;
      let last = -1;
      let lostUnits = 0;
      let i = 0;
      lines.forEach((l, unit) => {
        const hit = l.some((_, k) => dropped.has(i + k));
        i += l.length;
        if (!hit) {
          first = Math.min(first, unit);
          last = unit;
        }
      });
      i = 0;
      lines.forEach((l, unit) => {
        const hit = l.some((_, k) => dropped.has(i + k));
        i += l.length;
        if (hit && unit > first && unit < last) lostUnits++;
      });
      expect(lostIn(evs)).toBeGreaterThanOrEqual(lostUnits);
      expect(evs.filter(isRecord).length + lostIn(evs)).toBeGreaterThanOrEqual(whole.filter(isRecord).length - (lines.length - 1 - last) - first);
    }
  });

  it('lines dropped from per-queue counters (submissions and completions counted apart): each gap comes before the later records, so no completion is for an unknown task', () => {
    // Unit 0 (the header) and the completions count from 0x20000000, the submissions from
    // 0x10000000; the last unit (a note) counts with the completions.
    // A loss before a stream's first unit or after its last cannot be seen in the numbers: the
    // lines dropped lie between the first two and the last two units.
    const counters = [0x2000_0000, 0x1000_0000];
    const perUnit = units.map((u, k) => encodeUnitLines(u, counters[k % 2 === 1 && k < units.length - 1 ? 1 : 0]!++, k % 3 === 2 ? 'hex' : 'base64', 150));
    const queued = perUnit.flat();
    const from = perUnit.slice(0, 3).flat().length;
    const to = queued.length - perUnit.slice(-2).flat().length;
    for (let iter = 0; iter < 100; iter++) {
      const dropped = new Set(Array.from({ length: rand(6) + 1 }, () => from + rand(to - from)));
      const evs = decodeOslog(queued.filter((_, i) => !dropped.has(i)).join('\n'));
      expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
      sane(evs, Infinity, known);
      gapsFirst(evs);
      expect(checkEvents(evs).groups.filter((g) => g.ruleId === 'completion-for-unknown-task' && g.severity === 'error')).toEqual([]);
    }
  });

  it('huge part counts: bounded work, one diagnostic each, the rest read', () => {
    const copy = [...flat];
    const target = copy.findIndex((l) => l.startsWith('SCT1B 00000004 1/1 '));
    copy[target] = copy[target]!.replace(' 1/1 ', ' 1/4096 ');
    copy.splice(10, 0, 'SCT1B 7fff0000 4096/4096 AAAA', 'SCT1B 7fff0001 1/99999 AAAA', 'SCT1X 7fff0002 00001/04096 00');
    const evs = decodeOslog(copy.join('\n'));
    sane(evs, Infinity, known);
    const problems = evs.filter((e) => e.kind === 'diagnostic').map((e) => (e as { message: string }).message);
    expect(problems.some((m) => m.includes('unit 0x4, part 1/4096) holds a whole unit'))).toBe(true);
    expect(problems.some((m) => m.includes('99999 parts is outside 1..4096'))).toBe(true);
    expect(evs.filter(isRecord).length).toBe(whole.filter(isRecord).length - 1);

    // Thousands of units that each claim 4096 parts and never complete: memory stays bounded
    // (256 open units, 16 MiB of fragments), every one is accounted for.
    const flood: string[] = [];
    for (let n = 0; n < 3000; n++)
      flood.push(`SCT1B ${(0x4000_0000 + n * 7919).toString(16).padStart(8, '0')} ${1 + (n % 4096)}/4096 ${Buffer.alloc(150, n).toString('base64')}`);
    const out = decodeOslog([...flat.slice(0, 20), ...flood, ...flat.slice(20)].join('\n'));
    sane(out, Infinity, known);
    expect(out.filter(isRecord).length).toBe(whole.filter(isRecord).length);
    const accounted = out.filter((e) => e.kind === 'diagnostic').length + lostIn(out);
    expect(accounted).toBeGreaterThanOrEqual(3000);
  });

  it('spliced chunks of two exports, fed in random chunk sizes: records of either, diagnostics, gaps', () => {
    const other = session(25, 'MyHBA 2.0', 80_000_000);
    const otherWhole = decodeOslog(unitLines(other, 0x5000).flat().join('\n'));
    const knownEither = new Set([...known, ...otherWhole.filter(isRecord).map(key)]);
    const a = Buffer.from(wrapInLogStyle(flat, 'stream-ndjson'));
    const b = Buffer.from(wrapInLogStyle(unitLines(other, 0x5000).flat(), 'stream-ndjson'));
    for (let iter = 0; iter < 150; iter++) {
      const pieces: Buffer[] = [];
      for (let k = rand(4) + 2; k > 0; k--) {
        const src = rand(2) ? a : b;
        const from = rand(src.length);
        pieces.push(src.subarray(from, from + rand(6000)));
      }
      const spliced = Buffer.concat(pieces);
      const evs = decodeOslog(spliced);
      sane(evs, spliced.length, knownEither);
      // The same events whatever the chunking.
      const dec = new OslogDecoder();
      const out: TraceEvent[] = [];
      for (let i = 0; i < spliced.length;) {
        const size = 1 + rand(700);
        dec.push(spliced.subarray(i, i + size), out);
        i += size;
      }
      dec.end(out);
      expect(out).toEqual(evs);
    }
  });
});
