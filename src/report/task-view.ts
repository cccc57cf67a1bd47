import { NONE, RowFlag, RowKind, type TaskBatch } from '../model/batch.js';
import { batchOf } from '../model/batch-builder.js';
import { DataDirection, ResidualFlag, TaskAttribute, type DataDigest, type HbaEvent, type Note } from '../model/events.js';
import { toHex } from '../model/hex.js';
import { eventToJson, jsonInteger, jsonTime, jsonU64, type JsonEvent } from '../model/json.js';
import { cdbHeadline, decodeCdb, decodeSense, isGoodStatus, taskStatusName, serviceResponseName, type CdbHeadline } from '../scsi/index.js';
import { isPlainReadWrite } from '../scsi/quick.js';
import type { TaskRecord } from '../analysis/tasks.js';

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

/**
 * The JSON object of the task in row r of a paired batch: a Complete row (a task that completed)
 * or a GivenUp / NeverCompleted row (one that did not).
 */
export function taskJsonAt(b: TaskBatch, r: number, o: TaskJsonOptions = {}): TaskJson {
  const completed = b.kind[r] === RowKind.Complete;
  const cdbAt = b.cdbAt[r]!;
  const cdb = b.slab.subarray(cdbAt, cdbAt + b.cdbLength[r]!);
  const d = cdbFacts(cdb);
  const senseLength = completed ? b.senseLength[r]! : 0;
  const senseBytes = senseLength ? b.slab.subarray(b.senseAt[r], b.senseAt[r]! + senseLength) : undefined;
  const sense = senseBytes ? decodeSense(senseBytes) : undefined;
  const origin = o.originNs ?? 0n;
  const label = b.labelId[r]!;
  const sr = b.serviceResponse[r]!;
  const status = b.status[r]!;
  const residualFlags = b.residualFlags[r]!;
  const j: TaskJson = {
    taskId: jsonU64(b.taskIdHi[r]!, b.taskIdLo[r]!),
    startNs: jsonTime(b.subTimeNs[r]!, origin),
    endNs: completed ? jsonTime(b.timeNs[r]!, origin) : null,
    latencyNs: completed ? b.timeNs[r]! - b.subTimeNs[r]! : null,
    target: jsonU64(b.targetIdHi[r]!, b.targetIdLo[r]!),
    targetLabel: label === NONE ? null : (b.labels[label] ?? null),
    lun: b.lun[r]!,
    tag: jsonU64(b.tagHi[r]!, b.tagLo[r]!),
    attribute: attributeName(b.attribute[r]!),
    direction: directionName(b.direction[r]!),
    requestedBytes: b.requestedBytes[r]!,
    timeoutMs: b.timeoutMs[r]!,
    segments: b.segmentCount[r]!,
    cdb: toHex(cdb),
    command: d.name,
    opcode: d.opcode,
    serviceAction: d.serviceAction ?? null,
    lba: d.lba === undefined ? null : jsonInteger(d.lba),
    transferLength: d.transferLength ?? null,
    transferUnit: d.transferLength === undefined ? null : (d.transferUnit ?? null),
    summary: d.summary,
    completed,
    completionNotCaptured: !completed && o.completionNotCaptured === true,
    serviceResponse: completed ? serviceResponseName(sr) : null,
    status: completed ? taskStatusName(sr, status) : null,
    statusCode: completed ? status : null,
    bytesTransferred: completed ? b.bytesTransferred[r]! : null,
    residual: completed && residualFlags ? b.residual[r]! : null,
    residualKind: completed ? residualKind(residualFlags) : null,
    sense:
      sense && senseBytes
        ? {
            hex: toHex(senseBytes),
            key: sense.senseKey ?? null,
            asc: sense.asc ?? null,
            ascq: sense.ascq ?? null,
            summary: sense.summary,
          }
        : null,
    offset: b.subOffset[r]!,
    record: b.subIndex[r]!,
  };
  if (o.segments) {
    j.buffer = b.flags[r]! & RowFlag.BufferPresent ? { address: jsonU64(b.bufferHi[r]!, b.bufferLo[r]!), length: b.bufferLength[r]! } : null;
    j.sgl = rowSglRecorded(b, r) ? segmentPairs(b, r) : null;
  }
  if (o.events) j.events = o.events.map((e) => eventToJson(e)!);
  return j;
}

/** The task's SGL as [address, length] pairs (the segments must have been kept: see PairerOptions). */
function segmentPairs(b: TaskBatch, r: number): Array<[number | string, number]> {
  const n = b.segmentCount[r]!;
  const at = b.sglAt[r]!;
  if (n > 0 && at === NONE) throw new Error('the segment list is not kept past submission (ask the pairer for keepSegments)');
  const v = new DataView(b.slab.buffer, b.slab.byteOffset);
  const out: Array<[number | string, number]> = [];
  for (let i = 0; i < n; i++) {
    const p = at + i * 16;
    out.push([jsonU64(v.getUint32(p + 4, true), v.getUint32(p, true)), v.getUint32(p + 8, true) + v.getUint32(p + 12, true) * 0x1_0000_0000]);
  }
  return out;
}

/** Whether row r's segment list is a recorded SGL (TaskSubmitted.sglRecorded; absent: recorded when it has segments). */
export function rowSglRecorded(b: TaskBatch, r: number): boolean {
  const f = b.flags[r]!;
  return f & RowFlag.SglRecordedSet ? (f & RowFlag.SglRecorded) !== 0 : b.segmentCount[r]! > 0;
}

/** One task as JSON from its events (the event API; an adapter over taskJsonAt). */
export function taskJson(t: TaskRecord, o: TaskJsonOptions = {}): TaskJson {
  const b = batchOf(t.complete ? [t.submit, t.complete] : [t.submit]);
  // A submission and its completion as one paired row: the completion row with the submission's columns.
  const r = t.complete ? 1 : 0;
  if (t.complete) {
    b.subOffset[r] = b.offset[0]!;
    b.subIndex[r] = b.index[0]!;
    b.subTimeNs[r] = b.timeNs[0]!;
    for (const col of SUBMIT_COLUMNS) (b[col] as Uint8Array)[r] = (b[col] as Uint8Array)[0]!;
    b.flags[r] = b.flags[0]!;
  } else {
    b.kind[r] = RowKind.NeverCompleted;
  }
  return taskJsonAt(b, r, o);
}

/** The submission's columns (besides its origin), for making a paired row by hand. */
const SUBMIT_COLUMNS = [
  'targetIdHi',
  'targetIdLo',
  'tagHi',
  'tagLo',
  'lun',
  'attribute',
  'direction',
  'requestedBytes',
  'timeoutMs',
  'cdbAt',
  'cdbLength',
  'sglAt',
  'segmentCount',
  'bufferHi',
  'bufferLo',
  'bufferLength',
  'labelId',
  'bundleSlot',
] as const;

/** Name, LBA, transfer length and summary of a CDB (a full decode only for CDBs other than plain READ/WRITE). */
export function cdbFacts(cdb: Uint8Array): CdbHeadline {
  return isPlainReadWrite(cdb) ? cdbHeadline(cdb) : decodeCdb(cdb);
}

/** True when the task completed with TASK_COMPLETE and GOOD (or CONDITION MET). */
export function isGood(t: TaskRecord): boolean {
  const c = t.complete;
  return c !== undefined && isGoodStatus(c.serviceResponse, c.status);
}
