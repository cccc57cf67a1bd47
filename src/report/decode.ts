import type { TaskRecord } from '../analysis/tasks.js';
import { DataDirection, HbaEventPhase, ServiceResponse, type Completion, type TaskSubmitted } from '../model/events.js';
import { commandName, decodeCdb, quickSense, decodeSense, taskStatusName } from '../scsi/index.js';
import { isPlainReadWrite, rangeLba, rangeLen } from '../scsi/quick.js';
import type { LineOutput } from '../cli/output.js';
import { padStartAt, putAscii, putBytes, putInt, putText, putZeroPadded } from './bytes.js';
import { sglRecorded, taskJson, type LinkedEvent, type TaskJsonOptions } from './task-view.js';
import { hbaKindName } from './summary/build.js';
import { formatDuration, formatTimestamp } from './time.js';

/**
 * What a `decode` text line shows of a task, as plain values. Filled from a TaskRecord
 * (taskLineOf), or by a reader's task sink straight from record bytes, so that both paths print
 * through the one writer below.
 */
export interface TaskLine {
  taskId: number | bigint;
  timeNs: number;
  completed: boolean;
  /** Never completed, and a capture gap may have swallowed its completion (see analysis/gaps). */
  completionNotCaptured: boolean;
  /** Completion time (meaningful when completed). */
  endNs: number;
  /** Shown in place of targetId when set (Linux host:channel:id). */
  targetLabel: string | undefined;
  targetId: number | bigint;
  lun: number;
  tag: number | bigint;
  cdb: Uint8Array;
  serviceResponse: number;
  status: number;
  bytesTransferred: number;
  requestedBytes: number;
  residual: number;
  residualFlags: number;
  sense: Uint8Array;
}

const NO_BYTES = new Uint8Array(0);

export function newTaskLine(): TaskLine {
  return {
    taskId: 0,
    timeNs: 0,
    completed: false,
    completionNotCaptured: false,
    endNs: 0,
    targetLabel: undefined,
    targetId: 0,
    lun: 0,
    tag: 0,
    cdb: NO_BYTES,
    serviceResponse: 0,
    status: 0,
    bytesTransferred: 0,
    requestedBytes: 0,
    residual: 0,
    residualFlags: 0,
    sense: NO_BYTES,
  };
}

/** Fills `into` (reused: no allocation per task) from a task record. */
export function taskLineOf(t: TaskRecord, into: TaskLine): TaskLine {
  const s = t.submit;
  const c = t.complete;
  into.taskId = s.taskId;
  into.timeNs = s.timeNs;
  into.completionNotCaptured = false;
  into.targetLabel = s.targetLabel;
  into.targetId = s.targetId;
  into.lun = s.lun;
  into.tag = s.tag;
  into.cdb = s.cdb;
  into.requestedBytes = s.requestedBytes;
  into.completed = c !== undefined;
  if (c) setCompletion(into, c, c.sense);
  return into;
}

/** The completion's part of a line (from a TaskCompleted event or a sink's CompleteFields). */
export function setCompletion(into: TaskLine, c: Completion, sense: Uint8Array): void {
  into.completed = true;
  into.completionNotCaptured = false;
  into.endNs = c.timeNs;
  into.serviceResponse = c.serviceResponse;
  into.status = c.status;
  into.bytesTransferred = c.bytesTransferred;
  into.residual = c.residual;
  into.residualFlags = c.residualFlags;
  into.sense = sense;
}

export function jsonLine(t: TaskRecord, o?: TaskJsonOptions): string {
  return JSON.stringify(taskJson(t, o));
}

/** How text lines are written for one trace. */
export interface TextStyle {
  colors: boolean;
  /** The trace's time origin in whole seconds (TraceHeader.timeOriginNs / 1e9): times print since timestamp 0. */
  originSeconds: number;
}

export function textStyle(colors: boolean, originNs: bigint = 0n): TextStyle {
  return { colors, originSeconds: Number(originNs / 1_000_000_000n) };
}

const ARROW = ' \u2192 ';
/** Room for everything on a line except the strings measured separately. */
const FIXED_BYTES = 320;

/** Width of the whole seconds of the time column (as dmesg's `[%5lu.%06lu]`): wider times push it out. */
const SECONDS_WIDTH = 5;

/**
 * Writes one `decode` text line:
 * `<start s.ns, seconds 5 wide> <+latency, 9 wide> <target>:<lun> task <id> tag 0x<tag> <CDB summary> → <status>[ xfer a/b B][ residual n under|over][ <sense>]`.
 * Numbers are written as digits straight into the output buffer; only the rarer parts (CDBs
 * other than plain READ/WRITE, sense, labels) are built as strings first. Returns a promise when
 * the output buffer was handed on (await it before the next batch).
 */
export function writeTaskText(out: LineOutput, t: TaskLine, style: TextStyle): Promise<void> | undefined {
  const colors = style.colors;
  const cdb = t.cdb;
  const plain = isPlainReadWrite(cdb);
  const summary = plain ? '' : decodeCdb(cdb).summary; // what cdbSummary gives, without asking isPlainReadWrite again
  const completed = t.completed;
  const sense = completed && t.sense.length ? senseText(t.sense) : '';
  const label = t.targetLabel;
  const pending = out.begin(FIXED_BYTES + 3 * (summary.length + sense.length + (label?.length ?? 0)));
  const b = out.buffer;
  let p = putTimestamp(b, out.pos, t.timeNs, style.originSeconds);
  b[p++] = SPACE;
  const latencyAt = p;
  b[p++] = PLUS;
  let chars = 2;
  if (completed) {
    p = putDuration(b, p, t.endNs - t.timeNs);
    chars = 1 + durationChars;
  } else {
    b[p++] = QUESTION;
  }
  p = padStartAt(b, latencyAt, p, 9, chars);
  b[p++] = SPACE;
  p = label !== undefined ? putText(b, p, label) : putId(b, p, t.targetId);
  b[p++] = COLON;
  p = putInt(b, p, t.lun);
  p = putBytes(b, p, TASK_WORD);
  p = putId(b, p, t.taskId);
  p = putBytes(b, p, TAG_WORD);
  p = putHexId(b, p, t.tag);
  if (plain) {
    p = putBytes(b, p, plainName(cdb)); // " READ(10) LBA "
    p = putInt(b, p, rangeLba);
    p = putBytes(b, p, LEN_WORD);
    p = putInt(b, p, rangeLen);
  } else {
    b[p++] = SPACE;
    p = putText(b, p, summary);
  }
  if (!completed) {
    p = putBytes(b, p, t.completionNotCaptured ? (colors ? NOT_CAPTURED_COLOR : NOT_CAPTURED) : colors ? NEVER_COMPLETED_COLOR : NEVER_COMPLETED);
  } else {
    p = putBytes(b, p, statusBytes(t.serviceResponse, t.status, colors));
    if (t.bytesTransferred !== t.requestedBytes) {
      p = putAscii(b, p, ' xfer ');
      p = putInt(b, p, t.bytesTransferred);
      b[p++] = SLASH;
      p = putInt(b, p, t.requestedBytes);
      p = putAscii(b, p, ' B');
    }
    if (t.residualFlags) {
      p = putAscii(b, p, ' residual ');
      p = putInt(b, p, t.residual);
      if (t.residualFlags & 1) p = putAscii(b, p, ' under');
      if (t.residualFlags & 2) p = putAscii(b, p, ' over');
    }
    if (sense) {
      b[p++] = SPACE;
      p = putText(b, p, sense);
    }
  }
  out.pos = p;
  out.end();
  return pending;
}

function senseText(sense: Uint8Array): string {
  return quickSense(sense) ? decodeSense(sense).summary : `sense (${sense.length} bytes, unparsable)`;
}

/** Ids print as decimal whether they came as numbers or as bigints. */
function putId(b: Buffer, p: number, v: number | bigint): number {
  if (typeof v === 'number') return putInt(b, p, v);
  return v <= 0xffff_ffffn ? putInt(b, p, Number(v)) : putAscii(b, p, v.toString());
}

/** Tags print in hex, as protocols show them (an iSCSI initiator task tag, a USB CBW tag). */
function putHexId(b: Buffer, p: number, v: number | bigint): number {
  if (typeof v === 'number' && v >= 0 && v <= 0xffff_ffff) {
    const x = v >>> 0;
    const digits = x === 0 ? 1 : (35 - Math.clz32(x)) >> 2;
    for (let i = digits - 1; i >= 0; i--) b[p++] = HEX_DIGITS[(x >>> (4 * i)) & 0xf]!;
    return p;
  }
  return putAscii(b, p, v.toString(16));
}
const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');

/** formatTimestamp (since timestamp 0: origin seconds added), seconds right-aligned, written as bytes. */
function putTimestamp(b: Buffer, p: number, ns: number, originSeconds: number): number {
  const start = p;
  if (ns >= 0 && ns <= Number.MAX_SAFE_INTEGER && Number.isInteger(ns)) {
    const s = Math.floor(ns / 1e9);
    const whole = originSeconds + s;
    if (whole < 1e4) {
      // The common case: pad first, then the digits (no shifting).
      const digits = whole < 10 ? 1 : whole < 100 ? 2 : whole < 1000 ? 3 : 4;
      for (let i = digits; i < SECONDS_WIDTH; i++) b[p++] = SPACE;
      p = putInt(b, p, whole);
    } else {
      p = putInt(b, p, whole);
      p = padStartAt(b, start, p, SECONDS_WIDTH, p - start);
    }
    b[p++] = DOT;
    return putZeroPadded(b, p, ns - s * 1e9, 9);
  }
  const text = formatTimestamp(ns, originSeconds);
  const dot = text.indexOf('.');
  return putAscii(b, p, ' '.repeat(Math.max(0, SECONDS_WIDTH - (dot < 0 ? text.length : dot))) + text);
}

const MICRO = Uint8Array.of(0xc2, 0xb5, 0x73); // "µs"
const SPACE = 0x20;
const PLUS = 0x2b;
const QUESTION = 0x3f;
const COLON = 0x3a;
const SLASH = 0x2f;
const DOT = 0x2e;
const LEN_WORD = new TextEncoder().encode(' len ');

/** Characters (UTF-16 units) putDuration wrote last: its bytes but one for the two-byte µ. */
let durationChars = 0;

/**
 * formatDuration, written as bytes (see durationChars). toFixed rounds the exact value of the
 * double ns/10^k, so a duration exactly halfway between two printed values (where that double's
 * own rounding decides) is left to formatDuration itself.
 */
function putDuration(b: Buffer, p: number, ns: number): number {
  const start = p;
  if (ns >= 0 && ns <= Number.MAX_SAFE_INTEGER && Number.isInteger(ns)) {
    if (ns < 1e3) {
      p = putInt(b, p, ns);
      b[p++] = 0x6e; // n
      b[p++] = 0x73; // s
      durationChars = p - start;
      return p;
    }
    if (ns < 1e6) {
      const r = (ns | 0) % 100;
      if (r !== 50) {
        p = putFixed(b, p, (ns - r) / 100 + (r > 50 ? 1 : 0), 10, 1);
        p = putBytes(b, p, MICRO);
        durationChars = p - start - 1;
        return p;
      }
    } else if (ns < 1e9) {
      const r = (ns | 0) % 1e4;
      if (r !== 5000) {
        p = putFixed(b, p, (ns - r) / 1e4 + (r > 5000 ? 1 : 0), 100, 2);
        b[p++] = 0x6d; // m
        b[p++] = 0x73; // s
        durationChars = p - start;
        return p;
      }
    } else if (ns < 1e20) {
      const r = ns % 1e7;
      if (r !== 5e6) {
        p = putFixed(b, p, (ns - r) / 1e7 + (r > 5e6 ? 1 : 0), 100, 2);
        b[p++] = 0x73; // s
        durationChars = p - start;
        return p;
      }
    }
  }
  const text = formatDuration(ns);
  durationChars = text.length;
  return putText(b, p, text);
}

/** units/scale with `decimals` digits after the point (scale = 10^decimals). */
function putFixed(b: Buffer, p: number, units: number, scale: number, decimals: number): number {
  const whole = Math.floor(units / scale);
  p = putInt(b, p, whole);
  b[p++] = DOT;
  return putZeroPadded(b, p, units - whole * scale, decimals);
}

const encoder = new TextEncoder();
const NEVER_COMPLETED = encoder.encode(`${ARROW}NEVER COMPLETED`);
const NEVER_COMPLETED_COLOR = encoder.encode(`${ARROW}\x1b[33mNEVER COMPLETED\x1b[39m`);
const NOT_CAPTURED = encoder.encode(`${ARROW}COMPLETION NOT CAPTURED`);
const NOT_CAPTURED_COLOR = encoder.encode(`${ARROW}\x1b[33mCOMPLETION NOT CAPTURED\x1b[39m`);
const TASK_WORD = encoder.encode(' task ');
const TAG_WORD = encoder.encode(' tag 0x');

/** " <name> LBA " of the plain READ/WRITE opcodes, encoded, by opcode. */
const plainNames = new Array<Uint8Array | undefined>(256).fill(undefined);
function plainName(cdb: Uint8Array): Uint8Array {
  return (plainNames[cdb[0]!] ??= encoder.encode(` ${commandName(cdb)} LBA `));
}

/** " → " and the status word (coloured green when good, red otherwise), encoded, by service response and status. */
const statusCache: [Array<Uint8Array | undefined>, Array<Uint8Array | undefined>] = [new Array<Uint8Array | undefined>(16 * 256).fill(undefined), new Array<Uint8Array | undefined>(16 * 256).fill(undefined)];
function statusBytes(serviceResponse: number, status: number, colors: boolean): Uint8Array {
  const cacheable = serviceResponse < 16 && status < 256;
  const cache = statusCache[colors ? 1 : 0];
  const key = serviceResponse * 256 + status;
  let bytes = cacheable ? cache[key] : undefined;
  if (bytes === undefined) {
    const name = taskStatusName(serviceResponse, status);
    const good = serviceResponse === ServiceResponse.TaskComplete && (status === 0 || status === 0x04);
    bytes = encoder.encode(colors ? `${ARROW}\x1b[${good ? 32 : 31}m${name}\x1b[39m` : `${ARROW}${name}`);
    if (cacheable) cache[key] = bytes;
  }
  return bytes;
}

/**
 * The lines `decode --segments` prints under a task: the buffer the framework handed the driver
 * (DriverKit's fBufferIOVMAddr range) and the SGL the driver programmed, one segment a line.
 */
export function segmentLines(s: TaskSubmitted): string[] {
  const lines = [`${DETAIL_INDENT}${s.buffer ? `buffer 0x${s.buffer.address.toString(16)} len ${s.buffer.length}` : 'buffer not recorded'}`];
  const n = s.segments.count;
  if (!sglRecorded(s)) {
    lines.push(`${DETAIL_INDENT}SGL not recorded`);
    return lines;
  }
  lines.push(`${DETAIL_INDENT}SGL ${n} segment${n === 1 ? '' : 's'}, ${s.segments.totalBytes()} bytes`);
  for (let i = 0; i < n; i++) lines.push(`${DETAIL_INDENT}  [${i}] 0x${s.segments.address(i).toString(16)} len ${s.segments.length(i)}`);
  return lines;
}

/** Detail lines start where a task line's target column does (after the time and latency columns). */
const DETAIL_INDENT = ' '.repeat(SECONDS_WIDTH + 10 + 1 + 9 + 1);

/** The line `decode --with-events` prints under a task for a note, digest or HBA event naming it. */
export function linkedEventText(e: LinkedEvent, style: TextStyle): string {
  const time = formatTimestamp(e.timeNs, style.originSeconds);
  const at = `${' '.repeat(Math.max(0, SECONDS_WIDTH - time.indexOf('.')))}${time}${' '.repeat(11)}`;
  switch (e.kind) {
    case 'note':
      return `${at}note: ${e.text}`;
    case 'digest': {
      const dir = e.direction === DataDirection.ToDevice ? 'written' : e.direction === DataDirection.FromDevice ? 'read' : `direction ${e.direction}`;
      const chunks = e.chunkDigests.length ? `, ${e.chunkDigests.length} chunk digests of ${e.chunkBytes} bytes` : '';
      return `${at}digest: ${dir}${e.lba !== undefined ? ` LBA ${e.lba}` : ''}, ${e.byteCount} bytes, CRC32C 0x${e.crc32c.toString(16).padStart(8, '0')}${chunks}`;
    }
    case 'hba': {
      const phase = HBA_PHASES[e.phase] ?? ` phase ${e.phase}`;
      const took = e.durationNs > 0 && e.phase !== HbaEventPhase.Issued ? ` in ${formatDuration(e.durationNs)}` : '';
      const status = e.status ? ` status 0x${e.status.toString(16)}` : '';
      return `${at}HBA ${hbaKindName(e.hbaKind)}${phase}${took}${status}${e.detail ? `: ${e.detail}` : ''}`;
    }
  }
}

const HBA_PHASES: Record<number, string> = { [HbaEventPhase.Instant]: '', [HbaEventPhase.Issued]: ' issued', [HbaEventPhase.Completed]: ' completed' };
