/**
 * FCP over FCoE: Fibre Channel exchanges carrying SCSI (FCP-4), matched by OX_ID/RX_ID within
 * each initiator/target port pair (S_ID/D_ID, the sender's role told by F_CTL's Exchange Context
 * bit; the RX_ID once the responder has assigned one), turned into task events by ./events.ts. taskId = nexus index << 32 | OX_ID; the tag is
 * the OX_ID; targets are numbered per target port (N_Port ID) and labelled with the port's
 * name when a PLOGI/FLOGI/FDISC carrying it was captured.
 *
 * Task management functions (FCP_CMND with task management flags) and ABTS (the basic link
 * service that aborts an exchange) are HBA events, issued and completed (FCP_RSP RSP_CODE;
 * BA_ACC or BA_RJT). An aborted exchange gets no completion on the wire, so none is made up.
 */
import { HbaEventKind, type TraceEvent } from '../../model/events.js';
import { decodeLun } from '../../model/lun.js';
import type { ReadStats } from '../../model/stats.js';
import { cdbLength } from '../../scsi/names.js';
import type { PacketRef } from '../iscsi/tcp.js';
import { FcpEvents } from './events.js';
import { Bls, Els, FcType, FcpIu, RCtl, RSP_CODES, RspFlag, elsPortName, readCommand, readResponse, tmfName } from './fcp.js';
import { CrcState, Eof, FCtl, parseFcoe, type FcFrame } from './frame.js';

interface Exchange {
  taskId: bigint;
  /** ABTS answered with BA_ACC: the exchange is over, a late FCP_RSP for it belongs to nothing. */
  aborted?: boolean;
  lun: number;
  startNs: number;
  /** FCP_DATA payload bytes seen, either way. */
  dataBytes: number;
  /** A task management function: its name and HBA event kind. */
  tmf?: { name: string; kind: HbaEventKind };
  /** The RX_ID the responder assigned in its first frame of the exchange (FC-FS-3 9.10); absent while unassigned (0xFFFF). */
  rxId?: number;
}

/** FC-FS-3 9.10: the RX_ID of an exchange the responder has not yet assigned one to. */
const RX_ID_UNASSIGNED = 0xffff;

interface Nexus {
  index: number;
  initiator: number;
  target: number;
  targetId: bigint;
  exchanges: Map<number, Exchange>;
  /**
   * OX_IDs reused while their earlier exchange had no FCP_RSP (aborted, or ended by a reset):
   * how many times, so that each exchange keeps a task id of its own (FCP-4 leaves OX_ID reuse to
   * the originator, and Linux's libfc hands out the lowest free one).
   */
  reuses: Map<number, number>;
  /** ABTS sent, by OX_ID, waiting for BA_ACC / BA_RJT. */
  aborts: Map<number, { timeNs: number; taskId?: bigint; lun: number }>;
}

/** Bounds on what is remembered from the input (OX_IDs are 16 bits, so 65536 is every one). */
const MAX_NEXUSES = 65536;
const MAX_EXCHANGES_PER_NEXUS = 65536;
const MAX_PORT_NAMES = 4096;

/** FCP-4 TMF bits to the HBA event kind each maps to (the strongest named one wins). */
function tmfKind(flags: number): HbaEventKind {
  if (flags & 0x20) return HbaEventKind.TargetReset;
  if (flags & 0x10) return HbaEventKind.LogicalUnitReset;
  if (flags & 0x06) return HbaEventKind.TaskAbort;
  return HbaEventKind.HardwareCommand;
}

const hex6 = (id: number) => `0x${id.toString(16).padStart(6, '0')}`;

export class FcoeDecoder {
  /** Initiator/target port pairs that carried an FCP command (for the "nothing found" note). */
  nexusCount = 0;
  /** FCoE frames seen, readable or not. */
  frames = 0;
  private readonly events: FcpEvents;
  private readonly nexuses = new Map<number, Nexus>();
  private readonly targets = new Map<number, bigint>();
  private readonly portNames = new Map<number, string>();
  /** ELS requests that name a port, by sender, receiver and OX_ID, for their LS_ACC. */
  private readonly elsPending = new Map<string, number>();
  private noted = { crcOffload: false, aborted: false, orphan: false };

  constructor(
    emit: (e: TraceEvent) => void,
    stats: ReadStats,
    private readonly allocateIndex: () => number,
  ) {
    this.events = new FcpEvents(emit, stats);
  }

  /** One FCoE PDU: `d` from `start` (after the EtherType), `originalLength` before the snap length. */
  frame(d: Uint8Array, start: number, originalLength: number, at: PacketRef): void {
    this.frames++;
    const parsed = parseFcoe(d, start, originalLength);
    if ('problem' in parsed) {
      this.events.diagnostic(at, `FCoE: ${parsed.problem}; frame skipped`, d.length);
      return;
    }
    const f = parsed.frame;
    if (f.crc === CrcState.NotComputed && !this.noted.crcOffload) {
      this.noted.crcOffload = true;
      this.events.note(
        at,
        `FCoE: frames from ${hex6(f.sId)} carry an all-ones FC CRC: the capturing host left the CRC to its NIC (CRC offload), so such frames are read without a CRC check`,
      );
    }
    if (f.eof === Eof.a || f.eof === Eof.ni) {
      // FC-FS-3 5.3: a frame ended by EOFa or EOFni is discarded by its recipient.
      if (!this.noted.aborted)
        this.events.note(
          at,
          `FCoE: a frame from ${hex6(f.sId)} ends with ${f.eof === Eof.a ? 'EOFa (aborted)' : 'EOFni (invalid)'} and is ignored, as its recipient ignores it`,
        );
      this.noted.aborted = true;
      return;
    }
    const routing = f.rCtl & 0xf0;
    if (routing === RCtl.deviceData && f.type === FcType.Fcp) this.fcp(f, at);
    else if (routing === RCtl.basicLinkServices && f.type === FcType.BasicLinkServices) this.bls(f, at);
    else if (routing === RCtl.extendedLinkServices && f.type === FcType.ExtendedLinkServices) this.els(f);
  }

  end(): void {
    // Nothing is held back: every frame's events were sent as it was read.
  }

  private targetIndex(fcId: number): bigint {
    let t = this.targets.get(fcId);
    if (t === undefined) {
      t = BigInt(this.targets.size);
      if (this.targets.size < MAX_NEXUSES) this.targets.set(fcId, t);
    }
    return t;
  }

  /** The nexus a frame belongs to: initiator and target told by who began the exchange. */
  private nexusOf(f: FcFrame, create: boolean): Nexus | undefined {
    const fromResponder = (f.fCtl & FCtl.exchangeResponder) !== 0;
    const initiator = fromResponder ? f.dId : f.sId;
    const target = fromResponder ? f.sId : f.dId;
    const key = initiator * 0x1000000 + target;
    let n = this.nexuses.get(key);
    if (!n && create && this.nexuses.size < MAX_NEXUSES) {
      n = { index: this.allocateIndex(), initiator, target, targetId: this.targetIndex(target), exchanges: new Map(), reuses: new Map(), aborts: new Map() };
      this.nexuses.set(key, n);
      this.nexusCount++;
    }
    return n;
  }

  private label(n: Nexus): string {
    return this.portNames.get(n.target) ?? `FC_ID ${hex6(n.target)}`;
  }

  private fcp(f: FcFrame, at: PacketRef): void {
    switch (f.rCtl & 0x0f) {
      case FcpIu.Cmnd: {
        const c = readCommand(f.payload, f.payloadLength);
        if (typeof c === 'string') {
          this.events.diagnostic(at, `FCP: ${c} (OX_ID 0x${f.oxId.toString(16)}); command skipped`, f.payloadLength);
          return;
        }
        const n = this.nexusOf(f, true);
        if (!n) return;
        const lun = decodeLun(c.lun);
        if (n.exchanges.has(f.oxId)) n.reuses.set(f.oxId, ((n.reuses.get(f.oxId) ?? 0) + 1) & 0xffff);
        else if (n.exchanges.size >= MAX_EXCHANGES_PER_NEXUS) return;
        const taskId = (BigInt(n.index) << 32n) | BigInt(((n.reuses.get(f.oxId) ?? 0) << 16) | f.oxId);
        if (c.taskManagement) {
          const tmf = { name: tmfName(c.taskManagement), kind: tmfKind(c.taskManagement) };
          n.exchanges.set(f.oxId, { taskId, lun, startNs: at.timeNs, dataBytes: 0, tmf });
          this.events.hba(at, {
            kind: tmf.kind,
            phase: 'issued',
            status: 0,
            durationNs: 0,
            targetId: n.targetId,
            lun,
            detail: `FCP ${tmf.name} LUN ${lun} (OX_ID 0x${f.oxId.toString(16)})`,
          });
          return;
        }
        n.exchanges.set(f.oxId, { taskId, lun, startNs: at.timeNs, dataBytes: 0 });
        const length = cdbLength(c.cdb[0]!, c.cdb);
        const cdb = c.cdb.slice(0, length !== undefined && length <= c.cdb.length ? length : c.cdb.length);
        this.events.submit(at, {
          taskId,
          targetId: n.targetId,
          targetLabel: this.label(n),
          lun,
          oxId: f.oxId,
          attribute: c.attribute,
          read: c.read,
          write: c.write,
          dataLength: c.dataLength,
          cdb,
        });
        return;
      }
      case FcpIu.Data: {
        const x = this.nexusOf(f, false)?.exchanges.get(f.oxId);
        if (x && this.sameExchange(x, f, at, 'FCP_DATA')) x.dataBytes += f.payloadLength;
        return;
      }
      case FcpIu.XferRdy: {
        // Tells nothing a task event holds, but may be the responder's first frame: its RX_ID.
        const x = this.nexusOf(f, false)?.exchanges.get(f.oxId);
        if (x) this.sameExchange(x, f, at, 'FCP_XFER_RDY');
        return;
      }
      case FcpIu.Rsp: {
        const n = this.nexusOf(f, false);
        const x = n?.exchanges.get(f.oxId);
        if (x && !this.sameExchange(x, f, at, 'FCP_RSP')) return;
        const r = readResponse(f.payload, f.payloadLength);
        if (typeof r === 'string') {
          this.events.diagnostic(at, `FCP: ${r} (OX_ID 0x${f.oxId.toString(16)}); response skipped`, f.payloadLength);
          return;
        }
        if (!n || !x) {
          if (!this.noted.orphan)
            this.events.note(at, `FCP: FCP_RSP for OX_ID 0x${f.oxId.toString(16)} from ${hex6(f.sId)}, whose FCP_CMND is not in the capture`);
          this.noted.orphan = true;
          return;
        }
        if (x.aborted) {
          this.events.note(
            at,
            `FCP: FCP_RSP for OX_ID 0x${f.oxId.toString(16)} from ${hex6(f.sId)} after its exchange was aborted (BA_ACC); it completes nothing`,
          );
          return;
        }
        n.exchanges.delete(f.oxId);
        if (x.tmf) {
          const code = r.responseCode;
          // FCP-4 Table 29: 00h complete and 08h succeeded are success.
          const status = code === 0 || code === 8 ? 0 : code < 0 ? 0xff : code;
          const what = code < 0 ? 'no FCP_RSP_INFO' : (RSP_CODES[code] ?? `RSP_CODE 0x${code.toString(16)}`);
          this.events.hba(at, {
            kind: x.tmf.kind,
            phase: 'completed',
            status,
            durationNs: at.timeNs - x.startNs,
            targetId: n.targetId,
            lun: x.lun,
            detail: `FCP ${x.tmf.name} LUN ${x.lun}: ${what}`,
          });
          return;
        }
        let sense = r.sense;
        if (r.sense.length < r.senseLength) {
          this.events.senseNotCaptured(
            at,
            n.targetId,
            r.senseLength - r.sense.length,
            `FCP exchange OX_ID 0x${f.oxId.toString(16)} (${hex6(n.initiator)} → ${hex6(n.target)}): ${r.senseLength - r.sense.length} of the ${r.senseLength} sense bytes in its FCP_RSP were not captured; the completion keeps no sense`,
          );
          sense = r.sense.subarray(0, 0);
        }
        this.events.complete(at, {
          taskId: x.taskId,
          responseCode: r.responseCode,
          status: r.status,
          dataBytes: x.dataBytes,
          residual: r.residual,
          residualUnder: (r.flags & RspFlag.residualUnder) !== 0,
          residualOver: (r.flags & RspFlag.residualOver) !== 0,
          sense,
        });
        return;
      }
      default:
        // FCP_CONF tells nothing a task event holds.
        return;
    }
  }

  /**
   * FC-FS-3 9.10 / FCP-4: an exchange is named by OX_ID and RX_ID together. The responder
   * assigns the RX_ID in its first frame of the exchange (0xFFFF until then) and every later
   * frame of the exchange, either way, carries it. A frame with this OX_ID whose RX_ID is another
   * assigned one belongs to no exchange the capture holds: its recipient rejects it (FC-LS-3
   * P_RJT "invalid OX_ID-RX_ID combination"), so it is a diagnostic here and counts for nothing:
   * its data bytes are not added, its FCP_RSP completes nothing.
   */
  private sameExchange(x: Exchange, f: FcFrame, at: PacketRef, iu: string): boolean {
    if (f.rxId === RX_ID_UNASSIGNED) return true;
    if (x.rxId === undefined) {
      if ((f.fCtl & FCtl.exchangeResponder) !== 0) x.rxId = f.rxId;
      return true;
    }
    if (f.rxId === x.rxId) return true;
    this.events.diagnostic(
      at,
      `FCP: ${iu} for OX_ID 0x${f.oxId.toString(16)} from ${hex6(f.sId)} carries RX_ID 0x${f.rxId.toString(16)}, but the responder assigned RX_ID 0x${x.rxId.toString(16)} to that exchange; frame not used`,
      f.payloadLength,
    );
    return false;
  }

  /** FC-FS-3 15.3: ABTS aborts the exchange named by its OX_ID/RX_ID; BA_ACC or BA_RJT answers. */
  private bls(f: FcFrame, at: PacketRef): void {
    const n = this.nexusOf(f, f.rCtl === Bls.Abts);
    if (!n) return;
    if (f.rCtl === Bls.Abts) {
      const x = n.exchanges.get(f.oxId);
      const lun = x?.lun ?? 0;
      if (n.aborts.size < MAX_EXCHANGES_PER_NEXUS) n.aborts.set(f.oxId, { timeNs: at.timeNs, lun, ...(x ? { taskId: x.taskId } : {}) });
      this.events.hba(at, {
        kind: HbaEventKind.TaskAbort,
        phase: 'issued',
        ...(x ? { taskId: x.taskId } : {}),
        status: 0,
        durationNs: 0,
        targetId: n.targetId,
        lun,
        detail: `FC ABTS OX_ID 0x${f.oxId.toString(16)} RX_ID 0x${f.rxId.toString(16)}${x ? '' : ' (exchange not in the capture)'}`,
      });
      return;
    }
    if (f.rCtl !== Bls.BaAcc && f.rCtl !== Bls.BaRjt) return;
    const pending = n.aborts.get(f.oxId);
    if (!pending) return;
    n.aborts.delete(f.oxId);
    const accepted = f.rCtl === Bls.BaAcc;
    // BA_RJT payload byte 1 is the reason code (FC-FS-3 15.3.3.4).
    const reason = !accepted && f.payload.length >= 2 ? f.payload[1]! : 0xff;
    const x = accepted ? n.exchanges.get(f.oxId) : undefined;
    if (x) x.aborted = true;
    this.events.hba(at, {
      kind: HbaEventKind.TaskAbort,
      phase: 'completed',
      ...(pending.taskId !== undefined ? { taskId: pending.taskId } : {}),
      status: accepted ? 0 : reason,
      durationNs: at.timeNs - pending.timeNs,
      targetId: n.targetId,
      lun: pending.lun,
      detail: `FC ABTS OX_ID 0x${f.oxId.toString(16)}: ${accepted ? 'BA_ACC' : `BA_RJT reason 0x${reason.toString(16)}`}`,
    });
  }

  /** Port names from PLOGI/FLOGI/FDISC and their LS_ACC, to label targets (FC-LS-3 4.2). */
  private els(f: FcFrame): void {
    const code = f.payload[0];
    if (code === undefined) return;
    if (f.rCtl === 0x22 && (code === Els.Plogi || code === Els.Flogi || code === Els.Fdisc)) {
      this.learn(f.sId, f.payload);
      if (this.elsPending.size >= MAX_PORT_NAMES) this.elsPending.clear();
      this.elsPending.set(`${f.sId}.${f.dId}.${f.oxId}`, code);
    } else if (f.rCtl === 0x23 && code === Els.LsAcc) {
      const key = `${f.dId}.${f.sId}.${f.oxId}`;
      if (this.elsPending.get(key) === Els.Plogi) this.learn(f.sId, f.payload);
      this.elsPending.delete(key);
    }
  }

  private learn(fcId: number, payload: Uint8Array): void {
    const name = elsPortName(payload);
    if (name && (this.portNames.size < MAX_PORT_NAMES || this.portNames.has(fcId))) this.portNames.set(fcId, name);
  }
}
