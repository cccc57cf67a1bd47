/**
 * Events and 64-bit values as JSON: the one place that decides how a bigint (or a time past
 * 2^53 ns) and a byte array are written, for every JSON output (decode lines, JSON Lines
 * events, check findings, summaries, decoded CDBs and sense data). JSON.stringify throws on a
 * bigint and spells a Uint8Array as an object of indices; here a 64-bit integer is a JSON
 * number when exact and a decimal string beyond 2^53 (as README.md promises), and bytes are
 * lower-case hex.
 */
import type { SegmentList, TraceEvent } from './events.js';
import { toHex } from './hex.js';

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** A 64-bit integer: a JSON number when exact, else a decimal string. */
export function jsonInteger(v: bigint | number): number | string {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : Number.isInteger(v) ? BigInt(v).toString() : v;
  return v <= MAX_EXACT && v >= -MAX_EXACT ? Number(v) : v.toString();
}

/**
 * A time in ns since timestamp 0, from an event's timeNs and its trace's time origin
 * (TraceHeader.timeOriginNs): exact whatever its size.
 */
export function jsonTime(timeNs: number, originNs: bigint = 0n): number | string {
  if (originNs === 0n) return jsonInteger(timeNs);
  return jsonInteger(originNs + BigInt(Math.round(timeNs)));
}

/** One value as JSON can hold it: bigints as jsonInteger, byte arrays as hex; anything else as is. Also a JSON.stringify replacer. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? jsonInteger(v) : v instanceof Uint8Array ? toHex(v) : v;
}

/** A deep copy of `value` that JSON.stringify can write (bigints and bytes as jsonReplacer writes them; undefined members left out). */
export function jsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonValue(v);
    return out;
  }
  return jsonReplacer('', value);
}

/**
 * A prototype whose toJSON writes the object through jsonValue: results made from it (decoded
 * CDBs and sense data) go straight into JSON.stringify, as a library user would pass them.
 */
export const JSON_READY: object = Object.freeze({
  toJSON(this: object): unknown {
    return jsonValue({ ...this });
  },
});

export type JsonEvent = Record<string, unknown>;

function segmentsJson(s: SegmentList): Array<[number | string, number]> {
  const out: Array<[number | string, number]> = [];
  for (let i = 0; i < s.count; i++) out.push([jsonInteger(s.address(i)), s.length(i)]);
  return out;
}

/**
 * The JSON object for one event, as JSON Lines carries it (formats/jsonl reads it back) and as
 * decode --with-events shows a task's events: field names of model/events.ts, enum values as
 * numbers, bytes as lower-case hex. Diagnostics are not data and give undefined.
 */
export function eventToJson(e: TraceEvent): JsonEvent | undefined {
  switch (e.kind) {
    case 'header':
      return {
        kind: 'header',
        format: e.format,
        version: e.version,
        startWallNs: e.startWallNs.toString(),
        producer: e.producer,
        ...(e.senseCaptured !== undefined ? { senseCaptured: e.senseCaptured } : {}),
        ...(e.flushEventsRecorded !== undefined ? { flushEventsRecorded: e.flushEventsRecorded } : {}),
        ...(e.timeOriginNs !== undefined ? { timeOriginNs: e.timeOriginNs.toString() } : {}),
      };
    case 'submit':
      return {
        kind: 'submit',
        timeNs: e.timeNs,
        taskId: jsonInteger(e.taskId),
        targetId: jsonInteger(e.targetId),
        ...(e.targetLabel !== undefined ? { targetLabel: e.targetLabel } : {}),
        lun: e.lun,
        tag: jsonInteger(e.tag),
        attribute: e.attribute,
        direction: e.direction,
        requestedBytes: e.requestedBytes,
        timeoutMs: e.timeoutMs,
        cdb: toHex(e.cdb),
        segments: segmentsJson(e.segments),
        ...(e.sglRecorded !== undefined ? { sglRecorded: e.sglRecorded } : {}),
        ...(e.buffer !== undefined ? { buffer: [jsonInteger(e.buffer.address), e.buffer.length] } : {}),
        ...(e.bundleSlot !== undefined ? { bundleSlot: e.bundleSlot } : {}),
      };
    case 'complete':
      return {
        kind: 'complete',
        timeNs: e.timeNs,
        taskId: jsonInteger(e.taskId),
        serviceResponse: e.serviceResponse,
        status: e.status,
        bytesTransferred: e.bytesTransferred,
        residual: e.residual,
        residualFlags: e.residualFlags,
        sense: toHex(e.sense),
      };
    case 'constraints':
      return { kind: 'constraints', timeNs: e.timeNs, entries: e.entries };
    case 'hba':
      return {
        kind: 'hba',
        timeNs: e.timeNs,
        hbaKind: e.hbaKind,
        phase: e.phase,
        ...(e.taskId !== undefined ? { taskId: jsonInteger(e.taskId) } : {}),
        status: e.status,
        durationNs: e.durationNs,
        arg0: jsonInteger(e.arg0),
        arg1: jsonInteger(e.arg1),
        detail: e.detail,
      };
    case 'digest':
      return {
        kind: 'digest',
        timeNs: e.timeNs,
        taskId: jsonInteger(e.taskId),
        ...(e.lba !== undefined ? { lba: jsonInteger(e.lba) } : {}),
        byteCount: e.byteCount,
        direction: e.direction,
        crc32c: e.crc32c,
        chunkBytes: e.chunkBytes,
        chunkDigests: Array.from(e.chunkDigests),
      };
    case 'note':
      return { kind: 'note', timeNs: e.timeNs, ...(e.taskId !== undefined ? { taskId: jsonInteger(e.taskId) } : {}), text: e.text };
    case 'gap':
      return {
        kind: 'gap',
        timeNs: e.timeNs,
        endNs: e.endNs,
        lost: e.lost,
        unit: e.unit,
        affects: e.affects,
        ...(e.targetId !== undefined ? { targetId: jsonInteger(e.targetId) } : {}),
        detail: e.detail,
      };
    case 'diagnostic':
      return undefined;
  }
}

/** A u64 kept as two 32-bit halves (batch columns), as jsonInteger writes it. */
export function jsonU64(high: number, low: number): number | string {
  return high < 0x20_0000 ? high * 0x1_0000_0000 + low : ((BigInt(high) << 32n) | BigInt(low)).toString();
}
