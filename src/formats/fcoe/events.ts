/**
 * Every event the FCoE reader produces is built here, from plain values the exchange tracker
 * hands over: one place to change when events travel downstream in another shape.
 */
import {
  DataDirection,
  DeliveryStatus,
  GapAffects,
  GapUnit,
  HbaEventPhase,
  ResidualFlag,
  ServiceResponse,
  TaskAttribute,
  type HbaEventKind,
  type TraceEvent,
} from '../../model/events.js';
import type { ReadStats } from '../../model/stats.js';
import { EMPTY_SEGMENTS } from '../../model/segments.js';
import type { PacketRef } from '../iscsi/tcp.js';
import { packetDamage } from '../pcap/damage.js';

/** FCP-4 Table 24 task attribute to SAM; 5 (untagged, obsolete) is treated as SIMPLE. */
const ATTRIBUTES: Record<number, TaskAttribute> = { 0: TaskAttribute.Simple, 1: TaskAttribute.HeadOfQueue, 2: TaskAttribute.Ordered, 4: TaskAttribute.ACA };

const EMPTY = new Uint8Array(0);
/** Sense kept per completion, as the other readers keep it (SPC-6 sense is at most 252 bytes). */
const MAX_SENSE = 255;

export interface SubmitFields {
  taskId: bigint;
  targetId: bigint;
  targetLabel: string;
  lun: number;
  oxId: number;
  attribute: number;
  read: boolean;
  write: boolean;
  dataLength: number;
  cdb: Uint8Array;
}

export interface CompleteFields {
  taskId: bigint;
  /** RSP_CODE of FCP_RSP_INFO when present and not 0: the command was not run. */
  responseCode: number;
  status: number;
  dataBytes: number;
  residual: number;
  residualUnder: boolean;
  residualOver: boolean;
  sense: Uint8Array;
}

export interface HbaFields {
  kind: HbaEventKind;
  phase: 'issued' | 'completed';
  taskId?: bigint;
  status: number;
  durationNs: number;
  targetId: bigint;
  lun: number;
  detail: string;
}

export class FcpEvents {
  constructor(
    private readonly emit: (e: TraceEvent) => void,
    private readonly stats: ReadStats,
  ) {}

  submit(at: PacketRef, f: SubmitFields): void {
    this.emit({
      kind: 'submit',
      ...at,
      taskId: f.taskId,
      targetId: f.targetId,
      targetLabel: f.targetLabel,
      lun: f.lun,
      tag: BigInt(f.oxId),
      attribute: ATTRIBUTES[f.attribute] ?? TaskAttribute.Simple,
      direction: f.read && f.write ? DataDirection.Bidirectional : f.read ? DataDirection.FromDevice : f.write ? DataDirection.ToDevice : DataDirection.None,
      requestedBytes: f.dataLength,
      timeoutMs: 0,
      cdb: f.cdb,
      segments: EMPTY_SEGMENTS,
    });
  }

  complete(at: PacketRef, f: CompleteFields): void {
    const delivered = f.responseCode <= 0;
    const residualFlags = (f.residualUnder ? ResidualFlag.Underflow : 0) | (f.residualOver ? ResidualFlag.Overflow : 0);
    this.emit({
      kind: 'complete',
      ...at,
      taskId: f.taskId,
      serviceResponse: delivered ? ServiceResponse.TaskComplete : ServiceResponse.ServiceDeliveryOrTargetFailure,
      status: delivered ? f.status : DeliveryStatus.DeliveryFailure,
      bytesTransferred: f.dataBytes,
      residual: residualFlags ? f.residual : 0,
      residualFlags,
      sense: f.sense.length ? f.sense.slice(0, MAX_SENSE) : EMPTY,
    });
  }

  hba(at: PacketRef, f: HbaFields): void {
    this.emit({
      kind: 'hba',
      ...at,
      hbaKind: f.kind,
      phase: f.phase === 'issued' ? HbaEventPhase.Issued : HbaEventPhase.Completed,
      ...(f.taskId !== undefined ? { taskId: f.taskId } : {}),
      status: f.status,
      durationNs: f.durationNs,
      arg0: f.targetId,
      arg1: BigInt(f.lun),
      detail: f.detail,
    });
  }

  /** Sense the target sent and the snap length cut: the completion has none, the capture lost it. */
  senseNotCaptured(at: PacketRef, targetId: bigint, missing: number, detail: string): void {
    this.emit({ kind: 'gap', ...at, endNs: at.timeNs, lost: missing, unit: GapUnit.Bytes, affects: GapAffects.Completions, targetId, detail });
  }

  note(at: PacketRef, text: string): void {
    this.emit({ kind: 'note', ...at, text });
  }

  /** A frame that cannot be read as what it claims: skipped, reading goes on with the next. */
  diagnostic(at: PacketRef, message: string, skippedBytes: number): void {
    this.emit(packetDamage(this.stats, at, message, skippedBytes));
  }
}
