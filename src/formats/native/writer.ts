import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32c } from '../../model/crc32c.js';
import {
  DataDirection,
  HbaEventPhase,
  TaskAttribute,
  type ConstraintValue,
  type HbaEventKind,
} from '../../model/events.js';
import { SEGMENT_BYTES } from '../../model/segments.js';
import {
  COMPLETE_FIXED,
  CONSTRAINT_ENTRY_FIXED,
  CONSTRAINTS_FIXED,
  ConstraintType,
  DIGEST_FIXED,
  FILE_HEADER_FIXED,
  FORMAT_MAJOR,
  FORMAT_MINOR,
  HBA_EVENT_FIXED,
  MAGIC,
  MAX_BODY_LENGTH,
  MAX_CDB_LENGTH,
  MAX_SEGMENTS,
  NO_BUNDLE_SLOT,
  NO_LBA,
  NO_TASK,
  NOTE_FIXED,
  RECORD_HEADER,
  RECORD_SYNC,
  RECORD_TRAILER,
  RecordType,
  SUBMIT_FIXED,
  pad8,
} from './layout.js';

export interface WriterOptions {
  producer?: string;
  /** Wall-clock time of timestamp 0, ns since the Unix epoch. */
  startWallNs?: bigint;
  /** Nanoseconds per timestamp tick (1 = ns resolution). */
  tickNs?: number;
}

export interface SegmentInput {
  address: bigint | number;
  length: number;
}

export interface SubmitInput {
  timeNs: number;
  taskId: bigint | number;
  targetId?: bigint | number;
  lun?: number;
  tag?: bigint | number;
  attribute?: TaskAttribute;
  direction?: DataDirection;
  requestedBytes?: number;
  timeoutMs?: number;
  cdb: Uint8Array | ArrayLike<number>;
  /** Segments as objects, or already packed (u64 address, u64 length) LE pairs. */
  segments?: ReadonlyArray<SegmentInput> | Uint8Array;
  bundleSlot?: number;
}

export interface CompleteInput {
  timeNs: number;
  taskId: bigint | number;
  serviceResponse?: number;
  status?: number;
  bytesTransferred?: number;
  residual?: number;
  residualFlags?: number;
  sense?: Uint8Array | ArrayLike<number>;
}

export interface HbaEventInput {
  timeNs: number;
  kind: HbaEventKind | number;
  phase?: HbaEventPhase | number;
  taskId?: bigint | number;
  status?: number;
  durationNs?: number;
  arg0?: bigint | number;
  arg1?: bigint | number;
  detail?: string;
}

export interface DigestInput {
  timeNs: number;
  taskId: bigint | number;
  lba?: bigint | number;
  byteCount: number;
  direction: DataDirection;
  crc32c: number;
  chunkBytes?: number;
  chunkDigests?: ArrayLike<number>;
}

const encoder = new TextEncoder();
const CHUNK = 1 << 20;

/**
 * Writes native .sct records into a byte sink. The sink gets filled chunks of about 1 MiB
 * (and the rest on close), so a writer can produce traces of any size in flat memory.
 */
export class TraceWriter {
  private buf = new Uint8Array(CHUNK);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly tickNs: number;

  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    options: WriterOptions = {},
  ) {
    this.tickNs = options.tickNs ?? 1;
    const producer = encoder.encode(options.producer ?? 'scsitrace');
    const headerLength = pad8(FILE_HEADER_FIXED + producer.length);
    this.ensure(headerLength);
    const v = this.view;
    const p = this.pos;
    this.buf.set(MAGIC, p);
    v.setUint16(p + 8, FORMAT_MAJOR, true);
    v.setUint16(p + 10, FORMAT_MINOR, true);
    v.setUint32(p + 12, headerLength, true);
    v.setUint32(p + 16, this.tickNs, true);
    v.setUint32(p + 20, 0, true); // flags
    v.setBigInt64(p + 24, options.startWallNs ?? 0n, true);
    v.setUint16(p + 32, producer.length, true);
    this.buf.set(producer, p + FILE_HEADER_FIXED);
    this.pos += headerLength;
  }

  submit(t: SubmitInput): void {
    const cdb = t.cdb instanceof Uint8Array ? t.cdb : Uint8Array.from(t.cdb);
    if (cdb.length < 1 || cdb.length > MAX_CDB_LENGTH) throw new RangeError(`CDB length ${cdb.length} outside 1..${MAX_CDB_LENGTH}`);
    const packed = t.segments instanceof Uint8Array;
    const segCount = packed ? (t.segments as Uint8Array).length / SEGMENT_BYTES : (t.segments?.length ?? 0);
    if (segCount > MAX_SEGMENTS) throw new RangeError(`segment count ${segCount} exceeds ${MAX_SEGMENTS}`);
    const cdbPadded = pad8(cdb.length);
    const bodyLength = SUBMIT_FIXED + cdbPadded + segCount * SEGMENT_BYTES;
    const p = this.begin(RecordType.TaskSubmitted, bodyLength);
    const v = this.view;
    this.setTime(p, t.timeNs);
    v.setBigUint64(p + 8, BigInt(t.taskId), true);
    v.setBigUint64(p + 16, BigInt(t.targetId ?? 0), true);
    encodeLun(this.buf, p + 24, t.lun ?? 0);
    v.setBigUint64(p + 32, BigInt(t.tag ?? t.taskId), true);
    this.setU64(p + 40, t.requestedBytes ?? 0);
    v.setUint32(p + 48, t.timeoutMs ?? 0, true);
    v.setUint8(p + 52, t.attribute ?? TaskAttribute.Simple);
    v.setUint8(p + 53, t.direction ?? DataDirection.None);
    v.setUint16(p + 54, cdb.length, true);
    v.setUint32(p + 56, segCount, true);
    v.setUint16(p + 60, t.bundleSlot ?? NO_BUNDLE_SLOT, true);
    v.setUint16(p + 62, 0, true);
    this.buf.set(cdb, p + SUBMIT_FIXED);
    this.buf.fill(0, p + SUBMIT_FIXED + cdb.length, p + SUBMIT_FIXED + cdbPadded);
    let o = p + SUBMIT_FIXED + cdbPadded;
    if (packed) {
      this.buf.set(t.segments as Uint8Array, o);
    } else {
      for (const s of (t.segments ?? []) as ReadonlyArray<SegmentInput>) {
        v.setBigUint64(o, BigInt(s.address), true);
        this.setU64(o + 8, s.length);
        o += SEGMENT_BYTES;
      }
    }
    this.end(p, bodyLength);
  }

  complete(c: CompleteInput): void {
    const sense = c.sense === undefined ? new Uint8Array(0) : c.sense instanceof Uint8Array ? c.sense : Uint8Array.from(c.sense);
    if (sense.length > 255) throw new RangeError(`sense length ${sense.length} exceeds 255`);
    const bodyLength = COMPLETE_FIXED + pad8(sense.length);
    const p = this.begin(RecordType.TaskCompleted, bodyLength);
    const v = this.view;
    this.setTime(p, c.timeNs);
    v.setBigUint64(p + 8, BigInt(c.taskId), true);
    this.setU64(p + 16, c.bytesTransferred ?? 0);
    this.setU64(p + 24, c.residual ?? 0);
    v.setUint8(p + 32, c.serviceResponse ?? 2);
    v.setUint8(p + 33, c.status ?? 0);
    v.setUint8(p + 34, sense.length);
    v.setUint8(p + 35, c.residualFlags ?? 0);
    v.setUint32(p + 36, 0, true);
    this.buf.set(sense, p + COMPLETE_FIXED);
    this.buf.fill(0, p + COMPLETE_FIXED + sense.length, p + bodyLength);
    this.end(p, bodyLength);
  }

  constraints(timeNs: number, entries: Record<string, ConstraintValue>): void {
    const encoded = Object.entries(entries).map(([key, value]) => {
      const k = encoder.encode(key);
      let type: number;
      let val: Uint8Array;
      if (typeof value === 'number') {
        type = ConstraintType.Unsigned;
        val = new Uint8Array(8);
        new DataView(val.buffer).setBigUint64(0, BigInt(value), true);
      } else if (typeof value === 'boolean') {
        type = ConstraintType.Boolean;
        val = Uint8Array.of(value ? 1 : 0);
      } else {
        type = ConstraintType.String;
        val = encoder.encode(value);
      }
      return { k, type, val, size: pad8(CONSTRAINT_ENTRY_FIXED + k.length + val.length) };
    });
    const bodyLength = CONSTRAINTS_FIXED + encoded.reduce((n, e) => n + e.size, 0);
    const p = this.begin(RecordType.HbaConstraints, bodyLength);
    const v = this.view;
    this.setTime(p, timeNs);
    v.setUint16(p + 8, encoded.length, true);
    this.buf.fill(0, p + 10, p + bodyLength);
    let o = p + CONSTRAINTS_FIXED;
    for (const e of encoded) {
      v.setUint8(o, e.type);
      v.setUint16(o + 2, e.k.length, true);
      v.setUint32(o + 4, e.val.length, true);
      this.buf.set(e.k, o + CONSTRAINT_ENTRY_FIXED);
      this.buf.set(e.val, o + CONSTRAINT_ENTRY_FIXED + e.k.length);
      o += e.size;
    }
    this.end(p, bodyLength);
  }

  hba(e: HbaEventInput): void {
    const detail = encoder.encode(e.detail ?? '');
    const bodyLength = HBA_EVENT_FIXED + pad8(detail.length);
    const p = this.begin(RecordType.HbaEvent, bodyLength);
    const v = this.view;
    this.setTime(p, e.timeNs);
    v.setBigUint64(p + 8, e.taskId === undefined ? NO_TASK : BigInt(e.taskId), true);
    v.setUint16(p + 16, e.kind, true);
    v.setUint16(p + 18, e.phase ?? HbaEventPhase.Instant, true);
    v.setUint32(p + 20, e.status ?? 0, true);
    this.setU64(p + 24, e.durationNs ?? 0);
    v.setBigUint64(p + 32, BigInt(e.arg0 ?? 0), true);
    v.setBigUint64(p + 40, BigInt(e.arg1 ?? 0), true);
    v.setUint16(p + 48, detail.length, true);
    this.buf.fill(0, p + 50, p + bodyLength);
    this.buf.set(detail, p + HBA_EVENT_FIXED);
    this.end(p, bodyLength);
  }

  digest(d: DigestInput): void {
    const chunks = d.chunkDigests ?? [];
    const bodyLength = DIGEST_FIXED + pad8(chunks.length * 4);
    const p = this.begin(RecordType.DataDigest, bodyLength);
    const v = this.view;
    this.setTime(p, d.timeNs);
    v.setBigUint64(p + 8, BigInt(d.taskId), true);
    v.setBigUint64(p + 16, d.lba === undefined ? NO_LBA : BigInt(d.lba), true);
    this.setU64(p + 24, d.byteCount);
    v.setUint32(p + 32, d.crc32c >>> 0, true);
    v.setUint8(p + 36, d.direction);
    this.buf.fill(0, p + 37, p + bodyLength);
    v.setUint32(p + 40, d.chunkBytes ?? 0, true);
    v.setUint32(p + 44, chunks.length, true);
    for (let i = 0; i < chunks.length; i++) v.setUint32(p + DIGEST_FIXED + i * 4, chunks[i]! >>> 0, true);
    this.end(p, bodyLength);
  }

  note(timeNs: number, text: string, taskId?: bigint | number): void {
    const bytes = encoder.encode(text);
    const bodyLength = NOTE_FIXED + pad8(bytes.length);
    const p = this.begin(RecordType.Note, bodyLength);
    const v = this.view;
    this.setTime(p, timeNs);
    v.setBigUint64(p + 8, taskId === undefined ? NO_TASK : BigInt(taskId), true);
    v.setUint32(p + 16, bytes.length, true);
    this.buf.fill(0, p + 20, p + bodyLength);
    this.buf.set(bytes, p + NOTE_FIXED);
    this.end(p, bodyLength);
  }

  /** Writes a record of any type with a raw body (for tests of unknown-type skipping). */
  raw(type: number, body: Uint8Array): void {
    const p = this.begin(type, body.length);
    this.buf.set(body, p);
    this.end(p, body.length);
  }

  /** Hands every buffered byte to the sink. */
  flush(): void {
    if (this.pos > 0) {
      this.sink(this.buf.slice(0, this.pos));
      this.pos = 0;
    }
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.view = new DataView(this.buf.buffer);
    }
  }

  /** Writes the record header and returns the body's position. */
  private begin(type: number, bodyLength: number): number {
    if (bodyLength > MAX_BODY_LENGTH) throw new RangeError(`record body ${bodyLength} exceeds ${MAX_BODY_LENGTH}`);
    this.ensure(RECORD_HEADER + bodyLength + RECORD_TRAILER);
    const p = this.pos;
    this.view.setUint32(p, RECORD_SYNC, true);
    this.view.setUint16(p + 4, type, true);
    this.view.setUint16(p + 6, 0, true);
    this.view.setUint32(p + 8, bodyLength, true);
    return p + RECORD_HEADER;
  }

  private end(body: number, bodyLength: number): void {
    const start = body - RECORD_HEADER + 4;
    const crc = crc32c(this.buf, start, body + bodyLength);
    this.view.setUint32(body + bodyLength, crc, true);
    this.pos = body + bodyLength + RECORD_TRAILER;
  }

  private setTime(p: number, timeNs: number): void {
    this.setU64(p, Math.round(timeNs / this.tickNs));
  }

  private setU64(p: number, value: number): void {
    this.view.setUint32(p, value % 0x1_0000_0000, true);
    this.view.setUint32(p + 4, Math.floor(value / 0x1_0000_0000), true);
  }
}

/** SAM-6 4.7: single-level LUN, peripheral addressing below 256, flat addressing up to 16383. */
export function encodeLun(into: Uint8Array, at: number, lun: number): void {
  into.fill(0, at, at + 8);
  if (lun < 256) {
    into[at + 1] = lun;
  } else {
    into[at] = 0x40 | ((lun >> 8) & 0x3f);
    into[at + 1] = lun & 0xff;
  }
}

/** Writes a whole trace into memory: for tests and small tools. */
export function writeTraceToBytes(options: WriterOptions, build: (w: TraceWriter) => void): Uint8Array {
  const parts: Uint8Array[] = [];
  const w = new TraceWriter((b) => parts.push(b), options);
  build(w);
  w.flush();
  return new Uint8Array(Buffer.concat(parts));
}

/** A writer that streams into a file; call close() when done. */
export function createTraceFileWriter(path: string, options: WriterOptions = {}): TraceWriter & { close(): void } {
  const fd = openSync(path, 'w');
  const w = new TraceWriter((b) => {
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
  }, options) as TraceWriter & { close(): void };
  w.close = () => {
    w.flush();
    closeSync(fd);
  };
  return w;
}
