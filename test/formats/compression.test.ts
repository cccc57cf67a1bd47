/**
 * Compressed inputs (gzip, Zstandard) are read through, detected by content, as a stream; damage
 * in the compressed data is one diagnostic naming the compressed byte offset. And `-` reads
 * standard input, through the real executable.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decompress, type CompressionState } from '../../src/formats/compression.js';
import { openTrace } from '../../src/formats/open.js';
import type { TraceEvent } from '../../src/model/events.js';
import { runScsitrace } from '../helpers/cli.js';
import { zstdFrame } from '../helpers/zstd.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-compressed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/scsitrace.js');

async function readAll(path: string): Promise<{ events: TraceEvent[]; format: string }> {
  const trace = await openTrace(path);
  const events: TraceEvent[] = [];
  for await (const batch of trace.events) events.push(...batch);
  return { events, format: trace.format.id };
}

const plain = (p: string) => readFileSync(join(root, p));
const write = (name: string, bytes: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe('compressed traces', () => {
  it.each([
    ['pcapng', 'traces/iscsi-libiscsi.pcapng'],
    ['pcap', 'traces/usb-bot.pcap'],
    ['native', 'traces/healthy-copy.sct'],
    ['ftrace', 'traces/linux-ftrace-6.1.0-56-amd64-megasas.txt'],
    ['jsonl', 'traces/vendor-cdb-rejected.jsonl'],
  ])('reads a %s trace gzipped and zstd-compressed, named without an extension, exactly as the plain one', async (format, path) => {
    const bytes = plain(path);
    const expected = await runScsitrace('decode', '--format', 'json', join(root, path));
    expect(expected.code).toBe(0);
    for (const [name, packed] of [
      ['gz', gzipSync(bytes)],
      ['zst', zstdFrame(bytes, { blockBytes: 100_000, checksum: true })],
      ['zst-of-gz', zstdFrame(gzipSync(bytes))],
    ] as const) {
      const p = write(`${format}-${name}.bin`, packed);
      const { format: detected } = await readAll(p);
      expect(detected).toBe(format);
      const got = await runScsitrace('decode', '--format', 'json', p);
      expect({ name, code: got.code, stderr: got.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(got.stdout).toBe(expected.stdout);
    }
  });

  it('reads concatenated gzip members and skippable zstd frames as one stream', async () => {
    const bytes = plain('traces/usb-bot.pcap');
    const half = bytes.length >> 1;
    const gz = Buffer.concat([gzipSync(bytes.subarray(0, half)), gzipSync(bytes.subarray(half))]);
    const skippable = Uint8Array.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const zst = Buffer.concat([skippable, zstdFrame(bytes.subarray(0, half)), zstdFrame(bytes.subarray(half))]);
    const expected = (await runScsitrace('decode', '--format', 'json', join(root, 'traces/usb-bot.pcap'))).stdout;
    for (const [name, packed] of [
      ['gz', gz],
      ['zst', zst],
    ] as const) {
      const got = await runScsitrace('decode', '--format', 'json', write(`multi.${name}`, packed));
      expect(got.stderr).toBe('');
      expect(got.stdout).toBe(expected);
    }
  });

  it('reports damage inside gzip data with the compressed byte offset, exit 2, and keeps what came before', async () => {
    // Stored deflate blocks (level 0): the second block's NLEN (RFC 1951 3.2.4) is made to
    // disagree with its LEN, which zlib notices where it lies.
    const bytes = plain('traces/iscsi-libiscsi.pcapng');
    const gz = Buffer.from(gzipSync(bytes, { level: 0 }));
    const at = 10 + 5 + 0xfffb + 3; // zlib stores 65,531 bytes per block
    for (let i = 0; i < 2; i++) gz[at + i] = gz[at + i]! ^ 0x5a;
    const got = await runScsitrace('decode', write('damaged.pcapng.gz', gz));
    expect(got.code).toBe(2);
    const lines = got.stderr.trim().split('\n');
    const m =
      /^scsitrace: .*damaged\.pcapng\.gz: at compressed byte 0x([0-9a-f]+): gzip data damaged \(.+\) within compressed bytes 0x([0-9a-f]+)\.\.0x([0-9a-f]+); nothing after it can be decompressed$/.exec(
        lines[0]!,
      );
    expect(m).not.toBeNull();
    const from = parseInt(m![2]!, 16);
    const to = parseInt(m![3]!, 16);
    expect(at).toBeLessThanOrEqual(to);
    expect(from).toBeLessThanOrEqual(at);
    expect(to - from).toBeLessThan(16 * 1024);
    // Offsets of what was inside are named as decompressed ones.
    for (const l of lines.slice(1, -1)) expect(l).toMatch(/at uncompressed byte 0x/);
    expect(got.stdout.split('\n').length).toBeGreaterThan(10);
  });

  it('reports a gzip member whose CRC-32 does not match (damage zlib decoded without noticing)', async () => {
    const gz = Buffer.from(gzipSync(plain('traces/usb-bot.pcap'), { level: 0 }));
    gz[5000] = gz[5000]! ^ 0xff; // inside stored data: only the trailer can tell
    const got = await runScsitrace('decode', write('crc.pcap.gz', gz));
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(/at compressed byte 0x[0-9a-f]+: gzip member's CRC-32 or length does not match/);
  });

  it('reports a truncated gzip file at its end', async () => {
    const gz = gzipSync(plain('traces/usb-bot.pcap'));
    const got = await runScsitrace('decode', write('cut.pcap.gz', gz.subarray(0, gz.length - 100)));
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(new RegExp(`at compressed byte 0x${(gz.length - 100).toString(16)}: gzip data ends early \\(truncated\\)`));
  });

  it('reports zstd damage at its block, and refuses a window it would have to allocate gigabytes for', async () => {
    const bytes = plain('traces/usb-bot.pcap');
    const zst = zstdFrame(bytes, { blockBytes: 50_000 });
    const bad = zst.slice();
    const second = 6 + 3 + 50_000; // frame header, first block
    bad[second] = bad[second]! | 0x06; // block type 3: reserved
    const got = await runScsitrace('decode', write('damaged.pcap.zst', bad));
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(
      new RegExp(
        `^scsitrace: .*damaged\\.pcap\\.zst: at compressed byte 0x${second.toString(16)}: zstd block of the reserved type; nothing after it can be decompressed$`,
        'm',
      ),
    );
    const huge = zstdFrame(bytes);
    huge[5] = (31 - 10) << 3; // windowLog 31: 2 GiB
    const refused = await runScsitrace('decode', write('huge-window.pcap.zst', huge));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/at byte 0x0: .*zstd frame asks for a 2147483648-byte window, more than the 134217728 bytes accepted/);
  });

  it('streams: output per step stays bounded however far the data expands', async () => {
    // 64 MiB of zeros in RLE blocks is under 2 KiB of zstd; decompressing it never holds more
    // than one block.
    const rle = zstdFrame(new Uint8Array(64 * 1024 * 1024), { blockBytes: 128 * 1024 });
    expect(rle.length).toBeLessThan(4096);
    const state: CompressionState = { kind: 'zstd', compressedBytes: 0 };
    let largest = 0;
    let total = 0;
    for await (const piece of decompress(
      'zstd',
      (async function* () {
        yield rle;
      })(),
      state,
    )) {
      largest = Math.max(largest, piece.length);
      total += piece.length;
    }
    expect(state.problem).toBeUndefined();
    expect(total).toBe(64 * 1024 * 1024);
    expect(largest).toBeLessThanOrEqual(128 * 1024);
  });
});

describe('standard input', () => {
  const run = (args: string[], input: Uint8Array) =>
    spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it.each([
    ['decode', 'traces/healthy-copy.sct'],
    ['decode', 'traces/linux-ftrace-6.1.0-56-amd64-megasas.txt'],
    ['summary', 'traces/usb-bot.pcap'],
    ['check', 'traces/healthy-copy.sct'],
  ])('`%s -` reads %s from stdin as it reads the file', (command, path) => {
    const fromFile = spawnSync(process.execPath, [bin, command, path], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const fromStdin = run([command, '-'], plain(path));
    expect(fromStdin.status).toBe(fromFile.status);
    expect(fromStdin.stderr).toBe('');
    expect(fromStdin.stdout.replaceAll(path, '-')).toBe(fromFile.stdout.replaceAll(path, '-'));
  });

  it('reads a gzipped trace from stdin', () => {
    const fromStdin = run(['decode', '-'], gzipSync(plain('traces/healthy-copy.sct')));
    expect(fromStdin.status).toBe(0);
    expect(fromStdin.stdout).toBe(
      spawnSync(process.execPath, [bin, 'decode', 'traces/healthy-copy.sct'], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }).stdout,
    );
  });
});
