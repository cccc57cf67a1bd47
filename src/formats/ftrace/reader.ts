import {
  DataDirection,
  DeliveryStatus,
  HbaEventKind,
  HbaEventPhase,
  SamStatus,
  ServiceResponse,
  TaskAttribute,
  type Diagnostic,
  type TaskCompleted,
  type TraceEvent,
  GapAffects,
  GapUnit,
} from '../../model/events.js';
import { describeOffset } from '../../model/errors.js';
import { EMPTY_SEGMENTS } from '../../model/segments.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import { decodeCdb } from '../../scsi/cdb/decode.js';
import { decodeChunks, decodeWhole, LineDecoder } from './lines.js';
import { DRIVER_BYTE, HOST_BYTE, QUEUECOMMAND_RETURN } from './names.js';
import { parseScsiTraceLine, type ScsiResult, type ScsiTraceLine } from './parse.js';

/** Events held back until the header can name the kernel's layout. */
const MAX_HELD_EVENTS = 4096;
/** Commands dispatched and not yet done, per device; beyond this the oldest is given up. */
const MAX_PENDING_PER_DEVICE = 4096;

interface At {
  offset: number;
  index: number;
  timeNs: number;
}

interface Pending {
  taskId: bigint;
  /** driver_tag, or -1 when the kernel printed none. */
  tag: number;
  cdbKey: string;
  /** Where scsi_dispatch_cmd_timeout fired for it, if it did. */
  timedOut?: At;
}

interface Device {
  name: string;
  targetId: bigint;
  /** Linux host:channel:id. */
  label: string;
  lun: number;
  pending: Pending[];
}

const DIRECTION: Readonly<Record<string, DataDirection>> = {
  none: DataDirection.None,
  'to-device': DataDirection.ToDevice,
  'from-device': DataDirection.FromDevice,
};

/**
 * Turns SCSI tracepoint lines into the event model. Each scsi_dispatch_cmd_start becomes a
 * submitted task; scsi_dispatch_cmd_done and _error complete the in-flight command on the same
 * host:channel:id:lun with the same CDB bytes and, when the kernel prints tags, the same
 * driver_tag (oldest first when several qualify). _error (queuecommand refused it) completes
 * it as a delivery failure. _timeout is an HBA event (DRIVER_TIMEOUT) on the task: the task
 * then ends with its done line, or, when the error handler takes it back and dispatches it
 * again (or the trace ends), as TASK TIMEOUT at the time of the timeout. scsi_eh_wakeup is a
 * note. Linux results map to DriverKit service responses and statuses (completionOf).
 *
 * What the tracepoints do not say stays empty: data length, segment addresses and timeouts
 * are 0; requested and transferred bytes are 0 (unknown). The target id packs Linux's
 * host, channel and id as host << 32 | channel << 16 | id, so distinct HBAs stay distinct; a
 * note names each device once.
 */
export class FtraceDecoder extends LineDecoder {
  private readonly devices = new Map<string, Device>();
  /** Trace-clock time of the first event, as seconds and nanoseconds. */
  private baseSeconds: number | undefined;
  private baseNanos = 0;
  private firstLine: ScsiTraceLine | undefined;
  /** Events waiting for the header (see line()). */
  private held: TraceEvent[] | undefined;
  private lastTimeNs = 0;
  private nextTaskId = 1n;
  private scsiLines = 0;

  protected override finish(out: TraceEvent[]): void {
    this.settle();
    this.releaseHeader(undefined);
    for (const dev of this.devices.values()) {
      for (const p of dev.pending.filter((x) => x.timedOut)) this.closeTimedOut(dev, p);
    }
    if (this.scsiLines === 0) {
      out.push(this.diag(0, 'no SCSI tracepoint lines (scsi:scsi_dispatch_cmd_*) found; were the scsi events enabled?', 0));
    }
  }

  override overlong(offset: number, bytes: number): void {
    this.settle();
    this.stats.damagedRegions++;
    this.stats.skippedBytes += bytes;
    this.emit(this.diag(offset, `line of ${bytes} bytes is too long for a trace line; skipped`, bytes));
  }

  /**
   * Lines come here one by one. An event line is held until the next line shows whether it
   * continues it: text pasted from mail is hard-wrapped, and a continuation (a line that starts
   * no event) is joined back while that makes a better event (see Held).
   */
  override line(text: string, offset: number): void {
    const kind = lineKind(text);
    if (kind === 'continuation' && this.pending) {
      if (this.pending.extend(text)) return;
    }
    this.settle();
    if (kind === 'blank') return;
    if (kind === 'lost') {
      this.lostEvents(text, offset);
      return;
    }
    if (kind === 'continuation') {
      // Text that continues nothing: only a mangled tracepoint line matters.
      if (NEAR_MISS.test(text)) this.unreadable(text, offset, 'a line that looks like part of a SCSI tracepoint event but starts no event');
      return;
    }
    this.pending = new Held(text, offset);
  }

  private pending: Held | undefined;

  /** The held line is complete: read it. */
  private settle(): void {
    const h = this.pending;
    if (!h) return;
    this.pending = undefined;
    if (h.parsed === undefined) {
      if (NEAR_MISS.test(h.text))
        this.unreadable(h.text, h.offset, 'a line that looks like a SCSI tracepoint event but is not one (mangled event name or timestamp?)');
      return;
    }
    this.event(h.parsed, h.offset, h.text.length);
  }

  private unreadable(text: string, offset: number, what: string): void {
    const index = this.scsiLines++;
    this.stats.skippedRecords++;
    this.stats.skippedBytes += text.length;
    this.stats.damagedRegions++;
    this.emit(this.diag(offset, `${what}; line skipped`, text.length, index, 1));
  }

  /** "CPU:2 [LOST 123 EVENTS]" (tracefs) or "CPU:2 [123 EVENTS DROPPED]" (trace-cmd): the ring buffer overran. */
  private lostEvents(text: string, offset: number): void {
    const m = LOST.exec(text)!;
    const lost = Number(m[2] ?? m[3]);
    this.emit({
      kind: 'gap',
      offset,
      index: this.scsiLines,
      timeNs: this.lastTimeNs,
      endNs: this.lastTimeNs,
      lost: Number.isSafeInteger(lost) ? lost : 0,
      unit: GapUnit.Records,
      affects: GapAffects.All,
      detail: `ftrace ring buffer of CPU ${m[1]} overran: ${m[2] ?? m[3]} events lost`,
    });
  }

  /**
   * SCSI tracepoint events that did not come as text (trace-cmd's binary trace.dat): each
   * goes the way a parsed line goes. `bytes` is the record's size in the input.
   */
  events(records: Iterable<{ event: ScsiTraceLine | string; offset: number; bytes: number }>, out: TraceEvent[] = []): TraceEvent[] {
    this.out = out;
    for (const r of records) this.event(r.event, r.offset, r.bytes, 'record');
    return out;
  }

  /** One SCSI tracepoint event, or why its line or record could not be read. */
  private event(parsed: ScsiTraceLine | string, offset: number, bytes: number, unit = 'line'): void {
    const index = this.scsiLines++;
    if (typeof parsed === 'string') {
      this.stats.skippedRecords++;
      this.stats.skippedBytes += bytes;
      this.stats.damagedRegions++;
      this.emit(this.diag(offset, `${parsed}; ${unit} skipped`, bytes, index, 1));
      return;
    }
    this.stats.records++;
    if (this.baseSeconds === undefined) {
      // The header names the kernel's field layout, which only a done line shows in full
      // (sense=() is on done lines only): events wait for one, a bounded number of them.
      this.baseSeconds = parsed.seconds;
      this.baseNanos = parsed.nanos;
      this.firstLine = parsed;
      this.held = [];
    }
    if (this.held && (parsed.kind === 'done' || parsed.kind === 'timeout' || this.held.length >= MAX_HELD_EVENTS)) {
      this.releaseHeader(parsed.kind === 'done' || parsed.kind === 'timeout' ? parsed : undefined);
    }
    const timeNs = (parsed.seconds - this.baseSeconds) * 1e9 + (parsed.nanos - this.baseNanos);
    this.lastTimeNs = timeNs;
    const at = { offset, index, timeNs };
    if (parsed.kind === 'eh_wakeup') {
      this.emit({ kind: 'note', ...at, text: `scsi_eh_wakeup: error handler woken on host ${parsed.host}` });
      return;
    }
    const dev = this.device(parsed, at);
    const cdbKey = parsed.cdbHex!;
    const tag = parsed.driverTag !== undefined && parsed.driverTag >= 0 ? parsed.driverTag : -1;
    if (parsed.kind === 'start') {
      // The same command dispatched again after it timed out: the error handler took the
      // first attempt back without a completion tracepoint (usb-storage, for one).
      const retried = findPending(dev.pending, tag, cdbKey, true);
      if (retried) this.closeTimedOut(dev, retried);
      const taskId = this.nextTaskId++;
      dev.pending.push({ taskId, tag, cdbKey });
      if (dev.pending.length > MAX_PENDING_PER_DEVICE) dev.pending.shift();
      const cdb = hexToBytes(cdbKey);
      this.emit({
        kind: 'submit',
        ...at,
        taskId,
        targetId: dev.targetId,
        targetLabel: dev.label,
        lun: dev.lun,
        tag: tag >= 0 ? BigInt(tag) : taskId,
        attribute: TaskAttribute.Simple,
        direction: directionOf(cdb),
        requestedBytes: 0,
        timeoutMs: 0,
        cdb,
        segments: EMPTY_SEGMENTS,
      });
      return;
    }
    if (parsed.kind === 'timeout') {
      // The midlayer's timer fired. The command may still complete (virtio-scsi resets the
      // timer) or be taken back by the error handler; which one, later lines tell.
      const p = findPending(dev.pending, tag, cdbKey, false);
      if (!p) {
        this.emit({ kind: 'note', ...at, text: `${describeLine(parsed, dev)} without a traced dispatch (tracing began while it was in flight?)` });
        return;
      }
      p.timedOut ??= at;
      this.emit({
        kind: 'hba',
        ...at,
        hbaKind: HbaEventKind.DriverTimeout,
        phase: HbaEventPhase.Instant,
        taskId: p.taskId,
        status: 0,
        durationNs: 0,
        arg0: 0n,
        arg1: 0n,
        detail: 'scsi_dispatch_cmd_timeout: the SCSI midlayer timer fired',
      });
      return;
    }
    const match = findPending(dev.pending, tag, cdbKey, false);
    if (!match) {
      const result = parsed.result ? ` (${describeResult(parsed.result)})` : '';
      this.emit({ kind: 'note', ...at, text: `${describeLine(parsed, dev)} without a traced dispatch (tracing began while it was in flight?)${result}` });
      return;
    }
    dev.pending.splice(dev.pending.indexOf(match), 1);
    if (parsed.kind === 'error') {
      const rtn = parsed.rtn!;
      this.emit(this.completion(at, match.taskId, ServiceResponse.ServiceDeliveryOrTargetFailure, DeliveryStatus.DeliveryFailure));
      this.emit({
        kind: 'note',
        ...at,
        taskId: match.taskId,
        text: `queuecommand refused the command: rtn=0x${rtn.toString(16)}${QUEUECOMMAND_RETURN[rtn] ? ` (${QUEUECOMMAND_RETURN[rtn]})` : ''}; the midlayer requeues it`,
      });
      return;
    }
    const { serviceResponse, status } = completionOf(parsed.result!);
    const c = this.completion(at, match.taskId, serviceResponse, status);
    const s = parsed.sense;
    if (s && serviceResponse === ServiceResponse.TaskComplete && status === SamStatus.CheckCondition && (s.key | s.asc | s.ascq) !== 0) {
      c.sense = fixedSense(s.key, s.asc, s.ascq);
    }
    this.emit(c);
  }

  private emit(e: TraceEvent): void {
    (this.held ?? this.out).push(e);
  }

  /** Emits the header, then the events held for it. `completion` is a done/timeout line, if one came. */
  private releaseHeader(completion: ScsiTraceLine | undefined): void {
    const held = this.held;
    const first = this.firstLine;
    if (!held || !first || this.baseSeconds === undefined) return;
    this.held = undefined;
    const layout = layoutOf(first, completion);
    this.out.push({
      kind: 'header',
      offset: 0,
      index: -1,
      timeNs: 0,
      format: 'ftrace',
      version: layout.version,
      startWallNs: 0n,
      producer: `Linux SCSI tracepoints (${layout.what}); time 0 is ${this.baseSeconds}.${String(this.baseNanos).padStart(9, '0')} s on the trace clock`,
      // The SCSI midlayer's tracepoints see commands, not the controller's own cache.
      flushEventsRecorded: false,
    });
    for (const e of held) this.out.push(e);
  }

  /**
   * Ends a timed-out command that will get no completion line: TASK TIMEOUT at the time and
   * line of its timeout (so this completion comes after later events in the stream).
   */
  private closeTimedOut(dev: Device, p: Pending): void {
    dev.pending.splice(dev.pending.indexOf(p), 1);
    this.emit(this.completion(p.timedOut!, p.taskId, ServiceResponse.ServiceDeliveryOrTargetFailure, DeliveryStatus.TaskTimeoutOccurred));
  }

  private completion(at: { offset: number; index: number; timeNs: number }, taskId: bigint, serviceResponse: number, status: number): TaskCompleted {
    return { kind: 'complete', ...at, taskId, serviceResponse, status, bytesTransferred: 0, residual: 0, residualFlags: 0, sense: new Uint8Array(0) };
  }

  private device(l: ScsiTraceLine, at: { offset: number; index: number; timeNs: number }): Device {
    const name = `${l.host}:${l.channel}:${l.id}:${l.lun}`;
    let dev = this.devices.get(name);
    if (!dev) {
      const targetId = (BigInt(l.host) << 32n) | (BigInt(l.channel) << 16n) | BigInt(l.id);
      dev = { name, targetId, label: `${l.host}:${l.channel}:${l.id}`, lun: l.lun, pending: [] };
      this.devices.set(name, dev);
      this.emit({
        kind: 'note',
        ...at,
        text: `scsi device ${name} (host ${l.host}, channel ${l.channel}, id ${l.id}, lun ${l.lun}) is target ${targetId} LUN ${l.lun}`,
      });
    }
    return dev;
  }

  private diag(offset: number, what: string, skippedBytes: number, index = this.scsiLines, skippedRecords = 0): Diagnostic {
    return {
      kind: 'diagnostic',
      offset,
      index,
      timeNs: this.lastTimeNs,
      message: `${describeOffset(offset)}: ${what}`,
      skippedBytes,
      skippedRecords,
      fatal: false,
    };
  }
}

/**
 * The oldest pending command with the same CDB and, if both have one, the same tag;
 * `timedOutOnly` restricts the search to commands whose timeout fired.
 */
function findPending(list: Pending[], tag: number, cdbKey: string, timedOutOnly: boolean): Pending | undefined {
  for (const p of list) {
    if (p.cdbKey === cdbKey && (tag < 0 || p.tag < 0 || p.tag === tag) && (!timedOutOnly || p.timedOut)) return p;
  }
  return undefined;
}

/**
 * Linux result → DriverKit service response and status. A host byte other than DID_OK means
 * the command was not delivered or not answered (SERVICE_DELIVERY_OR_TARGET_FAILURE with the
 * nearest DriverKit delivery status); otherwise the SAM status byte is the answer. The driver
 * byte (Linux before 5.14) only matters when it reports a timeout or a hard error.
 */
export function completionOf(r: ScsiResult): { serviceResponse: number; status: number } {
  const failure = (status: number) => ({ serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status });
  switch (r.hostByte) {
    case HOST_BYTE.DID_OK:
      if (r.driverByte === DRIVER_BYTE.DRIVER_TIMEOUT) return failure(DeliveryStatus.TaskTimeoutOccurred);
      if (
        r.status === SamStatus.Good &&
        (r.driverByte === DRIVER_BYTE.DRIVER_ERROR || r.driverByte === DRIVER_BYTE.DRIVER_HARD || r.driverByte === DRIVER_BYTE.DRIVER_INVALID)
      ) {
        return failure(DeliveryStatus.DeliveryFailure);
      }
      return { serviceResponse: ServiceResponse.TaskComplete, status: r.status };
    case HOST_BYTE.DID_TIME_OUT:
      return failure(DeliveryStatus.TaskTimeoutOccurred);
    case HOST_BYTE.DID_NO_CONNECT:
    case HOST_BYTE.DID_BAD_TARGET:
      return failure(DeliveryStatus.DeviceNotPresent);
    case HOST_BYTE.DID_TRANSPORT_DISRUPTED:
    case HOST_BYTE.DID_TRANSPORT_FAILFAST:
      return failure(DeliveryStatus.DeviceNotResponding);
    default:
      return failure(DeliveryStatus.DeliveryFailure);
  }
}

const HOST_NAMES = new Map(Object.entries(HOST_BYTE).map(([k, v]) => [v, k]));

function describeResult(r: ScsiResult): string {
  return `host=${HOST_NAMES.get(r.hostByte) ?? `0x${r.hostByte.toString(16)}`} status=0x${r.status.toString(16).padStart(2, '0')}`;
}

/** SPC-6 4.4.3 fixed-format sense (current error) carrying only what the tracepoint prints. */
export function fixedSense(key: number, asc: number, ascq: number): Uint8Array {
  const s = new Uint8Array(18);
  s[0] = 0x70;
  s[2] = key & 0x0f;
  s[7] = 10; // additional sense length
  s[12] = asc;
  s[13] = ascq;
  return s;
}

/** "scsi_dispatch_cmd_done for 0:0:1:0 READ_10 tag 5", for notes. */
function describeLine(l: ScsiTraceLine, dev: Device): string {
  const event = l.kind === 'done' ? 'scsi_dispatch_cmd_done' : l.kind === 'error' ? 'scsi_dispatch_cmd_error' : 'scsi_dispatch_cmd_timeout';
  const tag = l.driverTag !== undefined && l.driverTag >= 0 ? ` tag ${l.driverTag}` : '';
  return `${event} for ${dev.name} ${l.opcodeName ?? `opcode 0x${l.cdbHex!.slice(0, 2)}`}${tag}`;
}

/** Lowercase hex (already checked) to bytes. */
function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
  return out;
}

function nibble(c: number): number {
  return c <= 57 ? c - 48 : c - 87; // '0'-'9', 'a'-'f'
}

/**
 * READ/WRITE(10/12/16) are most of a trace: their direction follows from the opcode and the
 * TRANSFER LENGTH (0 moves no data, SBC-5 5.16); anything else asks the CDB decoder.
 */
const RW_LENGTH: Readonly<Record<number, readonly [at: number, size: number, direction: DataDirection]>> = {
  0x28: [7, 2, DataDirection.FromDevice],
  0x2a: [7, 2, DataDirection.ToDevice],
  0xa8: [6, 4, DataDirection.FromDevice],
  0xaa: [6, 4, DataDirection.ToDevice],
  0x88: [10, 4, DataDirection.FromDevice],
  0x8a: [10, 4, DataDirection.ToDevice],
};

function directionOf(cdb: Uint8Array): DataDirection {
  const rw = RW_LENGTH[cdb[0]!];
  if (rw && cdb.length >= rw[0] + rw[1]) {
    for (let i = rw[0]; i < rw[0] + rw[1]; i++) if (cdb[i] !== 0) return rw[2];
    return DataDirection.None;
  }
  const d = decodeCdb(cdb).direction;
  return d ? DIRECTION[d]! : DataDirection.None;
}

/**
 * Which kernels print this layout (include/trace/events/scsi.h history), and whether sense
 * data is in the trace: only done/timeout lines of Linux 6.5 and later carry it.
 */
export function layoutOf(first: ScsiTraceLine, completion: ScsiTraceLine | undefined): { version: string; what: string } {
  const tags = first.driverTag !== undefined;
  if (!completion) {
    return tags
      ? { version: 'linux-6.0+', what: 'driver_tag; no completion seen, so whether sense is recorded is unknown' }
      : { version: 'linux-2.6.36-5.19', what: 'no tags, no sense data' };
  }
  if (completion.sense) return { version: 'linux-6.5+', what: 'driver_tag, sense key and ASC/ASCQ' };
  if (tags) return { version: 'linux-6.0-6.4', what: 'driver_tag, no sense data' };
  return { version: 'linux-2.6.36-5.19', what: 'no tags, no sense data' };
}

/** Reads SCSI tracepoint text from a stream of chunks. */
export function readFtrace(chunks: AsyncIterable<Uint8Array>, stats: ReadStats = newReadStats()): AsyncGenerator<TraceEvent[]> {
  return decodeChunks(new FtraceDecoder(stats), chunks);
}

/** Decodes SCSI tracepoint text held in memory (tests, small tools). */
export function decodeFtrace(text: string | Uint8Array, stats: ReadStats = newReadStats()): TraceEvent[] {
  return decodeWhole(new FtraceDecoder(stats), text);
}

/** Tokens only SCSI tracepoint text has: a line with one that reads as no event is damage. */
const NEAR_MISS = /scsi_dispatch|scsi_eh_|host_no=|cmnd=\(|prot_op=|driver_tag=/;
/** Problems that mean the line stopped early, not that it read wrong. */
const INCOMPLETE = /without \w+=|ends inside/;
/** The ring buffer's loss report (kernel/trace/trace.c, trace-cmd). */
const LOST = /^CPU:\s*(\d+)\s*\[(?:LOST (\d+) EVENTS|(\d+) EVENTS DROPPED)\]/;
/** The tracer's "TIMESTAMP:" column, which every event line has (and no continuation). */
const HEAD = /(?:^|\s)\d+(?:\.\d{1,9})?:(?:\s|$)/;
/** Lines a hard-wrapped event is at most re-joined from, and their length. */
const MAX_JOINED_LINES = 16;
const MAX_JOINED_BYTES = 8192;

function lineKind(text: string): 'blank' | 'lost' | 'head' | 'continuation' {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  if (i === text.length || text.charCodeAt(i) === 35) return 'blank'; // '#'
  if (text.startsWith('CPU:', i) && LOST.test(text.slice(i))) return 'lost';
  return HEAD.test(text) ? 'head' : 'continuation';
}

/** How much of an event a parse read: a joined line must read more to be kept. */
function score(p: ScsiTraceLine | string | undefined): number {
  if (p === undefined) return 0;
  // A line that only lacks its end (a field or a closing parenthesis not reached yet) may still
  // be completed by the next; one that read something wrong cannot.
  if (typeof p === 'string') return INCOMPLETE.test(p) ? 2 : 1;
  let n = 10;
  for (const v of [p.cdbHex, p.result, p.sense, p.rtn, p.driverTag, p.dataSgl, p.protSgl, p.protOp, p.opcodeName]) if (v !== undefined) n++;
  return n;
}

/** A line read as an event, or a problem: cut-short text (unclosed parentheses) is a problem. */
function readEvent(text: string): ScsiTraceLine | string | undefined {
  const parsed = parseScsiTraceLine(text);
  if (parsed === undefined) return parsed;
  // Tracepoint text never nests parentheses: a line ending in one closed all it opened.
  if (text.charCodeAt(text.length - 1) === 41) return parsed;
  if (/=\s*$/.test(text)) return 'the line ends inside a field (cut short?)';
  let depth = 0;
  for (let i = text.indexOf(': ') + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth--;
  }
  return depth !== 0 ? 'the line ends inside parentheses (cut short?)' : parsed;
}

/** Whether text ends, or starts, at a whole token of tracepoint output (so a wrap ate a space). */
const WHOLE_END = /(?:^|\s)(?:[\w-]+=\S*[^\s(]|[0-9a-fA-F]{2}|-|[A-Z][A-Z0-9_]*|\S*\))$/;
const WHOLE_START = /^(?:[A-Za-z_]\w*=|[0-9a-fA-F]{2}(?:\)|\s|$)|-(?:\s|$)|\(|[A-Z][A-Z0-9_]*(?:\s|$))/;

/**
 * An event line held until the next line shows whether it continues it. Mail clients wrap at a
 * space and drop it (or keep it at the line's end, format=flowed); `fold` cuts anywhere. Each
 * junction is read both ways when it is ambiguous, and a few readings are kept until later lines
 * tell them apart (a cut inside "driver=D|RIVER_OK" reads as well either way until the closing
 * parenthesis comes). The line is extended only while that reads better.
 */
class Held {
  /** Readings, best first. */
  private readings: { text: string; parsed: ScsiTraceLine | string | undefined; score: number }[];
  private lines = 1;

  constructor(
    text: string,
    readonly offset: number,
  ) {
    const parsed = readEvent(text);
    this.readings = [{ text, parsed, score: score(parsed) }];
  }

  get text(): string {
    return this.readings[0]!.text;
  }

  get parsed(): ScsiTraceLine | string | undefined {
    return this.readings[0]!.parsed;
  }

  /** Joins `next` when it makes a better event (or may, for an event still incomplete). */
  extend(next: string): boolean {
    const first = this.readings[0]!;
    if (this.lines >= MAX_JOINED_LINES || first.text.length + next.length > MAX_JOINED_BYTES) return false;
    const joined: typeof this.readings = [];
    for (const r of this.readings) {
      const left = r.text;
      const texts =
        /\s$/.test(left) || /^\s/.test(next)
          ? [`${left.trimEnd()} ${next.trimStart()}`]
          : WHOLE_END.test(left) && WHOLE_START.test(next)
            ? [`${left} ${next}`, left + next]
            : [left + next, `${left} ${next}`];
      for (const text of texts) {
        const parsed = readEvent(text);
        joined.push({ text, parsed, score: score(parsed) });
      }
    }
    joined.sort((x, y) => y.score - x.score); // stable: preferred readings first among equals
    const best = joined[0]!;
    const complete = first.parsed !== undefined && typeof first.parsed !== 'string';
    // A complete event takes a continuation only if it reads more (sense=() wrapped onto the
    // next line); an incomplete one (a problem, or a timestamp with no event yet) takes it while
    // it is not worse.
    const prefixOnly = first.parsed === undefined && /\d:\s*$/.test(first.text);
    if (complete ? best.score <= first.score : best.score < first.score || (first.parsed === undefined && best.parsed === undefined && !prefixOnly))
      return false;
    this.readings = joined.filter((r) => r.score === best.score).slice(0, MAX_READINGS);
    this.lines++;
    return true;
  }
}

/** Readings of an ambiguous wrapped event kept at once. */
const MAX_READINGS = 4;
