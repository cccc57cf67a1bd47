import { describe, expect, it } from 'vitest';
import { writeTraceToBytes } from '../../../src/formats/native/writer.js';
import { encodeUnitLines, type LineEncoding } from '../../../src/formats/oslog/encoding.js';
import { decodeOslog, OslogDecoder } from '../../../src/formats/oslog/reader.js';
import { HOLD_UNITS, REORDER_WINDOW } from '../../../src/formats/oslog/sequence.js';
import { checkEvents } from '../../../src/checks/engine.js';
import { GapAffects, GapUnit, type CaptureGap, type Diagnostic, type TraceEvent } from '../../../src/model/events.js';
import { rw10 } from '../../helpers/trace.js';
import { runScsitrace } from '../../helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wrapInLogStyle } from './styles.js';

/**
 * A driver session cut into units (file header, then one record each): `tasks` reads of 8
 * blocks, submitted at 1 ms steps and completed 100 µs later; every fifth a write whose
 * 40-segment list needs several lines. Unit k > 0 is a record; its time is known from k.
 */
function session(tasks: number, producer = 'MyHBA 1.0', start = 0): Uint8Array[] {
  const bytes = writeTraceToBytes({ producer, tickNs: 1, startWallNs: 1n }, (w) => {
    for (let i = 0; i < tasks; i++) {
      const t = start + (i + 1) * 1_000_000;
      const write = i % 5 === 4;
      w.submit({
        timeNs: t,
        taskId: i + 1,
        cdb: rw10(write, i * 8, 8),
        requestedBytes: 4096,
        segments: write ? Array.from({ length: 40 }, (_, k) => ({ address: 0x10000 * (k + 1), length: 100 })) : [{ address: 0x1000 * i, length: 4096 }],
      });
      w.complete({ timeNs: t + 100_000, taskId: i + 1, bytesTransferred: 4096 });
    }
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out = [bytes.subarray(0, view.getUint32(12, true))];
  for (let p = out[0]!.length; p < bytes.length; p += 16 + view.getUint32(p + 8, true)) out.push(bytes.subarray(p, p + 16 + view.getUint32(p + 8, true)));
  return out;
}

/** Time of unit k of session(): the record's timestamp in seconds as gap details print it. */
const unitTime = (k: number, start = 0) => start + Math.ceil(k / 2) * 1_000_000 + (k % 2 === 0 ? 100_000 : 0);

/** Lines of units numbered first, first + 1, ... (fragments of 100 bytes: writes take several lines). */
function lines(units: Uint8Array[], first = 0, encoding: LineEncoding = 'base64'): string[][] {
  return units.map((u, i) => encodeUnitLines(u, (first + i) >>> 0, encoding, 100));
}

const gaps = (evs: TraceEvent[]) => evs.filter((e): e is CaptureGap => e.kind === 'gap');
const diagnostics = (evs: TraceEvent[]) => evs.filter((e): e is Diagnostic => e.kind === 'diagnostic').map((d) => d.message);
/** The records read, as comparable text (where they sat in the input left out). */
const records = (evs: TraceEvent[]) =>
  evs
    .filter((e) => e.kind !== 'gap' && e.kind !== 'diagnostic')
    .map(({ offset: _o, index: _i, ...e }) =>
      JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v)),
    )
    .sort();
/**
 * The reader's promise (TraceFormat.read): a capture gap comes before every event captured
 * after the loss, so a consumer that judges each event as it comes knows of the gap already.
 * Every task event later than a gap's start comes after the gap.
 */
function expectGapsBeforeWhatFollows(evs: TraceEvent[]): void {
  evs.forEach((g, p) => {
    if (g.kind !== 'gap') return;
    evs.forEach((e, q) => {
      if ((e.kind === 'submit' || e.kind === 'complete') && e.timeNs > g.timeNs)
        expect(q, `task ${e.taskId} ${e.kind} at ${e.timeNs} ns, after the gap "${g.detail}"`).toBeGreaterThan(p);
    });
  });
}
/** What `check` says of completions for tasks it never saw submitted, by severity. */
const unknownCompletions = (evs: TraceEvent[]) =>
  Object.fromEntries(
    checkEvents(evs)
      .groups.filter((g) => g.ruleId === 'completion-for-unknown-task')
      .map((g) => [g.severity, g.count]),
  );
const offsetOf = (all: string[], i: number) => Buffer.byteLength(all.slice(0, i).join('\n') + (i ? '\n' : ''));

describe('SCT1 sequence numbers: lost units become capture gaps', () => {
  const units = session(20);
  const whole = decodeOslog(lines(units).flat().join('\n'));

  it('a complete export has no gaps and no diagnostics', () => {
    expect(gaps(whole)).toEqual([]);
    expect(diagnostics(whole)).toEqual([]);
    expect(whole.filter((e) => e.kind === 'submit')).toHaveLength(20);
  });

  it('reports units that never arrived: how many, which numbers, between which times; not damage', () => {
    const kept = lines(units).filter((_, k) => k < 10 || k > 12);
    const all = kept.flat();
    const evs = decodeOslog(all.join('\n'));
    expect(diagnostics(evs)).toEqual([]);
    expect(gaps(evs)).toEqual([
      {
        kind: 'gap',
        offset: offsetOf(all, kept.slice(0, 10).flat().length),
        index: expect.any(Number),
        timeNs: unitTime(9),
        endNs: unitTime(13),
        lost: 3,
        unit: GapUnit.Records,
        affects: GapAffects.All,
        detail: 'SCT1 units 0xa..0xc missing (3 units) between 0.005 s and 0.007 s',
      },
    ]);
    expect(records(evs)).toEqual(records(whole.filter((e) => ![10, 11, 12].includes(e.index))));
  });

  it('names a unit that arrived incomplete, with how many of its parts came', () => {
    // Unit 9 is the submission of the fifth task, a write of several lines; its 4th is lost.
    const all = lines(units);
    const parts = all[9]!.length;
    expect(parts).toBeGreaterThan(4);
    all[9]!.splice(3, 1);
    const evs = decodeOslog(all.flat().join('\n'));
    expect(diagnostics(evs)).toEqual([]);
    expect(gaps(evs).map((g) => [g.lost, g.detail])).toEqual([
      [1, `SCT1 unit 0x9 incomplete (${parts - 1} of ${parts} parts arrived) between 0.0041 s and 0.0051 s`],
    ]);
    expect(evs.filter((e) => e.kind === 'submit')).toHaveLength(19);
  });

  it('counts lost and incomplete units of one stretch together', () => {
    const all = lines(units);
    const parts = all[9]!.length;
    all[9]!.pop(); // unit 9 loses its last line
    const kept = all.filter((_, k) => k !== 7 && k !== 8);
    expect(gaps(decodeOslog(kept.flat().join('\n'))).map((g) => [g.lost, g.detail])).toEqual([
      [3, `SCT1 units 0x7..0x9 lost (3 units: 2 missing, 0x9 incomplete (${parts - 1} of ${parts} parts arrived)) between 0.0031 s and 0.0051 s`],
    ]);
  });

  it('a capture that begins or ends inside a unit lost that unit: said with the one time known', () => {
    const all = lines(units);
    const parts = all[9]!.length;
    expect(all[19]).toHaveLength(parts);
    const evs = decodeOslog([...all[9]!.slice(2), ...all.slice(10, 19).flat(), all[19]![0]!].join('\n'));
    expect(gaps(evs).map((g) => [g.lost, g.timeNs, g.endNs, g.detail])).toEqual([
      [1, unitTime(10), unitTime(10), `SCT1 unit 0x9 incomplete (${parts - 2} of ${parts} parts arrived) before 0.0051 s`],
      [1, unitTime(18), unitTime(18), `SCT1 unit 0x13 incomplete (1 of ${parts} parts arrived) after 0.0091 s`],
    ]);
    expect(diagnostics(evs)).toEqual([]);
  });

  it(`waits for units reordered by up to ${REORDER_WINDOW} places (the log merges CPUs), and reports later ones lost yet reads them`, () => {
    const all = lines(session(150));
    const nearby = [...all];
    [nearby[30], nearby[31]] = [nearby[31]!, nearby[30]!];
    nearby.splice(70, 0, ...nearby.splice(40, 1)); // unit 40 arrives 29 units late
    const reordered = decodeOslog(nearby.flat().join('\n'));
    expect(gaps(reordered)).toEqual([]);
    expect(records(reordered)).toEqual(records(decodeOslog(all.flat().join('\n'))));

    const far = [...all];
    far.splice(120, 0, ...far.splice(40, 1)); // unit 40 arrives 79 units late: given up before it comes
    const late = decodeOslog(far.flat().join('\n'));
    expect(gaps(late).map((g) => g.detail)).toEqual(['SCT1 unit 0x28 missing between 0.02 s and 0.021 s']);
    expect(records(late)).toEqual(records(reordered));
    expect(diagnostics(late)).toEqual([]);
  });

  it('numbers wrap around modulo 2^32', () => {
    const all = lines(units, 0xffff_fff8);
    const kept = all.filter((_, k) => k !== 7 && k !== 8); // 0xffffffff and 0x0
    const evs = decodeOslog(kept.flat().join('\n'));
    expect(gaps(evs).map((g) => g.detail)).toEqual(['SCT1 units 0xffffffff..0x0 missing (2 units) between 0.0031 s and 0.005 s']);
    expect(diagnostics(evs)).toEqual([]);
    expect(gaps(decodeOslog(all.flat().join('\n')))).toEqual([]);
  });

  it("follows each writer's counter on its own (per-queue counters from 0x10000000, 0x20000000)", () => {
    // The submission path logs with one counter, the completion path with another.
    const counters = [0x2000_0000, 0x1000_0000];
    const interleaved = units.map((u, k) => encodeUnitLines(u, counters[k % 2]!++, 'base64', 100));
    expect(gaps(decodeOslog(interleaved.flat().join('\n')))).toEqual([]);
    // Each loses one unit: two gaps, each in its own numbers.
    const lossy = interleaved.filter((_, k) => k !== 7 && k !== 12);
    const evs = decodeOslog(lossy.flat().join('\n'));
    expect(
      gaps(evs)
        .map((g) => g.detail)
        .sort(),
    ).toEqual(['SCT1 unit 0x10000003 missing between 0.003 s and 0.005 s', 'SCT1 unit 0x20000006 missing between 0.0051 s and 0.0071 s']);
    expect(diagnostics(evs)).toEqual([]);
  });

  for (const [name, firstLength, sameHeader] of [
    ['a short session, the same header', 12, true],
    ['a short session, a different header', 12, false],
    ['a long session', 1500, true],
  ] as const) {
    it(`a writer that restarts counts again from its first number: no false loss or damage (${name})`, () => {
      const first = session(firstLength);
      const second = session(8, sameHeader ? 'MyHBA 1.0' : 'MyHBA 1.1', 60_000_000_000);
      const firstLines = lines(first);
      firstLines.splice(first.length - 3, 1); // the first session lost a unit shortly before the restart
      const evs = decodeOslog([...firstLines, ...lines(second)].flat().join('\n'));
      expect(diagnostics(evs)).toEqual([]);
      expectGapsBeforeWhatFollows(evs);
      expect(gaps(evs).map((g) => g.detail)).toEqual([
        `SCT1 unit ${'0x' + (first.length - 3).toString(16)} missing between ${(unitTime(first.length - 4) / 1e9).toString()} s and ${(unitTime(first.length - 2) / 1e9).toString()} s`,
      ]);
      // The unit lost is a completion.
      expect(evs.filter((e) => e.kind === 'submit')).toHaveLength(firstLength + 8);
      expect(evs.filter((e) => e.kind === 'complete')).toHaveLength(firstLength + 7);
    });
  }
});

describe('SCT1 capture gaps come before what was captured after the loss', () => {
  // session(): unit 2k+1 submits task k+1 at (k+1) ms, unit 2k+2 completes it 100 µs later;
  // unit 9 (the submission of task 5, a write) takes several lines.
  const units = session(20);

  it('a lost submission: the gap comes before its completion, which check reports as not captured, not as an error', () => {
    const evs = decodeOslog(
      lines(units)
        .filter((_, k) => k !== 11)
        .flat()
        .join('\n'),
    );
    expect(gaps(evs).map((g) => g.detail)).toEqual(['SCT1 unit 0xb missing between 0.0051 s and 0.0061 s']);
    expectGapsBeforeWhatFollows(evs);
    const at = evs.findIndex((e) => e.kind === 'gap');
    expect(evs[at - 1]).toMatchObject({ kind: 'complete', taskId: 5n });
    expect(evs[at + 1]).toMatchObject({ kind: 'complete', taskId: 6n });
    expect(unknownCompletions(evs)).toEqual({ info: 1 });
  });

  it('units after the loss that arrive out of order: the gap comes before the first of them to arrive', () => {
    const kept = lines(units).filter((_, k) => k !== 11);
    kept.splice(14, 0, ...kept.splice(11, 1)); // unit 12 (completion of task 6) comes after unit 15
    const evs = decodeOslog(kept.flat().join('\n'));
    expect(gaps(evs)).toHaveLength(1);
    expectGapsBeforeWhatFollows(evs);
    expect(evs[evs.findIndex((e) => e.kind === 'gap') + 1]).toMatchObject({ kind: 'submit', taskId: 7n });
    expect(unknownCompletions(evs)).toEqual({ info: 1 });
  });

  it('a submission that arrived in part: the gap comes before its completion', () => {
    const all = lines(units);
    all[9]!.splice(1, 1);
    const evs = decodeOslog(all.flat().join('\n'));
    expect(gaps(evs).map((g) => g.lost)).toEqual([1]);
    expectGapsBeforeWhatFollows(evs);
    expect(evs[evs.findIndex((e) => e.kind === 'gap') + 1]).toMatchObject({ kind: 'complete', taskId: 5n });
    expect(unknownCompletions(evs)).toEqual({ info: 1 });
  });

  it('per-queue counters: a submission lost from one stream comes (as a gap) before its completion in the other', () => {
    // Submissions counted from 0x10000000, completions (and the header) from 0x20000000: the
    // completion of task 6 arrives before the next submission shows the submission missing.
    // The loss lies between 5 ms (submission 5) and 7 ms (submission 7): the gap comes before
    // everything later than 5 ms that was still held (completion 5 at 5.1 ms, too).
    const counters = [0x2000_0000, 0x1000_0000];
    const queued = units.map((u, k) => encodeUnitLines(u, counters[k % 2]!++, 'base64', 100));
    const evs = decodeOslog(
      queued
        .filter((_, k) => k !== 11)
        .flat()
        .join('\n'),
    );
    expect(gaps(evs).map((g) => g.detail)).toEqual(['SCT1 unit 0x10000005 missing between 0.005 s and 0.007 s']);
    expectGapsBeforeWhatFollows(evs);
    const at = evs.findIndex((e) => e.kind === 'gap');
    expect(evs.slice(at - 1, at + 4).map((e) => (e.kind === 'submit' || e.kind === 'complete' ? `${e.kind} ${e.taskId}` : e.kind))).toEqual([
      'submit 5',
      'gap',
      'complete 5',
      'complete 6',
      'submit 7',
    ]);
    expect(unknownCompletions(evs)).toEqual({ info: 1 });
  });

  it(`holds at most ${HOLD_UNITS} units back, however long a stream that lost a unit stays silent`, () => {
    // Stream 0x10000000 carries the header, task 1 and the completion of task 2 (its submission,
    // unit 3, is lost), then falls silent; stream 0x20000105... carries the rest of a long session.
    const long = session(1500);
    const text = long.map((u, k) => encodeUnitLines(u, k <= 4 ? 0x1000_0000 + k : 0x2000_0100 + k, 'base64', 100)).filter((_, k) => k !== 3);
    const dec = new OslogDecoder();
    const out: TraceEvent[] = [];
    let records = 0;
    let mostHeld = 0;
    for (const unit of text) {
      for (const line of unit) dec.push(Buffer.from(`${line}\n`), out);
      records++;
      mostHeld = Math.max(mostHeld, records - out.filter((e) => e.kind !== 'gap').length);
    }
    dec.end(out);
    expect(mostHeld).toBeGreaterThan(HOLD_UNITS / 2);
    expect(mostHeld).toBeLessThanOrEqual(HOLD_UNITS + 1);
    expect(diagnostics(out)).toEqual([]);
    expect(gaps(out).map((g) => g.detail)).toEqual(['SCT1 unit 0x10000003 missing between 0.0011 s and 0.0021 s']);
    expectGapsBeforeWhatFollows(out);
    expect(out.filter((e) => e.kind === 'submit' || e.kind === 'complete')).toHaveLength(long.length - 2);
  });

  it('traces/oslog-dext-lost-lines.log: check finds no error; decode, also of the converted .sct, says the submissions may have been lost', async () => {
    const path = fileURLToPath(new URL('../../../traces/oslog-dext-lost-lines.log', import.meta.url));
    expectGapsBeforeWhatFollows(decodeOslog(readFileSync(path)));
    const check = await runScsitrace('check', path);
    expect(check.code).toBe(0);
    expect(check.stdout).not.toMatch(/^ERROR/m);
    expect(check.stdout).toMatch(/^INFO +completion-for-unknown-task +×2$/m);
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-oslog-order-'));
    try {
      const sct = join(dir, 'lost.sct');
      expect((await runScsitrace('convert', path, '-o', sct)).code).toBe(0);
      for (const file of [path, sct]) {
        const decode = await runScsitrace('decode', file);
        expect(decode.code).toBe(0);
        expect(decode.stderr).not.toMatch(/completion for unknown task/);
        for (const id of [109, 112])
          expect(decode.stderr).toContain(`completion for task id ${id}, whose submission was not captured (a capture gap before it may have lost it)`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SCT1 repeated lines (the unified log can deliver a line twice)', () => {
  const units = session(10);
  const all = lines(units);
  const whole = decodeOslog(all.flat().join('\n'));

  it('a repeated single-line unit is read once', () => {
    expect(all[2]).toHaveLength(1);
    for (const at of [3, 12]) {
      const repeated = [...all];
      repeated.splice(at, 0, all[2]!);
      const evs = decodeOslog(repeated.flat().join('\n'));
      expect(records(evs)).toEqual(records(whole));
      expect(diagnostics(evs)).toEqual([]);
      expect(gaps(evs)).toEqual([]);
    }
  });

  it('a repeated many-line unit, or one of its lines, is read once', () => {
    expect(all[9]!.length).toBeGreaterThan(1);
    for (const again of [all[9]!, [all[9]![2]!]]) {
      for (const at of [10, 16]) {
        const repeated = [...all];
        repeated.splice(at, 0, again);
        const evs = decodeOslog(repeated.flat().join('\n'));
        expect(records(evs)).toEqual(records(whole));
        expect(diagnostics(evs)).toEqual([]);
        expect(gaps(evs)).toEqual([]);
      }
    }
  });

  it('a different unit under a number already used is read, not taken for a repeat, and reported', () => {
    const other = session(10, 'MyHBA 1.0', 500_000_000);
    const again = lines([other[3]!], 3)[0]!;
    const text = [...all, again].flat();
    const evs = decodeOslog(text.join('\n'));
    expect(evs.filter((e) => e.kind === 'submit' && e.timeNs === unitTime(3, 500_000_000))).toHaveLength(1);
    expect(diagnostics(evs)).toEqual([
      `at byte 0x${offsetOf(text, text.length - again.length).toString(16)}: SCT1 unit 0x3 carries the sequence number of a different unit that arrived before it (a damaged number, or a writer that restarted and counts again without a file header); its record was read`,
    ]);
  });
});

describe('SCT1 damaged sequence numbers and fields (each a one-line diagnostic at the line)', () => {
  const units = session(20);
  const all = lines(units).flat();
  const whole = decodeOslog(all.join('\n'));
  /** The export with line i's sequence number replaced. */
  const mangle = (i: number, seq: string) => all.map((l, k) => (k === i ? l.replace(/^(SCT1B )[0-9a-f]{8}/, `$1${seq}`) : l));

  it('a number that is not hex', () => {
    const text = mangle(5, '0000000g');
    const evs = decodeOslog(text.join('\n'));
    expect(diagnostics(evs)).toEqual([
      `at byte 0x${offsetOf(text, 5).toString(16)}: SCT1B line: sequence number "0000000g" is not 1 to 8 hex digits; line skipped`,
    ]);
  });

  it('a hex digit of a one-line unit changed into another: the damaged number is named at its line, the record still read', () => {
    // Unit 0xe (a completion) is one line; the number becomes far away, a jump ahead, a number
    // already used, or one still to come.
    const i = all.findIndex((l) => l.startsWith('SCT1B 0000000e '));
    expect(all[i + 1]).toMatch(/^SCT1B 0000000f 1\//);
    for (const seq of ['1000000e', '0000040e', '0000000c', '00000006', '0000001e', '00000f0e']) {
      const text = mangle(i, seq);
      const evs = decodeOslog(text.join('\n'));
      const found = diagnostics(evs);
      expect(found, `${seq}: ${found.join(' | ')}`).toHaveLength(1);
      expect(found[0]).toMatch(new RegExp(`^at byte 0x${offsetOf(text, i).toString(16)}: SCT1 .*${seq.replace(/^0+/, '')}.*its record was read$`));
      expect(records(evs)).toEqual(records(whole));
      expect(gaps(evs)).toEqual([]);
    }
  });

  it('a hex digit of a line of a many-line unit changed: damage is reported, what is read is right', () => {
    for (const first of [true, false]) {
      const i = all.findIndex((l) => l.startsWith(`SCT1B 0000000d ${first ? 1 : 2}/2 `));
      for (const seq of ['1000000d', '0000040d', '0000000c', '00000005', '0000000f', '0000001d']) {
        const evs = decodeOslog(mangle(i, seq).join('\n'));
        expect(diagnostics(evs).length, seq).toBeGreaterThan(0);
        for (const r of records(evs)) expect(records(whole)).toContain(r);
      }
    }
  });

  it('every field that breaks the line grammar', () => {
    const cases: Array<[string, string]> = [
      ['SCT1B 0000000a 3/2 AAEC', 'SCT1B line (unit 0xa): part 3 of 2'],
      ['SCT1B 0000000a 0/2 AAEC', 'SCT1B line (unit 0xa): part 0 of 2'],
      ['SCT1B 0000000a 1/0 AAEC', 'SCT1B line (unit 0xa): 0 parts is outside 1..4096'],
      ['SCT1B 0000000a 1/4097 AAEC', 'SCT1B line (unit 0xa): 4097 parts is outside 1..4096'],
      ['SCT1B 0000000a 1/99999 AAEC', 'SCT1B line (unit 0xa): 99999 parts is outside 1..4096'],
      ['SCT1B 0000000a 1/123456 AAEC', 'SCT1B line (unit 0xa): part field "1/123456" is not part/parts'],
      ['SCT1B 0000000a 1-1 AAEC', 'SCT1B line (unit 0xa): part field "1-1" is not part/parts'],
      ['SCT1B 1000000000 1/1 AAEC', 'SCT1B line: sequence number "1000000000" is not 1 to 8 hex digits'],
      ['SCT1B  0000000a 1/1 AAEC', 'SCT1B line: sequence number "" is not 1 to 8 hex digits'],
      ['SCT1B', 'SCT1B line: no space after the marker'],
      ['SCT1X\t0000000a 1/1 00', 'SCT1X line: no space after the marker'],
      ['SCT1B 0000000a 1/1', 'SCT1B line (unit 0xa, part 1/1): no payload'],
      ['SCT1B 0000000a 1/1 ====', 'SCT1B line (unit 0xa, part 1/1): payload is not base64'],
      ['SCT1B 0000000a 1/1 AA%C', 'SCT1B line (unit 0xa, part 1/1): payload is not base64'],
      ['SCT1B 0000000a 1/1 A=AA', 'SCT1B line (unit 0xa, part 1/1): payload is not base64'],
      ['SCT1X 0000000a 1/1 0g', 'SCT1X line (unit 0xa, part 1/1): payload is not hex'],
      [
        'SCT1B 0000000a 1/1 AAE',
        'SCT1B line (unit 0xa, part 1/1): payload of 3 base64 characters is cut short (not a multiple of 4): the line looks truncated by the log',
      ],
      ['SCT1X 0000000a 1/1 abc', 'SCT1X line (unit 0xa, part 1/1): payload of 3 hex digits is cut short (an odd count): the line looks truncated by the log'],
    ];
    for (const [line, message] of cases) {
      // Under a number no other unit has (damage to a line of a real unit is covered above).
      const text = [
        ...all.slice(0, 4),
        `2026-01-05 10:20:30.123 Df kernel[0:2a1f] (com.example.MyHBADriver) ${line.replace('0000000a', '7fff000a')}`,
        ...all.slice(4),
      ];
      const evs = decodeOslog(text.join('\n'));
      const found = diagnostics(evs);
      expect(found, line).toHaveLength(1);
      expect(found[0]!.startsWith(`at byte 0x${offsetOf(text, 4).toString(16)}: ${message.replace('0xa', '0x7fff000a')}`), `${line}: ${found[0]}`).toBe(true);
      expect(found[0]).not.toContain('\n');
      expect(records(evs)).toEqual(records(whole));
    }
  });

  it('traces/oslog-dext-lost-lines.log: the two losses as gaps, the repeated and reordered lines read once, exit code 0', async () => {
    const path = new URL('../../../traces/oslog-dext-lost-lines.log', import.meta.url);
    const evs = decodeOslog(readFileSync(path));
    expect(diagnostics(evs)).toEqual([]);
    expect(gaps(evs).map((g) => [g.lost, g.detail])).toEqual([
      [3, 'SCT1 units 0x11..0x13 missing (3 units) between 5.001072 s and 5.001367 s'],
      [1, 'SCT1 unit 0x19 incomplete (3 of 4 parts arrived) between 5.00162 s and 5.001757 s'],
    ]);
    // 24 tasks (unit 2k+1 submits task k+1, unit 2k+2 completes it): units 0x11-0x13 and 0x19
    // held 3 submissions and 1 completion.
    expect(evs.filter((e) => e.kind === 'submit')).toHaveLength(21);
    expect(evs.filter((e) => e.kind === 'complete')).toHaveLength(23);
    const run = await runScsitrace('decode', fileURLToPath(path));
    expect(run.code).toBe(0);
  });

  it('exit code 2 for a damaged number, 0 for an export that only lost lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-oslog-seq-'));
    try {
      const damaged = join(dir, 'damaged.log');
      writeFileSync(
        damaged,
        wrapInLogStyle(
          mangle(
            all.findIndex((l) => l.startsWith('SCT1B 0000000d ')),
            '0000080d',
          ),
          'stream-ndjson',
        ),
      );
      const bad = await runScsitrace('decode', damaged);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/at byte 0x[0-9a-f]+: SCT1 line carries sequence number 0x80d where unit 0xd was due/);
      const lossy = join(dir, 'lossy.log');
      writeFileSync(
        lossy,
        wrapInLogStyle(
          lines(units)
            .filter((_, k) => k !== 6)
            .flat(),
          'stream-ndjson',
        ),
      );
      expect((await runScsitrace('decode', lossy)).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
