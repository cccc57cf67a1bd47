import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32c } from '../../model/crc32c.js';
import {
  DataDirection,
  GapAffects,
  GapUnit,
  HbaEventPhase,
  TaskAttribute,
  type ConstraintValue,
  type DataBuffer,
  type HbaEventKind,
} from '../../model/events.js';
import {
  ALL_TARGETS,
  CaptureGapRecord,
  Complete,
  ConstraintEntry,
  Constraints,
  ConstraintType,
  Digest,
  FileHeader,
  FORMAT_MAJOR,
  FORMAT_MINOR,
  HbaEventRecord,
  MAGIC,
  MAX_BODY_LENGTH,
  MAX_CDB_LENGTH,
  MAX_LABELLED_TARGETS,
  MAX_SEGMENTS,
  MAX_TARGET_LABEL,
  NO_BUNDLE_SLOT,
  NO_LBA,
  NO_TASK,
  NoteRecord,
  RECORD_HEADER,
  RECORD_SYNC,
  RECORD_TRAILER,
  RecordFrame,
  RecordType,
  Segment,
  Submit,
  SubmitExtension,
  TargetInfo,
  TaskFlag,
  pad8,
} from './layout.js';

export interface WriterOptions {
  producer?: string;
  /** Wall-clock time of timestamp 0, ns since the Unix epoch. */
  startWallNs?: bigint;
  /** Nanoseconds per timestamp tick (1 = ns resolution). */
  tickNs?: number;
  /**
   * The time the given timeNs values count from, in ns after timestamp 0 (a read trace's
   * TraceHeader.timeOriginNs): timestamps are written as (timeOriginNs + timeNs) / tickNs.
   */
  timeOriginNs?: bigint;
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
  /** The driver's SGL: segments as objects, or already packed (u64 address, u64 length) LE pairs. */
  segments?: ReadonlyArray<SegmentInput> | Uint8Array;
  /** Whether the segment list is the driver's SGL even when empty; default: when it has segments. */
  sglRecorded?: boolean;
  /** The one buffer the framework handed the driver (DriverKit's fBufferIOVMAddr range). */
  buffer?: { address: bigint | number; length: number };
  /**
   * The source's name of the target (Linux host:channel:id). A TARGET_INFO record is written
   * before the first submission of a target with a label, and again when it changes.
   */
  targetLabel?: string;
  bundleSlot?: number;
}

export interface GapInput {
  /** Last thing captured before the loss. */
  timeNs: number;
  /** First thing captured after it (default: timeNs). */
  endNs?: number;
  /** How much was lost, in `unit`; 0 = unknown. */
  lost?: number;
  unit?: GapUnit;
  affects?: GapAffects;
  /** The target concerned; undefined = all targets. */
  targetId?: bigint | number;
  detail?: string;
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
  private readonly origin: bigint;
  /** The label in force per target id (what the last TARGET_INFO said). */
  private readonly labels = new Map<bigint, string>();

  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    options: WriterOptions = {},
  ) {
    this.tickNs = options.tickNs ?? 1;
    this.origin = options.timeOriginNs ?? 0n;
    const producer = encoder.encode(options.producer ?? 'scsitrace');
    const H = FileHeader;
    const headerLength = pad8(H.FIXED + producer.length);
    this.ensure(headerLength);
    const v = this.view;
    const p = this.pos;
    this.buf.fill(0, p, p + headerLength);
    this.buf.set(MAGIC, p + H.magic);
    v.setUint16(p + H.major, FORMAT_MAJOR, true);
    v.setUint16(p + H.minor, FORMAT_MINOR, true);
    v.setUint32(p + H.headerLength, headerLength, true);
    v.setUint32(p + H.tickNs, this.tickNs, true);
    v.setUint32(p + H.flags, 0, true);
    v.setBigInt64(p + H.startWallNs, options.startWallNs ?? 0n, true);
    v.setUint16(p + H.producerLength, producer.length, true);
    this.buf.set(producer, p + H.FIXED);
    this.pos += headerLength;
  }

  submit(t: SubmitInput): void {
    const cdb = t.cdb instanceof Uint8Array ? t.cdb : Uint8Array.from(t.cdb);
    if (cdb.length < 1 || cdb.length > MAX_CDB_LENGTH) throw new RangeError(`CDB length ${cdb.length} outside 1..${MAX_CDB_LENGTH}`);
    const packed = t.segments instanceof Uint8Array;
    const segCount = packed ? (t.segments as Uint8Array).length / Segment.FIXED : (t.segments?.length ?? 0);
    if (segCount > MAX_SEGMENTS) throw new RangeError(`segment count ${segCount} exceeds ${MAX_SEGMENTS}`);
    const targetId = BigInt(t.targetId ?? 0);
    this.label(t.timeNs, targetId, t.targetLabel ?? '');
    // The 1.1 extension only when it says more than a 1.0 body would (no buffer; SGL recorded
    // iff it has segments): the two read the same.
    const sglRecorded = segCount > 0 || t.sglRecorded === true;
    const extension = t.buffer !== undefined || sglRecorded !== segCount > 0;
    const cdbPadded = pad8(cdb.length);
    const extAt = Submit.FIXED + cdbPadded + segCount * Segment.FIXED;
    const bodyLength = extAt + (extension ? SubmitExtension.FIXED : 0);
    const p = this.begin(RecordType.TaskSubmitted, bodyLength);
    const v = this.view;
    this.setTime(p + Submit.time, t.timeNs);
    v.setBigUint64(p + Submit.taskId, BigInt(t.taskId), true);
    v.setBigUint64(p + Submit.targetId, targetId, true);
    encodeLun(this.buf, p + Submit.lun, t.lun ?? 0);
    v.setBigUint64(p + Submit.tag, BigInt(t.tag ?? t.taskId), true);
    this.setU64(p + Submit.requestedBytes, t.requestedBytes ?? 0);
    v.setUint32(p + Submit.timeoutMs, t.timeoutMs ?? 0, true);
    v.setUint8(p + Submit.attribute, t.attribute ?? TaskAttribute.Simple);
    v.setUint8(p + Submit.direction, t.direction ?? DataDirection.None);
    v.setUint16(p + Submit.cdbLength, cdb.length, true);
    v.setUint32(p + Submit.segmentCount, segCount, true);
    v.setUint16(p + Submit.bundleSlot, t.bundleSlot ?? NO_BUNDLE_SLOT, true);
    v.setUint16(p + Submit.reserved, 0, true);
    this.buf.set(cdb, p + Submit.FIXED);
    this.buf.fill(0, p + Submit.FIXED + cdb.length, p + Submit.FIXED + cdbPadded);
    let o = p + Submit.FIXED + cdbPadded;
    if (packed) {
      this.buf.set(t.segments as Uint8Array, o);
    } else {
      for (const s of (t.segments ?? []) as ReadonlyArray<SegmentInput>) {
        v.setBigUint64(o + Segment.address, BigInt(s.address), true);
        this.setU64(o + Segment.length, s.length);
        o += Segment.FIXED;
      }
    }
    if (extension) {
      const e = p + extAt;
      const b: DataBuffer | undefined = t.buffer && { address: BigInt(t.buffer.address), length: t.buffer.length };
      v.setBigUint64(e + SubmitExtension.bufferAddress, b?.address ?? 0n, true);
      this.setU64(e + SubmitExtension.bufferLength, b?.length ?? 0);
      v.setUint32(e + SubmitExtension.taskFlags, (b ? TaskFlag.BufferPresent : 0) | (sglRecorded ? TaskFlag.SglRecorded : 0), true);
      v.setUint32(e + SubmitExtension.reserved, 0, true);
    }
    this.end(p, bodyLength);
  }

  /** A TARGET_INFO record when the label in force for the target is not `label` ('' = none). */
  private label(timeNs: number, targetId: bigint, label: string): void {
    if ((this.labels.get(targetId) ?? '') === label) return;
    const bytes = encoder.encode(label);
    if (bytes.length > MAX_TARGET_LABEL) throw new RangeError(`target label of ${bytes.length} bytes exceeds ${MAX_TARGET_LABEL}`);
    if (label && !this.labels.has(targetId) && this.labels.size >= MAX_LABELLED_TARGETS)
      throw new RangeError(`labels for more than ${MAX_LABELLED_TARGETS} targets`);
    const bodyLength = TargetInfo.FIXED + pad8(bytes.length);
    const p = this.begin(RecordType.TargetInfo, bodyLength);
    this.buf.fill(0, p, p + bodyLength);
    this.setTime(p + TargetInfo.time, timeNs);
    this.view.setBigUint64(p + TargetInfo.targetId, targetId, true);
    this.view.setUint16(p + TargetInfo.labelLength, bytes.length, true);
    this.buf.set(bytes, p + TargetInfo.FIXED);
    this.end(p, bodyLength);
    if (label) this.labels.set(targetId, label);
    else this.labels.delete(targetId);
  }

  complete(c: CompleteInput): void {
    const sense = c.sense === undefined ? new Uint8Array(0) : c.sense instanceof Uint8Array ? c.sense : Uint8Array.from(c.sense);
    if (sense.length > 255) throw new RangeError(`sense length ${sense.length} exceeds 255`);
    const C = Complete;
    const bodyLength = C.FIXED + pad8(sense.length);
    const p = this.begin(RecordType.TaskCompleted, bodyLength);
    const v = this.view;
    this.setTime(p + C.time, c.timeNs);
    v.setBigUint64(p + C.taskId, BigInt(c.taskId), true);
    this.setU64(p + C.bytesTransferred, c.bytesTransferred ?? 0);
    this.setU64(p + C.residual, c.residual ?? 0);
    v.setUint8(p + C.serviceResponse, c.serviceResponse ?? 2);
    v.setUint8(p + C.status, c.status ?? 0);
    v.setUint8(p + C.senseLength, sense.length);
    v.setUint8(p + C.residualFlags, c.residualFlags ?? 0);
    v.setUint32(p + C.reserved, 0, true);
    this.buf.set(sense, p + C.FIXED);
    this.buf.fill(0, p + C.FIXED + sense.length, p + bodyLength);
    this.end(p, bodyLength);
  }

  constraints(timeNs: number, entries: Record<string, ConstraintValue>): void {
    const E = ConstraintEntry;
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
      return { k, type, val, size: pad8(E.FIXED + k.length + val.length) };
    });
    const bodyLength = Constraints.FIXED + encoded.reduce((n, e) => n + e.size, 0);
    const p = this.begin(RecordType.HbaConstraints, bodyLength);
    const v = this.view;
    this.buf.fill(0, p, p + bodyLength);
    this.setTime(p + Constraints.time, timeNs);
    v.setUint16(p + Constraints.count, encoded.length, true);
    let o = p + Constraints.FIXED;
    for (const e of encoded) {
      v.setUint8(o + E.type, e.type);
      v.setUint16(o + E.keyLength, e.k.length, true);
      v.setUint32(o + E.valueLength, e.val.length, true);
      this.buf.set(e.k, o + E.FIXED);
      this.buf.set(e.val, o + E.FIXED + e.k.length);
      o += e.size;
    }
    this.end(p, bodyLength);
  }

  /** An HBA_EVENT; durationNs is written in ticks like every time. */
  hba(e: HbaEventInput): void {
    const H = HbaEventRecord;
    const detail = encoder.encode(e.detail ?? '');
    const bodyLength = H.FIXED + pad8(detail.length);
    const p = this.begin(RecordType.HbaEvent, bodyLength);
    const v = this.view;
    this.buf.fill(0, p, p + bodyLength);
    this.setTime(p + H.time, e.timeNs);
    v.setBigUint64(p + H.taskId, e.taskId === undefined ? NO_TASK : BigInt(e.taskId), true);
    v.setUint16(p + H.kind, e.kind, true);
    v.setUint16(p + H.phase, e.phase ?? HbaEventPhase.Instant, true);
    v.setUint32(p + H.status, e.status ?? 0, true);
    this.setU64(p + H.duration, Math.round((e.durationNs ?? 0) / this.tickNs));
    v.setBigUint64(p + H.arg0, BigInt(e.arg0 ?? 0), true);
    v.setBigUint64(p + H.arg1, BigInt(e.arg1 ?? 0), true);
    v.setUint16(p + H.detailLength, detail.length, true);
    this.buf.set(detail, p + H.FIXED);
    this.end(p, bodyLength);
  }

  digest(d: DigestInput): void {
    const D = Digest;
    const chunks = d.chunkDigests ?? [];
    const bodyLength = D.FIXED + pad8(chunks.length * 4);
    const p = this.begin(RecordType.DataDigest, bodyLength);
    const v = this.view;
    this.buf.fill(0, p, p + bodyLength);
    this.setTime(p + D.time, d.timeNs);
    v.setBigUint64(p + D.taskId, BigInt(d.taskId), true);
    v.setBigUint64(p + D.lba, d.lba === undefined ? NO_LBA : BigInt(d.lba), true);
    this.setU64(p + D.byteCount, d.byteCount);
    v.setUint32(p + D.crc32c, d.crc32c >>> 0, true);
    v.setUint8(p + D.direction, d.direction);
    v.setUint32(p + D.chunkBytes, d.chunkBytes ?? 0, true);
    v.setUint32(p + D.chunkCount, chunks.length, true);
    for (let i = 0; i < chunks.length; i++) v.setUint32(p + D.FIXED + i * 4, chunks[i]! >>> 0, true);
    this.end(p, bodyLength);
  }

  note(timeNs: number, text: string, taskId?: bigint | number): void {
    const N = NoteRecord;
    const bytes = encoder.encode(text);
    const bodyLength = N.FIXED + pad8(bytes.length);
    const p = this.begin(RecordType.Note, bodyLength);
    const v = this.view;
    this.buf.fill(0, p, p + bodyLength);
    this.setTime(p + N.time, timeNs);
    v.setBigUint64(p + N.taskId, taskId === undefined ? NO_TASK : BigInt(taskId), true);
    v.setUint32(p + N.textLength, bytes.length, true);
    this.buf.set(bytes, p + N.FIXED);
    this.end(p, bodyLength);
  }

  /** A CAPTURE_GAP: the capture lost something between two times (model CaptureGap). */
  gap(g: GapInput): void {
    const G = CaptureGapRecord;
    const detail = encoder.encode(g.detail ?? '');
    if (detail.length > 0xffff) throw new RangeError(`gap detail of ${detail.length} bytes exceeds 65535`);
    const bodyLength = G.FIXED + pad8(detail.length);
    const p = this.begin(RecordType.CaptureGap, bodyLength);
    const v = this.view;
    this.buf.fill(0, p, p + bodyLength);
    this.setTime(p + G.time, g.timeNs);
    this.setTime(p + G.endTime, Math.max(g.timeNs, g.endNs ?? g.timeNs));
    this.setU64(p + G.lost, g.lost ?? 0);
    v.setBigUint64(p + G.targetId, g.targetId === undefined ? ALL_TARGETS : BigInt(g.targetId), true);
    v.setUint8(p + G.unit, g.unit ?? GapUnit.Unknown);
    v.setUint8(p + G.affects, g.affects ?? GapAffects.All);
    v.setUint16(p + G.detailLength, detail.length, true);
    this.buf.set(detail, p + G.FIXED);
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
    const F = RecordFrame;
    this.view.setUint32(p + F.sync, RECORD_SYNC, true);
    this.view.setUint16(p + F.type, type, true);
    this.view.setUint16(p + F.flags, 0, true);
    this.view.setUint32(p + F.bodyLength, bodyLength, true);
    return p + RECORD_HEADER;
  }

  private end(body: number, bodyLength: number): void {
    const start = body - RECORD_HEADER + RecordFrame.type;
    const crc = crc32c(this.buf, start, body + bodyLength);
    this.view.setUint32(body + bodyLength, crc, true);
    this.pos = body + bodyLength + RECORD_TRAILER;
  }

  /** A timestamp field: (origin + timeNs) in ticks. */
  private setTime(p: number, timeNs: number): void {
    if (this.origin === 0n) {
      this.setU64(p, Math.round(timeNs / this.tickNs));
      return;
    }
    const ns = this.origin + BigInt(Math.round(timeNs));
    this.view.setBigUint64(p, ns / BigInt(this.tickNs), true);
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
