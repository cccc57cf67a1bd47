/**
 * JSON Lines form of the event model: one object per event, exactly what
 * `scsitrace convert --format jsonl` writes and what the jsonl reader reads back. Field names
 * are those of src/model/events.ts; enum values are their numbers; byte strings (CDB, sense)
 * are lower-case hex; 64-bit integers are JSON numbers when exact and decimal strings beyond
 * 2^53. README.md ("JSON Lines input") documents it.
 */
import type { SegmentList, TraceEvent } from '../../model/events.js';
import { toHex } from '../../model/hex.js';
import { PackedSegmentList } from '../../model/segments.js';

export type JsonEvent = Record<string, unknown>;

function u64(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n ? Number(v) : v.toString();
}


function segmentsJson(s: SegmentList): Array<[number | string, number]> {
  const out: Array<[number | string, number]> = [];
  for (let i = 0; i < s.count; i++) out.push([u64(s.address(i)), s.length(i)]);
  return out;
}

/** The JSON object for one event; diagnostics are not data and give undefined. */
export function eventToJson(e: TraceEvent): JsonEvent | undefined {
  switch (e.kind) {
    case 'header':
      return { kind: 'header', format: e.format, version: e.version, startWallNs: e.startWallNs.toString(), producer: e.producer, ...(e.senseCaptured !== undefined ? { senseCaptured: e.senseCaptured } : {}) };
    case 'submit':
      return {
        kind: 'submit',
        timeNs: e.timeNs,
        taskId: u64(e.taskId),
        targetId: u64(e.targetId),
        lun: e.lun,
        tag: u64(e.tag),
        attribute: e.attribute,
        direction: e.direction,
        requestedBytes: e.requestedBytes,
        timeoutMs: e.timeoutMs,
        cdb: toHex(e.cdb),
        segments: segmentsJson(e.segments),
        ...(e.bundleSlot !== undefined ? { bundleSlot: e.bundleSlot } : {}),
      };
    case 'complete':
      return {
        kind: 'complete',
        timeNs: e.timeNs,
        taskId: u64(e.taskId),
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
        ...(e.taskId !== undefined ? { taskId: u64(e.taskId) } : {}),
        status: e.status,
        durationNs: e.durationNs,
        arg0: u64(e.arg0),
        arg1: u64(e.arg1),
        detail: e.detail,
      };
    case 'digest':
      return {
        kind: 'digest',
        timeNs: e.timeNs,
        taskId: u64(e.taskId),
        ...(e.lba !== undefined ? { lba: u64(e.lba) } : {}),
        byteCount: e.byteCount,
        direction: e.direction,
        crc32c: e.crc32c,
        chunkBytes: e.chunkBytes,
        chunkDigests: Array.from(e.chunkDigests),
      };
    case 'note':
      return { kind: 'note', timeNs: e.timeNs, ...(e.taskId !== undefined ? { taskId: u64(e.taskId) } : {}), text: e.text };
    case 'diagnostic':
      return undefined;
  }
}

/** A line that is JSON but not a valid event. */
export class BadEvent extends Error {}

const MAX_CDB = 260;
const MAX_SENSE = 255;
const MAX_SEGMENTS = 65536;
const MAX_CHUNK_DIGESTS = 1 << 20;

function need(o: JsonEvent, key: string): unknown {
  const v = o[key];
  if (v === undefined || v === null) throw new BadEvent(`"${o['kind']}" event without "${key}"`);
  return v;
}

function num(o: JsonEvent, key: string, fallback?: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new BadEvent(`"${key}" must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

function big(v: unknown, key: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    const b = BigInt(v);
    if (b < 1n << 64n) return b;
  }
  throw new BadEvent(`"${key}" must be an unsigned 64-bit integer (number or decimal string), got ${JSON.stringify(v)}`);
}

function bytes(v: unknown, key: string, max: number): Uint8Array {
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) throw new BadEvent(`"${key}" must be an even-length hex string`);
  if (v.length / 2 > max) throw new BadEvent(`"${key}" is ${v.length / 2} bytes; at most ${max}`);
  const b = new Uint8Array(v.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(v.slice(i * 2, i * 2 + 2), 16);
  return b;
}

/** Builds the event for one parsed line; throws BadEvent when it is not one. */
export function jsonToEvent(o: unknown, offset: number, index: number): TraceEvent {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new BadEvent('not a JSON object');
  const j = o as JsonEvent;
  const kind = j['kind'];
  const at = { offset, index, timeNs: kind === 'header' ? 0 : num(j, 'timeNs') };
  switch (kind) {
    case 'header':
      return {
        kind,
        ...at,
        format: String(j['format'] ?? 'jsonl'),
        version: String(j['version'] ?? ''),
        startWallNs: j['startWallNs'] === undefined ? 0n : BigInt(String(j['startWallNs']).match(/^-?\d{1,20}$/) ? String(j['startWallNs']) : '0'),
        producer: String(j['producer'] ?? ''),
        ...(typeof j['senseCaptured'] === 'boolean' ? { senseCaptured: j['senseCaptured'] } : {}),
      };
    case 'submit': {
      const segs = j['segments'] ?? [];
      if (!Array.isArray(segs)) throw new BadEvent('"segments" must be an array of [address, length] pairs');
      if (segs.length > MAX_SEGMENTS) throw new BadEvent(`${segs.length} segments; at most ${MAX_SEGMENTS}`);
      const list = segs.map((s: unknown, i: number) => {
        if (!Array.isArray(s) || s.length !== 2) throw new BadEvent(`segment ${i} must be [address, length]`);
        return { address: big(s[0], `segments[${i}] address`), length: Number(big(s[1], `segments[${i}] length`)) };
      });
      const cdb = bytes(need(j, 'cdb'), 'cdb', MAX_CDB);
      if (cdb.length === 0) throw new BadEvent('"cdb" is empty');
      const ev: TraceEvent = {
        kind,
        ...at,
        taskId: big(need(j, 'taskId'), 'taskId'),
        targetId: big(j['targetId'] ?? 0, 'targetId'),
        lun: num(j, 'lun', 0),
        tag: big(j['tag'] ?? j['taskId'], 'tag'),
        attribute: num(j, 'attribute', 0) as 0,
        direction: num(j, 'direction', 0) as 0,
        requestedBytes: num(j, 'requestedBytes', 0),
        timeoutMs: num(j, 'timeoutMs', 0),
        cdb,
        segments: PackedSegmentList.from(list),
      };
      if (j['bundleSlot'] !== undefined) ev.bundleSlot = num(j, 'bundleSlot');
      return ev;
    }
    case 'complete':
      return {
        kind,
        ...at,
        taskId: big(need(j, 'taskId'), 'taskId'),
        serviceResponse: num(j, 'serviceResponse', 2),
        status: num(j, 'status', 0),
        bytesTransferred: num(j, 'bytesTransferred', 0),
        residual: num(j, 'residual', 0),
        residualFlags: num(j, 'residualFlags', 0),
        sense: bytes(j['sense'] ?? '', 'sense', MAX_SENSE),
      };
    case 'constraints': {
      const entries = need(j, 'entries');
      if (typeof entries !== 'object' || Array.isArray(entries)) throw new BadEvent('"entries" must be an object');
      for (const [k, v] of Object.entries(entries as object)) {
        if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') throw new BadEvent(`constraint "${k}" must be a number, string or boolean`);
      }
      return { kind, ...at, entries: entries as Record<string, number | string | boolean> };
    }
    case 'hba': {
      const ev: TraceEvent = {
        kind,
        ...at,
        hbaKind: num(j, 'hbaKind'),
        phase: num(j, 'phase', 0),
        status: num(j, 'status', 0),
        durationNs: num(j, 'durationNs', 0),
        arg0: big(j['arg0'] ?? 0, 'arg0'),
        arg1: big(j['arg1'] ?? 0, 'arg1'),
        detail: String(j['detail'] ?? ''),
      };
      if (j['taskId'] !== undefined) ev.taskId = big(j['taskId'], 'taskId');
      return ev;
    }
    case 'digest': {
      const chunks = j['chunkDigests'] ?? [];
      if (!Array.isArray(chunks) || chunks.length > MAX_CHUNK_DIGESTS) throw new BadEvent('"chunkDigests" must be an array of at most 1048576 numbers');
      const ev: TraceEvent = {
        kind,
        ...at,
        taskId: big(need(j, 'taskId'), 'taskId'),
        byteCount: num(j, 'byteCount'),
        direction: num(j, 'direction', 0) as 0,
        crc32c: num(j, 'crc32c') >>> 0,
        chunkBytes: num(j, 'chunkBytes', 0),
        chunkDigests: Uint32Array.from(chunks.map((c: unknown) => (typeof c === 'number' ? c >>> 0 : 0))),
      };
      if (j['lba'] !== undefined) ev.lba = big(j['lba'], 'lba');
      return ev;
    }
    case 'note': {
      const ev: TraceEvent = { kind, ...at, text: String(j['text'] ?? '') };
      if (j['taskId'] !== undefined) ev.taskId = big(j['taskId'], 'taskId');
      return ev;
    }
    default:
      throw new BadEvent(`unknown event kind ${JSON.stringify(kind)}`);
  }
}
