/**
 * USB mass storage in URB captures (usbmon, USBPcap): Bulk-Only Transport (USB MSC BOT 1.0)
 * and USB Attached SCSI (UAS r4 / T10 UAS-2), turned into normalized task events. Devices are
 * told apart by bus and address; taskId = device index << 32 | tag (UAS) or command number
 * (BOT, whose tags may repeat).
 */
import { u32le } from '../../model/byte-order.js';
import {
  DataDirection,
  DeliveryStatus,
  GapAffects,
  GapUnit,
  HbaEventKind,
  HbaEventPhase,
  ResidualFlag,
  SamStatus,
  ServiceResponse,
  TaskAttribute,
  type TaskCompleted,
  type TraceEvent,
} from '../../model/events.js';
import { captureCutNote, type CaptureCutPart } from '../../model/capture-cut.js';
import { decodeLun } from '../../model/lun.js';
import { EMPTY_SEGMENTS } from '../../model/segments.js';
import { cdbLength } from '../../scsi/names.js';
import { decodeCdb } from '../../scsi/index.js';
import { UsbTransfer, type UrbEvent } from '../pcap/link.js';
import type { PacketRef } from '../iscsi/tcp.js';

/** BOT 5.1 and 5.2: the wrappers' signatures, little-endian "USBC" and "USBS". */
const CBW_SIGNATURE = 0x43425355;
const CSW_SIGNATURE = 0x53425355;
const CBW_LENGTH = 31;
const CSW_LENGTH = 13;

/** UAS IU identifiers (UAS-2 6.2). */
const Iu = { Command: 0x01, Sense: 0x03, Response: 0x04, TaskManagement: 0x05, ReadReady: 0x06, WriteReady: 0x07 } as const;

/** UAS task attribute (UAS-2 6.2.2) to SAM. */
const UAS_ATTRIBUTES: Record<number, TaskAttribute> = { 0: TaskAttribute.Simple, 1: TaskAttribute.HeadOfQueue, 2: TaskAttribute.Ordered, 4: TaskAttribute.ACA };

/** UAS task management functions (UAS-2 6.2.4) with the HBA event kind each maps to. */
const UAS_TMF: Record<number, { name: string; kind: HbaEventKind }> = {
  0x01: { name: 'ABORT TASK', kind: HbaEventKind.TaskAbort },
  0x02: { name: 'ABORT TASK SET', kind: HbaEventKind.TaskAbort },
  0x04: { name: 'CLEAR TASK SET', kind: HbaEventKind.TaskAbort },
  0x08: { name: 'LOGICAL UNIT RESET', kind: HbaEventKind.LogicalUnitReset },
  0x10: { name: 'I_T NEXUS RESET', kind: HbaEventKind.TargetReset },
  0x40: { name: 'CLEAR ACA', kind: HbaEventKind.HardwareCommand },
  0x80: { name: 'QUERY TASK', kind: HbaEventKind.HardwareCommand },
  0x81: { name: 'QUERY TASK SET', kind: HbaEventKind.HardwareCommand },
  0x82: { name: 'QUERY ASYNCHRONOUS EVENT', kind: HbaEventKind.HardwareCommand },
};

const REQUEST_SENSE = 0x03;
/** Most a REQUEST SENSE can return (allocation length is one byte). */
const MAX_SENSE = 252;
const MAX_TASKS_PER_DEVICE = 65536;

interface UsbTask {
  taskId: bigint;
  tag: number;
  opcode: number;
  startNs: number;
  dataBytes: number;
  /** BOT: dCBWDataTransferLength, the most its data phase can move. */
  expected?: number;
  /** BOT: the data phase's direction (bmCBWFlags bit 7). */
  dataIn?: boolean;
  /** Data returned by a REQUEST SENSE, kept to attach to the command that failed before it. */
  senseData?: Uint8Array;
  /** Bytes that REQUEST SENSE returned (the capture may have kept fewer). */
  senseSent?: number;
}

interface Device {
  key: string;
  index: number;
  protocol: 'unknown' | 'bot' | 'uas';
  // BOT: one command at a time.
  bot?: UsbTask;
  /**
   * BOT commands numbered per device: tags need not be unique (SeaBIOS sends every CBW with
   * tag 999), so taskId = device index << 32 | this number, and the tag is kept as the tag.
   */
  botSequence: number;
  /** CBW URBs (urbKey), so their completions are not counted as data. */
  cbwUrbs: Set<string>;
  /** Bytes offered by bulk-out submissions: QEMU's pcap records their completions as 0 bytes. */
  outLengths: Map<string, number>;
  /** A failed BOT command waiting for the REQUEST SENSE that follows it. */
  heldFailure?: TaskCompleted;
  /** A CBW-sized transfer not captured before the device showed its protocol: reported once it is BOT. */
  earlyLostCbw?: { urb: UrbEvent; at: PacketRef };
  /** The mass-storage protocol its configuration descriptor declares, when one was captured. */
  declared?: 'bot' | 'uas';
  // UAS
  tasks: Map<number, UsbTask>;
  tmfs: Map<number, { name: string; kind: HbaEventKind; timeNs: number; taskId?: bigint; lun: number }>;
  statusEndpoint: number;
  commandEndpoint: number;
  commandUrbs: Set<string>;
  /** Data URBs submitted and the task each belongs to. */
  urbTask: Map<string, UsbTask>;
  /**
   * Data URBs submitted before their Command IU. With USB 3 streams, Linux uas submits a
   * command's sense and data URBs first, then the Command IU; usbmon records no stream id, so
   * this order is what ties data to a command.
   */
  pendingData: string[];
  /** Read/Write Ready IUs seen: no streams, data follows the Ready IU of its tag (UAS-2 5.3). */
  usesReady: boolean;
  dataInTag: number;
  dataOutTag: number;
}

/** URB ids are only unique per endpoint in some captures (QEMU reuses them). */
function urbKey(urb: UrbEvent): string {
  return `${urb.endpoint}:${urb.urbId}`;
}

const MAX_TRACKED_URBS = 4096;

function track<K, V>(m: Map<K, V>, k: K, v: V): void {
  if (m.size >= MAX_TRACKED_URBS) m.clear();
  m.set(k, v);
}

/** How long sense says it is (SPC-6 4.4: 8 + ADDITIONAL SENSE LENGTH), when its first 8 bytes tell. */
function declaredSenseLength(s: Uint8Array): number {
  const code = s.length >= 8 ? s[0]! & 0x7f : 0;
  return code >= 0x70 && code <= 0x73 ? 8 + s[7]! : Infinity;
}

/** Fixed- or descriptor-format sense is as long as its header says (SPC-6 4.4). */
function senseLength(s: Uint8Array): number {
  return Math.min(s.length, declaredSenseLength(s));
}

export class UsbMassStorageDecoder {
  private readonly devices = new Map<string, Device>();
  deviceCount = 0;

  constructor(
    private readonly emit: (e: TraceEvent) => void,
    private readonly allocateIndex: () => number,
  ) {}

  private device(urb: UrbEvent): Device {
    const key = `${urb.bus}.${urb.device}`;
    let d = this.devices.get(key);
    if (!d) {
      d = {
        key,
        index: -1,
        protocol: 'unknown',
        botSequence: 0,
        cbwUrbs: new Set(),
        outLengths: new Map(),
        tasks: new Map(),
        tmfs: new Map(),
        statusEndpoint: -1,
        commandEndpoint: -1,
        commandUrbs: new Set(),
        urbTask: new Map(),
        pendingData: [],
        usesReady: false,
        dataInTag: -1,
        dataOutTag: -1,
      };
      if (this.devices.size < 4096) this.devices.set(key, d);
    }
    return d;
  }

  private claim(d: Device, protocol: 'bot' | 'uas'): void {
    if (d.index < 0) {
      d.index = this.allocateIndex();
      this.deviceCount++;
    }
    d.protocol = protocol;
  }

  urb(urb: UrbEvent, at: PacketRef): void {
    if (urb.transfer === UsbTransfer.Control && !urb.submit && urb.data.length >= 9 && urb.data[1] === 2) this.configuration(this.device(urb), urb.data);
    if (urb.transfer !== UsbTransfer.Bulk) return;
    const d = this.device(urb);
    const out = (urb.endpoint & 0x80) === 0;
    if (out && urb.submit) {
      const data = urb.data;
      if (data.length === CBW_LENGTH && u32le(data, 0) === CBW_SIGNATURE && d.protocol !== 'uas') {
        this.cbw(d, urb, at);
        return;
      }
      if (d.protocol === 'bot' && urb.length === CBW_LENGTH && data.length < CBW_LENGTH && this.wrapperDue(d, true)) {
        // A 31-byte transfer where a CBW is due, its bytes not captured: a command the capture
        // lost. Nothing after it can be proved to belong to the command before it.
        this.lostWrapper(d, urb, at, 'CBW', GapAffects.Submissions);
        return;
      }
      if (data.length >= 32 && data[0] === Iu.Command && data[1] === 0 && d.protocol !== 'bot') {
        this.uasCommand(d, urb, at);
        return;
      }
      if (data.length >= 16 && data[0] === Iu.TaskManagement && d.protocol === 'uas') {
        this.uasTaskManagement(d, urb, at);
        return;
      }
    }
    if (d.protocol === 'bot') this.botTransfer(d, urb, out, at);
    else if (d.protocol === 'uas') this.uasTransfer(d, urb, out, at);
    else if (out && urb.submit && urb.length === CBW_LENGTH && urb.data.length < CBW_LENGTH) {
      if (d.declared === 'bot') {
        this.claim(d, 'bot');
        this.lostWrapper(d, urb, at, 'CBW', GapAffects.Submissions);
      } else d.earlyLostCbw ??= { urb, at };
    } else if (urb.submit && d.pendingData.length < 16) {
      // Before a device's first command we cannot tell BOT from UAS; a UAS host submits the
      // first command's data URBs before its Command IU, so remember them.
      d.pendingData.push(urbKey(urb));
      if (out) track(d.outLengths, urbKey(urb), urb.length);
    }
  }

  /** End of capture: a failed command still waiting for its sense completes without it. */
  end(): void {
    for (const d of this.devices.values()) this.releaseHeld(d);
  }

  /**
   * A configuration descriptor (USB 2.0 9.6.3) read back by the host: its mass-storage interface
   * (class 08h, USB MSC overview 3.2) says BOT (protocol 50h) or UAS (62h).
   */
  private configuration(d: Device, c: Uint8Array): void {
    for (let o = 0; o + 9 <= c.length;) {
      const length = c[o]!;
      if (length < 2) return;
      if (c[o + 1] === 4 && c[o + 5] === 0x08) {
        if (c[o + 7] === 0x50) d.declared = 'bot';
        else if (c[o + 7] === 0x62) d.declared = 'uas';
      }
      o += length;
    }
  }

  // ---- BOT ----------------------------------------------------------------------------------

  /** BOT 5.1 Command Block Wrapper. */
  private cbw(d: Device, urb: UrbEvent, at: PacketRef): void {
    this.claim(d, 'bot');
    if (d.earlyLostCbw) {
      const early = d.earlyLostCbw;
      d.earlyLostCbw = undefined;
      this.lostWrapper(d, early.urb, early.at, 'CBW', GapAffects.Submissions);
    }
    const c = urb.data;
    const tag = u32le(c, 4);
    const transferLength = u32le(c, 8);
    const dirIn = (c[12]! & 0x80) !== 0;
    const lun = c[13]! & 0x0f;
    const cbLength = Math.min(Math.max(c[14]! & 0x1f, 1), 16);
    const cdb = c.slice(15, 15 + cbLength);
    if (d.cbwUrbs.size > 64) d.cbwUrbs.clear();
    d.cbwUrbs.add(urbKey(urb));
    // A failed command is followed by REQUEST SENSE only when the host wants its sense.
    if (d.heldFailure && cdb[0] !== REQUEST_SENSE) this.releaseHeld(d);
    const taskId = (BigInt(d.index) << 32n) | BigInt(d.botSequence++ >>> 0);
    d.bot = { taskId, tag, opcode: cdb[0]!, startNs: at.timeNs, dataBytes: 0, expected: transferLength, dataIn: dirIn };
    const direction = transferLength === 0 ? DataDirection.None : dirIn ? DataDirection.FromDevice : DataDirection.ToDevice;
    this.submit(d, d.bot, at, lun, cdb, TaskAttribute.Simple, direction, transferLength);
  }

  private botTransfer(d: Device, urb: UrbEvent, out: boolean, at: PacketRef): void {
    const t = d.bot;
    if (out) {
      this.dataOut(d, urb, t);
      return;
    }
    if (urb.submit) return;
    const data = urb.data;
    if (data.length === CSW_LENGTH && u32le(data, 0) === CSW_SIGNATURE) {
      if (t && u32le(data, 4) === t.tag) this.csw(d, t, data, at);
      else {
        // BOT 6.3: a CSW answers the CBW with its tag, and no other.
        this.emit({
          kind: 'note',
          ...at,
          text: `USB device ${d.key}: CSW with tag 0x${u32le(data, 4).toString(16)} ${t ? `while the CBW with tag 0x${t.tag.toString(16)} is outstanding` : 'with no CBW outstanding'}; not attached to any command`,
        });
      }
      return;
    }
    if (urb.length === CSW_LENGTH && data.length < CSW_LENGTH && this.wrapperDue(d, false)) {
      // The status phase's 13 bytes, not captured: the command's status is unknown.
      this.lostWrapper(d, urb, at, 'CSW', GapAffects.Completions);
      return;
    }
    if (!t) return;
    if (t.opcode === REQUEST_SENSE && !t.senseData && data.length > 0) {
      t.senseData = data.slice(0, MAX_SENSE);
      t.senseSent = urb.length;
    }
    t.dataBytes += urb.length;
  }

  /**
   * BOT 5.3: whether a transfer this way must be a wrapper (a CBW out, a CSW in) rather than
   * data: no command outstanding, its data phase runs the other way, or has moved all it can.
   */
  private wrapperDue(d: Device, out: boolean): boolean {
    const t = d.bot;
    return !t || t.dataBytes >= (t.expected ?? 0) || t.dataIn === out;
  }

  /**
   * A CBW or CSW whose bytes the capture does not have: a capture gap for the device. The
   * outstanding command gets no result (none can be proved to be its), and a failed command
   * waiting for its REQUEST SENSE gets no sense (the next one cannot be proved to follow it).
   */
  private lostWrapper(d: Device, urb: UrbEvent, at: PacketRef, what: 'CBW' | 'CSW', affects: GapAffects): void {
    const t = d.bot;
    d.bot = undefined;
    this.releaseHeld(d);
    const pending = t ? ` (outstanding: CBW tag 0x${t.tag.toString(16)}, opcode 0x${t.opcode.toString(16)})` : '';
    this.emit({
      kind: 'gap',
      ...at,
      endNs: at.timeNs,
      lost: 1,
      unit: GapUnit.Packets,
      affects,
      targetId: BigInt(d.index),
      detail: `USB device ${d.key} endpoint 0x${urb.endpoint.toString(16)}: a ${urb.length}-byte transfer where a ${what} was due, with ${urb.data.length} bytes captured${pending}; no result is attached to a command it cannot be proved to belong to`,
    });
  }

  /** Bulk-out data: counted when it completes without error (the CBW/Command IU is not data). */
  private dataOut(d: Device, urb: UrbEvent, t: UsbTask | undefined): void {
    const k = urbKey(urb);
    if (urb.submit) {
      track(d.outLengths, k, urb.length);
      return;
    }
    const offered = d.outLengths.get(k) ?? 0;
    d.outLengths.delete(k);
    if (d.cbwUrbs.delete(k) || d.commandUrbs.delete(k)) return;
    // usbmon completions carry the actual length; QEMU's pcap writes 0, so fall back to the
    // submitted length (a bulk-out transfer that succeeds moves all of it).
    if (t && urb.status === 0) t.dataBytes += urb.length || offered;
  }

  /** BOT 5.2 Command Status Wrapper: status 0 passed, 1 failed, 2 phase error. */
  private csw(d: Device, t: UsbTask, c: Uint8Array, at: PacketRef): void {
    d.bot = undefined;
    const residue = u32le(c, 8);
    const status = c[12]!;
    const completion: TaskCompleted = {
      kind: 'complete',
      ...at,
      taskId: t.taskId,
      serviceResponse: status === 2 ? ServiceResponse.ServiceDeliveryOrTargetFailure : ServiceResponse.TaskComplete,
      status: status === 0 ? SamStatus.Good : status === 1 ? SamStatus.CheckCondition : DeliveryStatus.DeliveryFailure,
      bytesTransferred: t.dataBytes,
      residual: residue,
      residualFlags: residue > 0 ? ResidualFlag.Underflow : 0,
      sense: EMPTY,
    };
    if (status === 1 && t.opcode !== REQUEST_SENSE) {
      // Hold it: BOT has no autosense, so the sense comes with the REQUEST SENSE the host
      // sends next, and it is the failed command that the sense describes.
      this.releaseHeld(d);
      d.heldFailure = completion;
      return;
    }
    this.emit(completion);
    if (t.opcode === REQUEST_SENSE && d.heldFailure) {
      const held = d.heldFailure;
      d.heldFailure = undefined;
      if (status === 0 && t.senseData) {
        held.sense = t.senseData.slice(0, senseLength(t.senseData));
        const sent = Math.min(t.senseSent!, declaredSenseLength(t.senseData));
        if (held.sense.length < sent) this.truncated(at, held.taskId, 'sense data', held.sense.length, sent);
      } else if (status === 0 && t.dataBytes > 0) {
        // The REQUEST SENSE moved its data, but the capture does not have the bytes.
        this.emit({
          kind: 'gap',
          ...at,
          endNs: at.timeNs,
          lost: 0,
          unit: GapUnit.Packets,
          affects: GapAffects.Completions,
          targetId: BigInt(d.index),
          detail: `USB device ${d.key}: the ${t.dataBytes} bytes of sense data that REQUEST SENSE (CBW tag 0x${t.tag.toString(16)}) returned were not captured; the failed command before it keeps no sense`,
        });
      }
      this.emit(held);
    }
  }

  /** A task submitted to a USB device, its target; USB carries no timeout or DMA segment list. */
  private submit(
    d: Device,
    t: UsbTask,
    at: PacketRef,
    lun: number,
    cdb: Uint8Array,
    attribute: TaskAttribute,
    direction: DataDirection,
    requestedBytes: number,
  ): void {
    this.emit({
      kind: 'submit',
      ...at,
      taskId: t.taskId,
      targetId: BigInt(d.index),
      lun,
      tag: BigInt(t.tag),
      attribute,
      direction,
      requestedBytes,
      timeoutMs: 0,
      cdb,
      segments: EMPTY_SEGMENTS,
    });
  }

  private releaseHeld(d: Device): void {
    if (!d.heldFailure) return;
    this.emit(d.heldFailure);
    d.heldFailure = undefined;
  }

  // ---- UAS ----------------------------------------------------------------------------------

  /** UAS-2 6.2.2 Command IU. */
  private uasCommand(d: Device, urb: UrbEvent, at: PacketRef): void {
    this.claim(d, 'uas');
    const c = urb.data;
    const tag = (c[2]! << 8) | c[3]!;
    const additional = (c[6]! >> 2) * 4;
    const full = c.subarray(16, Math.min(c.length, 32 + additional));
    const n = cdbLength(full[0]!, full);
    const cdb = full.slice(0, n !== undefined && n <= full.length ? n : full.length);
    const lun = decodeLun(c, 8);
    if (d.commandUrbs.size > 1024) d.commandUrbs.clear();
    d.commandUrbs.add(urbKey(urb));
    d.commandEndpoint = urb.endpoint;
    const taskId = (BigInt(d.index) << 32n) | BigInt(tag);
    const task: UsbTask = { taskId, tag, opcode: cdb[0]!, startNs: at.timeNs, dataBytes: 0 };
    if (d.tasks.size < MAX_TASKS_PER_DEVICE) d.tasks.set(tag, task);
    for (const k of d.pendingData) track(d.urbTask, k, task);
    d.pendingData = [];
    // The Command IU carries no direction or length; the CDB tells the direction.
    const dir = decodeCdb(cdb).direction;
    const direction = dir === 'from-device' ? DataDirection.FromDevice : dir === 'to-device' ? DataDirection.ToDevice : DataDirection.None;
    this.submit(d, task, at, lun, cdb, UAS_ATTRIBUTES[c[4]! & 0x07] ?? TaskAttribute.Simple, direction, 0);
    if (full.length < 16 + additional) this.truncated(at, taskId, 'CDB', full.length, 16 + additional);
  }

  /** The capture kept fewer bytes of a URB than it carried (usbmon text keeps 32, a pcap its snap length). */
  private truncated(at: PacketRef, taskId: bigint, part: CaptureCutPart, captured: number, sent: number): void {
    this.emit({ kind: 'note', ...at, taskId, text: captureCutNote(part, captured, sent) });
  }

  /** UAS-2 6.2.3 Task Management IU. */
  private uasTaskManagement(d: Device, urb: UrbEvent, at: PacketRef): void {
    const c = urb.data;
    const tag = (c[2]! << 8) | c[3]!;
    const fn = c[4]!;
    const managed = (c[6]! << 8) | c[7]!;
    const lun = decodeLun(c, 8);
    const info = UAS_TMF[fn] ?? { name: `function 0x${fn.toString(16)}`, kind: HbaEventKind.HardwareCommand };
    const taskId = fn === 0x01 || fn === 0x80 ? d.tasks.get(managed)?.taskId : undefined;
    d.commandUrbs.add(urbKey(urb));
    if (d.tmfs.size < 1024) d.tmfs.set(tag, { name: info.name, kind: info.kind, timeNs: at.timeNs, lun, ...(taskId !== undefined ? { taskId } : {}) });
    this.emit({
      kind: 'hba',
      ...at,
      hbaKind: info.kind,
      phase: HbaEventPhase.Issued,
      ...(taskId !== undefined ? { taskId } : {}),
      status: 0,
      durationNs: 0,
      arg0: BigInt(d.index),
      arg1: BigInt(lun),
      detail: `UAS ${info.name} LUN ${lun} (tag 0x${tag.toString(16)}${fn === 0x01 ? `, task 0x${managed.toString(16)}` : ''})`,
    });
  }

  /** Whether an IN completion is a status-pipe IU for a known tag (UAS-2 6.2.5-6.2.8). */
  private looksLikeIu(d: Device, data: Uint8Array, length: number): boolean {
    if (data.length < 4 || data[1] !== 0) return false;
    const tag = (data[2]! << 8) | data[3]!;
    if (!d.tasks.has(tag) && !d.tmfs.has(tag)) return false;
    switch (data[0]) {
      case Iu.ReadReady:
      case Iu.WriteReady:
        return length === 4;
      case Iu.Response:
        return length === 8;
      case Iu.Sense:
        return data.length >= 16 && length === 16 + ((data[14]! << 8) | data[15]!);
      default:
        return false;
    }
  }

  private uasTransfer(d: Device, urb: UrbEvent, out: boolean, at: PacketRef): void {
    const k = urbKey(urb);
    if (urb.submit) {
      if (urb.endpoint === d.statusEndpoint || urb.endpoint === d.commandEndpoint) return;
      if (out) track(d.outLengths, k, urb.length);
      if (d.usesReady) {
        const t = d.tasks.get(out ? d.dataOutTag : d.dataInTag);
        if (t) track(d.urbTask, k, t);
      } else if (d.pendingData.length < 16) d.pendingData.push(k);
      return;
    }
    const data = urb.data;
    const isStatus = !out && (d.statusEndpoint === urb.endpoint ? urb.length > 0 : d.statusEndpoint < 0 && this.looksLikeIu(d, data, urb.length));
    if (!isStatus) {
      const offered = d.outLengths.get(k) ?? 0;
      d.outLengths.delete(k);
      if (out && d.commandUrbs.delete(k)) return;
      const bound = d.urbTask.get(k);
      d.urbTask.delete(k);
      if (urb.status !== 0) return;
      const t = bound ?? d.tasks.get(out ? d.dataOutTag : d.dataInTag) ?? (d.tasks.size === 1 ? d.tasks.values().next().value : undefined);
      if (t) t.dataBytes += urb.length || (out ? offered : 0);
      return;
    }
    if (d.statusEndpoint < 0) d.statusEndpoint = urb.endpoint;
    if (data.length < 4) return;
    const tag = (data[2]! << 8) | data[3]!;
    switch (data[0]) {
      case Iu.ReadReady:
        d.usesReady = true;
        d.dataInTag = tag;
        return;
      case Iu.WriteReady:
        d.usesReady = true;
        d.dataOutTag = tag;
        return;
      case Iu.Sense: {
        const t = d.tasks.get(tag);
        if (!t || data.length < 16) return;
        d.tasks.delete(tag);
        const declared = Math.min((data[14]! << 8) | data[15]!, 255);
        const length = Math.min(declared, data.length - 16);
        const sent = Math.min(declared, declaredSenseLength(data.subarray(16)));
        if (length < sent) this.truncated(at, t.taskId, 'sense data', length, sent);
        this.emit({
          kind: 'complete',
          ...at,
          taskId: t.taskId,
          serviceResponse: ServiceResponse.TaskComplete,
          status: data[6]!,
          bytesTransferred: t.dataBytes,
          residual: 0,
          residualFlags: 0,
          sense: data.slice(16, 16 + length),
        });
        return;
      }
      case Iu.Response: {
        const code = data.length >= 8 ? data[7]! : 0xff;
        const tmf = d.tmfs.get(tag);
        if (tmf) {
          d.tmfs.delete(tag);
          this.emit({
            kind: 'hba',
            ...at,
            hbaKind: tmf.kind,
            phase: HbaEventPhase.Completed,
            ...(tmf.taskId !== undefined ? { taskId: tmf.taskId } : {}),
            status: code,
            durationNs: at.timeNs - tmf.timeNs,
            arg0: BigInt(d.index),
            arg1: BigInt(tmf.lun),
            detail: `UAS ${tmf.name} LUN ${tmf.lun}: response code 0x${code.toString(16)}`,
          });
          return;
        }
        const t = d.tasks.get(tag);
        if (!t) return;
        // A Response IU for a command means the device did not run it (e.g. INVALID IU,
        // OVERLAPPED TAG): a delivery failure, not a SCSI status.
        d.tasks.delete(tag);
        this.emit({
          kind: 'complete',
          ...at,
          taskId: t.taskId,
          serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure,
          status: DeliveryStatus.DeliveryFailure,
          bytesTransferred: t.dataBytes,
          residual: 0,
          residualFlags: 0,
          sense: EMPTY,
        });
        return;
      }
      default:
        return;
    }
  }
}

const EMPTY = new Uint8Array(0);
