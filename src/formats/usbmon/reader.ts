/**
 * usbmon text (see line.ts) → URB events → USB mass storage (BOT/UAS) tasks, through the
 * same decoder as usbmon pcap captures (formats/usb/mass-storage.ts).
 *
 * What the text cannot say: it shows at most 32 data bytes of a URB (mon_text.c DATA_MAX).
 * A BOT CBW (31 bytes) and CSW (13 bytes), a UAS Command IU with a CDB of up to 16 bytes
 * (32 bytes) and the UAS status IUs' headers always fit, so commands, statuses and residues
 * are complete; a UAS Sense IU keeps 16 bytes of sense (key, ASC and ASCQ are in them; the
 * sense-key-specific bytes 16-17, such as a field pointer, and any descriptors are not), and
 * BOT sense is the first 32 bytes of the REQUEST SENSE data. The mass-storage decoder puts a
 * note on every task whose CDB or sense was cut. Lost events (the kernel drops text events
 * when the reader falls behind; `text_lost` in the <bus>s file) leave no trace in the text.
 */
import type { Diagnostic, TraceEvent } from '../../model/events.js';
import { describeOffset } from '../../model/errors.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import { decodeChunks, decodeWhole, LineDecoder } from '../ftrace/lines.js';
import type { UrbEvent } from '../pcap/link.js';
import { UsbMassStorageDecoder } from '../usb/mass-storage.js';
import { parseUsbmonLine, USBMON_TEXT_DATA_MAX, type UsbmonLine } from './line.js';

/** Current kernels print seconds modulo 4096 (mon_text.c mon_get_timestamp). */
const TIMESTAMP_WRAP_US = 4096 * 1_000_000;
/** URB tags that are not hex addresses, interned to numbers; past this the table restarts. */
const MAX_INTERNED_TAGS = 65536;

export class UsbmonDecoder extends LineDecoder {
  private readonly usb: UsbMassStorageDecoder;
  private nextDevice = 0;
  private lines = 0;
  private layout: 'u' | 't' | undefined;
  private firstUs = 0;
  private lastUs = 0;
  /** Microseconds added for the wraps of the 32-bit timestamp seen so far. */
  private wrappedUs = 0;
  private lastTimeNs = 0;
  private readonly tags = new Map<string, bigint>();

  constructor(stats: ReadStats = newReadStats()) {
    super(stats);
    this.usb = new UsbMassStorageDecoder(
      (e) => void this.out.push(e),
      () => this.nextDevice++,
    );
  }

  override line(text: string, offset: number): void {
    if (text.trim() === '') return;
    const parsed = parseUsbmonLine(text);
    const index = this.lines++;
    if (typeof parsed === 'string') {
      this.stats.skippedRecords++;
      this.stats.skippedBytes += text.length;
      this.stats.damagedRegions++;
      this.out.push(this.diag(offset, `not a usbmon text line: ${parsed}; line skipped`, text.length, index, 1));
      return;
    }
    this.stats.records++;
    if (this.layout === undefined) this.start(parsed);
    const timeNs = this.timeNs(parsed.timestampUs);
    const at = { offset, index, timeNs };
    if (parsed.type === 'E') {
      this.out.push({ kind: 'note', ...at, text: `usbmon: URB ${parsed.tag} on ${address(parsed)} was not submitted (error ${parsed.status})` });
      return;
    }
    this.usb.urb(this.urbOf(parsed), at);
  }

  override overlong(offset: number, bytes: number): void {
    this.stats.damagedRegions++;
    this.stats.skippedBytes += bytes;
    this.out.push(this.diag(offset, `line of ${bytes} bytes is too long for a usbmon line; skipped`, bytes, this.lines, 0));
  }

  protected override finish(out: TraceEvent[]): void {
    this.usb.end();
    if (this.stats.records === 0) out.push(this.diag(0, 'no usbmon text lines found', 0, 0, 0));
    else if (this.usb.deviceCount === 0) {
      out.push({
        kind: 'note',
        offset: 0,
        index: this.lines,
        timeNs: this.lastTimeNs,
        text: `no USB mass-storage (BOT or UAS) traffic in ${this.stats.records} usbmon lines`,
      });
    }
  }

  private start(first: UsbmonLine): void {
    this.layout = first.layout;
    this.firstUs = first.timestampUs;
    this.lastUs = first.timestampUs;
    this.out.push({
      kind: 'header',
      offset: 0,
      index: -1,
      timeNs: 0,
      format: 'usbmon',
      version: first.layout,
      startWallNs: 0n,
      producer:
        `Linux usbmon text, '${first.layout}' format${first.layout === 't' ? ' (no bus numbers)' : ''}: at most ${USBMON_TEXT_DATA_MAX} data bytes per URB ` +
        `(a longer CDB or sense is cut, with a note on the task); time 0 is ${first.timestampUs} µs on the usbmon clock`,
      // usbmon sees USB transfers, never the device's or controller's own cache.
      flushEventsRecorded: false,
    });
  }

  /** The timestamp wraps every 4096 s: a step back of more than half of that is a wrap. */
  private timeNs(us: number): number {
    if (us < this.lastUs && this.lastUs - us > TIMESTAMP_WRAP_US / 2) this.wrappedUs += TIMESTAMP_WRAP_US;
    this.lastUs = us;
    this.lastTimeNs = (us + this.wrappedUs - this.firstUs) * 1000;
    return this.lastTimeNs;
  }

  private urbOf(l: UsbmonLine): UrbEvent {
    const urb: UrbEvent = {
      urbId: this.urbId(l.tag),
      submit: l.type === 'S',
      // The 't' layout has no bus number; 0 (usbmon's "all buses") stands for "not recorded".
      bus: l.bus ?? 0,
      device: l.device,
      endpoint: l.endpoint | (l.in ? 0x80 : 0),
      transfer: l.transfer,
      status: l.status,
      length: Math.max(l.length, 0),
      data: l.data,
    };
    if (l.setup) urb.setup = l.setup;
    return urb;
  }

  private urbId(tag: string): bigint {
    if (tag.length <= 16 && /^[0-9a-f]+$/i.test(tag)) return BigInt(`0x${tag}`);
    let id = this.tags.get(tag);
    if (id === undefined) {
      if (this.tags.size >= MAX_INTERNED_TAGS) this.tags.clear();
      // Above every 64-bit address, so an interned tag never equals a hex one.
      id = (1n << 64n) + BigInt(this.tags.size);
      this.tags.set(tag, id);
    }
    return id;
  }

  private diag(offset: number, what: string, skippedBytes: number, index: number, skippedRecords: number): Diagnostic {
    return {
      kind: 'diagnostic',
      offset,
      index,
      timeNs: this.lastTimeNs,
      message: `${describeOffset(offset)}: ${what}`,
      skippedBytes,
      skippedRecords,
      fatal: false,
    };
  }
}

function address(l: UsbmonLine): string {
  const type = ['Z', 'I', 'C', 'B'][l.transfer]!;
  return `${type}${l.in ? 'i' : 'o'}:${l.bus !== undefined ? `${l.bus}:` : ''}${String(l.device).padStart(3, '0')}:${l.endpoint}`;
}

/** Reads usbmon text from a stream of chunks. */
export function readUsbmon(chunks: AsyncIterable<Uint8Array>, stats: ReadStats = newReadStats()): AsyncGenerator<TraceEvent[]> {
  return decodeChunks(new UsbmonDecoder(stats), chunks);
}

/** Decodes usbmon text held in memory (tests, small tools). */
export function decodeUsbmon(text: string | Uint8Array, stats: ReadStats = newReadStats()): TraceEvent[] {
  return decodeWhole(new UsbmonDecoder(stats), text);
}
