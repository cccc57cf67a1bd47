import type { TaskRecord } from '../analysis/tasks.js';
import { DataDirection, ServiceResponse, TaskAttribute } from '../model/events.js';
import { toHex } from '../model/hex.js';
import { cdbHeadline, decodeSense, taskStatusName, serviceResponseName } from '../scsi/index.js';

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


/** A JSON number when exact, else a decimal string (64-bit values past 2^53). */
export function jsonInteger(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** One task as the stable JSON object of `decode --format json` (README.md documents it). */
export interface TaskJson {
  taskId: number | string;
  startNs: number;
  endNs: number | null;
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
  serviceResponse: string | null;
  status: string | null;
  statusCode: number | null;
  bytesTransferred: number | null;
  residual: number | null;
  sense: {
    hex: string;
    key: number | null;
    asc: number | null;
    ascq: number | null;
    summary: string;
  } | null;
  offset: number;
  record: number;
}

export function taskJson(t: TaskRecord): TaskJson {
  const s = t.submit;
  const c = t.complete;
  const d = cdbHeadline(s.cdb);
  const sense = c && c.sense.length ? decodeSense(c.sense) : undefined;
  return {
    taskId: jsonInteger(s.taskId),
    startNs: s.timeNs,
    endNs: c ? c.timeNs : null,
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
    transferUnit: d.transferUnit ?? null,
    summary: d.summary,
    completed: c !== undefined,
    serviceResponse: c ? serviceResponseName(c.serviceResponse) : null,
    status: c ? taskStatusName(c.serviceResponse, c.status) : null,
    statusCode: c ? c.status : null,
    bytesTransferred: c ? c.bytesTransferred : null,
    residual: c && c.residualFlags ? c.residual : null,
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
}

/** True when the task completed with TASK_COMPLETE and GOOD (or CONDITION MET). */
export function isGood(t: TaskRecord): boolean {
  const c = t.complete;
  return c !== undefined && c.serviceResponse === ServiceResponse.TaskComplete && (c.status === 0 || c.status === 0x04);
}
