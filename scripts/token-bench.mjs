#!/usr/bin/env node
// Measures why TASK_SUBMITTED and TASK_COMPLETED are read by hand rather than with their
// binary-parser tokens (ARCHITECTURE.md, "Native records"): both ways read the fixed part of
// every task record of a bench trace into typed-array columns, as the reader does. Run after
// `npm run build` (and `npm run bench` once, which generates the trace): node scripts/token-bench.mjs
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { SubmitToken, CompleteToken } = await import(join(root, 'dist/formats/native/tokens.js'));
const L = await import(join(root, 'dist/formats/native/layout.js'));
const { writeBenchTrace } = await import(join(root, 'dist/synth/bench.js'));

const tasks = Number(process.env.TOKEN_BENCH_TASKS ?? 200_000);
const path = join(root, 'bench-out', `bench-${tasks}.sct`);
if (!existsSync(path)) writeBenchTrace(path, tasks, 42);
const buf = new Uint8Array(readFileSync(path));
const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

// Record bodies by type (framing: sync u32, type u16, flags u16, length u32, body, CRC u32).
const submits = [];
const completes = [];
let p = v.getUint32(L.FileHeader.headerLength, true);
while (p + L.RECORD_HEADER <= buf.length) {
  const type = v.getUint16(p + L.RecordFrame.type, true);
  const len = v.getUint32(p + L.RecordFrame.bodyLength, true);
  const b = p + L.RECORD_HEADER;
  if (type === L.RecordType.TaskSubmitted) submits.push(b);
  else if (type === L.RecordType.TaskCompleted) completes.push(b);
  p = b + len + L.RECORD_TRAILER;
}
const n = submits.length;
const cols = {
  lo: new Uint32Array(n),
  hi: new Uint32Array(n),
  target: new Uint32Array(n),
  tag: new Uint32Array(n),
  bytes: new Float64Array(n),
  lun: new Uint32Array(n),
  time: new Float64Array(n),
  cdbLength: new Uint16Array(n),
  segs: new Uint32Array(n),
  bytesDone: new Float64Array(n),
  status: new Uint8Array(n),
};

function hand() {
  for (let i = 0; i < n; i++) {
    const b = submits[i];
    cols.time[i] = v.getUint32(b + L.Submit.time, true) + v.getUint32(b + L.Submit.time + 4, true) * 0x1_0000_0000;
    cols.lo[i] = v.getUint32(b + L.Submit.taskId, true);
    cols.hi[i] = v.getUint32(b + L.Submit.taskId + 4, true);
    cols.target[i] = v.getUint32(b + L.Submit.targetId, true);
    cols.tag[i] = v.getUint32(b + L.Submit.tag, true);
    cols.lun[i] = v.getUint16(b + L.Submit.lun, true);
    cols.bytes[i] = v.getUint32(b + L.Submit.requestedBytes, true) + v.getUint32(b + L.Submit.requestedBytes + 4, true) * 0x1_0000_0000;
    cols.cdbLength[i] = v.getUint16(b + L.Submit.cdbLength, true);
    cols.segs[i] = v.getUint32(b + L.Submit.segmentCount, true);
  }
  for (let i = 0; i < completes.length; i++) {
    const b = completes[i];
    cols.lo[i] = v.getUint32(b + L.Complete.taskId, true);
    cols.bytesDone[i] = v.getUint32(b + L.Complete.bytesTransferred, true) + v.getUint32(b + L.Complete.bytesTransferred + 4, true) * 0x1_0000_0000;
    cols.status[i] = buf[b + L.Complete.status];
  }
}

function tokens() {
  for (let i = 0; i < n; i++) {
    const s = SubmitToken.read(buf, submits[i]);
    cols.time[i] = Number(s.time);
    cols.lo[i] = Number(s.taskId & 0xffff_ffffn);
    cols.hi[i] = Number(s.taskId >> 32n);
    cols.target[i] = Number(s.targetId & 0xffff_ffffn);
    cols.tag[i] = Number(s.tag & 0xffff_ffffn);
    cols.lun[i] = Number(s.lun & 0xffffn);
    cols.bytes[i] = Number(s.requestedBytes);
    cols.cdbLength[i] = s.cdbLength;
    cols.segs[i] = s.segmentCount;
  }
  for (let i = 0; i < completes.length; i++) {
    const c = CompleteToken.read(buf, completes[i]);
    cols.lo[i] = Number(c.taskId & 0xffff_ffffn);
    cols.bytesDone[i] = Number(c.bytesTransferred);
    cols.status[i] = c.status;
  }
}

function time(f) {
  const runs = [];
  for (let k = 0; k < 7; k++) {
    const t0 = process.hrtime.bigint();
    f();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  runs.sort((a, b) => a - b);
  return { best: runs[0], median: runs[3] };
}
time(hand);
time(tokens);
const h = time(hand);
const t = time(tokens);
const rate = (ms) => `${(((n / ms) * 1000) / 1e6).toFixed(2)} M tasks/s`;
console.log(`${n.toLocaleString('en')} tasks (submission + completion fixed parts into columns), best / median of 7:`);
console.log(`  hand-read at layout.ts offsets: ${h.best.toFixed(1)} / ${h.median.toFixed(1)} ms  (${rate(h.best)})`);
console.log(
  `  binary-parser tokens:           ${t.best.toFixed(1)} / ${t.median.toFixed(1)} ms  (${rate(t.best)}), ${(t.best / h.best).toFixed(1)}× the hand-read time`,
);
