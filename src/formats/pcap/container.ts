/**
 * Streaming framing of pcap and pcapng files into packets. Only the container is read here;
 * link layers are in link.ts. Damage (bad lengths, bad trailers) becomes a Diagnostic and the
 * reader rescans for the next plausible record, so one broken block does not lose the rest.
 */
import type { Diagnostic, TraceEvent } from '../../model/events.js';
import type { ReadStats } from '../../model/stats.js';
import { DamagedStretch } from '../damage.js';

/** One captured packet, with the time relative to the first packet of the file. */
export interface CapturedPacket {
  linkType: number;
  interfaceId: number;
  /** Nanoseconds since the first packet. */
  timeNs: number;
  data: Uint8Array;
  originalLength: number;
  /** Byte offset of the packet's record or block in the file. */
  offset: number;
  /** Zero-based packet number (Wireshark's frame number minus one). */
  index: number;
}

export interface ContainerInfo {
  format: 'pcap' | 'pcapng';
  version: string;
  producer: string;
  /** Wall-clock time of the first packet, ns since the Unix epoch. */
  startWallNs: bigint;
}

/** Packets the capturing system says it dropped (pcapng epb_dropcount, isb_ifdrop + isb_osdrop). */
export interface DroppedPackets {
  linkType: number;
  interfaceId: number;
  count: number;
  /** Time of the last thing captured before the loss, and of the first after it (ns since the first packet). */
  fromNs: number;
  toNs: number;
  /** The block that says so. */
  offset: number;
  index: number;
  /** Which statistic said so, for a person. */
  source: string;
}

export interface PacketSink {
  /** Called once, just before the first packet. */
  start(info: ContainerInfo): void;
  packet(p: CapturedPacket): void;
  event(e: TraceEvent): void;
  dropped(d: DroppedPackets): void;
}

/** 2200-01-01T00:00:00Z in ns: later first-packet times are taken as damage. */
const LATEST_PLAUSIBLE_WALL_NS = 7_258_118_400n * 1_000_000_000n;

/** Largest record or block accepted: bounds every allocation a length field can cause. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** pcapng block types (draft-ietf-opsawg-pcapng 4). */
const Block = {
  InterfaceDescription: 0x00000001,
  ObsoletePacket: 0x00000002,
  SimplePacket: 0x00000003,
  NameResolution: 0x00000004,
  InterfaceStatistics: 0x00000005,
  EnhancedPacket: 0x00000006,
  Journal: 0x00000009,
  DecryptionSecrets: 0x0000000a,
  Custom: 0x00000bad,
  CustomNoCopy: 0x40000bad,
} as const;
const KNOWN_NON_PACKET = new Set<number>([
  Block.NameResolution,
  Block.InterfaceStatistics,
  Block.Journal,
  Block.DecryptionSecrets,
  Block.Custom,
  Block.CustomNoCopy,
]);

export function sniffPcap(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const le = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  const be = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  return le === PCAP_US || le === PCAP_NS || be === PCAP_US || be === PCAP_NS;
}

export function sniffPcapng(head: Uint8Array): boolean {
  if (head.length < 12) return false;
  if (!(head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a)) return false;
  const m = [head[8], head[9], head[10], head[11]];
  return (m[0] === 0x4d && m[1] === 0x3c && m[2] === 0x2b && m[3] === 0x1a) || (m[0] === 0x1a && m[1] === 0x2b && m[2] === 0x3c && m[3] === 0x4d);
}

interface Interface {
  linkType: number;
  /** ns per tick, or 0 when ticks must be divided (resolution finer than 1 ns). */
  nsPerTick: number;
  ticksPerNs: number;
  baseHigh: number;
  baseLow: number;
  /** ns from the file's first packet to this interface's first packet; NaN until set. */
  baseOffsetNs: number;
  tsOffsetSec: bigint;
  /** Drops the last interface statistics block counted (cumulative), and when. */
  droppedSoFar: number;
  droppedAtNs: number;
  /** Time of this interface's last packet. */
  lastNs: number;
}

/**
 * Push chunks, get packets. Memory: the unread tail of the input (at most one record plus a
 * chunk) and one small object per pcapng interface.
 */
export class PacketContainerReader {
  private pending: Uint8Array = new Uint8Array(0);
  /** Where a record cut by a chunk end is joined (reused: packets are not kept past a push). */
  private scratch = new Uint8Array(65_536);
  private base = 0;
  private kind: 'unknown' | 'pcap' | 'pcapng' | 'dead' = 'unknown';
  private little = true;
  private packetIndex = 0;
  private started = false;
  // pcap
  private linkType = 0;
  private fracNs = 1000;
  private snaplen = 0;
  private baseSec = NaN;
  private baseFrac = 0;
  private lastSec = 0;
  private version = '';
  // pcapng
  private interfaces: Interface[] = [];
  private producer = '';
  private firstAbsNs: bigint | undefined;
  private lastTimeNs = 0;
  // damage
  /** The damaged stretch being skipped, if any (src/formats/damage.ts). */
  private readonly damaged = new DamagedStretch();

  constructor(
    private readonly sink: PacketSink,
    private readonly stats: ReadStats,
  ) {}

  push(input: Uint8Array): void {
    // A plain Uint8Array view: Buffer.subarray per packet costs more than it should.
    let chunk = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.stats.bytesRead += chunk.length;
    if (this.pending.length === 0) this.pending = chunk;
    else {
      // A record cut by the chunk end: join only that record's bytes (copying the whole chunk
      // behind it cost as much as the rest of the reading), read it, then read the chunk in place.
      const need = this.straddlingRecordBytes();
      const take = need - this.pending.length;
      if (take > 0 && take <= chunk.length) {
        if (this.scratch.length < need) this.scratch = new Uint8Array(Math.max(need, 2 * this.scratch.length));
        const joined = this.scratch.subarray(0, need);
        joined.set(this.pending, 0);
        joined.set(chunk.subarray(0, take), this.pending.length);
        this.pending = joined;
        this.run(false);
        if (this.pending.length === 0) {
          this.pending = chunk.subarray(take);
          this.run(false);
          return;
        }
        chunk = chunk.subarray(take);
      }
      const joined = new Uint8Array(this.pending.length + chunk.length);
      joined.set(this.pending, 0);
      joined.set(chunk, this.pending.length);
      this.pending = joined;
    }
    this.run(false);
  }

  /**
   * Length of the record or block that starts the unread tail, when its header is whole and no
   * damage is being skipped (else 0: the tail and the next chunk are joined as they are).
   */
  private straddlingRecordBytes(): number {
    const b = this.pending;
    if (this.damaged.open) return 0;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (this.kind === 'pcap') return b.length >= 16 && this.plausiblePcapHeader(v, 0) ? 16 + v.getUint32(8, this.little) : 0;
    if (this.kind === 'pcapng' && b.length >= 12) {
      const total = v.getUint32(4, this.little);
      return total >= 12 && total % 4 === 0 && total <= MAX_RECORD_BYTES && v.getUint32(0, this.little) !== SHB ? total : 0;
    }
    return 0;
  }

  end(): void {
    this.run(true);
    if (this.kind === 'unknown') {
      this.fatal(0, this.stats.bytesRead === 0 ? 'empty file: not a pcap or pcapng capture' : `truncated file header: ${this.pending.length} bytes`);
    }
  }

  private run(eof: boolean): void {
    if (this.kind === 'unknown' && !this.readFileHeader(eof)) return;
    if (this.kind === 'pcap') this.readPcapRecords(eof);
    else if (this.kind === 'pcapng') this.readBlocks(eof);
  }

  private fatal(at: number, message: string): void {
    this.kind = 'dead';
    this.stats.damagedRegions++;
    this.stats.skippedBytes += this.pending.length;
    const d: Diagnostic = {
      kind: 'diagnostic',
      offset: at,
      index: this.packetIndex,
      timeNs: this.lastTimeNs,
      message: `at byte 0x${at.toString(16)}: ${message}`,
      skippedBytes: this.pending.length,
      skippedRecords: 0,
      fatal: true,
    };
    this.sink.event(d);
    this.pending = new Uint8Array(0);
  }

  private readFileHeader(eof: boolean): boolean {
    const b = this.pending;
    if (b.length < 24) {
      if (eof && b.length) this.fatal(0, `truncated capture file header: ${b.length} of 24 bytes`);
      return false;
    }
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const le = v.getUint32(0, true);
    const be = v.getUint32(0, false);
    if (le === PCAP_US || le === PCAP_NS || be === PCAP_US || be === PCAP_NS) {
      this.little = le === PCAP_US || le === PCAP_NS;
      const magic = this.little ? le : be;
      this.fracNs = magic === PCAP_NS ? 1 : 1000;
      const major = v.getUint16(4, this.little);
      const minor = v.getUint16(6, this.little);
      this.snaplen = v.getUint32(16, this.little);
      // Upper bits carry FCS information (pcap linktype field); the link type is the low 16.
      this.linkType = v.getUint32(20, this.little) & 0xffff;
      this.version = `${major}.${minor}`;
      this.producer = `libpcap ${this.fracNs === 1 ? 'ns' : 'us'} ${this.little ? 'LE' : 'BE'}`;
      this.kind = 'pcap';
      this.consume(24);
      return true;
    }
    if (v.getUint32(0, true) === SHB) {
      this.kind = 'pcapng';
      return true;
    }
    this.fatal(0, 'not a pcap or pcapng capture (bad magic)');
    return false;
  }

  private consume(p: number): void {
    if (p <= 0) return;
    this.base += p;
    this.pending = p >= this.pending.length ? new Uint8Array(0) : this.pending.subarray(p);
  }

  /**
   * The first packet fixes time 0 and the capture's wall clock. A first packet time outside
   * 1970-2199 (a damaged timestamp, an absurd if_tsoffset) leaves the wall clock unknown and is
   * reported; times stay relative to it.
   */
  private startIfNeeded(absNs: bigint, format: 'pcap' | 'pcapng', offset: number): void {
    if (this.started) return;
    this.started = true;
    this.firstAbsNs = absNs;
    const plausible = absNs >= 0n && absNs < LATEST_PLAUSIBLE_WALL_NS;
    this.sink.start({ format, version: this.version, producer: this.producer, startWallNs: plausible ? absNs : 0n });
    if (!plausible) {
      this.stats.damagedRegions++;
      this.sink.event({
        kind: 'diagnostic',
        offset,
        index: this.packetIndex,
        timeNs: 0,
        message: `at byte 0x${offset.toString(16)}: packet time ${absNs / 1_000_000_000n} s since the Unix epoch is outside 1970-2199; the capture's wall-clock start is unknown, times are relative to this packet`,
        skippedBytes: 0,
        skippedRecords: 0,
        fatal: false,
      });
    }
  }

  // ---- pcap ---------------------------------------------------------------------------------

  /** A record header that a real writer could have produced after the previous one. */
  private plausiblePcapHeader(v: DataView, p: number): boolean {
    const sec = v.getUint32(p, this.little);
    const frac = v.getUint32(p + 4, this.little);
    const incl = v.getUint32(p + 8, this.little);
    const orig = v.getUint32(p + 12, this.little);
    if (frac >= (this.fracNs === 1 ? 1e9 : 1e6)) return false;
    if (incl > MAX_RECORD_BYTES || orig < incl || orig > MAX_RECORD_BYTES * 16) return false;
    // Loopback frames can exceed an old 65535 snap length (MTU 65536 plus link header).
    if (this.snaplen && incl > Math.max(this.snaplen, 262144)) return false;
    if (!Number.isNaN(this.baseSec) && Math.abs(sec - this.lastSec) > 86400) return false;
    return true;
  }

  private readPcapRecords(eof: boolean): void {
    const buf = this.pending;
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const little = this.little;
    let p = 0;
    for (;;) {
      const avail = buf.length - p;
      if (avail === 0) break;
      if (avail < 16) {
        if (!eof) break;
        p = this.pcapDamage(buf, v, p, eof, `truncated packet record header: ${avail} of 16 bytes`);
        if (p < 0) break;
        continue;
      }
      if (!this.plausiblePcapHeader(v, p)) {
        p = this.pcapDamage(buf, v, p, eof, `implausible packet record header (length ${v.getUint32(p + 8, little)}, original ${v.getUint32(p + 12, little)})`);
        if (p < 0) break;
        continue;
      }
      const incl = v.getUint32(p + 8, little);
      if (avail < 16 + incl) {
        if (!eof) break;
        p = this.pcapDamage(buf, v, p, eof, `truncated packet: needs ${16 + incl} bytes, ${avail} present`);
        if (p < 0) break;
        continue;
      }
      const offset = this.base + p;
      this.closeDamage(offset);
      const sec = v.getUint32(p, little);
      const frac = v.getUint32(p + 4, little);
      if (Number.isNaN(this.baseSec)) {
        this.baseSec = sec;
        this.baseFrac = frac;
        this.startIfNeeded(BigInt(sec) * 1_000_000_000n + BigInt(frac * this.fracNs), 'pcap', offset);
      }
      this.lastSec = sec;
      const timeNs = (sec - this.baseSec) * 1e9 + (frac - this.baseFrac) * this.fracNs;
      this.emitPacket(this.linkType, 0, timeNs, buf.subarray(p + 16, p + 16 + incl), v.getUint32(p + 12, little), offset);
      p += 16 + incl;
    }
    this.consume(p);
  }

  private pcapDamage(buf: Uint8Array, v: DataView, p: number, eof: boolean, what: string): number {
    this.openDamage(p, what);
    // Scan for the next header that is plausible and, when its successor is in the buffer,
    // followed by another plausible header (two in a row rarely happen by chance).
    for (let q = p + 1; q + 16 <= buf.length; q++) {
      if (!this.plausiblePcapHeader(v, q)) continue;
      const next = q + 16 + v.getUint32(q + 8, this.little);
      if (next + 16 <= buf.length) {
        if (!this.plausiblePcapHeader(v, next)) continue;
      } else if (!eof && next <= buf.length + MAX_RECORD_BYTES) {
        // Cannot confirm yet: wait for more input, keeping the candidate.
        this.damaged.skip(q - p);
        this.consume(q);
        return -1;
      } else if (next !== buf.length) continue;
      this.damaged.skip(q - p);
      return q;
    }
    return this.dropTail(buf, p, eof, 15);
  }

  // ---- pcapng -------------------------------------------------------------------------------

  private readBlocks(eof: boolean): void {
    const buf = this.pending;
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let p = 0;
    for (;;) {
      const avail = buf.length - p;
      if (avail === 0) break;
      if (avail < 12) {
        if (!eof) break;
        p = this.blockDamage(buf, v, p, eof, `truncated block header: ${avail} bytes`);
        if (p < 0) break;
        continue;
      }
      const type = v.getUint32(p, this.little);
      if (type === SHB) {
        // A section header fixes the byte order of everything up to the next one.
        const bom = v.getUint32(p + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.little = true;
        else if (bom === 0x4d3c2b1a) this.little = false;
        else {
          p = this.blockDamage(buf, v, p, eof, 'section header with a bad byte-order magic');
          if (p < 0) break;
          continue;
        }
      }
      const total = v.getUint32(p + 4, this.little);
      if (total < 12 || total % 4 !== 0 || total > MAX_RECORD_BYTES) {
        p = this.blockDamage(buf, v, p, eof, `block type 0x${type.toString(16)} with bad length ${total}`);
        if (p < 0) break;
        continue;
      }
      if (avail < total) {
        if (!eof) break;
        p = this.blockDamage(buf, v, p, eof, `truncated block (type 0x${type.toString(16)}): needs ${total} bytes, ${avail} present`);
        if (p < 0) break;
        continue;
      }
      if (v.getUint32(p + total - 4, this.little) !== total) {
        p = this.blockDamage(
          buf,
          v,
          p,
          eof,
          `block type 0x${type.toString(16)}: trailing length ${v.getUint32(p + total - 4, this.little)} differs from leading length ${total}`,
        );
        if (p < 0) break;
        continue;
      }
      const offset = this.base + p;
      this.closeDamage(offset);
      const problem = this.block(type, buf, v, p, total, offset);
      if (problem) {
        this.stats.skippedRecords++;
        this.stats.skippedBytes += total;
        this.sink.event({
          kind: 'diagnostic',
          offset,
          index: this.packetIndex,
          timeNs: this.lastTimeNs,
          message: `at byte 0x${offset.toString(16)}: ${problem}`,
          skippedBytes: total,
          skippedRecords: 1,
          fatal: false,
        });
      }
      p += total;
    }
    this.consume(p);
  }

  /** Handles one whole block; returns a problem description for a block it had to skip. */
  private block(type: number, buf: Uint8Array, v: DataView, p: number, total: number, offset: number): string | undefined {
    const le = this.little;
    switch (type) {
      case SHB: {
        this.stats.records++;
        if (total < 28) return `section header block too short (${total} bytes)`;
        this.interfaces = [];
        this.version = `${v.getUint16(p + 12, le)}.${v.getUint16(p + 14, le)}`;
        // Options: shb_hardware 2, shb_os 3, shb_userappl 4.
        const parts: string[] = [];
        forEachOption(buf, v, p + 24, p + total - 4, le, (code, s, e) => {
          if (code === 4 || code === 3) parts.push(new TextDecoder().decode(buf.subarray(s, e)));
        });
        if (!this.producer) this.producer = parts.join('; ') || 'pcapng';
        return undefined;
      }
      case Block.InterfaceDescription: {
        this.stats.records++;
        if (total < 20) return `interface description block too short (${total} bytes)`;
        const iface: Interface = {
          linkType: v.getUint16(p + 8, le),
          nsPerTick: 1000,
          ticksPerNs: 0,
          baseHigh: 0,
          baseLow: 0,
          baseOffsetNs: NaN,
          tsOffsetSec: 0n,
          droppedSoFar: 0,
          droppedAtNs: 0,
          lastNs: 0,
        };
        forEachOption(buf, v, p + 16, p + total - 4, le, (code, s, e) => {
          if (code === 9 && e > s) {
            // if_tsresol: 10^-n seconds, or 2^-n when the top bit is set.
            const r = buf[s]!;
            const n = r & 0x7f;
            const ticksPerSec = r & 0x80 ? 2 ** n : 10 ** n;
            if (ticksPerSec <= 1e9) {
              iface.nsPerTick = 1e9 / ticksPerSec;
              iface.ticksPerNs = 0;
            } else {
              iface.nsPerTick = 0;
              iface.ticksPerNs = ticksPerSec / 1e9;
            }
          } else if (code === 14 && e - s >= 8) {
            iface.tsOffsetSec = v.getBigInt64(s, le);
          }
        });
        if (this.interfaces.length >= 65536) return 'more than 65536 interfaces in one section';
        this.interfaces.push(iface);
        return undefined;
      }
      case Block.EnhancedPacket:
      case Block.ObsoletePacket: {
        const obsolete = type === Block.ObsoletePacket;
        if (total < 32) return `packet block too short (${total} bytes)`;
        const ifId = obsolete ? v.getUint16(p + 8, le) : v.getUint32(p + 8, le);
        const iface = this.interfaces[ifId];
        if (!iface) return `packet block for interface ${ifId}, which no interface description block defined`;
        const high = v.getUint32(p + 12, le);
        const low = v.getUint32(p + 16, le);
        const cap = v.getUint32(p + 20, le);
        const orig = v.getUint32(p + 24, le);
        if (28 + cap + 4 > total) return `packet block: captured length ${cap} overruns block length ${total}`;
        const timeNs = this.ifaceTime(iface, high, low, offset);
        if (!obsolete) {
          // epb_dropcount (option 4): packets lost between the previous packet and this one.
          forEachOption(buf, v, p + 28 + ((cap + 3) & ~3), p + total - 4, le, (code, s, e) => {
            if (code === 4 && e - s === 8) {
              const n = Number(v.getBigUint64(s, le));
              if (n > 0)
                this.sink.dropped({
                  linkType: iface.linkType,
                  interfaceId: ifId,
                  count: n,
                  fromNs: iface.lastNs,
                  toNs: timeNs,
                  offset,
                  index: this.packetIndex,
                  source: 'epb_dropcount',
                });
            }
          });
        }
        iface.lastNs = timeNs;
        this.emitPacket(iface.linkType, ifId, timeNs, buf.subarray(p + 28, p + 28 + cap), orig, offset);
        return undefined;
      }
      case Block.SimplePacket: {
        if (total < 16) return `simple packet block too short (${total} bytes)`;
        const iface = this.interfaces[0];
        if (!iface) return 'simple packet block before any interface description block';
        const orig = v.getUint32(p + 8, le);
        const cap = Math.min(orig, total - 16);
        // No timestamp: the packet is placed at the time of the one before it.
        this.emitPacket(iface.linkType, 0, this.lastTimeNs, buf.subarray(p + 12, p + 12 + cap), orig, offset);
        return undefined;
      }
      case Block.InterfaceStatistics: {
        this.stats.records++;
        if (total < 24) return `interface statistics block too short (${total} bytes)`;
        const ifId = v.getUint32(p + 8, le);
        const iface = this.interfaces[ifId];
        if (!iface) return `interface statistics block for interface ${ifId}, which no interface description block defined`;
        // isb_ifdrop (5): dropped by the interface; isb_osdrop (7): by the OS. Both count from
        // the start of the capture, so a rise between two blocks is what was lost between them.
        let drops = -1;
        forEachOption(buf, v, p + 20, p + total - 4, le, (code, s, e) => {
          if ((code === 5 || code === 7) && e - s === 8) drops = Math.max(drops, 0) + Number(v.getBigUint64(s, le));
        });
        if (drops > iface.droppedSoFar) {
          const atNs = Number.isNaN(iface.baseOffsetNs)
            ? iface.lastNs
            : Math.max(iface.lastNs, this.ifaceTime(iface, v.getUint32(p + 12, le), v.getUint32(p + 16, le), offset));
          this.sink.dropped({
            linkType: iface.linkType,
            interfaceId: ifId,
            count: drops - iface.droppedSoFar,
            fromNs: iface.droppedAtNs,
            toNs: atNs,
            offset,
            index: this.packetIndex,
            source: 'isb_ifdrop + isb_osdrop',
          });
          iface.droppedSoFar = drops;
          iface.droppedAtNs = atNs;
        }
        return undefined;
      }
      default:
        this.stats.records++;
        if (!KNOWN_NON_PACKET.has(type)) {
          this.stats.unknownRecords++;
          this.stats.unknownTypes.set(`pcapng block 0x${type.toString(16)}`, (this.stats.unknownTypes.get(`pcapng block 0x${type.toString(16)}`) ?? 0) + 1);
        }
        return undefined;
    }
  }

  private ifaceTime(iface: Interface, high: number, low: number, offset: number): number {
    if (Number.isNaN(iface.baseOffsetNs)) {
      iface.baseHigh = high;
      iface.baseLow = low;
      const ticks = (BigInt(high) << 32n) | BigInt(low);
      const abs =
        (iface.nsPerTick ? (ticks * BigInt(Math.round(iface.nsPerTick * 1000))) / 1000n : (ticks * 1000n) / BigInt(Math.round(iface.ticksPerNs * 1000))) +
        iface.tsOffsetSec * 1_000_000_000n;
      this.startIfNeeded(abs, 'pcapng', offset);
      iface.baseOffsetNs = Number(abs - this.firstAbsNs!);
    }
    const rel = (high - iface.baseHigh) * 4294967296 + (low - iface.baseLow);
    return iface.baseOffsetNs + (iface.nsPerTick ? rel * iface.nsPerTick : rel / iface.ticksPerNs);
  }

  private blockDamage(buf: Uint8Array, v: DataView, p: number, eof: boolean, what: string): number {
    this.openDamage(p, what);
    // Blocks are 4-byte aligned; look for a known type whose two length fields agree.
    for (let q = p + 4; q + 12 <= buf.length; q += 4) {
      const type = v.getUint32(q, this.little);
      if (!(type === SHB || type === Block.EnhancedPacket || type === Block.InterfaceDescription || type === Block.SimplePacket || KNOWN_NON_PACKET.has(type)))
        continue;
      const total = v.getUint32(q + 4, this.little);
      if (total < 12 || total % 4 !== 0 || total > MAX_RECORD_BYTES) continue;
      if (q + total > buf.length) {
        if (eof) continue;
        this.damaged.skip(q - p);
        this.consume(q);
        return -1;
      }
      if (v.getUint32(q + total - 4, this.little) !== total) continue;
      this.damaged.skip(q - p);
      return q;
    }
    return this.dropTail(buf, p, eof, 11);
  }

  // ---- shared -------------------------------------------------------------------------------

  private emitPacket(linkType: number, interfaceId: number, timeNs: number, data: Uint8Array, originalLength: number, offset: number): void {
    this.stats.records++;
    this.lastTimeNs = timeNs;
    this.sink.packet({ linkType, interfaceId, timeNs, data, originalLength, offset, index: this.packetIndex++ });
  }

  private openDamage(p: number, what: string): void {
    this.damaged.begin(this.base + p, what);
  }

  /** No resync point in the buffer: drop what cannot start one and wait (or finish at EOF). */
  private dropTail(buf: Uint8Array, p: number, eof: boolean, keep: number): number {
    const kept = eof ? 0 : Math.min(keep, buf.length - p);
    const dropTo = buf.length - kept;
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
    this.sink.event({
      kind: 'diagnostic',
      offset: d.offset,
      index: this.packetIndex,
      timeNs: this.lastTimeNs,
      message: `at byte 0x${d.offset.toString(16)}: ${d.message}`,
      skippedBytes: d.skippedBytes,
      skippedRecords: 0,
      fatal: atEof,
    });
  }
}

/** pcapng options: (code u16, length u16, value padded to 4) until opt_endofopt. */
function forEachOption(buf: Uint8Array, v: DataView, start: number, end: number, le: boolean, f: (code: number, s: number, e: number) => void): void {
  let o = start;
  while (o + 4 <= end) {
    const code = v.getUint16(o, le);
    const len = v.getUint16(o + 2, le);
    if (code === 0) return;
    if (o + 4 + len > end) return;
    f(code, o + 4, o + 4 + len);
    o += 4 + ((len + 3) & ~3);
  }
  void buf;
}
