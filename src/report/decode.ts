import type { TaskRecord } from '../analysis/tasks.js';
import { ServiceResponse } from '../model/events.js';
import { cdbSummary, commandName, quickSense, decodeSense, taskStatusName } from '../scsi/index.js';
import { isPlainReadWrite, rangeLba, rangeLen } from '../scsi/quick.js';
import type { LineOutput } from '../cli/output.js';
import { taskJson } from './task-view.js';
import { formatDuration, formatTimestamp } from './time.js';

/**
 * What a `decode` text line shows of a task, as plain values. Filled from a TaskRecord
 * (taskLineOf), or by a reader's task sink straight from record bytes, so that both paths print
 * through the one writer below.
 */
export interface TaskLine {
  timeNs: number;
  completed: boolean;
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
    timeNs: 0,
    completed: false,
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
  into.timeNs = s.timeNs;
  into.targetLabel = s.targetLabel;
  into.targetId = s.targetId;
  into.lun = s.lun;
  into.tag = s.tag;
  into.cdb = s.cdb;
  into.requestedBytes = s.requestedBytes;
  into.completed = c !== undefined;
  if (c) {
    into.endNs = c.timeNs;
    into.serviceResponse = c.serviceResponse;
    into.status = c.status;
    into.bytesTransferred = c.bytesTransferred;
    into.residual = c.residual;
    into.residualFlags = c.residualFlags;
    into.sense = c.sense;
  }
  return into;
}

export function jsonLine(t: TaskRecord): string {
  return JSON.stringify(taskJson(t));
}

const ARROW = ' \u2192 ';
/** Room for everything on a line except the strings measured separately. */
const FIXED_BYTES = 320;

/**
 * Writes one `decode` text line:
 * `<start s.ns> <+latency, 9 wide> <target>:<lun> #<tag> <CDB summary> → <status>[ xfer a/b B][ residual n under|over][ <sense>]`.
 * Numbers are written as digits straight into the output buffer; only the rarer parts (CDBs
 * other than plain READ/WRITE, sense, labels) are built as strings first. Returns a promise when
 * the output buffer was handed on (await it before the next batch).
 */
export function writeTaskText(out: LineOutput, t: TaskLine, colors: boolean): Promise<void> | undefined {
  const cdb = t.cdb;
  const plain = isPlainReadWrite(cdb);
  const summary = plain ? '' : cdbSummary(cdb);
  const sense = t.completed && t.sense.length ? senseText(t.sense) : '';
  const label = t.targetLabel ?? '';
  const pending = out.begin(FIXED_BYTES + 3 * (summary.length + sense.length + label.length));

  writeTimestamp(out, t.timeNs);
  out.byte(SPACE);
  const latencyAt = out.pos;
  let chars = 2;
  if (t.completed) {
    out.byte(PLUS);
    chars = 1 + writeDuration(out, t.endNs - t.timeNs);
  } else {
    out.ascii('+?');
  }
  out.padStart(latencyAt, 9, chars);
  out.byte(SPACE);
  if (t.targetLabel !== undefined) out.text(label);
  else writeId(out, t.targetId);
  out.byte(COLON);
  out.int(t.lun);
  out.bytes(SPACE_HASH);
  writeId(out, t.tag);
  if (plain) {
    out.bytes(plainName(cdb)); // " READ(10) LBA "
    out.int(rangeLba);
    out.bytes(LEN_WORD);
    out.int(rangeLen);
  } else {
    out.byte(SPACE);
    out.text(summary);
  }
  if (!t.completed) {
    out.bytes(colors ? NEVER_COMPLETED_COLOR : NEVER_COMPLETED);
    out.end();
    return pending;
  }
  out.bytes(statusBytes(t.serviceResponse, t.status, colors));
  if (t.bytesTransferred !== t.requestedBytes) {
    out.ascii(' xfer ');
    out.int(t.bytesTransferred);
    out.byte(SLASH);
    out.int(t.requestedBytes);
    out.ascii(' B');
  }
  if (t.residualFlags) {
    out.ascii(' residual ');
    out.int(t.residual);
    if (t.residualFlags & 1) out.ascii(' under');
    if (t.residualFlags & 2) out.ascii(' over');
  }
  if (sense) {
    out.byte(SPACE);
    out.text(sense);
  }
  out.end();
  return pending;
}

function senseText(sense: Uint8Array): string {
  return quickSense(sense) ? decodeSense(sense).summary : `sense (${sense.length} bytes, unparsable)`;
}

/** Ids print as decimal whether they came as numbers or as bigints. */
function writeId(out: LineOutput, v: number | bigint): void {
  if (typeof v === 'number') out.int(v);
  else if (v <= 0xffff_ffffn) out.int(Number(v));
  else out.ascii(v.toString());
}

/** formatTimestamp, written as bytes. */
function writeTimestamp(out: LineOutput, ns: number): void {
  if (!(ns >= 0 && ns <= Number.MAX_SAFE_INTEGER && Number.isInteger(ns))) {
    out.ascii(formatTimestamp(ns));
    return;
  }
  const s = Math.floor(ns / 1e9);
  out.int(s);
  out.byte(DOT);
  out.zeroPadded(ns - s * 1e9, 9);
}

const MICRO = Uint8Array.of(0xc2, 0xb5, 0x73); // "µs"
const NS_UNIT = Uint8Array.of(0x6e, 0x73);
const MS_UNIT = Uint8Array.of(0x6d, 0x73);
const S_UNIT = 0x73;
const SPACE = 0x20;
const PLUS = 0x2b;
const COLON = 0x3a;
const SLASH = 0x2f;
const DOT = 0x2e;
const SPACE_HASH = Uint8Array.of(0x20, 0x23);
const LEN_WORD = new TextEncoder().encode(' len ');

/**
 * formatDuration, written as bytes; returns its length in characters. toFixed rounds the exact
 * value of the double ns/10^k, so a duration exactly halfway between two printed values (where
 * that double's own rounding decides) is left to formatDuration itself.
 */
function writeDuration(out: LineOutput, ns: number): number {
  if (ns >= 0 && ns <= Number.MAX_SAFE_INTEGER && Number.isInteger(ns)) {
    if (ns < 1e3) {
      const at = out.pos;
      out.int(ns);
      out.bytes(NS_UNIT);
      return out.pos - at;
    }
    if (ns < 1e6) {
      const r = ns % 100;
      if (r !== 50) {
        const tenths = (ns - r) / 100 + (r > 50 ? 1 : 0);
        const at = out.pos;
        writeFixed(out, tenths, 10, 1);
        out.bytes(MICRO);
        return out.pos - at - 1;
      }
    } else if (ns < 1e9) {
      const r = ns % 1e4;
      if (r !== 5000) {
        const at = out.pos;
        writeFixed(out, (ns - r) / 1e4 + (r > 5000 ? 1 : 0), 100, 2);
        out.bytes(MS_UNIT);
        return out.pos - at;
      }
    } else if (ns < 1e20) {
      const r = ns % 1e7;
      if (r !== 5e6) {
        const at = out.pos;
        writeFixed(out, (ns - r) / 1e7 + (r > 5e6 ? 1 : 0), 100, 2);
        out.byte(S_UNIT);
        return out.pos - at;
      }
    }
  }
  const text = formatDuration(ns);
  out.text(text);
  return text.length;
}

/** Writes units/scale with `decimals` digits after the point (scale = 10^decimals). */
function writeFixed(out: LineOutput, units: number, scale: number, decimals: number): void {
  const whole = Math.floor(units / scale);
  out.int(whole);
  out.byte(DOT);
  out.zeroPadded(units - whole * scale, decimals);
}

const encoder = new TextEncoder();
const NEVER_COMPLETED = encoder.encode(`${ARROW}NEVER COMPLETED`);
const NEVER_COMPLETED_COLOR = encoder.encode(`${ARROW}\x1b[33mNEVER COMPLETED\x1b[39m`);

/** " <name> LBA " of the plain READ/WRITE opcodes, encoded, by opcode. */
const plainNames: Array<Uint8Array | undefined> = new Array(256).fill(undefined);
function plainName(cdb: Uint8Array): Uint8Array {
  return (plainNames[cdb[0]!] ??= encoder.encode(` ${commandName(cdb)} LBA `));
}

/** " → " and the status word (coloured green when good, red otherwise), encoded, by service response and status. */
const statusCache = [new Map<number, Uint8Array>(), new Map<number, Uint8Array>()] as const;
function statusBytes(serviceResponse: number, status: number, colors: boolean): Uint8Array {
  const cache = statusCache[colors ? 1 : 0];
  const key = serviceResponse * 0x1_0000 + status;
  let bytes = cache.get(key);
  if (bytes === undefined) {
    const name = taskStatusName(serviceResponse, status);
    const good = serviceResponse === ServiceResponse.TaskComplete && (status === 0 || status === 0x04);
    bytes = encoder.encode(colors ? `${ARROW}\x1b[${good ? 32 : 31}m${name}\x1b[39m` : `${ARROW}${name}`);
    cache.set(key, bytes);
  }
  return bytes;
}
