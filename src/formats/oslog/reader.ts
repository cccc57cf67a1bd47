import { crc32c } from '../../model/crc32c.js';
import { GapAffects, GapUnit, type Diagnostic, type TraceEvent } from '../../model/events.js';
import { describeOffset } from '../../model/errors.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import { MAGIC, MAX_BODY_LENGTH, RECORD_HEADER, RECORD_TRAILER, SYNC_BYTES } from '../native/layout.js';
import { NativeDecoder } from '../native/reader.js';
import { decodeChunks, decodeWhole, LineDecoder } from '../ftrace/lines.js';
import { isProblem, messageOf, parseLine, TRUNCATED_BY_LOG } from './encoding.js';
import { fragmentKey, SequenceTracker, type FragmentKeys } from './sequence.js';

/** Largest unit: a record of the largest body a reader accepts. */
const MAX_UNIT_BYTES = RECORD_HEADER + MAX_BODY_LENGTH + RECORD_TRAILER;
/** Units being reassembled at once; past this the oldest is given up. */
const MAX_OPEN_UNITS = 256;
/** Bytes held by incomplete units at once; past this the oldest are given up (bounds memory). */
const MAX_OPEN_BYTES = 16 * 1024 * 1024;

interface Assembly {
  parts: number;
  fragments: (Uint8Array | undefined)[];
  /** Key of each fragment (to recognise a line the log delivers again). */
  keys: Float64Array;
  /** Byte offset of each fragment's line. */
  offsets: number[];
  received: number;
  bytes: number;
  /** Byte offset of the line that brought the first fragment seen. */
  offset: number;
  /** One of its lines was damaged (already reported): its other lines are passed over. */
  damaged: boolean;
}

/**
 * Reads SCT1 lines out of a macOS unified-log export (`log show` / `log stream`, default,
 * compact, syslog, json and ndjson styles) or any other text log, reassembles the units and
 * decodes them with the native decoder. Events carry the byte offset of the unit's first line.
 * Unit sequence numbers are followed by a SequenceTracker: lost units become capture gaps.
 */
export class OslogDecoder extends LineDecoder {
  private readonly open = new Map<number, Assembly>();
  private openBytes = 0;
  private decoder: NativeDecoder | undefined;
  private headerKey = '';
  /** The last header seen could not be used. */
  private refused = false;
  private units = 0;
  private markers = 0;
  private lastTimeNs = 0;
  private readonly sequence = new SequenceTracker({
    dropIncomplete: (seq) => {
      const a = this.open.get(seq);
      if (!a) return undefined;
      this.forget(seq, a);
      return { received: a.received, parts: a.parts };
    },
    gap: (g) => ({
      kind: 'gap',
      offset: g.offset,
      index: g.index ?? this.units,
      timeNs: g.timeNs,
      endNs: g.endNs,
      lost: g.lost,
      unit: GapUnit.Records,
      affects: GapAffects.All,
      detail: g.detail,
    }),
    damage: (offset, message) => this.counted(offset, message, 0, 0),
  });

  protected override finish(out: TraceEvent[]): void {
    this.sequence.end();
    for (const [seq, a] of this.open) if (!a.damaged) this.abandon(seq, a, 'the export ends before');
    this.open.clear();
    this.openBytes = 0;
    this.sequence.release(out, true);
    if (this.markers === 0) {
      out.push(this.diag(0, 'no SCT1 lines found (a scsitrace os_log export has lines with SCT1B or SCT1X)', 0, 0));
    }
  }

  override overlong(offset: number, bytes: number): void {
    this.damage(offset, `line of ${bytes} bytes is too long for a log line; skipped`, bytes);
    this.sequence.release(this.out);
  }

  /** Events leave once no capture gap can come before them (the tracker holds them until then). */
  override line(text: string, offset: number): void {
    this.read(text, offset);
    this.sequence.release(this.out);
  }

  private read(text: string, offset: number): void {
    const parsed = parseLine(messageOf(text));
    if (parsed === undefined) return;
    this.markers++;
    if (isProblem(parsed)) {
      const { seq, parts } = parsed;
      const lost = seq !== undefined && (parts ?? 2) > 1 ? `, so unit 0x${seq.toString(16)} cannot be reassembled` : '';
      this.damage(offset, `${parsed.problem}; line skipped${lost}`, text.length);
      if (seq !== undefined) this.damagedLine(seq, parts, offset);
      return;
    }
    const { seq, part, parts, payload } = parsed;
    const key = fragmentKey(payload);
    let a = this.open.get(seq);
    // The log delivered a line again: a fragment of a unit already read. Ignored.
    if (!a && this.sequence.isRepeat(seq, part, parts, key)) return;
    if (a && a.parts !== parts) {
      this.abandon(seq, a, `a new unit with the same sequence number 0x${seq.toString(16)} began before`);
      a = undefined;
    }
    if (!a) {
      this.sequence.begin(seq, offset);
      if (parts === 1) {
        this.unit(payload, offset, seq, key);
        return;
      }
      if (this.open.size >= MAX_OPEN_UNITS) {
        const [oldSeq, oldest] = this.open.entries().next().value as [number, Assembly];
        this.abandon(oldSeq, oldest, `more than ${MAX_OPEN_UNITS} units were incomplete at once before`);
      }
      a = {
        parts,
        fragments: new Array<Uint8Array | undefined>(parts),
        keys: new Float64Array(parts),
        offsets: new Array<number>(parts),
        received: 0,
        bytes: 0,
        offset,
        damaged: false,
      };
      this.open.set(seq, a);
    }
    if (a.damaged) {
      if (++a.received >= a.parts) this.open.delete(seq);
      return;
    }
    const previous = a.fragments[part - 1];
    if (previous) {
      if (!Buffer.from(previous).equals(Buffer.from(payload)))
        this.damage(offset, `part ${part}/${parts} of unit 0x${seq.toString(16)} seen twice with different bytes; second skipped`, text.length);
      return;
    }
    if (part === 1 && parts > 1) {
      const whole = declaredLength(payload);
      if (whole !== undefined && whole <= payload.length) {
        this.damage(
          offset,
          `SCT1 line (unit 0x${seq.toString(16)}, part 1/${parts}) holds a whole unit of ${whole} bytes, yet says the unit has ${parts} parts: the part count looks damaged; unit skipped`,
          text.length,
        );
        this.damagedLine(seq, parts, offset);
        return;
      }
    }
    if (a.bytes + payload.length > MAX_UNIT_BYTES) {
      this.abandon(seq, a, `it grew past ${MAX_UNIT_BYTES} bytes before`);
      return;
    }
    a.fragments[part - 1] = payload;
    a.keys[part - 1] = key;
    a.offsets[part - 1] = offset;
    a.received++;
    a.bytes += payload.length;
    this.openBytes += payload.length;
    if (a.received === parts) {
      this.forget(seq, a);
      this.unit(new Uint8Array(Buffer.concat(a.fragments as Uint8Array[])), a.offset, seq, a.keys, a);
      return;
    }
    while (this.openBytes > MAX_OPEN_BYTES) {
      const [oldSeq, oldest] = this.open.entries().next().value as [number, Assembly];
      this.abandon(oldSeq, oldest, `more than ${MAX_OPEN_BYTES} bytes of incomplete units were held before`);
    }
  }

  /** A line of unit `seq` was damaged: the unit cannot be read, and is not a capture loss. */
  private damagedLine(seq: number, parts: number | undefined, offset: number): void {
    const a = this.open.get(seq);
    if (a) {
      if (!a.damaged) {
        this.openBytes -= a.bytes;
        a.fragments = [];
        a.bytes = 0;
        a.damaged = true;
      }
      if (++a.received >= a.parts) this.open.delete(seq);
    } else if (parts !== undefined && parts > 1) {
      this.open.set(seq, { parts, fragments: [], keys: new Float64Array(0), offsets: [], received: 1, bytes: 0, offset, damaged: true });
    }
    this.sequence.damagedLine(seq, offset);
  }

  private unit(bytes: Uint8Array, offset: number, seq: number, keys: FragmentKeys, assembly?: Assembly): void {
    const index = this.units++;
    /** The unit's events, handed to the tracker with it (which holds them back while a gap may still come before them). */
    const events: TraceEvent[] = [];
    const done = (timeNs: number | undefined, damaged: boolean) => this.sequence.complete(seq, keys, timeNs, damaged, events, bytes.length, offset, index);
    if (startsWith(bytes, MAGIC)) {
      const key = Buffer.from(bytes).toString('latin1');
      if (key === this.headerKey) return done(undefined, false);
      const declared = bytes.length >= 16 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true) : -1;
      if (declared !== bytes.length) {
        this.damage(
          offset,
          `SCT1 file-header unit 0x${seq.toString(16)} of ${bytes.length} bytes declares a header length of ${declared}${cutShort(bytes.length, declared, assembly)}; skipped`,
          bytes.length,
        );
        return done(undefined, true);
      }
      this.headerKey = key;
      this.refused = false;
      this.decoder = new NativeDecoder(this.stats);
      if (!this.feed(bytes, offset, -1, events).usable) {
        // A header this reader cannot use (other major version, unit 0): records stay unread
        // until a usable header comes, rather than being read with the wrong clock.
        this.decoder = undefined;
        this.headerKey = '';
        this.refused = true;
      }
      return done(undefined, false);
    }
    if (!startsWith(bytes, SYNC_BYTES)) {
      this.damage(offset, `SCT1 unit 0x${seq.toString(16)} is neither a record (A5 5A C3 3C) nor a file header; skipped`, bytes.length);
      return done(undefined, true);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bodyLength = bytes.length >= RECORD_HEADER ? view.getUint32(8, true) : -1;
    if (bodyLength !== bytes.length - RECORD_HEADER - RECORD_TRAILER) {
      const says = RECORD_HEADER + bodyLength + RECORD_TRAILER;
      this.damage(
        offset,
        `SCT1 unit 0x${seq.toString(16)} of ${bytes.length} bytes holds a record whose length field says ${says}${cutShort(bytes.length, bodyLength < 0 ? -1 : says, assembly)}; skipped`,
        bytes.length,
      );
      return done(undefined, true);
    }
    if (crc32c(bytes, 4, bytes.length - RECORD_TRAILER) !== view.getUint32(bytes.length - RECORD_TRAILER, true)) {
      this.damage(offset, `record CRC32C mismatch (type ${view.getUint16(4, true)}, unit 0x${seq.toString(16)}); skipped`, bytes.length);
      return done(undefined, true);
    }
    if (!this.decoder) {
      if (this.refused) {
        this.damage(offset, 'record after a file header this reader cannot use; skipped', bytes.length);
        return done(undefined, true);
      }
      this.decoder = new NativeDecoder(this.stats, { headerless: true, tickNs: 1 });
      events.push({
        kind: 'header',
        offset,
        index: -1,
        timeNs: 0,
        format: 'oslog',
        version: 'SCT1',
        startWallNs: 0n,
        producer: 'os_log export without a header line (timestamps read as ns)',
      });
    }
    const fed = this.feed(bytes, offset, index, events);
    return done(fed.timeNs, fed.timeNs === undefined);
  }

  /**
   * Runs a whole unit through the native decoder; events get the line's offset and unit index
   * and go to `out`. usable is false when the decoder gave up (a fatal diagnostic, now reported
   * as non-fatal); timeNs is the time of the first event that is not a diagnostic.
   */
  private feed(bytes: Uint8Array, offset: number, index: number, out: TraceEvent[]): { usable: boolean; timeNs: number | undefined } {
    let usable = true;
    let timeNs: number | undefined;
    const events = this.decoder!.push(bytes);
    this.stats.bytesRead -= bytes.length; // the decoder counts what it is fed; we count the text
    for (const e of events) {
      e.offset = offset;
      e.index = index;
      if (e.kind === 'header') e.format = 'oslog';
      if (e.kind === 'diagnostic') {
        e.message = e.message.replace(/^at byte 0x[0-9a-f]+( \(record \d+\))?/, describeOffset(offset));
        if (e.fatal) usable = false;
        e.fatal = false;
      } else {
        this.lastTimeNs = e.timeNs;
        if (e.kind !== 'header' && timeNs === undefined) timeNs = e.timeNs;
      }
      out.push(e);
    }
    return { usable, timeNs };
  }

  /** Removes an assembly from the open set (its bytes no longer count). */
  private forget(seq: number, a: Assembly): void {
    this.open.delete(seq);
    this.openBytes -= a.bytes;
  }

  private abandon(seq: number, a: Assembly, why: string): void {
    this.forget(seq, a);
    this.damage(a.offset, `unit 0x${seq.toString(16)} incomplete: ${why} its ${a.parts} parts all arrived (${a.received} did); skipped`, a.bytes);
    this.sequence.damagedLine(seq, a.offset);
  }

  /** Damage: counted, and in line after what was read before it. */
  private damage(offset: number, what: string, skippedBytes: number, skippedRecords = 1): void {
    this.sequence.emit(this.counted(offset, what, skippedBytes, skippedRecords));
  }

  private counted(offset: number, what: string, skippedBytes: number, skippedRecords: number): Diagnostic {
    this.stats.damagedRegions++;
    this.stats.skippedRecords += skippedRecords;
    this.stats.skippedBytes += skippedBytes;
    return this.diag(offset, what, skippedBytes, skippedRecords);
  }

  private diag(offset: number, what: string, skippedBytes: number, skippedRecords: number): Diagnostic {
    return {
      kind: 'diagnostic',
      offset,
      index: this.units,
      timeNs: this.lastTimeNs,
      message: `${describeOffset(offset)}: ${what}`,
      skippedBytes,
      skippedRecords,
      fatal: false,
    };
  }
}

/**
 * Why a unit is shorter than its length field says, when a line of it was cut: names the short
 * fragment (a fragment other than the last that is shorter than the first) and the likely cause.
 */
function cutShort(have: number, declared: number, assembly: Assembly | undefined): string {
  if (declared <= have) return '';
  let which = '';
  if (assembly) {
    const first = assembly.fragments[0]!.length;
    const k = assembly.fragments.findIndex((f, i) => i < assembly.parts - 1 && f!.length < first);
    if (k > 0)
      which = ` (part ${k + 1}/${assembly.parts}, ${describeOffset(assembly.offsets[k]!)}, has ${assembly.fragments[k]!.length} bytes where part 1 has ${first})`;
  }
  return `: ${declared - have} bytes are missing${which}, so ${TRUNCATED_BY_LOG.replace(/^the line/, 'a line')}`;
}

/** The length a unit's first bytes declare (a record's framing, or a file header's length field). */
function declaredLength(first: Uint8Array): number | undefined {
  const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  if (startsWith(first, SYNC_BYTES) && first.length >= RECORD_HEADER) return RECORD_HEADER + view.getUint32(8, true) + RECORD_TRAILER;
  if (startsWith(first, MAGIC) && first.length >= 16) return view.getUint32(12, true);
  return undefined;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Reads an os_log export from a stream of chunks. */
export function readOslog(chunks: AsyncIterable<Uint8Array>, stats: ReadStats = newReadStats()): AsyncGenerator<TraceEvent[]> {
  return decodeChunks(new OslogDecoder(stats), chunks);
}

/** Decodes an os_log export held in memory (tests, small tools). */
export function decodeOslog(text: string | Uint8Array, stats: ReadStats = newReadStats()): TraceEvent[] {
  return decodeWhole(new OslogDecoder(stats), text);
}
