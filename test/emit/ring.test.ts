import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNative } from '../../src/formats/native/reader.js';
import { crc32c } from '../../src/model/crc32c.js';
import { formatCount } from '../../src/model/units.js';

/**
 * The shared-memory ring (emit/sctring.h, docs/FORMAT.md "The shared-memory ring"): threads
 * stand in for the dext and its reader (test/emit/ring.c), a producer at full speed, a slow
 * consumer, overruns; the reference reader emit/sctring-drain.c on a ring in a shared file. The
 * .sct files are checked record by record against what the producer put, and decoded with the
 * project's reader.
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const C_FLAGS = ['-Wall', '-Wextra', '-pedantic', '-Werror', '-Wconversion', '-Wsign-conversion'];
const CXX_FLAGS = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-Wconversion', '-Wsign-conversion'];
let dir: string;
const bin = { ring: '', drain: '' };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scsitrace-ring-'));
  bin.ring = join(dir, 'ring');
  bin.drain = join(dir, 'sctring-drain');
  execFileSync('gcc', ['-std=c11', ...C_FLAGS, '-O2', '-pthread', '-o', bin.ring, join(here, 'ring.c')], { stdio: 'pipe' });
  execFileSync('gcc', ['-std=c99', ...C_FLAGS, '-O2', '-o', bin.drain, join(root, 'emit/sctring-drain.c')], { stdio: 'pipe' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Rec {
  offset: number;
  type: number;
  body: Buffer;
  crc: number;
  length: number;
}

/** Walks an .sct file by the framing alone (docs/FORMAT.md), checking every CRC32C. */
function walk(file: Buffer): { minor: number; producer: string; records: Rec[] } {
  const headerLength = file.readUInt32LE(12);
  const producer = file.subarray(40, 40 + file.readUInt16LE(32)).toString('utf8');
  const records: Rec[] = [];
  for (let p = headerLength; p < file.length; ) {
    expect(file.readUInt32LE(p)).toBe(0x3cc35aa5);
    const bodyLength = file.readUInt32LE(p + 8);
    const crc = file.readUInt32LE(p + 12 + bodyLength);
    expect(crc32c(file, p + 4, p + 12 + bodyLength)).toBe(crc);
    records.push({ offset: p, type: file.readUInt16LE(p + 4), body: file.subarray(p + 12, p + 12 + bodyLength), crc, length: 16 + bodyLength });
    p += 16 + bodyLength;
  }
  return { minor: file.readUInt16LE(10), producer, records };
}

/** ring.c's OUT.expect: for each record id, its length and CRC32C as generated. */
function expectations(path: string): Array<{ length: number; crc: number }> {
  const b = readFileSync(path);
  return Array.from({ length: b.length / 8 }, (_, i) => ({ length: b.readUInt32LE(8 * i), crc: b.readUInt32LE(8 * i + 4) }));
}

function counts(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  const words = stdout.trim().split(/\s+/);
  for (let i = 0; i + 1 < words.length; i += 2) out[words[i]!] = Number(words[i + 1]);
  return out;
}

const CAPTURE_GAP = 8;

/**
 * Checks a drained capture against what the producer put: every record that was not dropped
 * is there once, in order, byte for byte (its CRC and length equal the generated record's);
 * every CAPTURE_GAP counts exactly the records missing where it stands, between the timestamps
 * of its neighbours; and the gaps add up to the producer's own drop count.
 */
function checkCapture(sct: string, expectPath: string, produced: Record<string, number>) {
  const file = readFileSync(sct);
  const { minor, records } = walk(file);
  const expected = expectations(expectPath);
  expect(minor).toBe(1);
  expect(expected).toHaveLength(produced.produced!);
  let previousId = -1;
  let previousTime = 0n;
  let pendingGap: { lost: bigint; time: bigint; end: bigint } | undefined;
  let reported = 0n;
  let present = 0;
  let gaps = 0;
  let inStream = 0;
  for (const r of records) {
    if (r.type === CAPTURE_GAP) {
      expect(pendingGap).toBeUndefined(); // one gap per run of drops
      const lost = r.body.readBigUInt64LE(16);
      pendingGap = { lost, time: r.body.readBigUInt64LE(0), end: r.body.readBigUInt64LE(8) };
      expect(r.body.readBigUInt64LE(24)).toBe(0xffff_ffff_ffff_ffffn); // all targets
      expect([r.body[32], r.body[33]]).toEqual([2, 0]); // unit records, affects all
      expect(r.body.subarray(40, 40 + r.body.readUInt16LE(34)).toString()).toMatch(/ring overrun/);
      reported += lost;
      gaps++;
      continue;
    }
    const time = r.body.readBigUInt64LE(0);
    const id = Number(time) - 1; // ring.c: record i has timestamp i + 1
    expect(id).toBeGreaterThan(previousId); // in order, never twice
    expect({ id, length: r.length, crc: r.crc }).toEqual({ id, ...expected[id] }); // the record that was put, whole
    const missing = BigInt(id - previousId - 1);
    if (pendingGap) {
      expect(pendingGap.lost).toBe(missing);
      expect(pendingGap.time).toBe(previousTime === 0n ? pendingGap.time : previousTime);
      expect(pendingGap.end).toBe(time);
      inStream++;
    } else {
      expect(missing).toBe(0n); // nothing vanished without a gap saying so
    }
    pendingGap = undefined;
    previousId = id;
    previousTime = time;
    present++;
  }
  const trailing = BigInt(produced.produced! - 1 - previousId);
  if (pendingGap) {
    expect(pendingGap.lost).toBe(trailing); // the overrun at the end of the capture
    expect(pendingGap.time).toBe(previousTime);
  } else {
    expect(trailing).toBe(0n);
  }
  expect(present).toBe(produced.published);
  expect(reported).toBe(BigInt(produced.dropped!));
  expect(present + Number(reported)).toBe(produced.produced);
  // Records larger than the data area (every 4999th) can never be in the ring.
  for (let id = 4998; id < produced.produced!; id += 4999) expect(records.some((r) => r.type !== CAPTURE_GAP && Number(r.body.readBigUInt64LE(0)) === id + 1)).toBe(false);
  return { present, gaps, inStream, records };
}

describe('shared-memory ring (emit/sctring.h)', () => {
  it('compiles warning-free as C99 and C++17 (the producer side is what a dext includes)', () => {
    const tu = join(dir, 'only-ring.c');
    writeFileSync(tu, `#include "${join(root, 'emit/sctring.h')}"\nint main(void) { return 0; }\n`);
    execFileSync('gcc', ['-std=c99', ...C_FLAGS, '-o', join(dir, 'oi-c'), tu], { stdio: 'pipe' });
    execFileSync('g++', [...CXX_FLAGS, '-x', 'c++', '-o', join(dir, 'oi-cxx'), tu], { stdio: 'pipe' });
    execFileSync('g++', [...CXX_FLAGS, '-pthread', '-x', 'c++', '-o', join(dir, 'ring-cxx'), join(here, 'ring.c')], { stdio: 'pipe' });
    execFileSync('g++', [...CXX_FLAGS, '-x', 'c++', '-o', join(dir, 'drain-cxx'), join(root, 'emit/sctring-drain.c')], { stdio: 'pipe' });
  });

  it('the producer side calls nothing but what compilers may emit for copies: no allocation, no lock, no system call', () => {
    // Every function a driver calls (the encoders, the os_log lines, the ring's producer side),
    // emitted out of line through a table of their addresses, at every optimisation level.
    const producerSide = [
      'sct_crc32c', 'sct_lun_from_number', 'sct_encode_file_header', 'sct_submit_size', 'sct_encode_submit', 'sct_encode_complete',
      'sct_encode_constraints', 'sct_encode_hba_event', 'sct_encode_digest', 'sct_encode_note', 'sct_encode_target_info',
      'sct_encode_capture_gap', 'sct_oslog_parts', 'sct_oslog_line', 'sct_oslog_emit', 'sct_ring_init', 'sct_ring_put', 'sct_ring_close',
    ];
    const tu = join(dir, 'producer-side.c');
    writeFileSync(
      tu,
      `#include "${join(root, 'emit/sctring.h')}"\ntypedef void (*sct_fn)(void);\n` +
        `sct_fn producer_side[] = { ${producerSide.map((f) => `(sct_fn)${f}`).join(', ')} };\n`,
    );
    // GCC and Clang may turn byte loops into calls to these four, and require every environment,
    // freestanding included, to provide them (GCC manual, "Language Standards Supported by GCC";
    // Clang's -ffreestanding); DriverKit and the Linux kernel do.
    const compilerHelpers = new Set(['memcpy', 'memmove', 'memset', 'memcmp']);
    for (const [compiler, flags] of [['gcc', ['-std=c99', ...C_FLAGS]], ['g++', [...CXX_FLAGS, '-x', 'c++']]] as const) {
      for (const opt of ['-O0', '-O1', '-O2', '-O3', '-Os']) {
        const object = join(dir, `producer-side${opt}.o`);
        execFileSync(compiler, [...flags, opt, '-c', '-o', object, tu], { stdio: 'pipe' });
        const defined = execFileSync('nm', ['--defined-only', object]).toString();
        for (const f of producerSide) expect(defined, `${f} emitted`).toMatch(new RegExp(`\\b${f}\\b`));
        const undefinedSymbols = execFileSync('nm', ['-u', object]).toString().trim().split(/\s+/).filter((w) => w && w !== 'U');
        expect(undefinedSymbols.filter((u) => !compilerHelpers.has(u)), `${compiler} ${opt}`).toEqual([]);
        if (opt === '-O0') expect(undefinedSymbols, `${compiler} ${opt}`).toEqual([]);
      }
    }
  });

  it('threads: a full-speed producer, a slow reader, overruns — every record that was not dropped arrives whole and in order, every drop is reported, and the project reader decodes it', () => {
    const sct = join(dir, 'threads.sct');
    const stdout = execFileSync(bin.ring, ['threads', '60000', '4000', String(512 + 65536), sct]).toString();
    const [producerLine, readerLine] = stdout.trim().split('\n') as [string, string];
    const produced = counts(producerLine);
    const read = counts(readerLine);
    expect(produced.produced).toBe(60000);
    expect(produced.dropped).toBeGreaterThan(0);
    expect(read.read).toBe(produced.published);
    expect(read.reported).toBe(produced.dropped);
    expect(read.reported_bytes).toBe(produced.dropped_bytes);
    const { gaps, inStream, present, records } = checkCapture(sct, sct + '.expect', produced);
    // A burst is at least 4000 records and ends at the first drop after that, so at most
    // 4000 + a ring's worth (65536 / 40-byte records): at least 10 bursts, each but the last
    // ending in an overrun that the next record reports in the stream.
    expect(inStream).toBeGreaterThanOrEqual(10);
    expect(gaps).toBeGreaterThanOrEqual(inStream);
    expect(present).toBeGreaterThan(1000);

    // The project's reader: TASK_SUBMITTED with and without the 1.1 extension, completions, notes.
    const evs = decodeNative(new Uint8Array(readFileSync(sct)));
    expect(evs.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    expect(evs.filter((e) => e.kind === 'submit')).toHaveLength(records.filter((r) => r.type === 1).length);
    expect(evs.filter((e) => e.kind === 'complete')).toHaveLength(records.filter((r) => r.type === 2).length);
    expect(evs.filter((e) => e.kind === 'note')).toHaveLength(records.filter((r) => r.type === 6).length);
    expect(evs.find((e) => e.kind === 'header')).toMatchObject({ producer: 'ring test (threads)', version: '1.1' });
    for (const e of evs) if (e.kind === 'submit') expect(e.timeNs).toBe(Number(e.taskId) + 1);
  });

  it('sctring-drain: drains a ring a driver filled and closed, reports the overrun at the end as a CAPTURE_GAP; scsitrace decodes it', () => {
    const ringFile = join(dir, 'ring.bin');
    const produced = counts(execFileSync(bin.ring, ['produce-file', ringFile, '20000', String(512 + 65536)]).toString());
    expect(produced.dropped).toBeGreaterThan(0);
    const sct = join(dir, 'ring.bin.sct');
    const r = spawnSync(bin.drain, ['--file', ringFile, '-o', sct]);
    expect(r.status).toBe(0);
    expect(r.stderr.toString()).toContain(`${produced.published} records, 1 capture gaps (${produced.dropped} records dropped by the driver)`);
    const { gaps, inStream, records } = checkCapture(sct, ringFile + '.expect', produced);
    expect([gaps, inStream]).toEqual([1, 0]);
    // The CLI, as a user runs it (npm test builds dist/ first).
    const decoded = spawnSync(process.execPath, [join(root, 'bin/scsitrace.js'), 'decode', sct], { maxBuffer: 64 << 20 });
    // The overrun is a capture gap, not damage: decode warns about it and exits 0.
    expect(decoded.stderr.toString()).toContain(`capture gap: ${formatCount(produced.dropped!)} records lost`);
    expect(decoded.stderr.toString()).not.toMatch(/CRC|damag|skipped/);
    expect(decoded.status).toBe(0);
    const completions = records.filter((x) => x.type === 2).length;
    expect(completions).toBeGreaterThan(50);
    expect(decoded.stdout.toString().match(/ → (GOOD|CHECK CONDITION)/g)).toHaveLength(completions); // every completed task, paired
  });

  it('sctring-drain: a damaged ring is reported in one line with its offset, exit status 2', () => {
    const ringFile = join(dir, 'damaged.bin');
    execFileSync(bin.ring, ['produce-file', ringFile, '200', String(512 + 4096)]);
    const pristine = readFileSync(ringFile);
    const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
      ['a flipped body byte (torn record)', (b) => (b[512 + 40]! ^= 0xff), /at stream byte 0 \(data offset 0\): ring record CRC32C mismatch/],
      ['an unknown marker', (b) => b.writeUInt32LE(0x12345678, 512), /ring entry with an unknown marker/],
      ['a record longer than the data', (b) => b.writeUInt32LE(0x10000, 512 + 8), /ring record length out of range/],
      ['head more than the data size ahead of tail', (b) => b.writeBigUInt64LE(1n << 40n, 256), /ring indices out of range/],
      ['not a ring', (b) => b.write('NOTARING', 0), /no ring here/],
    ];
    for (const [what, damage, message] of cases) {
      const b = Buffer.from(pristine);
      damage(b);
      writeFileSync(ringFile, b);
      const r = spawnSync(bin.drain, ['--file', ringFile, '-o', join(dir, 'damaged.sct')]);
      expect({ what, status: r.status }).toEqual({ what, status: 2 });
      expect(r.stderr.toString()).toMatch(message);
      expect(r.stderr.toString().trim().split('\n')).toHaveLength(1);
    }
  });
});

/** gcc's ThreadSanitizer, when the toolchain has it. */
const tsan = (() => {
  try {
    const d = mkdtempSync(join(tmpdir(), 'scsitrace-tsan-probe-'));
    writeFileSync(join(d, 'p.c'), 'int main(void) { return 0; }\n');
    execFileSync('gcc', ['-fsanitize=thread', '-o', join(d, 'p'), join(d, 'p.c')], { stdio: 'pipe' });
    execFileSync(join(d, 'p'), { stdio: 'pipe' });
    rmSync(d, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!tsan)('shared-memory ring under ThreadSanitizer', () => {
  const build = (header: string, out: string) => {
    const include = join(dir, out + '-inc');
    execFileSync('mkdir', ['-p', join(include, 'emit'), join(include, 'test/emit')]);
    writeFileSync(join(include, 'emit/scsitrace.h'), readFileSync(join(root, 'emit/scsitrace.h')));
    writeFileSync(join(include, 'emit/sctring.h'), header);
    writeFileSync(join(include, 'test/emit/ring.c'), readFileSync(join(here, 'ring.c')));
    execFileSync('gcc', ['-std=c11', ...C_FLAGS, '-O1', '-g', '-fsanitize=thread', '-pthread', '-o', join(dir, out), join(include, 'test/emit/ring.c')], { stdio: 'pipe' });
    return join(dir, out);
  };

  it('producer and reader threads race on nothing (-fsanitize=thread), with overruns', () => {
    const program = build(readFileSync(join(root, 'emit/sctring.h'), 'utf8'), 'ring-tsan');
    const sct = join(dir, 'tsan.sct');
    const r = spawnSync(program, ['threads', '20000', '3000', String(512 + 32768), sct], { env: { ...process.env, TSAN_OPTIONS: 'halt_on_error=1 exitcode=66' } });
    expect(r.stderr.toString()).not.toContain('ThreadSanitizer');
    expect(r.status).toBe(0);
    const produced = counts(r.stdout.toString().split('\n')[0]!);
    expect(produced.dropped).toBeGreaterThan(0);
    checkCapture(sct, sct + '.expect', produced);
  });

  it('and it would see the race if head were published without release (the check can fail)', () => {
    const weakened = readFileSync(join(root, 'emit/sctring.h'), 'utf8').replace(
      'SCT_ATOMIC_STORE_RELEASE_(sct_ring_u64_(r->base, SCT_RING_HEAD_AT), r->head);',
      'SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_HEAD_AT), r->head);',
    );
    expect(weakened).toContain('SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_HEAD_AT)');
    const program = build(weakened, 'ring-tsan-weak');
    const r = spawnSync(program, ['threads', '20000', '3000', String(512 + 32768), join(dir, 'weak.sct')], { env: { ...process.env, TSAN_OPTIONS: 'halt_on_error=1 exitcode=66' } });
    expect(r.stderr.toString()).toContain('ThreadSanitizer: data race');
    expect(r.status).toBe(66);
  });
});
