import type { TaskRecord } from '../analysis/tasks.js';
import { DataDirection, ResidualFlag, ServiceResponse, TaskAttribute, type DataDigest, type HbaEvent, type Note, type TaskSubmitted } from '../model/events.js';
import { toHex } from '../model/hex.js';
import { eventToJson, jsonInteger, jsonTime, type JsonEvent } from '../model/json.js';
import { cdbHeadline, decodeCdb, decodeSense, taskStatusName, serviceResponseName, type CdbHeadline } from '../scsi/index.js';
import { isPlainReadWrite } from '../scsi/quick.js';

const ATTRIBUTE_NAMES: Record<number, string> = {
  [TaskAttribute.Simple]: 'SIMPLE',
  [TaskAttribute.Ordered]: 'ORDERED',
  [TaskAttribute.HeadOfQueue]: 'HEAD_OF_QUEUE',
  [TaskAttribute.ACA]: 'ACA',
};
const DIRECTION_NAMES: Record<number, string> = {
  [DataDirection.None]: 'none',
  [DataDirection.ToDevice]: 'to-device',
  [DataDirection.FromDevice]: 'from-device',
  [DataDirection.Bidirectional]: 'bidirectional',
};

export function attributeName(a: number): string {
  return ATTRIBUTE_NAMES[a] ?? `ATTRIBUTE 0x${a.toString(16)}`;
}
export function directionName(d: number): string {
  return DIRECTION_NAMES[d] ?? `direction ${d}`;
}

/** What decode adds to a task's JSON beside the task itself. */
export interface TaskJsonOptions {
  /** The trace's time origin (TraceHeader.timeOriginNs): startNs/endNs count from timestamp 0. */
  originNs?: bigint;
  /** The task never completed, and a capture gap may have swallowed its completion. */
  completionNotCaptured?: boolean;
  /** Add the buffer and the SGL (decode --segments). */
  segments?: boolean;
  /** Notes, digests and HBA events linked to the task (decode --with-events). */
  events?: readonly LinkedEvent[];
}

/** An event that names a task: shown with it by decode --with-events. */
export type LinkedEvent = Note | DataDigest | HbaEvent;

/** The residual's kind, as the completion's flags say (iSCSI U/O bits, SAM residuals). */
export function residualKind(flags: number): 'underflow' | 'overflow' | 'underflow+overflow' | null {
  const under = (flags & ResidualFlag.Underflow) !== 0;
  const over = (flags & ResidualFlag.Overflow) !== 0;
  return under && over ? 'underflow+overflow' : under ? 'underflow' : over ? 'overflow' : null;
}

/** One task as the stable JSON object of `decode --format json` (README.md documents it). */
export interface TaskJson {
  taskId: number | string;
  startNs: number | string;
  endNs: number | string | null;
  latencyNs: number | null;
  target: number | string;
  /** The source's own name for the target (Linux host:channel:id), or null. */
  targetLabel: string | null;
  lun: number;
  tag: number | string;
  attribute: string;
  direction: string;
  requestedBytes: number;
  timeoutMs: number;
  segments: number;
  cdb: string;
  command: string;
  opcode: number;
  serviceAction: number | null;
  lba: number | string | null;
  transferLength: number | null;
  transferUnit: string | null;
  summary: string;
  completed: boolean;
  /** Never completed, and a capture gap may have swallowed the completion (not the driver's doing). */
  completionNotCaptured: boolean;
  serviceResponse: string | null;
  status: string | null;
  statusCode: number | null;
  bytesTransferred: number | null;
  residual: number | null;
  residualKind: 'underflow' | 'overflow' | 'underflow+overflow' | null;
  sense: {
    hex: string;
    key: number | null;
    asc: number | null;
    ascq: number | null;
    summary: string;
  } | null;
  offset: number;
  record: number;
  /** With --segments: the buffer the framework handed the driver, or null when none was recorded. */
  buffer?: { address: number | string; length: number } | null;
  /** With --segments: the driver's SGL as [address, length] pairs, or null when none was recorded. */
  sgl?: Array<[number | string, number]> | null;
  /** With --with-events: the task's notes, digests and HBA events, as JSON Lines events. */
  events?: JsonEvent[];
}

export function taskJson(t: TaskRecord, o: TaskJsonOptions = {}): TaskJson {
  const s = t.submit;
  const c = t.complete;
  const d = cdbFacts(s.cdb);
  const sense = c && c.sense.length ? decodeSense(c.sense) : undefined;
  const origin = o.originNs ?? 0n;
  const j: TaskJson = {
    taskId: jsonInteger(s.taskId),
    startNs: jsonTime(s.timeNs, origin),
    endNs: c ? jsonTime(c.timeNs, origin) : null,
    latencyNs: c ? c.timeNs - s.timeNs : null,
    target: jsonInteger(s.targetId),
    targetLabel: s.targetLabel ?? null,
    lun: s.lun,
    tag: jsonInteger(s.tag),
    attribute: attributeName(s.attribute),
    direction: directionName(s.direction),
    requestedBytes: s.requestedBytes,
    timeoutMs: s.timeoutMs,
    segments: s.segments.count,
    cdb: toHex(s.cdb),
    command: d.name,
    opcode: d.opcode,
    serviceAction: d.serviceAction ?? null,
    lba: d.lba === undefined ? null : jsonInteger(d.lba),
    transferLength: d.transferLength ?? null,
    transferUnit: d.transferLength === undefined ? null : (d.transferUnit ?? null),
    summary: d.summary,
    completed: c !== undefined,
    completionNotCaptured: c === undefined && o.completionNotCaptured === true,
    serviceResponse: c ? serviceResponseName(c.serviceResponse) : null,
    status: c ? taskStatusName(c.serviceResponse, c.status) : null,
    statusCode: c ? c.status : null,
    bytesTransferred: c ? c.bytesTransferred : null,
    residual: c && c.residualFlags ? c.residual : null,
    residualKind: c ? residualKind(c.residualFlags) : null,
    sense: sense && c
      ? {
          hex: toHex(c.sense),
          key: sense.senseKey ?? null,
          asc: sense.asc ?? null,
          ascq: sense.ascq ?? null,
          summary: sense.summary,
        }
      : null,
    offset: s.offset,
    record: s.index,
  };
  if (o.segments) {
    j.buffer = s.buffer ? { address: jsonInteger(s.buffer.address), length: s.buffer.length } : null;
    j.sgl = sglRecorded(s) ? Array.from({ length: s.segments.count }, (_, i) => [jsonInteger(s.segments.address(i)), s.segments.length(i)] as [number | string, number]) : null;
  }
  if (o.events) j.events = o.events.map((e) => eventToJson(e)!);
  return j;
}

/** Whether a submission's segment list is a recorded SGL (TaskSubmitted.sglRecorded). */
export function sglRecorded(s: TaskSubmitted): boolean {
  return s.sglRecorded ?? s.segments.count > 0;
}

/** Name, LBA, transfer length and summary of a CDB (a full decode only for CDBs other than plain READ/WRITE). */
function cdbFacts(cdb: Uint8Array): CdbHeadline {
  return isPlainReadWrite(cdb) ? cdbHeadline(cdb) : decodeCdb(cdb);
}

/** True when the task completed with TASK_COMPLETE and GOOD (or CONDITION MET). */
export function isGood(t: TaskRecord): boolean {
  const c = t.complete;
  return c !== undefined && c.serviceResponse === ServiceResponse.TaskComplete && (c.status === 0 || c.status === 0x04);
}
