import { keyOf, NONE, RowKind, type TaskBatch } from '../model/batch.js';
import { DataDirection, HbaEventPhase } from '../model/events.js';
import { commandName, decodeCdb, isGoodStatus, quickSense, decodeSense, taskStatusName } from '../scsi/index.js';
import { isPlainReadWriteAt, rangeLba, rangeLen } from '../scsi/quick.js';
import type { LineOutput } from './line-output.js';
import { padStartAt, putAscii, putBytes, putInt, putText, putZeroPadded } from './bytes.js';
import { attributeName, cdbFacts, directionName, residualKind, rowSglRecorded, taskJsonAt, type LinkedEvent, type TaskJsonOptions } from './task-view.js';
import { jsonInteger, jsonTime } from '../model/json.js';
import { serviceResponseName } from '../scsi/index.js';
import { hbaKindName } from './summary/build.js';
import { formatDuration } from '../model/units.js';
import { formatLatency, formatTimestamp } from './time.js';

/**
 * decode's output of one task, from a row of a paired batch (src/analysis/pairer.ts): a Complete
 * row is a task that completed; a GivenUp or NeverCompleted row one that did not. Text lines are
 * written as bytes straight from the columns; so are JSON lines (writeTaskJson: the bytes
 * JSON.stringify gives for taskJsonAt's object, without building it), except with --segments or
 * --with-events, which go through taskJsonAt.
 */

/** The task in row r as one JSON line (decode --format json). */
export function jsonLine(b: TaskBatch, r: number, o?: TaskJsonOptions): string {
  return JSON.stringify(taskJsonAt(b, r, o));
}

/** `,"name":` as bytes, for each field of a task's JSON (the order of TaskJson / taskJsonAt). */
const K = Object.fromEntries(
  [
    'startNs',
    'endNs',
    'latencyNs',
    'target',
    'targetLabel',
    'lun',
    'tag',
    'attribute',
    'direction',
    'requestedBytes',
    'timeoutMs',
    'segments',
    'cdb',
    'command',
    'opcode',
    'serviceAction',
    'lba',
    'transferLength',
    'transferUnit',
    'summary',
    'completed',
    'completionNotCaptured',
    'serviceResponse',
    'status',
    'statusCode',
    'bytesTransferred',
    'residual',
    'residualKind',
    'sense',
    'key',
    'asc',
    'ascq',
    'offset',
    'record',
  ].map((k) => [k, Buffer.from(`,"${k}":`)]),
) as Record<string, Buffer>;
const TASK_ID = Buffer.from('{"taskId":');
const SENSE_HEX = Buffer.from('{"hex":');
const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const QUOTE = 0x22;
const CLOSE = 0x7d;

/**
 * Writes the task in row r as one JSON line: the same bytes as jsonLine(b, r, o) (a property
 * test holds them equal), written into the output buffer without building the object or the
 * string. With o.segments or o.events, falls back to jsonLine.
 */
export function writeTaskJson(out: LineOutput, b: TaskBatch, r: number, o: TaskJsonOptions = {}): Promise<void> | undefined {
  if (o.segments || o.events) return out.line(jsonLine(b, r, o));
  const completed = b.kind[r] === RowKind.Complete;
  const cdbAt = b.cdbAt[r]!;
  const cdbLength = b.cdbLength[r]!;
  const cdb = b.slab.subarray(cdbAt, cdbAt + cdbLength);
  // Plain READ/WRITE (most tasks): name, LBA, length and summary written from the CDB's bytes.
  const plain = isPlainReadWriteAt(b.slab, cdbAt, cdbLength);
  const lba = plain ? rangeLba : 0;
  const blocks = plain ? rangeLen : 0;
  const d = plain ? undefined : cdbFacts(cdb);
  const senseLength = completed ? b.senseLength[r]! : 0;
  const senseBytes = senseLength ? b.slab.subarray(b.senseAt[r], b.senseAt[r]! + senseLength) : undefined;
  const sense = senseBytes ? decodeSense(senseBytes) : undefined;
  const origin = o.originNs ?? 0n;
  const labelId = b.labelId[r]!;
  const label = labelId === NONE ? null : (b.labels[labelId] ?? null);
  const sr = b.serviceResponse[r]!;
  const status = b.status[r]!;
  const residualFlags = b.residualFlags[r]!;
  const strings = (d ? d.name.length + d.summary.length + (d.transferUnit?.length ?? 0) : 0) + (label?.length ?? 0) + (sense ? sense.summary.length : 0);
  const pending = out.begin(2048 + 6 * strings + 2 * (cdbLength + senseLength));
  const w = out.buffer;
  let p = putBytes(w, out.pos, TASK_ID);
  p = putU64(w, p, b.taskIdHi[r]!, b.taskIdLo[r]!);
  p = putValue(w, putBytes(w, p, K.startNs!), jsonTime(b.subTimeNs[r]!, origin));
  p = putValue(w, putBytes(w, p, K.endNs!), completed ? jsonTime(b.timeNs[r]!, origin) : null);
  p = putValue(w, putBytes(w, p, K.latencyNs!), completed ? b.timeNs[r]! - b.subTimeNs[r]! : null);
  p = putU64(w, putBytes(w, p, K.target!), b.targetIdHi[r]!, b.targetIdLo[r]!);
  p = putValue(w, putBytes(w, p, K.targetLabel!), label);
  p = putValue(w, putBytes(w, p, K.lun!), b.lun[r]!);
  p = putU64(w, putBytes(w, p, K.tag!), b.tagHi[r]!, b.tagLo[r]!);
  p = putBytes(w, p, attributeDirectionJson(b.attribute[r]!, b.direction[r]!));
  p = putValue(w, putBytes(w, p, K.requestedBytes!), b.requestedBytes[r]!);
  p = putValue(w, putBytes(w, p, K.timeoutMs!), b.timeoutMs[r]!);
  p = putValue(w, putBytes(w, p, K.segments!), b.segmentCount[r]!);
  p = putHexString(w, putBytes(w, p, K.cdb!), cdb);
  if (d === undefined) {
    const names = plainJson(cdb);
    p = putBytes(w, p, names.head); // ,"command":"READ(10)","opcode":40,"serviceAction":null,"lba":
    p = putInt(w, p, lba);
    p = putBytes(w, p, K.transferLength!);
    p = putInt(w, p, blocks);
    p = putBytes(w, p, names.summary); // ,"transferUnit":"blocks","summary":"READ(10) LBA
    p = putInt(w, p, lba);
    p = putBytes(w, p, JSON_LEN_WORD);
    p = putInt(w, p, blocks);
    w[p++] = QUOTE;
  } else {
    p = putString(w, putBytes(w, p, K.command!), d.name);
    p = putValue(w, putBytes(w, p, K.opcode!), d.opcode);
    p = putValue(w, putBytes(w, p, K.serviceAction!), d.serviceAction ?? null);
    p = putValue(w, putBytes(w, p, K.lba!), d.lba === undefined ? null : jsonInteger(d.lba));
    p = putValue(w, putBytes(w, p, K.transferLength!), d.transferLength ?? null);
    p = putValue(w, putBytes(w, p, K.transferUnit!), d.transferLength === undefined ? null : (d.transferUnit ?? null));
    p = putString(w, putBytes(w, p, K.summary!), d.summary);
  }
  p = putBytes(w, putBytes(w, p, K.completed!), completed ? TRUE : FALSE);
  p = putBytes(w, putBytes(w, p, K.completionNotCaptured!), !completed && o.completionNotCaptured === true ? TRUE : FALSE);
  p = putBytes(w, p, completed ? statusJson(sr, status) : NO_STATUS);
  p = putValue(w, putBytes(w, p, K.bytesTransferred!), completed ? b.bytesTransferred[r]! : null);
  p = putValue(w, putBytes(w, p, K.residual!), completed && residualFlags ? b.residual[r]! : null);
  p = putValue(w, putBytes(w, p, K.residualKind!), completed ? residualKind(residualFlags) : null);
  p = putBytes(w, p, K.sense!);
  if (sense && senseBytes) {
    p = putHexString(w, putBytes(w, p, SENSE_HEX), senseBytes);
    p = putValue(w, putBytes(w, p, K.key!), sense.senseKey ?? null);
    p = putValue(w, putBytes(w, p, K.asc!), sense.asc ?? null);
    p = putValue(w, putBytes(w, p, K.ascq!), sense.ascq ?? null);
    p = putString(w, putBytes(w, p, K.summary!), sense.summary);
    w[p++] = CLOSE;
  } else {
    p = putBytes(w, p, NULL);
  }
  p = putValue(w, putBytes(w, p, K.offset!), b.subOffset[r]!);
  p = putValue(w, putBytes(w, p, K.record!), b.subIndex[r]!);
  w[p++] = CLOSE;
  out.pos = p;
  out.end();
  return pending;
}

const JSON_LEN_WORD = Buffer.from(' len ');
const NO_STATUS = Buffer.from(',"serviceResponse":null,"status":null,"statusCode":null');

/** The fixed text around a plain READ/WRITE's numbers, by opcode (the name depends on it alone). */
const plainJsonCache: Array<{ head: Buffer; summary: Buffer } | undefined> = Array.from({ length: 256 }, () => undefined);
function plainJson(cdb: Uint8Array): { head: Buffer; summary: Buffer } {
  const name = JSON.stringify(commandName(cdb));
  return (plainJsonCache[cdb[0]!] ??= {
    head: Buffer.from(`,"command":${name},"opcode":${cdb[0]!},"serviceAction":null,"lba":`),
    summary: Buffer.from(`,"transferUnit":"blocks","summary":${name.slice(0, -1)} LBA `),
  });
}

/** `,"attribute":…,"direction":…` by attribute and direction. */
const attributeDirectionCache = new Map<number, Buffer>();
function attributeDirectionJson(attribute: number, direction: number): Buffer {
  const key = attribute * 65536 + direction;
  let bytes = attributeDirectionCache.get(key);
  if (bytes === undefined) {
    bytes = Buffer.from(`,"attribute":${JSON.stringify(attributeName(attribute))},"direction":${JSON.stringify(directionName(direction))}`);
    if (attributeDirectionCache.size < 4096) attributeDirectionCache.set(key, bytes);
  }
  return bytes;
}

/** `,"serviceResponse":…,"status":…,"statusCode":…` of a completed task, by service response and status. */
const statusJsonCache = new Map<number, Buffer>();
function statusJson(serviceResponse: number, status: number): Buffer {
  const key = serviceResponse * 65536 + status;
  let bytes = statusJsonCache.get(key);
  if (bytes === undefined) {
    bytes = Buffer.from(
      `,"serviceResponse":${JSON.stringify(serviceResponseName(serviceResponse))},"status":${JSON.stringify(taskStatusName(serviceResponse, status))},"statusCode":${JSON.stringify(status)}`,
    );
    if (statusJsonCache.size < 4096) statusJsonCache.set(key, bytes);
  }
  return bytes;
}

/** A JSON value as JSON.stringify writes it: a number, a string or null. */
function putValue(w: Buffer, p: number, v: number | string | null): number {
  if (v === null) return putBytes(w, p, NULL);
  if (typeof v === 'string') return putString(w, p, v);
  return Number.isFinite(v) ? putInt(w, p, v) : putBytes(w, p, NULL);
}

/** A 64-bit value from its halves: a number when exact, else a decimal string (jsonU64). */
function putU64(w: Buffer, p: number, high: number, low: number): number {
  if (high < 0x20_0000) return putInt(w, p, high * 0x1_0000_0000 + low);
  return putString(w, p, ((BigInt(high) << 32n) | BigInt(low)).toString());
}

/** A JSON string: printable ASCII as it is, anything else as JSON.stringify escapes it. */
function putString(w: Buffer, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return putText(w, p, JSON.stringify(s));
  }
  w[p++] = QUOTE;
  p = putAscii(w, p, s);
  w[p++] = QUOTE;
  return p;
}

/** Bytes as a quoted lower-case hex string (toHex). */
function putHexString(w: Buffer, p: number, bytes: Uint8Array): number {
  w[p++] = QUOTE;
  for (let i = 0; i < bytes.length; i++) {
    w[p++] = HEX_DIGITS[bytes[i]! >> 4]!;
    w[p++] = HEX_DIGITS[bytes[i]! & 15]!;
  }
  w[p++] = QUOTE;
  return p;
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
 * Writes one `decode` text line for the task in row r:
 * `<start s.ns, seconds 5 wide> <+latency, 9 wide> <target>:<lun> task <id> tag 0x<tag> <CDB summary> → <status>[ xfer a/b B][ residual n under|over][ <sense>]`.
 * Numbers are written as digits straight into the output buffer; only the rarer parts (CDBs
 * other than plain READ/WRITE, sense, labels) are built as strings first. `notCaptured`: a task
 * that did not complete whose completion a capture gap may hold. Returns a promise when the
 * output buffer was handed on (await it before the next batch).
 */
export function writeTaskText(out: LineOutput, t: TaskBatch, r: number, style: TextStyle, notCaptured = false): Promise<void> | undefined {
  const colors = style.colors;
  const slab = t.slab;
  const cdbAt = t.cdbAt[r]!;
  const cdbLength = t.cdbLength[r]!;
  const plain = isPlainReadWriteAt(slab, cdbAt, cdbLength);
  const summary = plain ? '' : decodeCdb(slab.subarray(cdbAt, cdbAt + cdbLength)).summary; // what cdbSummary gives, without asking isPlainReadWrite again
  const completed = t.kind[r] === RowKind.Complete;
  const senseLength = completed ? t.senseLength[r]! : 0;
  const sense = senseLength ? senseText(slab.subarray(t.senseAt[r], t.senseAt[r]! + senseLength)) : '';
  const labelId = t.labelId[r]!;
  const label = labelId === NONE ? undefined : t.labels[labelId];
  const pending = out.begin(FIXED_BYTES + 3 * (summary.length + sense.length + (label?.length ?? 0)));
  const b = out.buffer;
  const startNs = t.subTimeNs[r]!;
  let p = putTimestamp(b, out.pos, startNs, style.originSeconds);
  b[p++] = SPACE;
  const latencyAt = p;
  b[p++] = PLUS;
  let chars = 2;
  if (completed) {
    p = putDuration(b, p, t.timeNs[r]! - startNs);
    chars = 1 + durationChars;
  } else {
    b[p++] = QUESTION;
  }
  p = padStartAt(b, latencyAt, p, LATENCY_WIDTH, chars);
  b[p++] = SPACE;
  p = label !== undefined ? putText(b, p, label) : putId(b, p, keyOf(t.targetIdHi[r]!, t.targetIdLo[r]!));
  b[p++] = COLON;
  p = putInt(b, p, t.lun[r]!);
  p = putBytes(b, p, TASK_WORD);
  p = putId(b, p, keyOf(t.taskIdHi[r]!, t.taskIdLo[r]!));
  p = putBytes(b, p, TAG_WORD);
  p = putHexU64(b, p, t.tagHi[r]!, t.tagLo[r]!);
  if (plain) {
    p = putBytes(b, p, plainNames[slab[cdbAt]!] ?? plainName(slab.subarray(cdbAt, cdbAt + cdbLength))); // " READ(10) LBA "
    p = putInt(b, p, rangeLba);
    p = putBytes(b, p, LEN_WORD);
    p = putInt(b, p, rangeLen);
  } else {
    b[p++] = SPACE;
    p = putText(b, p, summary);
  }
  if (!completed) {
    p = putBytes(b, p, notCaptured ? (colors ? NOT_CAPTURED_COLOR : NOT_CAPTURED) : colors ? NEVER_COMPLETED_COLOR : NEVER_COMPLETED);
  } else {
    p = putBytes(b, p, statusBytes(t.serviceResponse[r]!, t.status[r]!, colors));
    const moved = t.bytesTransferred[r]!;
    const requested = t.requestedBytes[r]!;
    if (moved !== requested) {
      p = putAscii(b, p, ' xfer ');
      p = putInt(b, p, moved);
      b[p++] = SLASH;
      p = putInt(b, p, requested);
      p = putAscii(b, p, ' B');
    }
    const residualFlags = t.residualFlags[r]!;
    if (residualFlags) {
      p = putAscii(b, p, ' residual ');
      p = putInt(b, p, t.residual[r]!);
      if (residualFlags & 1) p = putAscii(b, p, ' under');
      if (residualFlags & 2) p = putAscii(b, p, ' over');
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
function putHexU64(b: Buffer, p: number, high: number, low: number): number {
  if (high !== 0) {
    p = putHex32(b, p, high);
    for (let i = 7; i >= 0; i--) b[p++] = HEX_DIGITS[(low >>> (4 * i)) & 0xf]!;
    return p;
  }
  return putHex32(b, p, low);
}

function putHex32(b: Buffer, p: number, x: number): number {
  const digits = x === 0 ? 1 : (35 - Math.clz32(x)) >> 2;
  for (let i = digits - 1; i >= 0; i--) b[p++] = HEX_DIGITS[(x >>> (4 * i)) & 0xf]!;
  return p;
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

const MICRO = Uint8Array.of(0x20, 0xc2, 0xb5, 0x73); // " µs"
const SPACE = 0x20;
/** The latency column's width: "+999.99 ms" (longer values push the line on). */
const LATENCY_WIDTH = 10;
const PLUS = 0x2b;
const QUESTION = 0x3f;
const COLON = 0x3a;
const SLASH = 0x2f;
const DOT = 0x2e;
const LEN_WORD = new TextEncoder().encode(' len ');

/** Characters (UTF-16 units) putDuration wrote last: its bytes but one for the two-byte µ. */
let durationChars = 0;

/**
 * formatLatency, written as bytes (see durationChars). toFixed rounds the exact value of the
 * double ns/10^k, so a duration exactly halfway between two printed values (where that double's
 * own rounding decides) is left to formatLatency itself.
 */
function putDuration(b: Buffer, p: number, ns: number): number {
  const start = p;
  if (ns >= 0 && ns <= Number.MAX_SAFE_INTEGER && Number.isInteger(ns)) {
    if (ns < 1e3) {
      p = putInt(b, p, ns);
      b[p++] = SPACE;
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
        b[p++] = SPACE;
        b[p++] = 0x6d; // m
        b[p++] = 0x73; // s
        durationChars = p - start;
        return p;
      }
    } else if (ns < 1e20) {
      const r = ns % 1e7;
      if (r !== 5e6) {
        p = putFixed(b, p, (ns - r) / 1e7 + (r > 5e6 ? 1 : 0), 100, 2);
        b[p++] = SPACE;
        b[p++] = 0x73; // s
        durationChars = p - start;
        return p;
      }
    }
  }
  const text = formatLatency(ns);
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
const statusCache: [Array<Uint8Array | undefined>, Array<Uint8Array | undefined>] = [
  new Array<Uint8Array | undefined>(16 * 256).fill(undefined),
  new Array<Uint8Array | undefined>(16 * 256).fill(undefined),
];
function statusBytes(serviceResponse: number, status: number, colors: boolean): Uint8Array {
  const cacheable = serviceResponse < 16 && status < 256;
  const cache = statusCache[colors ? 1 : 0];
  const key = serviceResponse * 256 + status;
  let bytes = cacheable ? cache[key] : undefined;
  if (bytes === undefined) {
    const name = taskStatusName(serviceResponse, status);
    const good = isGoodStatus(serviceResponse, status);
    bytes = encoder.encode(colors ? `${ARROW}\x1b[${good ? 32 : 31}m${name}\x1b[39m` : `${ARROW}${name}`);
    if (cacheable) cache[key] = bytes;
  }
  return bytes;
}

/**
 * The lines `decode --segments` prints under the task in row r: the buffer the framework handed
 * the driver (DriverKit's fBufferIOVMAddr range) and the SGL the driver programmed, one segment
 * a line (the segments must have been kept: see PairerOptions.keepSegments).
 */
export function segmentLines(t: TaskBatch, r: number): string[] {
  const json = taskJsonAt(t, r, { segments: true });
  const buffer = json.buffer;
  const lines = [`${DETAIL_INDENT}${buffer ? `buffer 0x${BigInt(buffer.address).toString(16)} len ${buffer.length}` : 'buffer not recorded'}`];
  if (!rowSglRecorded(t, r)) {
    lines.push(`${DETAIL_INDENT}SGL not recorded`);
    return lines;
  }
  const sgl = json.sgl ?? [];
  const n = sgl.length;
  const total = sgl.reduce((sum, [, length]) => sum + length, 0);
  lines.push(`${DETAIL_INDENT}SGL ${n} segment${n === 1 ? '' : 's'}, ${total} bytes`);
  sgl.forEach(([address, length], i) => lines.push(`${DETAIL_INDENT}  [${i}] 0x${BigInt(address).toString(16)} len ${length}`));
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
