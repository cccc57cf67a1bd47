import { crc32c } from '../../model/crc32c.js';
import type { Diagnostic, TraceEvent } from '../../model/events.js';
import { describeOffset } from '../../model/errors.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import { MAGIC, MAX_BODY_LENGTH, RECORD_HEADER, RECORD_TRAILER, SYNC_BYTES } from '../native/layout.js';
import { NativeDecoder } from '../native/reader.js';
import { decodeChunks, decodeWhole, LineDecoder } from '../ftrace/lines.js';
import { messageOf, parseLine } from './encoding.js';

/** Largest unit: a record of the largest body a reader accepts. */
const MAX_UNIT_BYTES = RECORD_HEADER + MAX_BODY_LENGTH + RECORD_TRAILER;
/** Units being reassembled at once; past this the oldest is given up. */
const MAX_OPEN_UNITS = 256;
/** Bytes held by incomplete units at once; past this the oldest are given up (bounds memory). */
const MAX_OPEN_BYTES = 16 * 1024 * 1024;
/** Multi-part units remembered after decoding, so a repeated fragment is not a new unit. */
const RECENTLY_DONE = 64;

interface Assembly {
  parts: number;
  fragments: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
  /** Byte offset of the line that brought the first fragment seen. */
  offset: number;
}

/**
 * Reads SCT1 lines out of a macOS unified-log export (`log show` / `log stream`, default,
 * compact, json and ndjson styles) or any other text log, reassembles the units and decodes
 * them with the native decoder. Events carry the byte offset of the unit's first line.
 */
export class OslogDecoder extends LineDecoder {
  private readonly open = new Map<number, Assembly>();
  private readonly recentlyDone = new Map<number, number>();
  private openBytes = 0;
  private decoder: NativeDecoder | undefined;
  private headerKey = '';
  /** The last header seen could not be used. */
  private refused = false;
  private units = 0;
  private markers = 0;
  private lastTimeNs = 0;

  protected override finish(out: TraceEvent[]): void {
    for (const [seq, a] of this.open) this.abandon(seq, a, 'the export ends before');
    this.open.clear();
    if (this.markers === 0) {
      out.push(this.diag(0, 'no SCT1 lines found (a scsitrace os_log export has lines with SCT1B or SCT1X)', 0, 0));
    }
  }

  override overlong(offset: number, bytes: number): void {
    this.damage(offset, `line of ${bytes} bytes is too long for a log line; skipped`, bytes);
  }

  override line(text: string, offset: number): void {
    const parsed = parseLine(messageOf(text));
    if (parsed === undefined) return;
    this.markers++;
    if (typeof parsed === 'string') {
      this.damage(offset, `${parsed}; line skipped`, text.length);
      return;
    }
    const { seq, part, parts, payload } = parsed;
    if (parts === 1) {
      this.unit(payload, offset);
      return;
    }
    let a = this.open.get(seq);
    // A late repeat of a fragment of a unit already decoded.
    if (!a && this.recentlyDone.get(seq) === parts) return;
    if (a && a.parts !== parts) {
      this.abandon(seq, a, `a new unit with the same sequence number 0x${seq.toString(16)} began before`);
      a = undefined;
    }
    if (!a) {
      if (this.open.size >= MAX_OPEN_UNITS) {
        const [oldSeq, oldest] = this.open.entries().next().value as [number, Assembly];
        this.abandon(oldSeq, oldest, `more than ${MAX_OPEN_UNITS} units were incomplete at once before`);
      }
      a = { parts, fragments: new Array(parts), received: 0, bytes: 0, offset };
      this.open.set(seq, a);
    }
    const previous = a.fragments[part - 1];
    if (previous) {
      if (!Buffer.from(previous).equals(Buffer.from(payload))) this.damage(offset, `part ${part}/${parts} of unit 0x${seq.toString(16)} seen twice with different bytes; second skipped`, text.length);
      return;
    }
    if (a.bytes + payload.length > MAX_UNIT_BYTES) {
      this.abandon(seq, a, `it grew past ${MAX_UNIT_BYTES} bytes before`);
      return;
    }
    a.fragments[part - 1] = payload;
    a.received++;
    a.bytes += payload.length;
    this.openBytes += payload.length;
    if (a.received === parts) {
      this.open.delete(seq);
      this.openBytes -= a.bytes;
      this.recentlyDone.set(seq, parts);
      if (this.recentlyDone.size > RECENTLY_DONE) this.recentlyDone.delete(this.recentlyDone.keys().next().value as number);
      this.unit(new Uint8Array(Buffer.concat(a.fragments as Uint8Array[])), a.offset);
      return;
    }
    while (this.openBytes > MAX_OPEN_BYTES) {
      const [oldSeq, oldest] = this.open.entries().next().value as [number, Assembly];
      this.abandon(oldSeq, oldest, `more than ${MAX_OPEN_BYTES} bytes of incomplete units were held before`);
    }
  }

  private unit(bytes: Uint8Array, offset: number): void {
    const index = this.units++;
    if (startsWith(bytes, MAGIC)) {
      const key = Buffer.from(bytes).toString('latin1');
      if (key === this.headerKey) return;
      const declared = bytes.length >= 16 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true) : -1;
      if (declared !== bytes.length) {
        this.damage(offset, `SCT1 file-header unit of ${bytes.length} bytes declares a header length of ${declared}; skipped`, bytes.length);
        return;
      }
      this.headerKey = key;
      this.refused = false;
      this.decoder = new NativeDecoder(this.stats);
      if (!this.feed(bytes, offset, -1)) {
        // A header this reader cannot use (other major version, unit 0): records stay unread
        // until a usable header comes, rather than being read with the wrong clock.
        this.decoder = undefined;
        this.headerKey = '';
        this.refused = true;
      }
      return;
    }
    if (!startsWith(bytes, SYNC_BYTES)) {
      this.damage(offset, 'SCT1 unit is neither a record (A5 5A C3 3C) nor a file header; skipped', bytes.length);
      return;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bodyLength = bytes.length >= RECORD_HEADER ? view.getUint32(8, true) : -1;
    if (bodyLength !== bytes.length - RECORD_HEADER - RECORD_TRAILER) {
      this.damage(offset, `SCT1 unit of ${bytes.length} bytes holds a record whose length field says ${RECORD_HEADER + bodyLength + RECORD_TRAILER}; skipped`, bytes.length);
      return;
    }
    if (crc32c(bytes, 4, bytes.length - RECORD_TRAILER) !== view.getUint32(bytes.length - RECORD_TRAILER, true)) {
      this.damage(offset, `record CRC32C mismatch (type ${view.getUint16(4, true)}); skipped`, bytes.length);
      return;
    }
    if (!this.decoder) {
      if (this.refused) {
        this.damage(offset, 'record after a file header this reader cannot use; skipped', bytes.length);
        return;
      }
      this.decoder = new NativeDecoder(this.stats, { headerless: true, tickNs: 1 });
      this.out.push({ kind: 'header', offset, index: -1, timeNs: 0, format: 'oslog', version: 'SCT1', startWallNs: 0n, producer: 'os_log export without a header line (timestamps read as ns)' });
    }
    this.feed(bytes, offset, index);
  }

  /**
   * Runs a whole unit through the native decoder; events get the line's offset and unit index.
   * False when the decoder gave up (a fatal diagnostic, now reported as non-fatal).
   */
  private feed(bytes: Uint8Array, offset: number, index: number): boolean {
    let usable = true;
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
      }
      this.out.push(e);
    }
    return usable;
  }

  private abandon(seq: number, a: Assembly, why: string): void {
    this.open.delete(seq);
    this.openBytes -= a.bytes;
    this.damage(a.offset, `unit 0x${seq.toString(16)} incomplete: ${why} its ${a.parts} parts all arrived (${a.received} did); skipped`, a.bytes);
  }

  private damage(offset: number, what: string, skippedBytes: number): void {
    this.stats.damagedRegions++;
    this.stats.skippedRecords++;
    this.stats.skippedBytes += skippedBytes;
    this.out.push(this.diag(offset, what, skippedBytes, 1));
  }

  private diag(offset: number, what: string, skippedBytes: number, skippedRecords: number): Diagnostic {
    return { kind: 'diagnostic', offset, index: this.units, timeNs: this.lastTimeNs, message: `${describeOffset(offset)}: ${what}`, skippedBytes, skippedRecords, fatal: false };
  }
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
