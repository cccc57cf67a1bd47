/**
 * pcap and pcapng captures: container framing → link layer → iSCSI over TCP or USB mass
 * storage → normalized events. One pass, events in packet order.
 */
import { GapAffects, GapUnit, type TraceEvent } from '../../model/events.js';
import { newReadStats, type ReadStats } from '../../model/stats.js';
import type { ReadOptions, TraceFormat } from '../registry.js';
import { eventBatches } from '../../model/batch-builder.js';
import { IscsiDemux } from '../iscsi/session.js';
import { UsbMassStorageDecoder } from '../usb/mass-storage.js';
import { PacketContainerReader, sniffPcap, sniffPcapng, type CapturedPacket, type ContainerInfo, type DroppedPackets, type PacketSink } from './container.js';
import { EtherType, LINK_TYPE_NAMES, LinkType, isUsbLinkType, linkPayload, parseTcp, parseUsbPcap, parseUsbmon, type LinkPayload } from './link.js';
import { parseUsbDarwin } from '../usb/darwin.js';
import { FcoeDecoder } from '../fcoe/index.js';
import { packetDamage } from './damage.js';
import type { PacketRef } from '../iscsi/tcp.js';

/** Decodes a whole capture pushed in chunks; events collect in `out` between pulls. */
export class CaptureDecoder implements PacketSink {
  out: TraceEvent[] = [];
  private readonly container: PacketContainerReader;
  private readonly iscsi: IscsiDemux;
  private readonly usb: UsbMassStorageDecoder;
  private readonly fcoe: FcoeDecoder;
  /** Where the current packet's network-layer payload starts (reused per packet). */
  private readonly payload: LinkPayload = { type: 0, offset: 0 };
  private nextIndex = 0;
  private readonly unsupported = new Set<number>();
  private last: PacketRef = { timeNs: 0, offset: 0, index: -1 };

  constructor(
    readonly stats: ReadStats = newReadStats(),
    options: ReadOptions = {},
  ) {
    this.container = new PacketContainerReader(this, stats);
    const emit = (e: TraceEvent) => void this.out.push(e);
    const allocate = () => this.nextIndex++;
    this.iscsi = new IscsiDemux(emit, stats, options.iscsiPort !== undefined ? { port: options.iscsiPort } : {}, allocate);
    this.usb = new UsbMassStorageDecoder(emit, allocate);
    this.fcoe = new FcoeDecoder(emit, stats, allocate);
  }

  push(chunk: Uint8Array): TraceEvent[] {
    this.container.push(chunk);
    return this.take();
  }

  end(): TraceEvent[] {
    this.container.end();
    this.iscsi.end(this.last);
    this.usb.end();
    this.fcoe.end();
    if (this.iscsi.connectionCount === 0 && this.usb.deviceCount === 0 && this.fcoe.nexusCount === 0 && this.last.index >= 0) {
      this.out.push({
        ...this.last,
        kind: 'note',
        text: `no iSCSI, FCP or USB mass-storage traffic in ${this.last.index + 1} packets (for iSCSI on an unusual port whose login is not in the capture, try --iscsi-port)`,
      });
    }
    return this.take();
  }

  private take(): TraceEvent[] {
    const batch = this.out;
    this.out = [];
    return batch;
  }

  start(info: ContainerInfo): void {
    this.out.push({
      kind: 'header',
      offset: 0,
      index: -1,
      timeNs: 0,
      format: info.format,
      version: info.version,
      startWallNs: info.startWallNs,
      producer: info.producer,
      // A capture of the wire never sees inside the controller.
      flushEventsRecorded: false,
    });
  }

  event(e: TraceEvent): void {
    this.out.push(e);
  }

  /**
   * Packets the capturing system dropped. On a USB interface nothing else tells what was lost,
   * so this is a capture gap for every device on it, and so it is once FCoE was seen (FC frames
   * carry no sequence that would place the loss); on an IP interface TCP sequence numbers
   * already place every lost byte of an iSCSI stream (gaps per connection), so it is a note.
   */
  dropped(d: DroppedPackets): void {
    const what = `interface ${d.interfaceId} dropped ${d.count} packet${d.count === 1 ? '' : 's'} (${d.source})`;
    if (isUsbLinkType(d.linkType) || this.fcoe.frames > 0) {
      this.out.push({
        kind: 'gap',
        offset: d.offset,
        index: d.index,
        timeNs: d.fromNs,
        endNs: Math.max(d.toNs, d.fromNs),
        lost: d.count,
        unit: GapUnit.Packets,
        affects: GapAffects.All,
        detail: `${isUsbLinkType(d.linkType) ? 'USB' : 'FCoE'} capture ${what}`,
      });
    } else {
      this.out.push({ kind: 'note', offset: d.offset, index: d.index, timeNs: d.toNs, text: `capture ${what}; TCP holes are reported per connection` });
    }
  }

  packet(p: CapturedPacket): void {
    const at: PacketRef = { timeNs: p.timeNs, offset: p.offset, index: p.index };
    this.last = at;
    const lt = p.linkType;
    if (lt === LinkType.UsbDarwin) {
      const r = parseUsbDarwin(p.data, p.originalLength);
      if ('urb' in r) this.usb.urb(r.urb, at);
      else this.out.push(packetDamage(this.stats, at, `${r.problem}; packet skipped`, p.data.length));
      return;
    }
    if (isUsbLinkType(lt)) {
      const urb = lt === LinkType.UsbPcap ? parseUsbPcap(p.data) : parseUsbmon(p.data, lt === LinkType.UsbLinuxMmapped);
      if (urb) this.usb.urb(urb, at);
      return;
    }
    const link = this.payload;
    if (!linkPayload(lt, p.data, link)) {
      if (!(lt in LINK_TYPE_NAMES) && !this.unsupported.has(lt)) {
        this.unsupported.add(lt);
        this.out.push({ kind: 'note', offset: p.offset, index: p.index, timeNs: p.timeNs, text: `link type ${lt} is not supported; its packets are skipped` });
      }
      if (!(lt in LINK_TYPE_NAMES)) {
        const key = `link type ${lt}`;
        this.stats.unknownRecords++;
        this.stats.unknownTypes.set(key, (this.stats.unknownTypes.get(key) ?? 0) + 1);
      }
      return;
    }
    if (link.type === EtherType.Fcoe) {
      this.fcoe.frame(p.data, link.offset, p.originalLength, at);
      return;
    }
    if (link.type !== EtherType.Ipv4 && link.type !== EtherType.Ipv6) return;
    const seg = parseTcp(p.data, link.offset);
    if (seg) this.iscsi.segment(seg, at);
  }
}

async function* readCapture(chunks: AsyncIterable<Uint8Array>, stats: ReadStats, options: ReadOptions): AsyncGenerator<TraceEvent[]> {
  const dec = new CaptureDecoder(stats, options);
  for await (const chunk of chunks) {
    const batch = dec.push(chunk);
    if (batch.length) yield batch;
  }
  const last = dec.end();
  if (last.length) yield last;
}

/** Decodes a whole in-memory capture (tests, small tools). */
export function decodeCapture(bytes: Uint8Array, options: ReadOptions = {}, stats: ReadStats = newReadStats()): TraceEvent[] {
  const dec = new CaptureDecoder(stats, options);
  return [...dec.push(bytes), ...dec.end()];
}

/**
 * Read buffers, reused in turn: nothing keeps a view of a chunk past the next one (the
 * container copies a record cut by a chunk end; TCP copies out-of-order segments; the PDU framer,
 * the FCoE exchange table and the USB decoder copy the bytes they hold: headers, held data, CDBs,
 * sense). Fresh buffers per read cost page faults and garbage collection of the whole file.
 */
const readBuffers = (count: number, bytes: number): Uint8Array[] => Array.from({ length: count }, () => new Uint8Array(bytes));

const DESCRIPTION_TAIL =
  'iSCSI over TCP (Ethernet/VLAN, SLL, SLL2, raw IP, loopback), FCP over FCoE (Ethernet/VLAN, SLL, SLL2) and USB mass storage BOT/UAS (usbmon, USBPcap, macOS XHCn)';

export const pcapFormat: TraceFormat = {
  id: 'pcap',
  description: `libpcap capture: ${DESCRIPTION_TAIL}`,
  sniff: sniffPcap,
  readBuffers,
  read: (chunks, stats, options) => eventBatches(readCapture(chunks, stats, options)),
};

export const pcapngFormat: TraceFormat = {
  id: 'pcapng',
  description: `pcapng capture: ${DESCRIPTION_TAIL}`,
  sniff: sniffPcapng,
  readBuffers,
  read: (chunks, stats, options) => eventBatches(readCapture(chunks, stats, options)),
};
