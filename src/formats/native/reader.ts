import { DamagedStretch } from '../damage.js';
import { CaptureGapToken, ConstraintEntryToken, ConstraintsToken, DigestToken, FileHeaderToken, HbaEventToken, NoteToken, TargetInfoToken } from './tokens.js';
import { Crc32cWindow } from '../../model/crc32c.js';
import {
  GapAffects,
  GapUnit,
  HbaEventPhase,
  type CaptureGap,
  type ConstraintValue,
  type DataDirection,
  type Diagnostic,
  type TraceEvent,
  type TraceHeader,
} from '../../model/events.js';
import { describeOffset, quoteValue } from '../../model/errors.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import { decodeLun } from '../../model/lun.js';
import { SEGMENT_BYTES } from '../../model/segments.js';
import { keyOf, NONE, taskKey, RowFlag, RowKind, type TaskBatch } from '../../model/batch.js';
import { BatchBuilder, batchToEvents } from '../../model/batch-builder.js';
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
  HbaEventRecord,
  MAGIC,
  MAX_BODY_LENGTH,
  MAX_CDB_LENGTH,
  MAX_HEADER_LENGTH,
  MAX_LABELLED_TARGETS,
  MAX_OPEN_HBA_EVENTS,
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
  Submit,
  SubmitExtension,
  SYNC_BYTES,
  TargetInfo,
  TaskFlag,
  TIMESTAMP_AT,
  pad8,
} from './layout.js';

// Every field is read at the offset layout.ts defines for it: the file header and the rare
// records through their binary-parser tokens (tokens.ts), TASK_SUBMITTED and TASK_COMPLETED by
// hand straight into the batch columns (a token parse of both costs ~20× the hand read:
// ARCHITECTURE.md, scripts/token-bench.mjs).

const decoder = new TextDecoder('utf-8', { fatal: false });

/** One CRC window for every decoder: run() loads and checks within one synchronous call. */
let sharedCrc: Crc32cWindow | undefined;
function crcWindow(): Crc32cWindow {
  return (sharedCrc ??= new Crc32cWindow());
}

/** A record whose framing and CRC are fine but whose content contradicts itself. */
class BadRecord extends Error {}

/** Timestamps past this many ns (about 52 days) are counted from a time origin (see TraceHeader.timeOriginNs). */
const ORIGIN_THRESHOLD_NS = 1n << 52n;

export interface NativeDecoderOptions {
  /**
   * Bare records with no file header, as carried one per line in os_log exports; `tickNs` is
   * then the timestamp unit.
   */
  headerless?: boolean;
  tickNs?: number;
  /**
   * Hold the header event back until the first record, so that a trace whose timestamps are
   * past 2^52 ns gets a time origin (TraceHeader.timeOriginNs) and exact times. Readers of
   * whole files set it; a caller that feeds a header on its own and needs its event at once
   * (the os_log reader) does not.
   */
  exactTimes?: boolean;
}

/**
 * Incremental decoder of the native format: push chunks, get events. Framing damage is
 * reported as Diagnostic events; reading resumes at the next record whose sync word and
 * CRC32C check out. Records are numbered by their place in the file, damaged ones included
 * (docs/FORMAT.md, "Record numbers").
 */
export class NativeDecoder {
  private pending: Uint8Array = new Uint8Array(0);
  /** Absolute file offset of pending[0]. */
  private base = 0;
  private state: 'header' | 'records' | 'dead' = 'header';
  private tickNs = 1;
  private tickBig = 1n;
  /** Event times are counted from here (ns after timestamp 0); see TraceHeader.timeOriginNs. */
  private origin = 0n;
  /** origin !== 0n, as a plain boolean for the per-record check. */
  private rebased = false;
  /** The header event, held back until the first record decides the time origin. */
  private heldHeader: TraceHeader | undefined;
  private recordIndex = 0;
  /** The damaged stretch being skipped, if any (src/formats/damage.ts). */
  private readonly damaged = new DamagedStretch();
  /** Time of the last good record, for diagnostics. */
  private lastTimeNs = 0;
  /** Target labels from TARGET_INFO records (their ids in the batches' label table), by target id as a TaskKey. */
  private readonly labels = new Map<number | bigint, number>();
  /** HBA events issued and not yet completed: timestamp (ticks) and record number by kind and task. */
  private readonly openHba = new Map<string, { ticks: bigint; index: number }>();
  /** The batch being filled (the decoder's own, reused: valid until the next call). */
  private readonly out = new BatchBuilder();
  private readonly exactTimes: boolean;

  /** See NativeDecoderOptions. */
  constructor(
    readonly stats: ReadStats = newReadStats(),
    options: NativeDecoderOptions = {},
  ) {
    this.exactTimes = options.exactTimes ?? false;
    if (options.headerless) {
      this.state = 'records';
      this.setTick(options.tickNs ?? 1);
    }
  }

  /** Decodes a chunk into the decoder's batch, which it returns (valid until the next call). */
  pushBatch(chunk: Uint8Array): TaskBatch {
    this.out.target();
    this.feed(chunk);
    return this.out.take();
  }

  /** The events of a chunk (the event API: an adapter over pushBatch). */
  push(chunk: Uint8Array, out: TraceEvent[] = []): TraceEvent[] {
    return batchToEvents(this.pushBatch(chunk), out);
  }

  private feed(chunk: Uint8Array): void {
    this.stats.bytesRead += chunk.length;
    if (this.pending.length === 0) {
      this.pending = chunk;
      this.run(false);
      return;
    }
    // A record straddles the chunk boundary. Copy only what it needs from the new chunk (not
    // the whole chunk: that copy cost more than the CRC), decode it, then go on in the chunk
    // itself.
    const left = this.pending.length;
    const take = Math.min(chunk.length, Math.max(this.bytesToFinishPending(), 4096));
    const joined = new Uint8Array(left + take);
    joined.set(this.pending, 0);
    joined.set(chunk.subarray(0, take), left);
    this.pending = joined;
    this.run(false);
    const consumed = joined.length - this.pending.length;
    if (consumed >= left) {
      // Everything not yet decoded lies in the chunk: continue there without copying.
      this.pending = chunk.subarray(consumed - left);
    } else if (take < chunk.length) {
      // Still short of a whole record (a long one, or damage): fall back to joining it all.
      const all = new Uint8Array(this.pending.length + chunk.length - take);
      all.set(this.pending, 0);
      all.set(chunk.subarray(take), this.pending.length);
      this.pending = all;
    } else {
      return;
    }
    this.run(false);
  }

  /** Bytes the record starting the pending buffer still lacks (a guess when unknown). */
  private bytesToFinishPending(): number {
    const p = this.pending;
    if (this.state !== 'records' || p.length < RECORD_HEADER) return RECORD_HEADER;
    const at = RecordFrame.bodyLength;
    const bodyLength = (p[at]! | (p[at + 1]! << 8) | (p[at + 2]! << 16) | (p[at + 3]! << 24)) >>> 0;
    if (bodyLength > MAX_BODY_LENGTH) return RECORD_HEADER;
    return RECORD_HEADER + bodyLength + RECORD_TRAILER - p.length;
  }

  /** Call at end of input: reports truncation and any damage still open. */
  endBatch(): TaskBatch {
    this.out.target();
    this.run(true);
    this.releaseHeader();
    if (this.state === 'header' && this.stats.bytesRead === 0) {
      this.emit(this.diag(0, 'empty file: no native trace header', 0, true));
    }
    return this.out.take();
  }

  /** The events at the end of input (the event API). */
  end(out: TraceEvent[] = []): TraceEvent[] {
    return batchToEvents(this.endBatch(), out);
  }

  private emit(ev: TraceEvent): void {
    this.out.target().addEvent(ev);
  }

  private setTick(tickNs: number): void {
    this.tickNs = tickNs;
    this.tickBig = BigInt(tickNs);
  }

  private run(eof: boolean): void {
    if (this.state === 'header' && !this.readHeader(eof)) return;
    if (this.state !== 'records') return;
    const buf = this.pending;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    // A chunk read straight into a window's memory (openTrace does that for this format) is
    // checked where it lies; anything else (a record joined across chunks) is copied into the
    // shared window.
    const crc = Crc32cWindow.holding(buf) ?? crcWindow();
    crc.load(buf);
    const typeAt = RecordFrame.type;
    const lengthAt = RecordFrame.bodyLength;
    let p = 0;
    for (;;) {
      // The happy path: WebAssembly checks a run of whole, sound records (sync word, length,
      // CRC) in one call; the checks below then see only where that run stopped.
      if (!this.damaged.open) {
        const n = crc.scanRecords(p, buf.length);
        if (n > 0) {
          for (let i = 0; i < n; i++) {
            const at = crc.recordAt(i);
            this.record(buf, view, at, view.getUint16(at + typeAt, true), view.getUint32(at + lengthAt, true));
          }
          const last = crc.recordAt(n - 1);
          p = last + RECORD_HEADER + view.getUint32(last + lengthAt, true) + RECORD_TRAILER;
          continue;
        }
      }
      const avail = buf.length - p;
      if (avail === 0) break;
      if (avail < RECORD_HEADER) {
        if (!eof) break;
        p = this.damage(buf, p, eof, `truncated record header: ${avail} of ${RECORD_HEADER} bytes`);
        continue;
      }
      if (view.getUint32(p, true) !== RECORD_SYNC) {
        p = this.damage(buf, p, eof, 'no record sync word');
        if (p < 0) break;
        continue;
      }
      const type = view.getUint16(p + typeAt, true);
      const bodyLength = view.getUint32(p + lengthAt, true);
      if (bodyLength > MAX_BODY_LENGTH) {
        p = this.damage(buf, p, eof, `record length ${bodyLength} exceeds ${MAX_BODY_LENGTH}`);
        if (p < 0) break;
        continue;
      }
      const total = RECORD_HEADER + bodyLength + RECORD_TRAILER;
      if (avail < total) {
        if (!eof) break;
        p = this.damage(buf, p, eof, `truncated record (type ${type}): needs ${total} bytes, ${avail} present`);
        if (p < 0) break;
        continue;
      }
      const bodyStart = p + RECORD_HEADER;
      const stored = view.getUint32(bodyStart + bodyLength, true);
      if (crc.crc(p + 4, bodyStart + bodyLength) !== stored) {
        p = this.damage(buf, p, eof, `record CRC32C mismatch (type ${type}, length ${bodyLength})`);
        if (p < 0) break;
        continue;
      }
      if (this.damaged.open) this.closeDamage(this.base + p);
      this.record(buf, view, p, type, bodyLength);
      p += total;
    }
    this.consume(p);
  }

  /** Decodes one whole record whose framing and CRC checked out. */
  private record(buf: Uint8Array, view: DataView, p: number, type: number, bodyLength: number): void {
    const offset = this.base + p;
    const index = this.recordIndex++;
    const bodyStart = p + RECORD_HEADER;
    this.stats.records++;
    if (this.heldHeader && type >= RecordType.TaskSubmitted && type <= RecordType.CaptureGap && bodyLength >= 8) {
      this.chooseOrigin(view.getBigUint64(bodyStart + TIMESTAMP_AT, true));
      this.releaseHeader();
    }
    try {
      // Task records take short paths of their own (kept small so that they inline), filling
      // batch columns straight from the record bytes; decodeBody handles the rare types.
      if (type === RecordType.TaskSubmitted) {
        this.submitRow(buf, view, bodyStart, bodyLength, offset, index);
      } else if (type === RecordType.TaskCompleted) {
        this.completeRow(buf, view, bodyStart, bodyLength, offset, index);
      } else {
        const ev = this.decodeBody(type, buf, view, bodyStart, bodyLength, offset, index);
        if (ev) {
          this.emit(ev);
          this.lastTimeNs = ev.timeNs;
        }
      }
    } catch (e) {
      if (!(e instanceof BadRecord)) throw e;
      const total = RECORD_HEADER + bodyLength + RECORD_TRAILER;
      this.stats.skippedRecords++;
      this.stats.skippedBytes += total;
      this.emit(this.diag(offset, e.message, total, false, index, 1));
    }
  }

  /** A trace whose first timestamp is past 2^52 ns counts its times from that timestamp's whole second. */
  private chooseOrigin(firstTicks: bigint): void {
    const firstNs = firstTicks * this.tickBig;
    if (this.exactTimes && firstNs > ORIGIN_THRESHOLD_NS) {
      this.origin = firstNs - (firstNs % 1_000_000_000n);
      this.rebased = true;
    }
  }

  /** Sends the held header event (before anything else of the trace). */
  private releaseHeader(): void {
    const h = this.heldHeader;
    if (!h) return;
    this.heldHeader = undefined;
    if (this.rebased) h.timeOriginNs = this.origin;
    this.emit(h);
  }

  /** A timestamp field (u64 ticks) as ns since the time origin. */
  private time(v: DataView, at: number): number {
    return this.rebased ? this.rebasedTime(v, at) : u64(v, at) * this.tickNs;
  }

  /** A timestamp already read (a token's bigint) as ns, like time(). */
  private ticksTime(ticks: bigint): number {
    return this.rebased ? Number(ticks * this.tickBig - this.origin) : Number(ticks) * this.tickNs;
  }

  private rebasedTime(v: DataView, at: number): number {
    return Number(v.getBigUint64(at, true) * this.tickBig - this.origin);
  }

  /** Drops bytes before p from the pending buffer. */
  private consume(p: number): void {
    if (p <= 0) return;
    this.base += p;
    this.pending = p >= this.pending.length ? new Uint8Array(0) : this.pending.subarray(p);
  }

  /**
   * Starts or continues a damaged stretch at p and scans for the next sync word. Returns the
   * position to try next, or -1 when more input is needed first. The place where a damaged
   * stretch starts takes a record number, and so does every sync word in it where a record was
   * tried and failed: no two places in the file get the same number.
   */
  private damage(buf: Uint8Array, p: number, eof: boolean, what: string): number {
    if (!this.damaged.open) {
      this.damaged.begin(this.base + p, what, this.recordIndex++);
    } else if (
      p + 4 <= buf.length &&
      buf[p] === SYNC_BYTES[0] &&
      buf[p + 1] === SYNC_BYTES[1] &&
      buf[p + 2] === SYNC_BYTES[2] &&
      buf[p + 3] === SYNC_BYTES[3]
    ) {
      this.recordIndex++;
    }
    const next = indexOfSync(buf, p + 1);
    if (next >= 0) {
      this.damaged.skip(next - p);
      return next;
    }
    // No sync word in what we have: keep the last 3 bytes (they may start one) unless at EOF.
    const keep = eof ? 0 : Math.min(3, buf.length - p);
    const dropTo = buf.length - keep;
    this.damaged.skip(dropTo - p);
    if (eof) {
      this.closeDamage(this.base + buf.length, true);
      return buf.length;
    }
    this.consume(dropTo);
    return -1;
  }

  private closeDamage(resumeAt: number, atEof = false): void {
    const d = this.damaged.close(this.stats, resumeAt, atEof);
    if (!d) return;
    this.releaseHeader();
    this.emit(this.diag(d.offset, d.message, d.skippedBytes, atEof, d.index, 0));
  }

  private readHeader(eof: boolean): boolean {
    const buf = this.pending;
    const magicLen = Math.min(buf.length, MAGIC.length);
    for (let i = 0; i < magicLen; i++) {
      if (buf[i] !== MAGIC[i]) {
        this.state = 'dead';
        this.emit(this.diag(i, 'not a scsitrace native trace (bad magic)', buf.length, true));
        return false;
      }
    }
    if (buf.length < FileHeader.FIXED) {
      if (eof && buf.length > 0) {
        this.state = 'dead';
        this.emit(this.diag(0, `truncated file header: ${buf.length} of ${FileHeader.FIXED} bytes`, buf.length, true));
      }
      return false;
    }
    const { major, minor, headerLength, tickNs, producerLength, startWallNs } = FileHeaderToken.read(buf, 0);
    const fail = (at: number, msg: string) => {
      this.state = 'dead';
      this.emit(this.diag(at, msg, buf.length, true));
      return false;
    };
    if (major !== FORMAT_MAJOR) return fail(FileHeader.major, `unsupported format version ${major}.${minor} (this reader reads ${FORMAT_MAJOR}.x)`);
    if (headerLength < FileHeader.FIXED || headerLength > MAX_HEADER_LENGTH)
      return fail(FileHeader.headerLength, `header length ${headerLength} outside ${FileHeader.FIXED}..${MAX_HEADER_LENGTH}`);
    if (tickNs === 0) return fail(FileHeader.tickNs, 'timestamp unit of 0 ns');
    if (FileHeader.FIXED + producerLength > headerLength)
      return fail(FileHeader.producerLength, `producer length ${producerLength} overruns header length ${headerLength}`);
    if (buf.length < headerLength) {
      if (eof) return fail(0, `truncated file header: ${buf.length} of ${headerLength} bytes`);
      return false;
    }
    this.setTick(tickNs);
    const header: TraceHeader = {
      kind: 'header',
      offset: 0,
      index: -1,
      timeNs: 0,
      format: 'native',
      version: `${major}.${minor}`,
      startWallNs,
      producer: decoder.decode(buf.subarray(FileHeader.FIXED, FileHeader.FIXED + producerLength)),
      // TASK_COMPLETED records the sense data the driver returned (FORMAT.md), none when none.
      senseCaptured: true,
    };
    this.heldHeader = header;
    if (!this.exactTimes) this.releaseHeader();
    this.state = 'records';
    this.consume(headerLength);
    return true;
  }

  /**
   * A TASK_SUBMITTED record as a Submit row: every field read at its layout.ts offset into its
   * column, the CDB (padded to 8) and the segments copied together into the batch's slab. All
   * checks come first: a bad record adds no row.
   */
  private submitRow(buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): void {
    const cdbLength = checkSubmit(v, b, len);
    checkCount(v, b + Submit.requestedBytes, 'requested transfer count');
    const segCount = v.getUint32(b + Submit.segmentCount, true);
    const cdbAt = b + Submit.FIXED;
    const segEnd = cdbAt + pad8(cdbLength) + segCount * SEGMENT_BYTES;
    // 1.1's extension, when the body holds it (a 1.0 body ends with the segment list).
    let flags = 0;
    let bufferAt = -1;
    if (b + len - segEnd >= SubmitExtension.FIXED) {
      const taskFlags = v.getUint32(segEnd + SubmitExtension.taskFlags, true);
      if (taskFlags & TaskFlag.BufferPresent) {
        checkBufferLength(v, segEnd);
        flags |= RowFlag.BufferPresent;
        bufferAt = segEnd;
      }
      if (taskFlags & TaskFlag.SglRecorded && segCount === 0) flags |= RowFlag.SglRecordedSet | RowFlag.SglRecorded;
    }
    const timeNs = (this.lastTimeNs = this.time(v, b + Submit.time));
    const t = this.out.target();
    const r = t.addRow(RowKind.Submit);
    t.offset[r] = t.subOffset[r] = offset;
    t.index[r] = t.subIndex[r] = index;
    t.timeNs[r] = t.subTimeNs[r] = timeNs;
    t.taskIdLo[r] = v.getUint32(b + Submit.taskId, true);
    t.taskIdHi[r] = v.getUint32(b + Submit.taskId + 4, true);
    const targetLo = (t.targetIdLo[r] = v.getUint32(b + Submit.targetId, true));
    const targetHi = (t.targetIdHi[r] = v.getUint32(b + Submit.targetId + 4, true));
    t.tagLo[r] = v.getUint32(b + Submit.tag, true);
    t.tagHi[r] = v.getUint32(b + Submit.tag + 4, true);
    t.lun[r] = decodeLun(buf, b + Submit.lun);
    t.requestedBytes[r] = u64(v, b + Submit.requestedBytes);
    t.timeoutMs[r] = v.getUint32(b + Submit.timeoutMs, true);
    t.attribute[r] = buf[b + Submit.attribute]!;
    t.direction[r] = buf[b + Submit.direction]!;
    const slot = v.getUint16(b + Submit.bundleSlot, true);
    t.bundleSlot[r] = slot === NO_BUNDLE_SLOT ? NONE : slot;
    t.labelId[r] = this.labels.size === 0 ? NONE : (this.labels.get(keyOf(targetHi, targetLo)) ?? NONE);
    const at = t.copyToSlab(buf, cdbAt, segEnd);
    t.cdbAt[r] = at;
    t.cdbLength[r] = cdbLength;
    t.sglAt[r] = at + pad8(cdbLength);
    t.segmentCount[r] = segCount;
    if (bufferAt >= 0) {
      t.bufferLo[r] = v.getUint32(bufferAt + SubmitExtension.bufferAddress, true);
      t.bufferHi[r] = v.getUint32(bufferAt + SubmitExtension.bufferAddress + 4, true);
      t.bufferLength[r] = u64(v, bufferAt + SubmitExtension.bufferLength);
    } else {
      t.bufferLo[r] = t.bufferHi[r] = 0;
      t.bufferLength[r] = 0;
    }
    t.flags[r] = flags;
  }

  /** A TASK_COMPLETED record as a Complete row. */
  private completeRow(buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): void {
    const senseLength = checkComplete(buf, b, len);
    checkCount(v, b + Complete.bytesTransferred, 'bytes transferred');
    checkCount(v, b + Complete.residual, 'residual');
    const timeNs = (this.lastTimeNs = this.time(v, b + Complete.time));
    const t = this.out.target();
    const r = t.addRow(RowKind.Complete);
    t.offset[r] = offset;
    t.index[r] = index;
    t.timeNs[r] = timeNs;
    t.taskIdLo[r] = v.getUint32(b + Complete.taskId, true);
    t.taskIdHi[r] = v.getUint32(b + Complete.taskId + 4, true);
    t.bytesTransferred[r] = u64(v, b + Complete.bytesTransferred);
    t.residual[r] = u64(v, b + Complete.residual);
    t.serviceResponse[r] = buf[b + Complete.serviceResponse]!;
    t.status[r] = buf[b + Complete.status]!;
    t.residualFlags[r] = buf[b + Complete.residualFlags]!;
    t.senseLength[r] = senseLength;
    t.senseAt[r] = senseLength === 0 ? 0 : t.copyToSlab(buf, b + Complete.FIXED, b + Complete.FIXED + senseLength);
  }

  /** Records other than the two task records (see record()). */
  private decodeBody(type: number, buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): TraceEvent | undefined {
    switch (type) {
      case RecordType.HbaConstraints: {
        need(len, Constraints.FIXED, 'HBA_CONSTRAINTS');
        const { time, count } = ConstraintsToken.read(buf, b);
        const entries: Record<string, ConstraintValue> = {};
        let o = b + Constraints.FIXED;
        for (let i = 0; i < count; i++) {
          if (o + ConstraintEntry.FIXED > b + len) throw new BadRecord(`constraint entry ${i} of ${count} overruns the record`);
          const { type: valueType, keyLength, valueLength } = ConstraintEntryToken.read(buf, o);
          const keyAt = o + ConstraintEntry.FIXED;
          const valueAt = keyAt + keyLength;
          if (valueAt + valueLength > b + len) throw new BadRecord(`constraint entry ${i} of ${count} overruns the record`);
          const key = decoder.decode(buf.subarray(keyAt, valueAt));
          if (valueType === ConstraintType.Unsigned) {
            if (valueLength !== 8) throw new BadRecord(`constraint ${quoteValue(key)}: unsigned value of ${valueLength} bytes, expected 8`);
            // A u64 a number cannot hold exactly (a 64-bit HBA Data Alignment mask) goes on as hex text,
            // which the constraints parser reads exactly; smaller values stay numbers.
            const high = v.getUint32(valueAt + 4, true);
            entries[key] = high < 0x20_0000 ? u64(v, valueAt) : `0x${v.getBigUint64(valueAt, true).toString(16)}`;
          } else if (valueType === ConstraintType.Boolean) {
            if (valueLength !== 1) throw new BadRecord(`constraint ${quoteValue(key)}: boolean value of ${valueLength} bytes, expected 1`);
            entries[key] = buf[valueAt] !== 0;
          } else if (valueType === ConstraintType.String) {
            entries[key] = decoder.decode(buf.subarray(valueAt, valueAt + valueLength));
          } else {
            throw new BadRecord(`constraint ${quoteValue(key)}: unknown value type ${valueType}`);
          }
          o += pad8(ConstraintEntry.FIXED + keyLength + valueLength);
        }
        return { kind: 'constraints', offset, index, timeNs: this.ticksTime(time), entries };
      }
      case RecordType.HbaEvent:
        return this.hbaEvent(buf, v, b, len, offset, index);
      case RecordType.DataDigest: {
        need(len, Digest.FIXED, 'DATA_DIGEST');
        const d = DigestToken.read(buf, b);
        checkCount(v, b + Digest.byteCount, 'digest byte count');
        const chunkCount = d.chunkCount;
        if (Digest.FIXED + chunkCount * 4 > len) throw new BadRecord(`chunk digest count ${chunkCount} overruns record of ${len} bytes`);
        const chunkDigests = new Uint32Array(chunkCount);
        for (let i = 0; i < chunkCount; i++) chunkDigests[i] = v.getUint32(b + Digest.FIXED + i * 4, true);
        return {
          kind: 'digest',
          offset,
          index,
          timeNs: this.ticksTime(d.time),
          taskId: d.taskId,
          lba: d.lba === NO_LBA ? undefined : d.lba,
          byteCount: Number(d.byteCount),
          direction: d.direction as DataDirection,
          crc32c: d.crc32c,
          chunkBytes: d.chunkBytes,
          chunkDigests,
        };
      }
      case RecordType.Note: {
        need(len, NoteRecord.FIXED, 'NOTE');
        const { time, taskId, textLength } = NoteToken.read(buf, b);
        if (NoteRecord.FIXED + textLength > len) throw new BadRecord(`note length ${textLength} overruns record of ${len} bytes`);
        return {
          kind: 'note',
          offset,
          index,
          timeNs: this.ticksTime(time),
          taskId: taskId === NO_TASK ? undefined : taskId,
          text: decoder.decode(buf.subarray(b + NoteRecord.FIXED, b + NoteRecord.FIXED + textLength)),
        };
      }
      case RecordType.TargetInfo: {
        need(len, TargetInfo.FIXED, 'TARGET_INFO');
        const { targetId, labelLength } = TargetInfoToken.read(buf, b);
        if (labelLength > MAX_TARGET_LABEL) throw new BadRecord(`target label of ${labelLength} bytes exceeds ${MAX_TARGET_LABEL}`);
        if (TargetInfo.FIXED + labelLength > len) throw new BadRecord(`label length ${labelLength} overruns record of ${len} bytes`);
        const target = taskKey(targetId);
        if (labelLength === 0) {
          this.labels.delete(target);
          return undefined;
        }
        if (!this.labels.has(target) && this.labels.size >= MAX_LABELLED_TARGETS) throw new BadRecord(`a label for more than ${MAX_LABELLED_TARGETS} targets`);
        this.labels.set(target, this.out.labelId(decoder.decode(buf.subarray(b + TargetInfo.FIXED, b + TargetInfo.FIXED + labelLength))));
        return undefined;
      }
      case RecordType.CaptureGap: {
        return this.captureGap(buf, v, b, len, offset, index);
      }
      default:
        this.stats.unknownRecords++;
        this.stats.unknownTypes.set(type, (this.stats.unknownTypes.get(type) ?? 0) + 1);
        return undefined;
    }
  }

  /**
   * An HBA_EVENT. Its duration field is in ticks like every time. A completed event whose issued
   * event (same kind and task) came before takes its duration from the two timestamps; a
   * non-zero duration field that disagrees with them by more than one tick is reported (the
   * timestamps win). See docs/FORMAT.md, "4 HBA_EVENT".
   */
  private hbaEvent(buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): TraceEvent {
    need(len, HbaEventRecord.FIXED, 'HBA_EVENT');
    const h = HbaEventToken.read(buf, b);
    const { detailLength, taskId, kind, phase, time: ticks, duration: durationTicks } = h;
    if (HbaEventRecord.FIXED + detailLength > len) throw new BadRecord(`detail length ${detailLength} overruns record of ${len} bytes`);
    if (durationTicks * this.tickBig >= EXACT_LIMIT) throw new BadRecord(`HBA_EVENT duration of ${durationTicks} ticks exceeds 2^53 ns`);
    let durationNs = Number(durationTicks * this.tickBig);
    const key = `${kind}:${taskId}`;
    if (phase === HbaEventPhase.Issued) {
      this.openHba.delete(key);
      this.openHba.set(key, { ticks, index });
      if (this.openHba.size > MAX_OPEN_HBA_EVENTS) this.openHba.delete(this.openHba.keys().next().value!);
    } else if (phase === HbaEventPhase.Completed) {
      const issued = this.openHba.get(key);
      if (issued !== undefined && issued.ticks <= ticks) {
        this.openHba.delete(key);
        const spanTicks = ticks - issued.ticks;
        const diff = durationTicks > spanTicks ? durationTicks - spanTicks : spanTicks - durationTicks;
        if (durationTicks !== 0n && diff > 1n) {
          this.emit(
            this.diag(
              offset,
              `HBA_EVENT duration of ${durationTicks} ticks disagrees with its issued event (record ${issued.index}) ${spanTicks} ticks earlier; the timestamps are used`,
              0,
              false,
              index,
            ),
          );
        }
        durationNs = Number(spanTicks * this.tickBig);
      }
    }
    return {
      kind: 'hba',
      offset,
      index,
      timeNs: this.ticksTime(ticks),
      hbaKind: kind,
      phase,
      taskId: taskId === NO_TASK ? undefined : taskId,
      status: h.status,
      durationNs,
      arg0: h.arg0,
      arg1: h.arg1,
      detail: decoder.decode(buf.subarray(b + HbaEventRecord.FIXED, b + HbaEventRecord.FIXED + detailLength)),
    };
  }

  private captureGap(buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): CaptureGap {
    const R = CaptureGapRecord;
    need(len, R.FIXED, 'CAPTURE_GAP');
    const { detailLength, time: start, endTime: end, targetId: target, unit, affects, lost } = CaptureGapToken.read(buf, b);
    if (R.FIXED + detailLength > len) throw new BadRecord(`detail length ${detailLength} overruns record of ${len} bytes`);
    if (end < start) throw new BadRecord(`capture gap ends (${end}) before it starts (${start})`);
    if (lost >= EXACT_LIMIT) throw new BadRecord(`capture gap's lost count ${lost} exceeds 2^53`);
    return {
      kind: 'gap',
      offset,
      index,
      timeNs: this.ticksTime(start),
      endNs: this.ticksTime(end),
      lost: Number(lost),
      // Values a later minor version may add read as the cautious ones: unknown unit, all affected.
      unit: unit <= GapUnit.Bytes ? (unit as GapUnit) : GapUnit.Unknown,
      affects: affects <= GapAffects.Completions ? (affects as GapAffects) : GapAffects.All,
      targetId: target === ALL_TARGETS ? undefined : target,
      detail: decoder.decode(buf.subarray(b + R.FIXED, b + R.FIXED + detailLength)),
    };
  }

  private diag(offset: number, what: string, skippedBytes: number, fatal: boolean, index?: number, skippedRecords = 0): Diagnostic {
    return {
      kind: 'diagnostic',
      offset,
      index: index ?? this.recordIndex,
      timeNs: this.lastTimeNs,
      message: `${describeOffset(offset, index)}: ${what}`,
      skippedBytes,
      skippedRecords,
      fatal,
    };
  }
}

/** Counts and durations from here on are not exact numbers: a record holding one is contradictory. */
const EXACT_LIMIT = 1n << 53n;

/** A buffer length past 2^53 cannot be a number of bytes in the model: a bad record. */
function checkBufferLength(v: DataView, at: number): void {
  checkCount(v, at + SubmitExtension.bufferLength, 'buffer length');
}

/**
 * A count of bytes (or of anything) at or past 2^53 cannot be held exactly in the model, nor
 * come from real hardware: a contradictory record, as JSON Lines refuses it too (docs/FORMAT.md,
 * "Limits a reader enforces").
 */
function checkCount(v: DataView, at: number, what: string): void {
  if (v.getUint32(at + 4, true) >= 0x20_0000) throw new BadRecord(`${what} ${v.getBigUint64(at, true)} exceeds 2^53`);
}

/** Checks a TASK_SUBMITTED body's lengths against each other; returns the CDB length. */
function checkSubmit(v: DataView, b: number, len: number): number {
  need(len, Submit.FIXED, 'TASK_SUBMITTED');
  const cdbLength = v.getUint16(b + Submit.cdbLength, true);
  const segCount = v.getUint32(b + Submit.segmentCount, true);
  if (cdbLength < 1 || cdbLength > MAX_CDB_LENGTH) throw new BadRecord(`CDB length ${cdbLength} outside 1..${MAX_CDB_LENGTH}`);
  if (segCount > MAX_SEGMENTS) throw new BadRecord(`segment count ${segCount} exceeds ${MAX_SEGMENTS}`);
  const needs = Submit.FIXED + pad8(cdbLength) + segCount * SEGMENT_BYTES;
  if (needs > len) throw new BadRecord(`segment count ${segCount} needs ${needs} body bytes, record has ${len}`);
  return cdbLength;
}

/** Checks a TASK_COMPLETED body's sense length; returns it. */
function checkComplete(buf: Uint8Array, b: number, len: number): number {
  need(len, Complete.FIXED, 'TASK_COMPLETED');
  const senseLength = buf[b + Complete.senseLength]!;
  if (Complete.FIXED + senseLength > len) throw new BadRecord(`sense length ${senseLength} overruns record of ${len} bytes`);
  return senseLength;
}

function need(len: number, fixed: number, name: string): void {
  if (len < fixed) throw new BadRecord(`${name} body of ${len} bytes is shorter than its fixed ${fixed}`);
}

/** u64 little-endian as a number (exact below 2^53). */
function u64(v: DataView, at: number): number {
  return v.getUint32(at, true) + v.getUint32(at + 4, true) * 0x1_0000_0000;
}

function indexOfSync(buf: Uint8Array, from: number): number {
  const s0 = SYNC_BYTES[0]!;
  for (let i = buf.indexOf(s0, from); i >= 0; i = buf.indexOf(s0, i + 1)) {
    if (i + 4 > buf.length) return i; // may be a sync word cut by the chunk end
    if (buf[i + 1] === SYNC_BYTES[1] && buf[i + 2] === SYNC_BYTES[2] && buf[i + 3] === SYNC_BYTES[3]) return i;
  }
  return -1;
}

/**
 * Reads a native trace from a stream of chunks, yielding a batch per chunk that held records
 * (the same batch object each time, refilled: the consumer is done with it when it asks for
 * the next).
 */
export async function* readNative(chunks: AsyncIterable<Uint8Array>, stats: ReadStats = newReadStats()): AsyncGenerator<TaskBatch> {
  const dec = new NativeDecoder(stats, { exactTimes: true });
  for await (const chunk of chunks) {
    const batch = dec.pushBatch(chunk);
    if (batch.length) yield batch;
  }
  const last = dec.endBatch();
  if (last.length) yield last;
}

/** Decodes a whole in-memory native trace. */
export function decodeNative(bytes: Uint8Array, stats: ReadStats = newReadStats()): TraceEvent[] {
  const dec = new NativeDecoder(stats, { exactTimes: true });
  const out = dec.push(bytes);
  dec.end(out);
  return out;
}
