/**
 * iSCSI connections over TCP (RFC 7143): which flows carry iSCSI, PDUs to normalized events.
 * Tasks are matched by ITT within a connection; taskId = connection index << 32 | ITT, so
 * ITTs reused on other connections stay distinct.
 */
import {
  DataDirection,
  DeliveryStatus,
  GapAffects,
  GapUnit,
  HbaEventKind,
  HbaEventPhase,
  ResidualFlag,
  ServiceResponse,
  TaskAttribute,
  type CaptureGap,
  type TraceEvent,
} from '../../model/events.js';
import { decodeLun } from '../../model/lun.js';
import { EMPTY_SEGMENTS } from '../../model/segments.js';
import type { ReadStats } from '../../model/stats.js';
import { cdbLength } from '../../scsi/names.js';
import { TcpFlag, endpointText, type Endpoint, type TcpSegment } from '../pcap/link.js';
import { u32be } from '../../model/byte-order.js';
import { BHS_LENGTH, DEFAULT_MAX_RECV_DATA_SEGMENT, Op, PduFramer, type Pdu, type PduHandler } from './pdu.js';
import { TcpHalfStream, type PacketRef, type StreamConsumer, type StreamHole } from './tcp.js';

export const ISCSI_DEFAULT_PORT = 3260;

/** iSCSI ATTR (RFC 7143 11.3.1) to SAM task attribute; untagged is treated as SIMPLE. */
const ATTRIBUTES: readonly TaskAttribute[] = [TaskAttribute.Simple, TaskAttribute.Simple, TaskAttribute.Ordered, TaskAttribute.HeadOfQueue, TaskAttribute.ACA];

/** RFC 7143 11.5.1 task management function codes, with the HBA event kind each maps to. */
const TMF: Record<number, { name: string; kind: HbaEventKind }> = {
  1: { name: 'ABORT TASK', kind: HbaEventKind.TaskAbort },
  2: { name: 'ABORT TASK SET', kind: HbaEventKind.TaskAbort },
  3: { name: 'CLEAR ACA', kind: HbaEventKind.HardwareCommand },
  4: { name: 'CLEAR TASK SET', kind: HbaEventKind.TaskAbort },
  5: { name: 'LOGICAL UNIT RESET', kind: HbaEventKind.LogicalUnitReset },
  6: { name: 'TARGET WARM RESET', kind: HbaEventKind.TargetReset },
  7: { name: 'TARGET COLD RESET', kind: HbaEventKind.TargetReset },
  8: { name: 'TASK REASSIGN', kind: HbaEventKind.HardwareCommand },
};

/** RFC 7143 11.6.1 task management response codes. */
const TMF_RESPONSES: Record<number, string> = {
  0: 'function complete',
  1: 'task does not exist',
  2: 'LUN does not exist',
  3: 'task still allegiant',
  4: 'task allegiance reassignment not supported',
  5: 'task management function not supported',
  6: 'function authorization failed',
  255: 'function rejected',
};

/** Bytes scanned on a flow of unknown content before deciding it is not iSCSI. */
const PROBE_BYTES = 64 * 1024;

interface TaskState {
  taskId: bigint;
  lun: number;
  /** Data-In/Data-Out (and immediate data) bytes seen for the task. */
  dataBytes: number;
  /** Expected Data Transfer Length of the command. */
  expected: number;
}

interface PendingTmf {
  timeNs: number;
  kind: HbaEventKind;
  taskId?: bigint;
  lun: number;
  name: string;
}

export interface IscsiOptions {
  /** Only flows to or from this port are iSCSI; otherwise 3260 plus content detection. */
  port?: number;
}

type Emit = (e: TraceEvent) => void;

class Half implements StreamConsumer, PduHandler {
  readonly tcp: TcpHalfStream;
  readonly framer: PduFramer;
  sawSyn = false;
  finSeen = false;
  /** Whether this direction runs initiator → target; undefined until a PDU or the port tells. */
  toTarget: boolean | undefined;
  /** Login PDUs seen from this direction; its last one (T bit, FFP next) seen; a gap before that. */
  loginSeen = false;
  loginEnded = false;
  loginLost = false;

  constructor(
    readonly conn: Connection,
    readonly srcKey: Endpoint,
    readonly dstKey: Endpoint,
  ) {
    this.tcp = new TcpHalfStream(this);
    // Each direction switches digests on at its own end of login (RFC 7143 6.2), so each has
    // its own settings.
    this.framer = new PduFramer(this, { header: false, data: false }, false);
  }

  get src(): string {
    return endpointText(this.srcKey);
  }
  get dst(): string {
    return endpointText(this.dstKey);
  }

  bytes(data: Uint8Array, at: PacketRef): void {
    this.framer.bytes(data, at);
  }
  gap(hole: StreamHole): void {
    // What this side declared at login may be in the bytes lost.
    if (!this.loginEnded) this.loginLost = true;
    this.conn.gapSeen(this, hole);
    this.framer.gap(hole.length, hole.after);
  }
  pdu(pdu: Pdu, at: PacketRef): void {
    this.conn.pdu(this, pdu, at);
  }
  lost(skipped: number, at: PacketRef, why: string): void {
    this.conn.lost(this, skipped, at, why);
  }
}

class Connection {
  readonly halves = new Map<Endpoint, Half>();
  /** Assigned when the first PDU shows this is iSCSI. */
  index = -1;
  targetId = 0n;
  private readonly tasks = new Map<number, TaskState>();
  private readonly tmfs = new Map<number, PendingTmf>();
  /**
   * Responses (and status-bearing Data-In) whose command has not been read yet, by ITT. When the
   * initiator's stream had to be searched again after damage, its commands are read after the
   * target's answers to them; an answer later in time than its command still completes it.
   */
  private readonly early = new Map<number, { at: PacketRef; finish: (t: TaskState) => void }>();
  /** Login response keys seen so far (only the two digest keys are kept). */
  private headerDigestKey = '';
  private dataDigestKey = '';
  /** MaxRecvDataSegmentLength each side declared at login (RFC 7143 13.12). */
  private initiatorMaxRecv: number | undefined;
  private targetMaxRecv: number | undefined;
  /** Capture gaps seen before the flow proved to be iSCSI, reported once it does (bounded). */
  private earlyGaps: { half: Half; hole: StreamHole }[] = [];
  probing: boolean;
  abandoned = false;

  constructor(
    readonly demux: IscsiDemux,
    readonly label: string,
    probing: boolean,
  ) {
    this.probing = probing;
  }

  half(src: Endpoint, dst: Endpoint): Half {
    let h = this.halves.get(src);
    if (!h) {
      h = new Half(this, src, dst);
      this.halves.set(src, h);
    }
    return h;
  }

  private confirm(): void {
    if (this.index >= 0) return;
    this.index = this.demux.allocateIndex();
    this.demux.connectionCount++;
    this.probing = false;
    const early = this.earlyGaps;
    this.earlyGaps = [];
    for (const g of early) this.gapSeen(g.half, g.hole);
  }

  /** Which way a half runs: known from its PDUs' opcodes, else from the iSCSI port. */
  private direction(half: Half): boolean | undefined {
    if (half.toTarget !== undefined) return half.toTarget;
    const port = this.demux.iscsiPort;
    const srcPort = portOf(half.srcKey);
    const dstPort = portOf(half.dstKey);
    if (dstPort === port && srcPort !== port) return true;
    if (srcPort === port && dstPort !== port) return false;
    return undefined;
  }

  /**
   * A hole in one direction's TCP stream becomes a CaptureGap: what travels that way (commands
   * and Data-Out, or responses and Data-In) may be missing around it.
   */
  gapSeen(half: Half, hole: StreamHole): void {
    if (this.index < 0) {
      if (this.earlyGaps.length < 64) this.earlyGaps.push({ half, hole });
      return;
    }
    const toTarget = this.direction(half);
    const target = toTarget === undefined ? undefined : toTarget ? half.dstKey : half.srcKey;
    const first = hole.seq >>> 0;
    const last = (hole.seq + hole.length - 1) >>> 0;
    const gap: CaptureGap = {
      kind: 'gap',
      offset: hole.after.offset,
      index: hole.after.index,
      timeNs: hole.before?.timeNs ?? hole.after.timeNs,
      endNs: hole.after.timeNs,
      lost: hole.length,
      unit: GapUnit.Bytes,
      affects: toTarget === undefined ? GapAffects.All : toTarget ? GapAffects.Submissions : GapAffects.Completions,
      detail: `iSCSI connection ${this.index} ${half.src} → ${half.dst}: TCP sequence ${first}..${last} (${hole.length} bytes) ${hole.why}`,
    };
    if (target !== undefined) gap.targetId = this.demux.targetIndex(target);
    this.demux.emit(gap);
  }

  /** The capture is over, or the connection closed: what each direction still holds ends here. */
  end(at: PacketRef): void {
    for (const h of this.halves.values()) h.tcp.flush(at);
    for (const h of this.halves.values()) h.framer.end(at, h.finSeen);
    for (const [itt, answer] of this.early) this.demux.orphanResponse(answer.at, this.label, itt);
    this.early.clear();
  }

  private holdEarly(itt: number, at: PacketRef, finish: (t: TaskState) => void): void {
    if (this.early.size >= 1024) {
      const [oldest, answer] = this.early.entries().next().value!;
      this.early.delete(oldest);
      this.demux.orphanResponse(answer.at, this.label, oldest);
    }
    this.early.set(itt, { at, finish });
  }

  /**
   * The framer skipped bytes to find a PDU. With a reason, the stream itself was bad (a
   * diagnostic); without, it is the known consequence of joining mid-stream or of a gap
   * already reported (a note).
   */
  lost(half: Half, skipped: number, at: PacketRef, why: string): void {
    if (why) {
      this.demux.diagnostic(at, `iSCSI connection ${this.index < 0 ? '(unconfirmed)' : this.index} ${half.src} → ${half.dst}: ${why}`, skipped);
      return;
    }
    const start = half.framer.pdus === 0 && !half.sawSyn;
    this.demux.note(
      at,
      `iSCSI ${half.src} → ${half.dst}: ${start ? 'capture starts inside the stream' : 'after missing bytes'}; skipped ${skipped} bytes to the next PDU`,
    );
  }

  /** Segment for this connection; returns false when the flow turned out not to be iSCSI. */
  segment(seg: TcpSegment, at: PacketRef): boolean {
    const h = this.half(seg.src, seg.dst);
    if (seg.flags & TcpFlag.SYN) {
      h.sawSyn = true;
      h.tcp.syn(seg.seq);
      // From a SYN we know exactly where the first PDU starts.
      h.framer.streamStart();
    }
    if (seg.payloadLength > 0) h.tcp.segment(seg.flags & TcpFlag.SYN ? (seg.seq + 1) >>> 0 : seg.seq, seg.payload, seg.payloadLength, at);
    if (this.probing && this.index < 0 && h.framer.pendingSkipped() + h.tcp.delivered > PROBE_BYTES && h.framer.pdus === 0) {
      this.abandoned = true;
      return false;
    }
    if (seg.flags & TcpFlag.FIN) {
      h.finSeen = true;
      h.tcp.fin((seg.seq + seg.payloadLength) >>> 0);
    }
    if (seg.flags & TcpFlag.ACK) this.halves.get(seg.dst)?.tcp.acked(seg.ack, at);
    return true;
  }

  flush(at: PacketRef): void {
    this.end(at);
  }

  pdu(half: Half, pdu: Pdu, at: PacketRef): void {
    const h = pdu.header;
    const op = h[0]! & 0x3f;
    if (half.toTarget === undefined) {
      // RFC 7143 11.1.1: initiator opcodes are below 0x20, target opcodes 0x20 and up.
      half.toTarget = op < 0x20;
      const other = this.halves.get(half.dstKey);
      if (other && other.toTarget === undefined) other.toTarget = !half.toTarget;
    }
    this.confirm();
    const itt = u32be(h, 16);
    const d = this.demux;
    switch (op) {
      case Op.ScsiCommand: {
        if (this.targetId === 0n && this.tasks.size === 0) this.targetId = d.targetIndex(half.dstKey);
        const flags = h[1]!;
        const read = (flags & 0x40) !== 0;
        const write = (flags & 0x20) !== 0;
        const cdb = commandCdb(h);
        const taskId = (BigInt(this.index) << 32n) | BigInt(itt);
        const lun = decodeLun(h, 8);
        this.tasks.set(itt, { taskId, lun, dataBytes: pdu.dataLength, expected: u32be(h, 20) });
        d.emit({
          kind: 'submit',
          ...at,
          taskId,
          targetId: this.targetId,
          lun,
          tag: BigInt(itt),
          attribute: ATTRIBUTES[flags & 0x07] ?? TaskAttribute.Simple,
          direction: read && write ? DataDirection.Bidirectional : read ? DataDirection.FromDevice : write ? DataDirection.ToDevice : DataDirection.None,
          requestedBytes: u32be(h, 20),
          timeoutMs: 0,
          cdb,
          segments: EMPTY_SEGMENTS,
        });
        const answer = this.early.get(itt);
        if (answer) {
          this.early.delete(itt);
          if (answer.at.timeNs >= at.timeNs) answer.finish(this.tasks.get(itt)!);
          else d.orphanResponse(answer.at, this.label, itt);
        }
        return;
      }
      case Op.DataOut: {
        const t = this.tasks.get(itt);
        if (t) t.dataBytes += pdu.dataLength;
        return;
      }
      case Op.DataIn: {
        const t = this.tasks.get(itt);
        const flags = h[1]!;
        if (t) t.dataBytes += pdu.dataLength;
        if (flags & 0x01) {
          // S bit: status carried in the final Data-In (RFC 7143 11.7.4).
          const status = h[3]!;
          const residual = u32be(h, 44);
          const finish = (task: TaskState) => this.complete(task, itt, at, ServiceResponse.TaskComplete, status, flags, residual, EMPTY);
          if (t) finish(t);
          else this.holdEarly(itt, at, finish);
        }
        return;
      }
      case Op.ScsiResponse: {
        const t = this.tasks.get(itt);
        const response = h[2]!;
        const status = h[3]!;
        const flags = h[1]!;
        const residual = u32be(h, 44);
        // Data segment: SenseLength (2 bytes) then sense data (RFC 7143 11.4.7.2).
        let sense = EMPTY;
        if (pdu.data.length >= 2) {
          const senseLength = (pdu.data[0]! << 8) | pdu.data[1]!;
          sense = pdu.data.slice(2, 2 + Math.min(senseLength, 255, pdu.data.length - 2));
        }
        const finish = (task: TaskState) => {
          if (response === 0) this.complete(task, itt, at, ServiceResponse.TaskComplete, status, flags, residual, sense);
          else this.complete(task, itt, at, ServiceResponse.ServiceDeliveryOrTargetFailure, DeliveryStatus.DeliveryFailure, flags, residual, sense);
        };
        if (t) finish(t);
        else this.holdEarly(itt, at, finish);
        return;
      }
      case Op.TaskMgmtRequest: {
        const fn = h[1]! & 0x7f;
        const info = TMF[fn] ?? { name: `function ${fn}`, kind: HbaEventKind.HardwareCommand };
        const lun = decodeLun(h, 8);
        const rtt = u32be(h, 20);
        const referenced = fn === 1 || fn === 8 ? (this.tasks.get(rtt)?.taskId ?? (BigInt(this.index) << 32n) | BigInt(rtt)) : undefined;
        if (this.targetId === 0n && this.tasks.size === 0) this.targetId = d.targetIndex(half.dstKey);
        const pending: PendingTmf = { timeNs: at.timeNs, kind: info.kind, lun, name: info.name };
        if (referenced !== undefined) pending.taskId = referenced;
        if (this.tmfs.size < 4096) this.tmfs.set(itt, pending);
        d.emit({
          kind: 'hba',
          ...at,
          hbaKind: info.kind,
          phase: HbaEventPhase.Issued,
          ...(referenced !== undefined ? { taskId: referenced } : {}),
          status: 0,
          durationNs: 0,
          arg0: this.targetId,
          arg1: BigInt(lun),
          detail: `iSCSI ${info.name} LUN ${lun} (ITT 0x${itt.toString(16)}${referenced !== undefined ? `, referenced task 0x${rtt.toString(16)}` : ''})`,
        });
        return;
      }
      case Op.TaskMgmtResponse: {
        const p = this.tmfs.get(itt);
        if (!p) return;
        this.tmfs.delete(itt);
        const response = h[2]!;
        d.emit({
          kind: 'hba',
          ...at,
          hbaKind: p.kind,
          phase: HbaEventPhase.Completed,
          ...(p.taskId !== undefined ? { taskId: p.taskId } : {}),
          status: response,
          durationNs: at.timeNs - p.timeNs,
          arg0: this.targetId,
          arg1: BigInt(p.lun),
          detail: `iSCSI ${p.name} LUN ${p.lun}: ${TMF_RESPONSES[response] ?? `response ${response}`}`,
        });
        return;
      }
      case Op.LoginRequest:
      case Op.LoginResponse: {
        const flags = h[1]!;
        this.readLoginKeys(pdu.data, op === Op.LoginResponse);
        if (op === Op.LoginResponse) {
          const statusClass = h[36]!;
          if (statusClass !== 0) {
            d.note(at, `iSCSI login on ${this.label} failed: status class ${statusClass}, detail ${h[37]}`);
            return;
          }
        }
        // Login PDUs carry no digests (RFC 7143 6.2).
        half.framer.digestsKnown = true;
        half.loginSeen = true;
        if (flags & 0x80 && (flags & 0x03) === 3) {
          // This direction's last login PDU (T bit, next stage Full Feature Phase): the digests
          // the target accepted apply from its next PDU (RFC 7143 6.2, 13.1). Resolved then, so
          // a request captured after its response still finds the answer.
          half.loginEnded = true;
          half.framer.beforeNextHeader = () => {
            const other = this.halves.get(half.dstKey);
            // Only what the capture has whole is known: keys in a lost login PDU are not.
            const whole = (side: Half | undefined) => side !== undefined && side.loginEnded && !side.loginLost;
            const targetSide = op === Op.LoginRequest ? other : half;
            half.framer.digestsKnown = whole(targetSide);
            if (whole(targetSide)) {
              half.framer.digests.header = /^crc32c$/i.test(this.headerDigestKey);
              half.framer.digests.data = /^crc32c$/i.test(this.dataDigestKey);
            } else half.framer.searchFromHere();
            // What this direction may send from now on: the other side's declared
            // MaxRecvDataSegmentLength, or the default when it declared none (RFC 7143 13.12).
            const declared = op === Op.LoginRequest ? this.targetMaxRecv : this.initiatorMaxRecv;
            half.framer.maxDataSegment = whole(other) ? (declared ?? DEFAULT_MAX_RECV_DATA_SEGMENT) : undefined;
          };
        }
        return;
      }
      case Op.Reject: {
        const reason = h[2]!;
        const rejected = pdu.data.length >= BHS_LENGTH ? pdu.data : undefined;
        const rejectedOp = rejected ? rejected[0]! & 0x3f : -1;
        d.note(at, `iSCSI Reject on ${this.label}: reason 0x${reason.toString(16)}${rejected ? ` for a PDU with opcode 0x${rejectedOp.toString(16)}` : ''}`);
        if (rejected && rejectedOp === Op.ScsiCommand) {
          const ritt = u32be(rejected, 16);
          const t = this.tasks.get(ritt);
          if (t) this.complete(t, ritt, at, ServiceResponse.ServiceDeliveryOrTargetFailure, DeliveryStatus.DeliveryFailure, 0, 0, EMPTY);
        }
        return;
      }
      default:
        return;
    }
  }

  private complete(
    t: TaskState,
    itt: number,
    at: PacketRef,
    serviceResponse: number,
    status: number,
    flags: number,
    residual: number,
    sense: Uint8Array,
  ): void {
    this.tasks.delete(itt);
    const residualFlags = (flags & 0x02 ? ResidualFlag.Underflow : 0) | (flags & 0x04 ? ResidualFlag.Overflow : 0);
    // The target's own account (RFC 7143 11.4.5.1): Expected Data Transfer Length less an
    // underflow residual. Counting Data-In/Data-Out PDUs instead would depend on capture order
    // (a Data-Out captured after its response) and on the capture keeping every segment.
    const bytesTransferred = serviceResponse === ServiceResponse.TaskComplete ? (flags & 0x02 ? Math.max(0, t.expected - residual) : t.expected) : t.dataBytes;
    this.demux.emit({
      kind: 'complete',
      ...at,
      taskId: t.taskId,
      serviceResponse,
      status,
      bytesTransferred,
      residual: residualFlags ? residual : 0,
      residualFlags,
      sense,
    });
  }

  /** Login keys (RFC 7143 6.2, 13): the digests the target chose, and what each side can receive. */
  private readLoginKeys(data: Uint8Array, fromTarget: boolean): void {
    if (data.length === 0) return;
    const text = new TextDecoder('latin1').decode(data);
    for (const pair of text.split('\0')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const key = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (key === 'HeaderDigest' && fromTarget) this.headerDigestKey = value;
      else if (key === 'DataDigest' && fromTarget) this.dataDigestKey = value;
      else if (key === 'MaxRecvDataSegmentLength' && /^\d{1,8}$/.test(value)) {
        // 13.12: 512 to 2^24 - 1; a value outside is not a bound we can use.
        const n = Number(value);
        if (n >= 512 && n <= 0xffffff) {
          if (fromTarget) this.targetMaxRecv = n;
          else this.initiatorMaxRecv = n;
        }
      }
    }
  }
}

const EMPTY = new Uint8Array(0);

/** The TCP port of an endpoint key (see Endpoint). */
function portOf(e: Endpoint): number {
  if (typeof e === 'number') return e % 65536;
  return Number(e.slice(e.lastIndexOf(':') + 1));
}

/** The CDB of a SCSI Command PDU: 16 BHS bytes plus an Extended CDB AHS, cut to its length. */
export function commandCdb(h: Uint8Array): Uint8Array {
  let full = h.subarray(32, 48);
  // AHS entries (RFC 7143 11.2.2): length u16, type u8, then data; type 1 = Extended CDB.
  let o = BHS_LENGTH;
  while (o + 4 <= h.length) {
    const len = (h[o]! << 8) | h[o + 1]!;
    const type = h[o + 2]!;
    if (type === 1 && len >= 1 && o + 3 + len <= h.length) {
      const joined = new Uint8Array(16 + len - 1);
      joined.set(full, 0);
      joined.set(h.subarray(o + 4, o + 3 + len), 16);
      full = joined;
    }
    o += 4 + ((len - 1 + 3) & ~3) + (len > 0 ? 0 : 0);
    if (len === 0) break;
  }
  const n = cdbLength(full[0]!, full);
  return full.slice(0, n !== undefined && n <= full.length ? n : full.length);
}

/** Routes TCP segments to iSCSI connections and collects their events. */
export class IscsiDemux {
  connectionCount = 0;
  /** The port iSCSI is expected on (told, or the IANA one). */
  readonly iscsiPort: number;
  /** Connections by their two endpoints, lower one first. */
  private readonly connections = new Map<Endpoint, Map<Endpoint, Connection>>();
  private connectionsOpen = 0;
  private readonly notIscsi = new Set<string>();
  private readonly targets = new Map<Endpoint, bigint>();
  private orphanCount = 0;

  constructor(
    readonly emit: Emit,
    private readonly stats: ReadStats,
    private readonly options: IscsiOptions,
    /** Gives each connection a number unique within the capture (shared with USB devices). */
    readonly allocateIndex: () => number,
  ) {
    this.iscsiPort = options.port ?? ISCSI_DEFAULT_PORT;
  }

  targetIndex(endpoint: Endpoint): bigint {
    let t = this.targets.get(endpoint);
    if (t === undefined) {
      t = BigInt(this.targets.size);
      if (this.targets.size < 65536) this.targets.set(endpoint, t);
    }
    return t;
  }

  note(at: PacketRef, text: string): void {
    this.emit({ kind: 'note', offset: at.offset, index: at.index, timeNs: at.timeNs, text });
  }

  diagnostic(at: PacketRef, message: string, skipped: number): void {
    this.stats.damagedRegions++;
    this.emit({
      kind: 'diagnostic',
      offset: at.offset,
      index: at.index,
      timeNs: at.timeNs,
      message: `at byte 0x${at.offset.toString(16)} (packet ${at.index + 1}): ${message}`,
      skippedBytes: skipped,
      skippedRecords: 0,
      fatal: false,
    });
  }

  orphanResponse(at: PacketRef, label: string, itt: number): void {
    if (this.orphanCount++ < 1) this.note(at, `iSCSI ${label}: response for ITT 0x${itt.toString(16)} whose command is not in the capture`);
  }

  private lookup(lo: Endpoint, hi: Endpoint): Connection | undefined {
    return this.connections.get(lo)?.get(hi);
  }

  private store(lo: Endpoint, hi: Endpoint, c: Connection | undefined): void {
    let inner = this.connections.get(lo);
    if (c) {
      if (!inner) this.connections.set(lo, (inner = new Map<Endpoint, Connection>()));
      if (!inner.has(hi)) this.connectionsOpen++;
      inner.set(hi, c);
    } else if (inner?.delete(hi)) {
      this.connectionsOpen--;
      if (inner.size === 0) this.connections.delete(lo);
    }
  }

  segment(seg: TcpSegment, at: PacketRef): void {
    const [lo, hi] = seg.src < seg.dst ? [seg.src, seg.dst] : [seg.dst, seg.src];
    let conn = this.lookup(lo, hi);
    const port = this.options.port;
    if (!conn) {
      if (this.notIscsi.size && this.notIscsi.has(`${lo} ${hi}`)) return;
      let probing: boolean;
      if (port !== undefined) {
        if (seg.srcPort !== port && seg.dstPort !== port) return;
        probing = false;
      } else {
        probing = seg.srcPort !== ISCSI_DEFAULT_PORT && seg.dstPort !== ISCSI_DEFAULT_PORT;
      }
      if (seg.payloadLength === 0 && !(seg.flags & TcpFlag.SYN)) return;
      conn = new Connection(this, `${endpointText(seg.src)} ↔ ${endpointText(seg.dst)}`, probing);
      this.store(lo, hi, conn);
    } else if (seg.flags & TcpFlag.SYN && !(seg.flags & TcpFlag.ACK) && conn.halves.get(seg.src)?.tcp.started && conn.halves.get(seg.src)!.tcp.delivered > 0) {
      // A new connection on the same addresses and ports.
      conn.flush(at);
      conn = new Connection(this, conn.label, conn.probing && conn.index < 0);
      this.store(lo, hi, conn);
    }
    if (!conn.segment(seg, at)) {
      this.store(lo, hi, undefined);
      if (this.notIscsi.size < 100_000) this.notIscsi.add(`${lo} ${hi}`);
      return;
    }
    if (seg.flags & TcpFlag.RST) {
      conn.flush(at);
      this.store(lo, hi, undefined);
    } else if (seg.flags & TcpFlag.FIN) {
      let allFin = true;
      for (const h of conn.halves.values()) allFin &&= h.finSeen;
      if (allFin && conn.halves.size === 2) {
        conn.flush(at);
        this.store(lo, hi, undefined);
      }
    }
  }

  /** End of capture: hand on whatever out-of-order data is still held. */
  end(at: PacketRef): void {
    for (const inner of this.connections.values()) for (const c of inner.values()) c.flush(at);
    this.connections.clear();
    this.connectionsOpen = 0;
  }
}
