#!/usr/bin/env node
// A large trace-cmd trace.dat (version 6) for measuring the trace.dat reader: the real
// 2-CPU megasas sample's header, formats and options as they are, then each CPU's ring-buffer
// pages copied over and over, every copy's page times (and any absolute time stamp events)
// moved on by the sample's span, so that each CPU's pages stay in time order and every copy's
// tasks come after the last copy's. The flyrecord table (trace-cmd.dat.v6(5) "CPU DATA") is
// rewritten for the new offsets and sizes.
//
//   node scripts/gen-tracedat.mjs OUT [MiB]        (default 480 MiB)
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TRACEDAT_SAMPLE = join(root, 'traces/linux-tracecmd-6.1.0-57-amd64-megasas-2cpu.v6.dat');
const PAGE = 4096;
/** header_page of the sample: timestamp u64 at 0, commit at 8 (8 bytes), data from 16. */
const DATA = 16;
const COMMIT_MASK = (1 << 27) - 1;

/** The sample's tasks (424 SCSI commands, each dispatched and completed). */
const SAMPLE_TASKS = 424;

/** What writeBigTraceDat writes for `targetBytes`, without writing it: { bytes, tasks, copies }. */
export function planBigTraceDat(targetBytes, sample = TRACEDAT_SAMPLE) {
  const b = readFileSync(sample);
  const fly = b.indexOf(Buffer.from('flyrecord\0'));
  const cpuCount = b.readUInt32LE(b.indexOf(Buffer.from('options  \0')) - 4);
  let perCopy = 0;
  for (let i = 0; i < cpuCount; i++) perCopy += Number(b.readBigUInt64LE(fly + 18 + 16 * i));
  const dataStart = Math.ceil((fly + 10 + 16 * cpuCount) / PAGE) * PAGE;
  const copies = Math.max(1, Math.floor((targetBytes - dataStart) / perCopy));
  return { bytes: dataStart + perCopy * copies, tasks: SAMPLE_TASKS * copies, copies };
}

/** Writes about `targetBytes` of trace.dat to `path`; returns { bytes, tasks, copies }. */
export function writeBigTraceDat(path, targetBytes, sample = TRACEDAT_SAMPLE) {
  const b = readFileSync(sample);
  const fly = b.indexOf(Buffer.from('flyrecord\0'));
  const cpuCount = b.readUInt32LE(b.indexOf(Buffer.from('options  \0')) - 4);
  if (fly < 0 || b.readUInt32LE(14) !== PAGE) throw new Error(`${sample}: not the v6 sample this generator knows`);
  const cpus = Array.from({ length: cpuCount }, (_, i) => {
    const offset = Number(b.readBigUInt64LE(fly + 10 + 16 * i));
    const size = Number(b.readBigUInt64LE(fly + 18 + 16 * i));
    return { pages: b.subarray(offset, offset + size) };
  });
  // The sample's span: first page time to the last event of any CPU.
  let first = -1n;
  let last = 0n;
  for (const c of cpus) {
    for (let p = 0; p < c.pages.length; p += PAGE) {
      const t0 = c.pages.readBigUInt64LE(p);
      if (first < 0n || t0 < first) first = t0;
      walk(c.pages.subarray(p, p + PAGE), (t) => {
        if (t > last) last = t;
      });
    }
  }
  const span = last - first + 1_000_000n; // and 1 ms between copies
  const perCopy = cpus.reduce((n, c) => n + c.pages.length, 0);
  const headerEnd = fly + 10 + 16 * cpuCount;
  const dataStart = Math.ceil(headerEnd / PAGE) * PAGE;
  const { copies } = planBigTraceDat(targetBytes, sample);
  const fd = openSync(path, 'w');
  try {
    const header = Buffer.alloc(dataStart);
    b.copy(header, 0, 0, fly + 10);
    let at = dataStart;
    for (const [i, c] of cpus.entries()) {
      header.writeBigUInt64LE(BigInt(at), fly + 10 + 16 * i);
      header.writeBigUInt64LE(BigInt(c.pages.length * copies), fly + 18 + 16 * i);
      at += c.pages.length * copies;
    }
    writeSync(fd, header);
    // Each CPU's copies, written 64 copies at a time.
    for (const c of cpus) {
      const batch = Buffer.alloc(c.pages.length * Math.min(64, copies));
      for (let k = 0; k < copies;) {
        const n = Math.min(64, copies - k);
        for (let j = 0; j < n; j++, k++) {
          const shift = BigInt(k) * span;
          const copy = batch.subarray(j * c.pages.length, (j + 1) * c.pages.length);
          c.pages.copy(copy);
          for (let p = 0; p < copy.length; p += PAGE) shiftPage(copy.subarray(p, p + PAGE), shift);
        }
        writeSync(fd, batch, 0, n * c.pages.length);
      }
    }
  } finally {
    closeSync(fd);
  }
  return { bytes: dataStart + perCopy * copies, tasks: SAMPLE_TASKS * copies, copies };
}

/** Calls `at(time)` for each event of a page (ring-page.ts's walk, little-endian only). */
function walk(page, at, absolute) {
  let t = page.readBigUInt64LE(0);
  const size = page.readUInt32LE(8) & COMMIT_MASK;
  for (let i = 0; i + 4 <= size;) {
    const word = page.readUInt32LE(DATA + i);
    const type = word & 31;
    const delta = BigInt(word >>> 5);
    if (type === 29) {
      if (delta === 0n) return;
      t += delta;
      i += 4 + page.readUInt32LE(DATA + i + 4);
    } else if (type === 30 || type === 31) {
      const v = (BigInt(page.readUInt32LE(DATA + i + 4)) << 27n) + delta;
      if (type === 31) {
        absolute?.(DATA + i, v);
        t = v | (t & (0x1fn << 59n));
      } else t += v;
      i += 8;
    } else {
      t += delta;
      at(t);
      i += type === 0 ? 8 + Math.ceil((page.readUInt32LE(DATA + i + 4) - 4) / 4) * 4 : 4 + type * 4;
    }
  }
}

/** Moves a page's time, and its absolute time stamp events, `shift` nanoseconds on. */
function shiftPage(page, shift) {
  page.writeBigUInt64LE(page.readBigUInt64LE(0) + shift, 0);
  walk(
    page,
    () => undefined,
    (offset, v) => {
      const moved = v + shift;
      page.writeUInt32LE(((page.readUInt32LE(offset) & 31) | (Number(moved & 0x7ffffffn) << 5)) >>> 0, offset);
      page.writeUInt32LE(Number((moved >> 27n) & 0xffffffffn), offset + 4);
    },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: node scripts/gen-tracedat.mjs OUT [MiB]\n');
    process.exit(2);
  }
  const r = writeBigTraceDat(out, Number(process.argv[3] ?? 480) * 2 ** 20);
  console.log(`${out}: ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.copies} copies of the sample, ${r.tasks.toLocaleString('en')} tasks`);
}
