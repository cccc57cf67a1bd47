import { Parser } from 'binary-parser';
import { Crc32cWindow } from '../../model/crc32c.js';
import type {
  ConstraintValue,
  DataDirection,
  Diagnostic,
  TaskAttribute,
  TraceEvent,
} from '../../model/events.js';
import { describeOffset } from '../../model/errors.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import type { CompleteFields, SubmitFields, TaskSink } from '../../model/task-sink.js';
import { decodeLun } from '../../model/lun.js';
import { PackedSegmentList, SEGMENT_BYTES } from '../../model/segments.js';
import {
  COMPLETE_FIXED,
  CONSTRAINT_ENTRY_FIXED,
  CONSTRAINTS_FIXED,
  ConstraintType,
  DIGEST_FIXED,
  FILE_HEADER_FIXED,
  FORMAT_MAJOR,
  HBA_EVENT_FIXED,
  MAGIC,
  MAX_BODY_LENGTH,
  MAX_CDB_LENGTH,
  MAX_HEADER_LENGTH,
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
  SYNC_BYTES,
  pad8,
} from './layout.js';

// binary-parser handles the file header and the rare record types. The two hot records
// (submitted, completed) are read with DataView by hand: binary-parser measured ~500 ns per
// parse of the 64-byte submit header here, which alone would cap decoding near 1M tasks/s.
const fileHeaderParser = new Parser()
  .endianness('little')
  .buffer('magic', { length: 8 })
  .uint16('major')
  .uint16('minor')
  .uint32('headerLength')
  .uint32('tickNs')
  .uint32('flags')
  .int64('startWallNs')
  .uint16('producerLength');

const hbaEventParser = new Parser()
  .endianness('little')
  .uint64('time')
  .uint64('taskId')
  .uint16('kind')
  .uint16('phase')
  .uint32('status')
  .uint64('durationTicks')
  .uint64('arg0')
  .uint64('arg1')
  .uint16('detailLength');

const digestParser = new Parser()
  .endianness('little')
  .uint64('time')
  .uint64('taskId')
  .uint64('lba')
  .uint64('byteCount')
  .uint32('crc32c')
  .uint8('direction')
  .seek(3)
  .uint32('chunkBytes')
  .uint32('chunkCount');

const noteParser = new Parser().endianness('little').uint64('time').uint64('taskId').uint32('textLength');

const constraintsParser = new Parser().endianness('little').uint64('time').uint16('count');

const constraintEntryParser = new Parser()
  .endianness('little')
  .uint8('type')
  .seek(1)
  .uint16('keyLength')
  .uint32('valueLength');

const decoder = new TextDecoder('utf-8', { fatal: false });

/** One CRC window for every decoder: run() loads and checks within one synchronous call. */
let sharedCrc: Crc32cWindow | undefined;
function crcWindow(): Crc32cWindow {
  return (sharedCrc ??= new Crc32cWindow());
}

/** A record whose framing and CRC are fine but whose content contradicts itself. */
class BadRecord extends Error {}

/**
 * Incremental decoder of the native format: push chunks, get events. Framing damage is
 * reported as Diagnostic events; reading resumes at the next record whose sync word and
 * CRC32C check out.
 */
export class NativeDecoder {
  private pending: Uint8Array = new Uint8Array(0);
  /** Absolute file offset of pending[0]. */
  private base = 0;
  private state: 'header' | 'records' | 'dead' = 'header';
  private tickNs = 1;
  private recordIndex = 0;
  /** Absolute offset where the current damaged stretch began, or -1. */
  private damageStart = -1;
  private damageBytes = 0;
  /** Time of the last good record, for diagnostics. */
  private lastTimeNs = 0;
  private readonly sink: TaskSink | undefined;
  private readonly submitFields: SubmitFields = { offset: 0, index: 0, timeNs: 0, taskId: 0, targetId: 0, lun: 0, tag: 0, requestedBytes: 0, cdb: NO_SENSE, cdbAt: 0, cdbLength: 0 };
  private readonly completeFields: CompleteFields = {
    offset: 0, index: 0, timeNs: 0, taskId: 0, serviceResponse: 0, status: 0, bytesTransferred: 0, residual: 0, residualFlags: 0, sense: NO_SENSE, senseAt: 0, senseLength: 0,
  };

  /**
   * `headerless` decodes bare records (no file header), as carried one per line in os_log
   * exports; `tickNs` is then the timestamp unit. Given a `taskSink`, task submissions and
   * completions go to it (see TaskSink) instead of becoming events.
   */
  constructor(
    readonly stats: ReadStats = newReadStats(),
    options: { headerless?: boolean; tickNs?: number; taskSink?: TaskSink } = {},
  ) {
    this.sink = options.taskSink;
    if (options.headerless) {
      this.state = 'records';
      this.tickNs = options.tickNs ?? 1;
    }
  }

  push(chunk: Uint8Array, out: TraceEvent[] = []): TraceEvent[] {
    this.stats.bytesRead += chunk.length;
    if (this.pending.length === 0) {
      this.pending = chunk;
      this.run(false, out);
      return out;
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
    this.run(false, out);
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
      return out;
    }
    this.run(false, out);
    return out;
  }

  /** Bytes the record starting the pending buffer still lacks (a guess when unknown). */
  private bytesToFinishPending(): number {
    const p = this.pending;
    if (this.state !== 'records' || p.length < RECORD_HEADER) return RECORD_HEADER;
    const bodyLength = (p[8]! | (p[9]! << 8) | (p[10]! << 16) | (p[11]! << 24)) >>> 0;
    if (bodyLength > MAX_BODY_LENGTH) return RECORD_HEADER;
    return RECORD_HEADER + bodyLength + RECORD_TRAILER - p.length;
  }

  /** Call at end of input: reports truncation and any damage still open. */
  end(out: TraceEvent[] = []): TraceEvent[] {
    this.run(true, out);
    if (this.state === 'header' && this.stats.bytesRead === 0) {
      out.push(this.diag(0, 'empty file: no native trace header', 0, true));
    }
    return out;
  }

  private run(eof: boolean, out: TraceEvent[]): void {
    if (this.state === 'header' && !this.readHeader(eof, out)) return;
    if (this.state !== 'records') return;
    const buf = this.pending;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    // A chunk read straight into a window's memory (openTrace does that for this format) is
    // checked where it lies; anything else (a record joined across chunks) is copied into the
    // shared window.
    const crc = Crc32cWindow.holding(buf) ?? crcWindow();
    crc.load(buf);
    let p = 0;
    for (;;) {
      // The happy path: WebAssembly checks a run of whole, sound records (sync word, length,
      // CRC) in one call; the checks below then see only where that run stopped.
      if (this.damageStart < 0) {
        const n = crc.scanRecords(p, buf.length);
        if (n > 0) {
          for (let i = 0; i < n; i++) {
            const at = crc.recordAt(i);
            this.record(buf, view, at, view.getUint16(at + 4, true), view.getUint32(at + 8, true), out);
          }
          const last = crc.recordAt(n - 1);
          p = last + RECORD_HEADER + view.getUint32(last + 8, true) + RECORD_TRAILER;
          continue;
        }
      }
      const avail = buf.length - p;
      if (avail === 0) break;
      if (avail < RECORD_HEADER) {
        if (!eof) break;
        p = this.damage(buf, p, eof, `truncated record header: ${avail} of ${RECORD_HEADER} bytes`, out);
        continue;
      }
      if (view.getUint32(p, true) !== RECORD_SYNC) {
        p = this.damage(buf, p, eof, 'no record sync word', out);
        if (p < 0) break;
        continue;
      }
      const type = view.getUint16(p + 4, true);
      const bodyLength = view.getUint32(p + 8, true);
      if (bodyLength > MAX_BODY_LENGTH) {
        p = this.damage(buf, p, eof, `record length ${bodyLength} exceeds ${MAX_BODY_LENGTH}`, out);
        if (p < 0) break;
        continue;
      }
      const total = RECORD_HEADER + bodyLength + RECORD_TRAILER;
      if (avail < total) {
        if (!eof) break;
        p = this.damage(buf, p, eof, `truncated record (type ${type}): needs ${total} bytes, ${avail} present`, out);
        if (p < 0) break;
        continue;
      }
      const bodyStart = p + RECORD_HEADER;
      const stored = view.getUint32(bodyStart + bodyLength, true);
      if (crc.crc(p + 4, bodyStart + bodyLength) !== stored) {
        p = this.damage(buf, p, eof, `record CRC32C mismatch (type ${type}, length ${bodyLength})`, out);
        if (p < 0) break;
        continue;
      }
      if (this.damageStart >= 0) this.closeDamage(this.base + p, out);
      this.record(buf, view, p, type, bodyLength, out);
      p += total;
    }
    this.consume(p);
  }

  /** Decodes one whole record whose framing and CRC checked out. */
  private record(buf: Uint8Array, view: DataView, p: number, type: number, bodyLength: number, out: TraceEvent[]): void {
    const offset = this.base + p;
    const index = this.recordIndex++;
    const bodyStart = p + RECORD_HEADER;
    this.stats.records++;
    try {
      // Task records take short paths of their own (kept small so that they inline): to the
      // sink when there is one, else to events; decodeBody handles the rare types.
      let ev: TraceEvent | undefined;
      if (type === RecordType.TaskSubmitted) {
        ev = this.sink ? this.sinkSubmit(buf, view, bodyStart, bodyLength, offset, index) : this.submitEvent(buf, view, bodyStart, bodyLength, offset, index);
      } else if (type === RecordType.TaskCompleted) {
        ev = this.sink ? this.sinkComplete(buf, view, bodyStart, bodyLength, offset, index) : this.completeEvent(buf, view, bodyStart, bodyLength, offset, index);
      } else {
        ev = this.decodeBody(type, buf, view, bodyStart, bodyLength, offset, index);
      }
      if (ev) {
        out.push(ev);
        this.lastTimeNs = ev.timeNs;
      }
    } catch (e) {
      if (!(e instanceof BadRecord)) throw e;
      const total = RECORD_HEADER + bodyLength + RECORD_TRAILER;
      this.stats.skippedRecords++;
      this.stats.skippedBytes += total;
      out.push(this.diag(offset, e.message, total, false, index, 1));
    }
  }

  /** Drops bytes before p from the pending buffer. */
  private consume(p: number): void {
    if (p <= 0) return;
    this.base += p;
    this.pending = p >= this.pending.length ? new Uint8Array(0) : this.pending.subarray(p);
  }

  /**
   * Starts or continues a damaged stretch at p and scans for the next sync word. Returns the
   * position to try next, or -1 when more input is needed first.
   */
  private damage(buf: Uint8Array, p: number, eof: boolean, what: string, out: TraceEvent[]): number {
    if (this.damageStart < 0) {
      this.damageStart = this.base + p;
      this.damageWhat = what;
    }
    const next = indexOfSync(buf, p + 1);
    if (next >= 0) {
      this.damageBytes += next - p;
      return next;
    }
    // No sync word in what we have: keep the last 3 bytes (they may start one) unless at EOF.
    const keep = eof ? 0 : Math.min(3, buf.length - p);
    const dropTo = buf.length - keep;
    this.damageBytes += dropTo - p;
    if (eof) {
      this.closeDamage(this.base + buf.length, out, true);
      return buf.length;
    }
    this.consume(dropTo);
    return -1;
  }

  private damageWhat = '';

  private closeDamage(resumeAt: number, out: TraceEvent[], atEof = false): void {
    if (this.damageStart < 0) return;
    const skipped = this.damageBytes;
    this.stats.damagedRegions++;
    this.stats.skippedBytes += skipped;
    const tail = atEof
      ? `; skipped ${skipped} bytes to the end of the file`
      : `; skipped ${skipped} bytes, resynchronised at byte 0x${resumeAt.toString(16)}`;
    out.push(this.diag(this.damageStart, this.damageWhat + tail, skipped, atEof, this.recordIndex, 0));
    this.damageStart = -1;
    this.damageBytes = 0;
  }

  private readHeader(eof: boolean, out: TraceEvent[]): boolean {
    const buf = this.pending;
    const magicLen = Math.min(buf.length, MAGIC.length);
    for (let i = 0; i < magicLen; i++) {
      if (buf[i] !== MAGIC[i]) {
        this.state = 'dead';
        out.push(this.diag(i, 'not a scsitrace native trace (bad magic)', buf.length, true));
        return false;
      }
    }
    if (buf.length < FILE_HEADER_FIXED) {
      if (eof && buf.length > 0) {
        this.state = 'dead';
        out.push(this.diag(0, `truncated file header: ${buf.length} of ${FILE_HEADER_FIXED} bytes`, buf.length, true));
      }
      return false;
    }
    const h = fileHeaderParser.parse(buf.subarray(0, FILE_HEADER_FIXED)) as {
      major: number; minor: number; headerLength: number; tickNs: number; startWallNs: bigint; producerLength: number;
    };
    const fail = (at: number, msg: string) => {
      this.state = 'dead';
      out.push(this.diag(at, msg, buf.length, true));
      return false;
    };
    if (h.major !== FORMAT_MAJOR) return fail(8, `unsupported format version ${h.major}.${h.minor} (this reader reads ${FORMAT_MAJOR}.x)`);
    if (h.headerLength < FILE_HEADER_FIXED || h.headerLength > MAX_HEADER_LENGTH)
      return fail(12, `header length ${h.headerLength} outside ${FILE_HEADER_FIXED}..${MAX_HEADER_LENGTH}`);
    if (h.tickNs === 0) return fail(16, 'timestamp unit of 0 ns');
    if (FILE_HEADER_FIXED + h.producerLength > h.headerLength)
      return fail(32, `producer length ${h.producerLength} overruns header length ${h.headerLength}`);
    if (buf.length < h.headerLength) {
      if (eof) return fail(0, `truncated file header: ${buf.length} of ${h.headerLength} bytes`);
      return false;
    }
    this.tickNs = h.tickNs;
    out.push({
      kind: 'header',
      offset: 0,
      index: -1,
      timeNs: 0,
      format: 'native',
      version: `${h.major}.${h.minor}`,
      startWallNs: h.startWallNs,
      producer: decoder.decode(buf.subarray(FILE_HEADER_FIXED, FILE_HEADER_FIXED + h.producerLength)),
      // TASK_COMPLETED records the sense data the driver returned (FORMAT.md), none when none.
      senseCaptured: true,
    });
    this.state = 'records';
    this.consume(h.headerLength);
    return true;
  }

  private sinkSubmit(buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): undefined {
    const cdbLength = checkSubmit(v, b, len);
    const f = this.submitFields;
    f.offset = offset;
    f.index = index;
    f.timeNs = this.lastTimeNs = u64(v, b) * this.tickNs;
    f.taskId = u64Key(v, b + 8);
    f.targetId = u64Key(v, b + 16);
    f.lun = decodeLun(buf, b + 24);
    f.tag = u64Key(v, b + 32);
    f.requestedBytes = u64(v, b + 40);
    f.cdb = buf;
    f.cdbAt = b + SUBMIT_FIXED;
    f.cdbLength = cdbLength;
    this.sink!.submit(f);
    return undefined;
  }

  private sinkComplete(buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): undefined {
    const senseLength = checkComplete(buf, b, len);
    const f = this.completeFields;
    f.offset = offset;
    f.index = index;
    f.timeNs = this.lastTimeNs = u64(v, b) * this.tickNs;
    f.taskId = u64Key(v, b + 8);
    f.bytesTransferred = u64(v, b + 16);
    f.residual = u64(v, b + 24);
    f.serviceResponse = buf[b + 32]!;
    f.status = buf[b + 33]!;
    f.residualFlags = buf[b + 35]!;
    f.sense = buf;
    f.senseAt = b + COMPLETE_FIXED;
    f.senseLength = senseLength;
    this.sink!.complete(f);
    return undefined;
  }

  /** A TASK_SUBMITTED record as an event (kept apart from decodeBody so that it inlines). */
  private submitEvent(buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): TraceEvent {
    const tick = this.tickNs;
    const cdbLength = checkSubmit(v, b, len);
    const segCount = v.getUint32(b + 56, true);
    const segStart = b + SUBMIT_FIXED + pad8(cdbLength);
    const segBytes = segCount * SEGMENT_BYTES;
    const slot = v.getUint16(b + 60, true);
    // CDB (padded to 8) and segments lie together in the record: one copy for both, viewed where
    // they lie (the segment list reads the slab's 8-byte aligned words).
    const at = copyToSlab(buf, b + SUBMIT_FIXED, segStart + segBytes);
    const data = at < 0 ? bigCopy : slab;
    const from = at < 0 ? 0 : at;
    return {
      kind: 'submit',
      offset,
      index,
      timeNs: u64(v, b) * tick,
      taskId: v.getBigUint64(b + 8, true),
      targetId: smallU64(v, b + 16),
      lun: decodeLun(buf, b + 24),
      tag: smallU64(v, b + 32),
      requestedBytes: u64(v, b + 40),
      timeoutMs: v.getUint32(b + 48, true),
      attribute: v.getUint8(b + 52) as TaskAttribute,
      direction: v.getUint8(b + 53) as DataDirection,
      cdb: data.subarray(from, from + cdbLength),
      segments: new PackedSegmentList(data, from + segStart - b - SUBMIT_FIXED, segCount, at < 0 ? undefined : slabWords),
      bundleSlot: slot === NO_BUNDLE_SLOT ? undefined : slot,
    };
  }

  /** A TASK_COMPLETED record as an event. */
  private completeEvent(buf: Uint8Array, v: DataView, b: number, len: number, offset: number, index: number): TraceEvent {
    const tick = this.tickNs;
    const senseLength = checkComplete(buf, b, len);
    return {
      kind: 'complete',
      offset,
      index,
      timeNs: u64(v, b) * tick,
      taskId: v.getBigUint64(b + 8, true),
      bytesTransferred: u64(v, b + 16),
      residual: u64(v, b + 24),
      serviceResponse: v.getUint8(b + 32),
      status: v.getUint8(b + 33),
      residualFlags: v.getUint8(b + 35),
      sense: senseLength === 0 ? NO_SENSE : copyBytes(buf, b + COMPLETE_FIXED, b + COMPLETE_FIXED + senseLength),
    };
  }

  /** Records other than the two task records (see record()). */
  private decodeBody(
    type: number,
    buf: Uint8Array,
    v: DataView,
    b: number,
    len: number,
    offset: number,
    index: number,
  ): TraceEvent | undefined {
    const tick = this.tickNs;
    switch (type) {
      case RecordType.HbaConstraints: {
        need(len, CONSTRAINTS_FIXED, 'HBA_CONSTRAINTS');
        const h = constraintsParser.parse(buf.subarray(b, b + CONSTRAINTS_FIXED)) as { time: bigint; count: number };
        const entries: Record<string, ConstraintValue> = {};
        let o = b + CONSTRAINTS_FIXED;
        for (let i = 0; i < h.count; i++) {
          if (o + CONSTRAINT_ENTRY_FIXED > b + len) throw new BadRecord(`constraint entry ${i} of ${h.count} overruns the record`);
          const e = constraintEntryParser.parse(buf.subarray(o, o + CONSTRAINT_ENTRY_FIXED)) as { type: number; keyLength: number; valueLength: number };
          const keyAt = o + CONSTRAINT_ENTRY_FIXED;
          const valueAt = keyAt + e.keyLength;
          if (valueAt + e.valueLength > b + len) throw new BadRecord(`constraint entry ${i} of ${h.count} overruns the record`);
          const key = decoder.decode(buf.subarray(keyAt, valueAt));
          if (e.type === ConstraintType.Unsigned) {
            if (e.valueLength !== 8) throw new BadRecord(`constraint "${key}": unsigned value of ${e.valueLength} bytes, expected 8`);
            entries[key] = u64(v, valueAt);
          } else if (e.type === ConstraintType.Boolean) {
            if (e.valueLength !== 1) throw new BadRecord(`constraint "${key}": boolean value of ${e.valueLength} bytes, expected 1`);
            entries[key] = buf[valueAt] !== 0;
          } else if (e.type === ConstraintType.String) {
            entries[key] = decoder.decode(buf.subarray(valueAt, valueAt + e.valueLength));
          } else {
            throw new BadRecord(`constraint "${key}": unknown value type ${e.type}`);
          }
          o += pad8(CONSTRAINT_ENTRY_FIXED + e.keyLength + e.valueLength);
        }
        return { kind: 'constraints', offset, index, timeNs: Number(h.time) * tick, entries };
      }
      case RecordType.HbaEvent: {
        need(len, HBA_EVENT_FIXED, 'HBA_EVENT');
        const h = hbaEventParser.parse(buf.subarray(b, b + HBA_EVENT_FIXED)) as {
          time: bigint; taskId: bigint; kind: number; phase: number; status: number; durationTicks: bigint; arg0: bigint; arg1: bigint; detailLength: number;
        };
        if (HBA_EVENT_FIXED + h.detailLength > len) throw new BadRecord(`detail length ${h.detailLength} overruns record of ${len} bytes`);
        return {
          kind: 'hba',
          offset,
          index,
          timeNs: Number(h.time) * tick,
          hbaKind: h.kind,
          phase: h.phase,
          taskId: h.taskId === NO_TASK ? undefined : h.taskId,
          status: h.status,
          durationNs: Number(h.durationTicks),
          arg0: h.arg0,
          arg1: h.arg1,
          detail: decoder.decode(buf.subarray(b + HBA_EVENT_FIXED, b + HBA_EVENT_FIXED + h.detailLength)),
        };
      }
      case RecordType.DataDigest: {
        need(len, DIGEST_FIXED, 'DATA_DIGEST');
        const h = digestParser.parse(buf.subarray(b, b + DIGEST_FIXED)) as {
          time: bigint; taskId: bigint; lba: bigint; byteCount: bigint; crc32c: number; direction: number; chunkBytes: number; chunkCount: number;
        };
        if (DIGEST_FIXED + h.chunkCount * 4 > len) throw new BadRecord(`chunk digest count ${h.chunkCount} overruns record of ${len} bytes`);
        const chunkDigests = new Uint32Array(h.chunkCount);
        for (let i = 0; i < h.chunkCount; i++) chunkDigests[i] = v.getUint32(b + DIGEST_FIXED + i * 4, true);
        return {
          kind: 'digest',
          offset,
          index,
          timeNs: Number(h.time) * tick,
          taskId: h.taskId,
          lba: h.lba === NO_LBA ? undefined : h.lba,
          byteCount: Number(h.byteCount),
          direction: h.direction as DataDirection,
          crc32c: h.crc32c,
          chunkBytes: h.chunkBytes,
          chunkDigests,
        };
      }
      case RecordType.Note: {
        need(len, NOTE_FIXED, 'NOTE');
        const h = noteParser.parse(buf.subarray(b, b + NOTE_FIXED)) as { time: bigint; taskId: bigint; textLength: number };
        if (NOTE_FIXED + h.textLength > len) throw new BadRecord(`note length ${h.textLength} overruns record of ${len} bytes`);
        return {
          kind: 'note',
          offset,
          index,
          timeNs: Number(h.time) * tick,
          taskId: h.taskId === NO_TASK ? undefined : h.taskId,
          text: decoder.decode(buf.subarray(b + NOTE_FIXED, b + NOTE_FIXED + h.textLength)),
        };
      }
      default:
        this.stats.unknownRecords++;
        this.stats.unknownTypes.set(type, (this.stats.unknownTypes.get(type) ?? 0) + 1);
        return undefined;
    }
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

/**
 * Copies of CDBs, segment lists and sense data are carved out of 64 KiB slabs: one allocation
 * per slab instead of one per field (allocation dominated the profile), and no view into the
 * 1 MiB read chunk, which would pin the chunk for as long as a task stays in flight.
 */
const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
/** The slab as 32-bit words, for segment lists to read whole words. */
let slabWords = new Uint32Array(slab.buffer);
let slabAt = 0;

function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const at = copyToSlab(buf, start, end);
  return at < 0 ? bigCopy : slab.subarray(at, at + end - start);
}

/** The copy copyToSlab made outside the slab (for a run too long for one). */
let bigCopy = new Uint8Array(0);

/**
 * Copies bytes into the slab and returns where they start in `slab`, or -1 when they were too
 * many for a slab and went to a copy of their own, `bigCopy`. No view is made: callers view
 * only what they need.
 */
function copyToSlab(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n > SLAB_BYTES / 4) {
    bigCopy = buf.slice(start, end);
    return -1;
  }
  if (slabAt + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabWords = new Uint32Array(slab.buffer);
    slabAt = 0;
  }
  const at = slabAt;
  if (n <= 64) {
    for (let i = 0; i < n; i++) slab[at + i] = buf[start + i]!;
  } else {
    slab.set(buf.subarray(start, end), at);
  }
  slabAt += (n + 7) & ~7;
  return at;
}

/** Checks a TASK_SUBMITTED body's lengths against each other; returns the CDB length. */
function checkSubmit(v: DataView, b: number, len: number): number {
  need(len, SUBMIT_FIXED, 'TASK_SUBMITTED');
  const cdbLength = v.getUint16(b + 54, true);
  const segCount = v.getUint32(b + 56, true);
  if (cdbLength < 1 || cdbLength > MAX_CDB_LENGTH) throw new BadRecord(`CDB length ${cdbLength} outside 1..${MAX_CDB_LENGTH}`);
  if (segCount > MAX_SEGMENTS) throw new BadRecord(`segment count ${segCount} exceeds ${MAX_SEGMENTS}`);
  const needs = SUBMIT_FIXED + pad8(cdbLength) + segCount * SEGMENT_BYTES;
  if (needs > len) throw new BadRecord(`segment count ${segCount} needs ${needs} body bytes, record has ${len}`);
  return cdbLength;
}

/** Checks a TASK_COMPLETED body's sense length; returns it. */
function checkComplete(buf: Uint8Array, b: number, len: number): number {
  need(len, COMPLETE_FIXED, 'TASK_COMPLETED');
  const senseLength = buf[b + 34]!;
  if (COMPLETE_FIXED + senseLength > len) throw new BadRecord(`sense length ${senseLength} overruns record of ${len} bytes`);
  return senseLength;
}

function need(len: number, fixed: number, name: string): void {
  if (len < fixed) throw new BadRecord(`${name} body of ${len} bytes is shorter than its fixed ${fixed}`);
}

/** Most completions carry no sense; they share one empty array. */
const NO_SENSE = new Uint8Array(0);

/** Target ids and tags are small numbers in practice; reuse their BigInts instead of allocating one per task. */
const SMALL_BIGINTS = Array.from({ length: 256 }, (_, i) => BigInt(i));
function smallU64(v: DataView, at: number): bigint {
  if (v.getUint32(at + 4, true) === 0) {
    const lo = v.getUint32(at, true);
    if (lo < 256) return SMALL_BIGINTS[lo]!;
  }
  return v.getBigUint64(at, true);
}

/** u64 little-endian as a map key (TaskKey): a number when exact, a bigint past 2^53. */
function u64Key(v: DataView, at: number): number | bigint {
  const hi = v.getUint32(at + 4, true);
  return hi < 0x20_0000 ? v.getUint32(at, true) + hi * 0x1_0000_0000 : v.getBigUint64(at, true);
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
 * Reads a native trace from a stream of chunks, yielding events in batches (one per chunk).
 * With a task sink, every chunk yields a batch, empty or not, so that the consumer gets its turn
 * (to wait for its output) after each chunk's tasks went to the sink.
 */
export async function* readNative(chunks: AsyncIterable<Uint8Array>, stats: ReadStats = newReadStats(), taskSink?: TaskSink): AsyncGenerator<TraceEvent[]> {
  const dec = new NativeDecoder(stats, taskSink ? { taskSink } : {});
  for await (const chunk of chunks) {
    const batch = dec.push(chunk);
    if (batch.length || taskSink) yield batch;
  }
  const last = dec.end();
  if (last.length) yield last;
}

/** Decodes a whole in-memory native trace. */
export function decodeNative(bytes: Uint8Array, stats: ReadStats = newReadStats()): TraceEvent[] {
  const dec = new NativeDecoder(stats);
  const out = dec.push(bytes);
  dec.end(out);
  return out;
}
