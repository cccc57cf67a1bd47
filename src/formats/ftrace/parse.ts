import { printable } from '../../model/errors.js';
import { MAX_CDB_LENGTH } from '../native/layout.js';
import { DRIVER_BYTE, HOST_BYTE, STATUS_BYTE, parseSymbol } from './names.js';

/**
 * One line of Linux SCSI tracepoint text, parsed. The line may come from
 * /sys/kernel/tracing/trace (or trace_pipe), `trace-cmd report` or `perf script`; all three
 * print "<timestamp>: [scsi:]<event>: <fields>" after a task/pid/cpu prefix that differs.
 *
 * Field layouts by kernel (include/trace/events/scsi.h TP_printk):
 * - 2.6.36..5.13: host_no channel id lun data_sgl prot_sgl prot_op cmnd=(NAME DECODED raw=HEX),
 *   done/timeout add result=(driver=DRIVER_* host=DID_* message=MSG status=SAM_STAT_*).
 * - 5.14..5.19: the same, but driver= and message= are the literals DRIVER_OK / COMMAND_COMPLETE.
 * - 6.0..6.4: driver_tag= and scheduler_tag= after prot_op.
 * - 6.5 on: done/timeout add sense=(key=%#x asc=%#x ascq=%#x).
 * libtraceevent without its scsi plugin prints raw fields instead ("[FAILED TO PARSE]",
 * cmnd=ARRAY[2a, 00, ...], result=<decimal int>); that form is read too.
 */

export type ScsiTraceEventKind = 'start' | 'done' | 'error' | 'timeout' | 'eh_wakeup';

export interface ScsiResult {
  driverByte: number;
  hostByte: number;
  status: number;
}

export interface ScsiTraceLine {
  kind: ScsiTraceEventKind;
  /**
   * The tracer's timestamp (seconds since boot for the default clocks) as whole seconds and
   * nanoseconds, kept apart so that no precision is lost in a double.
   */
  seconds: number;
  nanos: number;
  host: number;
  channel: number;
  id: number;
  lun: number;
  /** blk-mq tags (Linux 6.0 on); -1 when the request had none. */
  driverTag?: number;
  schedulerTag?: number;
  dataSgl?: number;
  protSgl?: number;
  protOp?: string;
  /** The name Linux gives the opcode ("READ_10", or "0xc1" for ones it does not name). */
  opcodeName?: string;
  /** The CDB as lowercase hex without spaces: equal commands have equal text. */
  cdbHex?: string;
  result?: ScsiResult;
  sense?: { key: number; asc: number; ascq: number };
  /** queuecommand()'s return value (scsi_dispatch_cmd_error). */
  rtn?: number;
}

/** The SCSI tracepoints by name (include/trace/events/scsi.h), text and trace.dat alike. */
export const SCSI_TRACE_EVENTS: Readonly<Record<string, ScsiTraceEventKind>> = {
  scsi_dispatch_cmd_start: 'start',
  scsi_dispatch_cmd_done: 'done',
  scsi_dispatch_cmd_error: 'error',
  scsi_dispatch_cmd_timeout: 'timeout',
  scsi_eh_wakeup: 'eh_wakeup',
};

/** "<ts>: [scsi:]scsi_<event>: <fields>"; the timestamp is seconds[.fraction] or a raw counter. */
const EVENT_LINE =
  /(?:^|\s)(\d+)(?:\.(\d{1,9}))?:\s+(?:scsi:)?(scsi_dispatch_cmd_start|scsi_dispatch_cmd_done|scsi_dispatch_cmd_error|scsi_dispatch_cmd_timeout|scsi_eh_wakeup):\s?(.*)$/;

/**
 * Parses one line. Returns undefined for lines that are not SCSI tracepoints (headers, other
 * events), and a message for SCSI tracepoint lines that cannot be read. `fastPath: false`
 * skips the one-expression reading of the usual layout (tests compare the two).
 */
export function parseScsiTraceLine(line: string, fastPath = true): ScsiTraceLine | string | undefined {
  if (!line.includes('scsi_')) return undefined;
  const m = EVENT_LINE.exec(line);
  if (!m) return undefined;
  const [, secs, frac, eventName, body] = m as unknown as [string, string, string | undefined, string, string];
  const kind = SCSI_TRACE_EVENTS[eventName]!;
  const seconds = Number(secs);
  const nanos = frac === undefined ? 0 : Number(frac.padEnd(9, '0'));
  const fast = kind === 'eh_wakeup' || !fastPath ? undefined : parseUsualBody(kind, seconds, nanos, body);
  if (fast !== undefined) return typeof fast === 'string' ? `${eventName}: ${fast}` : fast;
  const fields = splitFields(body);
  const num = (name: string): number | undefined => {
    const v = fields.get(name);
    if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
    return Number(v);
  };
  return scsiTraceLineOf(eventName, seconds, nanos, {
    number: num,
    protOp: () => fields.get('prot_op'),
    cdb: (out) => {
      const cmnd = fields.get('cmnd');
      return cmnd === undefined ? '!no cmnd=' : parseCmnd(cmnd, out);
    },
    result: () => {
      const result = fields.get('result');
      return result === undefined ? undefined : parseResult(result);
    },
    sense: () => {
      const sense = fields.get('sense');
      return sense === undefined ? undefined : parseSense(sense);
    },
  });
}

/**
 * A tracepoint's fields however they were stored: printed in a text line, or binary in a
 * trace.dat record. Names are the kernel's (include/trace/events/scsi.h TP_STRUCT__entry);
 * the text's print format names two of them differently (data_sgl, prot_sgl).
 */
export interface ScsiTraceFields {
  number(name: string): number | undefined;
  protOp(): string | undefined;
  /** The CDB as lowercase hex, or "!problem"; may set out.opcodeName. */
  cdb(out: ScsiTraceLine): string;
  result(): ScsiResult | string | undefined;
  /** sense=(key= asc= ascq=) as the text prints it (6.5 on); raw sense_key/asc/ascq come as numbers. */
  sense(): { key: number; asc: number; ascq: number } | string | undefined;
}

/** One tracepoint's fields → the line they describe, or what is missing or wrong. */
export function scsiTraceLineOf(eventName: string, seconds: number, nanos: number, f: ScsiTraceFields): ScsiTraceLine | string {
  const kind = SCSI_TRACE_EVENTS[eventName]!;
  const num = (name: string) => f.number(name);
  const host = num('host_no');
  if (host === undefined) return `${eventName} without host_no=`;
  if (kind === 'eh_wakeup') return { kind, seconds, nanos, host, channel: 0, id: 0, lun: 0 };
  const channel = num('channel');
  const id = num('id');
  const lun = num('lun');
  if (channel === undefined || id === undefined || lun === undefined) return `${eventName} without channel=, id= or lun=`;
  const out: ScsiTraceLine = { kind, seconds, nanos, host, channel, id, lun };
  const driverTag = num('driver_tag');
  if (driverTag !== undefined) out.driverTag = driverTag;
  const schedulerTag = num('scheduler_tag');
  if (schedulerTag !== undefined) out.schedulerTag = schedulerTag;
  const dataSgl = num('data_sgl') ?? num('data_sglen');
  if (dataSgl !== undefined) out.dataSgl = dataSgl;
  const protSgl = num('prot_sgl') ?? num('prot_sglen');
  if (protSgl !== undefined) out.protSgl = protSgl;
  const protOp = f.protOp();
  if (protOp !== undefined) out.protOp = protOp;

  const cdbHex = f.cdb(out);
  if (cdbHex === '!no cmnd=') return `${eventName} without cmnd=`;
  if (cdbHex.startsWith('!')) return `${eventName}: ${cdbHex.slice(1)}`;
  out.cdbHex = cdbHex;
  const cmdLen = num('cmd_len');
  if (cmdLen !== undefined && cmdLen * 2 !== cdbHex.length) return `${eventName}: cmd_len=${cmdLen} but the CDB has ${cdbHex.length / 2} bytes`;

  if (kind === 'done' || kind === 'timeout') {
    const r = f.result();
    if (r === undefined) return `${eventName} without result=`;
    if (typeof r === 'string') return `${eventName}: ${r}`;
    out.result = r;
    const sense = f.sense();
    if (sense !== undefined) {
      if (typeof sense === 'string') return `${eventName}: ${sense}`;
      out.sense = sense;
    } else {
      // Raw fields (6.5 on): libtraceevent without the scsi plugin prints sense_key=5 asc=36
      // ascq=0; trace.dat stores them as bytes.
      const key = num('sense_key');
      const asc = num('asc');
      const ascq = num('ascq');
      if (key !== undefined && asc !== undefined && ascq !== undefined) out.sense = { key, asc, ascq };
    }
  } else if (kind === 'error') {
    const rtn = num('rtn');
    if (rtn === undefined) return `${eventName} without rtn=`;
    out.rtn = rtn;
  }
  return out;
}

/**
 * Splits "a=1 b=(x y) c=ARRAY[1, 2] d=z" into a map. A value runs to the next space, or to the
 * bracket matching an opening "(" or "[" directly after "=".
 */
export function splitFields(body: string): Map<string, string> {
  const fields = new Map<string, string>();
  let i = 0;
  const n = body.length;
  while (i < n) {
    while (i < n && body.charCodeAt(i) === 32) i++;
    const eq = body.indexOf('=', i);
    if (eq < 0) break;
    const key = body.slice(i, eq);
    if (key.includes(' ')) {
      // Not a key (e.g. "[FAILED TO PARSE]"): skip one word.
      const sp = body.indexOf(' ', i);
      i = sp < 0 ? n : sp + 1;
      continue;
    }
    const j = eq + 1;
    const open = body[j];
    const close = open === '(' ? ')' : open === '[' ? ']' : undefined;
    const arrayOpen = body.startsWith('ARRAY[', j);
    if (close || arrayOpen) {
      const o = arrayOpen ? '[' : open!;
      const c = arrayOpen ? ']' : close!;
      let depth = 0;
      let k = arrayOpen ? j + 5 : j;
      for (; k < n; k++) {
        const ch = body[k];
        if (ch === o) depth++;
        else if (ch === c && --depth === 0) break;
      }
      const start = arrayOpen ? j : j + 1;
      fields.set(key, body.slice(start, k));
      i = k + 1;
    } else {
      const sp = body.indexOf(' ', j);
      const end = sp < 0 ? n : sp;
      fields.set(key, body.slice(j, end));
      i = end;
    }
  }
  return fields;
}

/** "READ_10 lba=2048 txlen=8 protect=0 raw=28 00 ..." or "ARRAY[28, 00, ...]": the CDB hex, or "!problem". */
function parseCmnd(cmnd: string, out: ScsiTraceLine): string {
  if (cmnd.startsWith('ARRAY[')) {
    const inner = cmnd.slice(6, cmnd.endsWith(']') ? -1 : undefined);
    return cdbHexOf(inner.replace(/,/g, ' '));
  }
  const sp = cmnd.indexOf(' ');
  out.opcodeName = sp < 0 ? cmnd : cmnd.slice(0, sp);
  const raw = cmnd.lastIndexOf('raw=');
  if (raw < 0) return '!cmnd=( ) has no raw= CDB bytes';
  return cdbHexOf(cmnd.slice(raw + 4));
}

/**
 * "28 00 00 08" (ftrace prints 16-byte chunks joined by spaces) or "28000008" (a hex string)
 * as lowercase hex without spaces, or "!problem".
 */
export function cdbHexOf(text: string): string {
  const t = text.trim();
  if (t === '') return '!empty CDB';
  // The usual case, checked with one expression: "2a 00 00 ..." as the kernel prints it.
  if (t.length <= MAX_CDB_LENGTH * 3 - 1 && SPACED_HEX.test(t)) return t.replace(/ /g, '').toLowerCase();
  const parts = t.includes(' ') ? t.split(/\s+/) : t.length % 2 === 0 ? (t.match(/../g) as string[]) : [t];
  if (parts.length > MAX_CDB_LENGTH) return `!CDB of ${parts.length} bytes exceeds ${MAX_CDB_LENGTH}`;
  let hex = '';
  for (const p of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return `!"${quote(p)}" in the CDB is not a hex byte`;
    hex += p.length === 1 ? `0${p}` : p;
  }
  return hex.toLowerCase();
}

const SPACED_HEX = /^[0-9a-fA-F]{2}(?: [0-9a-fA-F]{2})*$/;

/** The CDB bytes of printed hex (tests and tools); a message when it is not a CDB. */
export function parseHexBytes(text: string): Uint8Array | string {
  const hex = cdbHexOf(text);
  return hex.startsWith('!') ? hex.slice(1) : Uint8Array.from(Buffer.from(hex, 'hex'));
}

/**
 * The layout every kernel since 2.6.36 prints, read with one expression: most lines of any
 * trace take this path; anything else goes through the general field splitter.
 */
const USUAL_BODY =
  /^host_no=(\d+) channel=(\d+) id=(\d+) lun=(\d+) data_sgl=(\d+) prot_sgl=(\d+) prot_op=(\S+)(?: driver_tag=(-?\d+) scheduler_tag=(-?\d+))? cmnd=\((\S+) [^()]*?raw=([0-9a-f ]+)\)(?: rtn=(-?\d+))?(?: result=\(driver=(\w+) host=(\w+) message=(\w+) status=(\w+)\))?(?: sense=\(key=(\w+) asc=(\w+) ascq=(\w+)\))?\s*$/;

function parseUsualBody(kind: ScsiTraceEventKind, seconds: number, nanos: number, body: string): ScsiTraceLine | string | undefined {
  const m = USUAL_BODY.exec(body);
  if (!m) return undefined;
  const out: ScsiTraceLine = {
    kind,
    seconds,
    nanos,
    host: Number(m[1]),
    channel: Number(m[2]),
    id: Number(m[3]),
    lun: Number(m[4]),
    dataSgl: Number(m[5]),
    protSgl: Number(m[6]),
    protOp: m[7]!,
    opcodeName: m[10]!,
  };
  if (m[8] !== undefined) {
    out.driverTag = Number(m[8]);
    out.schedulerTag = Number(m[9]);
  }
  const cdbHex = cdbHexOf(m[11]!);
  if (cdbHex.startsWith('!')) return cdbHex.slice(1);
  out.cdbHex = cdbHex;
  if (kind === 'error') {
    if (m[12] === undefined) return undefined;
    out.rtn = Number(m[12]);
  } else if (kind === 'done' || kind === 'timeout') {
    if (m[16] === undefined) return undefined;
    const r = resultOf(m[13]!, m[14]!, m[16]);
    if (typeof r === 'string') return r;
    out.result = r;
    if (m[17] !== undefined) {
      const s = senseOf(m[17], m[18], m[19]);
      if (s === undefined) return `cannot read sense=(key=${quote(m[17])} asc=${quote(m[18]!)} ascq=${quote(m[19]!)})`;
      out.sense = s;
    }
  }
  return out;
}

/** "(driver=DRIVER_OK host=DID_OK message=COMMAND_COMPLETE status=SAM_STAT_GOOD)" or a decimal int. */
function parseResult(text: string): ScsiResult | string {
  if (/^-?\d+$/.test(text)) return resultOfInt(Number(text));
  const f = splitFields(text);
  const hostText = f.get('host');
  const statusText = f.get('status');
  if (hostText === undefined || statusText === undefined) return `result=(${quote(text)}) lacks host= or status=`;
  return resultOf(f.get('driver') ?? 'DRIVER_OK', hostText, statusText);
}

/** scsi_cmnd->result as the int the kernel records: driver, host, message and status bytes. */
export function resultOfInt(result: number): ScsiResult {
  const r = result >>> 0;
  return { driverByte: r >>> 24, hostByte: (r >>> 16) & 0xff, status: r & 0xff };
}

function resultOf(driverText: string, hostText: string, statusText: string): ScsiResult | string {
  const hostByte = parseSymbol(HOST_BYTE, hostText);
  const status = parseSymbol(STATUS_BYTE, statusText);
  const driverByte = parseSymbol(DRIVER_BYTE, driverText);
  if (hostByte === undefined) return `unknown host byte "${quote(hostText)}"`;
  if (status === undefined) return `unknown status "${quote(statusText)}"`;
  if (driverByte === undefined) return `unknown driver byte "${quote(driverText)}"`;
  return { driverByte, hostByte, status };
}

/** "(key=0x5 asc=0x24 ascq=0)": %#x prints 0 as "0". */
function parseSense(text: string): { key: number; asc: number; ascq: number } | string {
  const f = splitFields(text);
  return senseOf(f.get('key'), f.get('asc'), f.get('ascq')) ?? `cannot read sense=(${quote(text)})`;
}

function senseOf(key?: string, asc?: string, ascq?: string): { key: number; asc: number; ascq: number } | undefined {
  const v = (s?: string) => (s !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(s) ? Number(s) : undefined);
  const k = v(key);
  const a = v(asc);
  const q = v(ascq);
  return k === undefined || a === undefined || q === undefined ? undefined : { key: k, asc: a, ascq: q };
}

/** A bad value as quoted in a message: at most 40 characters, so a diagnostic stays one short line. */
function quote(v: string): string {
  return printable(v.length <= 40 ? v : `${v.slice(0, 37)}...`);
}
