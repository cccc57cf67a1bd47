/**
 * JSON Lines form of the event model: one object per event, exactly what
 * `scsitrace convert --format jsonl` writes (model/json.ts eventToJson) and what the jsonl reader
 * reads back here. Field names are those of src/model/events.ts; enum values are their numbers;
 * byte strings (CDB, sense) are lower-case hex; 64-bit integers are JSON numbers when exact and
 * decimal strings beyond 2^53. README.md ("JSON Lines input") documents it.
 *
 * Every field is checked against the range the model (and the native format) gives it; a line
 * that breaks one is reported naming the field and the problem, quoting at most a short piece
 * of the bad value.
 */
import type { CaptureGap, DataDirection, GapAffects, GapUnit, TaskAttribute, TraceEvent } from '../../model/events.js';
import { PackedSegmentList } from '../../model/segments.js';
import { quoteValue } from '../../model/errors.js';

export { eventToJson, type JsonEvent } from '../../model/json.js';

/** A line that is JSON but not a valid event; the message names the field and the problem. */
export class BadEvent extends Error {}

const MAX_CDB = 260;
const MAX_SENSE = 255;
const MAX_SEGMENTS = 65536;
const MAX_CHUNK_DIGESTS = 1 << 20;
const MAX_CONSTRAINTS = 65535;
/** Longest string field (a note, a detail, a producer) in UTF-16 units; a line is at most 1 MiB anyway. */
const MAX_TEXT = 1 << 20;
const MAX_LABEL = 1024;
const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffff_ffff;
const SAFE = Number.MAX_SAFE_INTEGER;
const U64_LIMIT = 1n << 64n;

/** Reads the fields of one JSON object, each checked against its range. */
class Fields {
  constructor(
    private readonly o: Record<string, unknown>,
    private readonly kind: string,
  ) {}

  private fail(key: string, problem: string): never {
    throw new BadEvent(`"${this.kind}" event, field "${key}": ${problem}`);
  }

  private present(key: string, required: boolean): unknown {
    const v = this.o[key];
    if ((v === undefined || v === null) && required) this.fail(key, 'missing');
    return v === null ? undefined : v;
  }

  /** An integer in [min, max] (a JSON number). */
  int(key: string, max: number, fallback?: number, min = 0): number {
    const v = this.present(key, fallback === undefined);
    if (v === undefined) return fallback!;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(key, `must be an integer ${min}…${max}, got ${quoteValue(v)}`);
    }
    return v;
  }

  /** An unsigned 64-bit integer: a JSON number (exact) or a decimal string. */
  u64(key: string, fallback?: bigint): bigint {
    const v = this.present(key, fallback === undefined);
    return v === undefined ? fallback! : u64Of(v, (problem) => this.fail(key, problem));
  }

  optionalU64(key: string): bigint | undefined {
    const v = this.present(key, false);
    return v === undefined ? undefined : u64Of(v, (problem) => this.fail(key, problem));
  }

  str(key: string, maxLength: number, fallback?: string): string {
    const v = this.present(key, fallback === undefined);
    if (v === undefined) return fallback!;
    if (typeof v !== 'string') this.fail(key, `must be a string, got ${quoteValue(v)}`);
    if (v.length > maxLength) this.fail(key, `is ${v.length} characters long; at most ${maxLength}`);
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.present(key, false);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${quoteValue(v)}`);
    return v;
  }

  /** Lower-case or upper-case hex, two digits a byte, at most `max` bytes. */
  hex(key: string, max: number, required: boolean): Uint8Array {
    const v = this.present(key, required) ?? '';
    if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) this.fail(key, `must be an even-length hex string, got ${quoteValue(v)}`);
    if (v.length / 2 > max) this.fail(key, `is ${v.length / 2} bytes; at most ${max}`);
    return Uint8Array.from(Buffer.from(v, 'hex'));
  }

  array(key: string, max: number): unknown[] {
    const v = this.present(key, false) ?? [];
    if (!Array.isArray(v)) this.fail(key, `must be an array, got ${quoteValue(v)}`);
    if (v.length > max) this.fail(key, `has ${v.length} elements; at most ${max}`);
    return v;
  }

  /** A pair [u64, integer 0…2^53), as segments and buffers are written. */
  pair(key: string, v: unknown): { address: bigint; length: number } {
    if (!Array.isArray(v) || v.length !== 2) this.fail(key, `must be [address, length], got ${quoteValue(v)}`);
    const address = u64Of(v[0], (problem) => this.fail(`${key} address`, problem));
    const length: unknown = v[1];
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0)
      this.fail(`${key} length`, `must be an integer 0…${SAFE}, got ${quoteValue(length)}`);
    return { address, length };
  }

  get(key: string): unknown {
    return this.o[key];
  }
}

function u64Of(v: unknown, fail: (problem: string) => never): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    const b = BigInt(v);
    if (b < U64_LIMIT) return b;
  }
  return fail(`must be an unsigned 64-bit integer (a number below 2^53 or a decimal string), got ${quoteValue(v)}`);
}

/** Builds the event for one parsed line; throws BadEvent when it is not one. */
export function jsonToEvent(o: unknown, offset: number, index: number): TraceEvent {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new BadEvent(`not a JSON object, got ${quoteValue(o)}`);
  const raw = o as Record<string, unknown>;
  const kind = raw['kind'];
  if (typeof kind !== 'string') throw new BadEvent(`field "kind": ${kind === undefined ? 'missing' : `must be an event kind, got ${quoteValue(kind)}`}`);
  const f = new Fields(raw, kind);
  const at = () => ({ offset, index, timeNs: f.int('timeNs', SAFE) });
  switch (kind) {
    case 'header': {
      const startWall = f.get('startWallNs') ?? '0';
      if (!(typeof startWall === 'string' && /^-?\d{1,19}$/.test(startWall)) && !(typeof startWall === 'number' && Number.isSafeInteger(startWall))) {
        throw new BadEvent(`"header" event, field "startWallNs": must be a signed 64-bit integer (number or decimal string), got ${quoteValue(startWall)}`);
      }
      const startWallNs = BigInt(startWall);
      if (startWallNs < -(1n << 63n) || startWallNs >= 1n << 63n)
        throw new BadEvent(`"header" event, field "startWallNs": out of the signed 64-bit range, got ${quoteValue(startWall)}`);
      const origin = f.optionalU64('timeOriginNs');
      const senseCaptured = f.bool('senseCaptured');
      const flushEventsRecorded = f.bool('flushEventsRecorded');
      return {
        kind,
        offset,
        index,
        timeNs: 0,
        format: f.str('format', 64, 'jsonl'),
        version: f.str('version', 64, ''),
        startWallNs,
        producer: f.str('producer', MAX_TEXT, ''),
        ...(origin !== undefined && origin !== 0n ? { timeOriginNs: origin } : {}),
        ...(senseCaptured !== undefined ? { senseCaptured } : {}),
        ...(flushEventsRecorded !== undefined ? { flushEventsRecorded } : {}),
      };
    }
    case 'submit': {
      const segments = f.array('segments', MAX_SEGMENTS).map((s, i) => f.pair(`segments[${i}]`, s));
      const cdb = f.hex('cdb', MAX_CDB, true);
      if (cdb.length === 0) throw new BadEvent('"submit" event, field "cdb": is empty');
      const taskId = f.u64('taskId');
      const label = f.get('targetLabel') === undefined || f.get('targetLabel') === null ? undefined : f.str('targetLabel', MAX_LABEL);
      const buffer = f.get('buffer') === undefined || f.get('buffer') === null ? undefined : f.pair('buffer', f.get('buffer'));
      const sglRecorded = f.bool('sglRecorded');
      const bundleSlot = f.get('bundleSlot') === undefined || f.get('bundleSlot') === null ? undefined : f.int('bundleSlot', U16 - 1);
      return {
        kind,
        ...at(),
        taskId,
        targetId: f.u64('targetId', 0n),
        ...(label !== undefined ? { targetLabel: label } : {}),
        lun: f.int('lun', 16383, 0),
        tag: f.u64('tag', taskId),
        attribute: f.int('attribute', 3, 0) as TaskAttribute,
        direction: f.int('direction', 3, 0) as DataDirection,
        requestedBytes: f.int('requestedBytes', SAFE, 0),
        timeoutMs: f.int('timeoutMs', U32, 0),
        cdb,
        segments: PackedSegmentList.from(segments),
        ...(sglRecorded !== undefined ? { sglRecorded } : {}),
        ...(buffer !== undefined ? { buffer } : {}),
        ...(bundleSlot !== undefined ? { bundleSlot } : {}),
      };
    }
    case 'complete':
      return {
        kind,
        ...at(),
        taskId: f.u64('taskId'),
        serviceResponse: f.int('serviceResponse', U8, 2),
        status: f.int('status', U8, 0),
        bytesTransferred: f.int('bytesTransferred', SAFE, 0),
        residual: f.int('residual', SAFE, 0),
        residualFlags: f.int('residualFlags', U8, 0),
        sense: f.hex('sense', MAX_SENSE, false),
      };
    case 'constraints': {
      const entries = f.get('entries');
      if (entries === undefined || entries === null) throw new BadEvent('"constraints" event, field "entries": missing');
      if (typeof entries !== 'object' || Array.isArray(entries))
        throw new BadEvent(`"constraints" event, field "entries": must be an object, got ${quoteValue(entries)}`);
      const list = Object.entries(entries);
      if (list.length > MAX_CONSTRAINTS) throw new BadEvent(`"constraints" event, field "entries": has ${list.length} keys; at most ${MAX_CONSTRAINTS}`);
      for (const [k, v] of list) {
        const ok = typeof v === 'boolean' || (typeof v === 'string' && v.length <= U16) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
        if (!ok) throw new BadEvent(`"constraints" event, entry ${quoteValue(k)}: must be an integer 0…${SAFE}, a string or a boolean, got ${quoteValue(v)}`);
      }
      return { kind, ...at(), entries: entries as Record<string, number | string | boolean> };
    }
    case 'hba': {
      const taskId = f.optionalU64('taskId');
      return {
        kind,
        ...at(),
        hbaKind: f.int('hbaKind', U16),
        phase: f.int('phase', U16, 0),
        ...(taskId !== undefined ? { taskId } : {}),
        status: f.int('status', U32, 0),
        durationNs: f.int('durationNs', SAFE, 0),
        arg0: f.u64('arg0', 0n),
        arg1: f.u64('arg1', 0n),
        detail: f.str('detail', MAX_TEXT, ''),
      };
    }
    case 'digest': {
      const lba = f.optionalU64('lba');
      const chunks = f.array('chunkDigests', MAX_CHUNK_DIGESTS);
      const chunkDigests = new Uint32Array(chunks.length);
      chunks.forEach((c, i) => {
        if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > U32)
          throw new BadEvent(`"digest" event, field "chunkDigests[${i}]": must be an integer 0…${U32}, got ${quoteValue(c)}`);
        chunkDigests[i] = c;
      });
      return {
        kind,
        ...at(),
        taskId: f.u64('taskId'),
        ...(lba !== undefined ? { lba } : {}),
        byteCount: f.int('byteCount', SAFE),
        direction: f.int('direction', 3, 0) as DataDirection,
        crc32c: f.int('crc32c', U32),
        chunkBytes: f.int('chunkBytes', U32, 0),
        chunkDigests,
      };
    }
    case 'note': {
      const taskId = f.optionalU64('taskId');
      return { kind, ...at(), ...(taskId !== undefined ? { taskId } : {}), text: f.str('text', MAX_TEXT, '') };
    }
    case 'gap': {
      const start = at();
      const endNs = f.int('endNs', SAFE, start.timeNs);
      if (endNs < start.timeNs) throw new BadEvent(`"gap" event, field "endNs": ${endNs} is before its timeNs ${start.timeNs}`);
      const targetId = f.optionalU64('targetId');
      const gap: CaptureGap = {
        kind,
        ...start,
        endNs,
        lost: f.int('lost', SAFE, 0),
        unit: f.int('unit', 4, 0) as GapUnit,
        affects: f.int('affects', 2, 0) as GapAffects,
        ...(targetId !== undefined ? { targetId } : {}),
        detail: f.str('detail', MAX_TEXT, ''),
      };
      return gap;
    }
    default:
      throw new BadEvent(`field "kind": unknown event kind ${quoteValue(kind)}`);
  }
}
