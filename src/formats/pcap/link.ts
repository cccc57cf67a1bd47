/**
 * Link, network and transport headers: from a captured frame to a TCP segment or a USB URB
 * event. Pure functions over the packet bytes; nothing here allocates beyond the result.
 */

/** LINKTYPE_* values (tcpdump.org link-layer header types). */
export const LinkType = {
  Null: 0,
  Ethernet: 1,
  RawOpenBsd: 12,
  RawBsd: 14,
  Raw: 101,
  Loop: 108,
  LinuxSll: 113,
  UsbLinux: 189,
  UsbLinuxMmapped: 220,
  Ipv4: 228,
  Ipv6: 229,
  UsbPcap: 249,
  UsbDarwin: 266,
  LinuxSll2: 276,
} as const;

export const LINK_TYPE_NAMES: Record<number, string> = {
  0: 'null/loopback',
  1: 'Ethernet',
  12: 'raw IP',
  14: 'raw IP',
  101: 'raw IP',
  108: 'OpenBSD loopback',
  113: 'Linux cooked (SLL)',
  189: 'USB Linux (usbmon)',
  220: 'USB Linux mmapped (usbmon)',
  228: 'raw IPv4',
  229: 'raw IPv6',
  249: 'USBPcap',
  266: 'USB Darwin (macOS XHCn)',
  276: 'Linux cooked v2 (SLL2)',
};

export function isUsbLinkType(t: number): boolean {
  return t === LinkType.UsbLinux || t === LinkType.UsbLinuxMmapped || t === LinkType.UsbPcap || t === LinkType.UsbDarwin;
}

export function isIpLinkType(t: number): boolean {
  return t in LINK_TYPE_NAMES && !isUsbLinkType(t);
}

/** EtherType values (IEEE registry) the readers look for. */
export const EtherType = {
  Ipv4: 0x0800,
  Ipv6: 0x86dd,
  /** FC-BB-5 7.8: Fibre Channel over Ethernet. */
  Fcoe: 0x8906,
} as const;
const ETH_VLAN = new Set([0x8100, 0x88a8, 0x9100]);

/** Where a frame's network-layer payload starts and what it is; reused per packet by its caller. */
export interface LinkPayload {
  /** EtherType of the payload (IPv4/IPv6 for link types that carry only IP). */
  type: number;
  /** Byte offset of the payload in the frame. */
  offset: number;
}

/**
 * Fills `out` with the payload of a frame of this link type; false when the frame carries none
 * the link type can say (too short, unknown family, not a link type with a payload).
 */
export function linkPayload(linkType: number, d: Uint8Array, out: LinkPayload): boolean {
  switch (linkType) {
    case LinkType.Ethernet: {
      if (d.length < 14) return false;
      let o = 12;
      let type = (d[12]! << 8) | d[13]!;
      // 802.1Q / 802.1ad tags, possibly stacked (QinQ).
      while (ETH_VLAN.has(type) && o + 6 <= d.length) {
        o += 4;
        type = (d[o]! << 8) | d[o + 1]!;
      }
      out.type = type;
      out.offset = o + 2;
      return true;
    }
    case LinkType.LinuxSll: {
      if (d.length < 16) return false;
      out.type = (d[14]! << 8) | d[15]!;
      out.offset = 16;
      return true;
    }
    case LinkType.LinuxSll2: {
      if (d.length < 20) return false;
      out.type = (d[0]! << 8) | d[1]!;
      out.offset = 20;
      return true;
    }
    case LinkType.Raw:
    case LinkType.RawBsd:
    case LinkType.RawOpenBsd:
    case LinkType.Ipv4:
    case LinkType.Ipv6:
      out.type = d.length > 0 && d[0]! >> 4 === 6 ? EtherType.Ipv6 : EtherType.Ipv4;
      out.offset = 0;
      return true;
    case LinkType.Null:
    case LinkType.Loop: {
      if (d.length < 4) return false;
      // The address family is in the writer's byte order (Null) or network order (Loop);
      // families are small numbers, so whichever end is non-zero tells.
      const family = d[0] === 0 && d[1] === 0 ? (d[2]! << 8) | d[3]! : d[0]! | (d[1]! << 8);
      if (family !== 2 && family !== 24 && family !== 28 && family !== 30) return false;
      out.type = family === 2 ? EtherType.Ipv4 : EtherType.Ipv6;
      out.offset = 4;
      return true;
    }
    default:
      return false;
  }
}

/**
 * One end of a TCP connection, as a key cheap to hash: IPv4 address * 65536 + port (a
 * number below 2^48), or "[v6 address]:port" text for IPv6. endpointText() makes it readable.
 */
export type Endpoint = number | string;

export function endpointText(e: Endpoint): string {
  if (typeof e === 'string') return e;
  const ip = Math.floor(e / 65536);
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${e % 65536}`;
}

/** A TCP segment; payload may be shorter than payloadLength when the snap length cut it. */
export interface TcpSegment {
  src: Endpoint;
  dst: Endpoint;
  srcPort: number;
  dstPort: number;
  seq: number;
  /** Acknowledgement number (meaningful when flags has ACK). */
  ack: number;
  flags: number;
  payload: Uint8Array;
  /** Payload length according to the IP header. */
  payloadLength: number;
}

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** Parses IPv4/IPv6 + TCP at offset o; undefined for anything else (UDP, fragments, ...). */
export function parseTcp(d: Uint8Array, o: number): TcpSegment | undefined {
  if (o + 20 > d.length) return undefined;
  const version = d[o]! >> 4;
  let proto: number;
  let tcp: number;
  let end: number;
  let src: number | string;
  let dst: number | string;
  if (version === 4) {
    const ihl = (d[o]! & 0x0f) * 4;
    if (ihl < 20) return undefined;
    const totalLength = (d[o + 2]! << 8) | d[o + 3]!;
    const fragment = ((d[o + 6]! & 0x3f) << 8) | d[o + 7]!; // MF flag and offset
    if (fragment !== 0) return undefined;
    proto = d[o + 9]!;
    tcp = o + ihl;
    end = o + Math.max(totalLength, ihl);
    src = ((d[o + 12]! << 24) | (d[o + 13]! << 16) | (d[o + 14]! << 8) | d[o + 15]!) >>> 0;
    dst = ((d[o + 16]! << 24) | (d[o + 17]! << 16) | (d[o + 18]! << 8) | d[o + 19]!) >>> 0;
  } else if (version === 6) {
    if (o + 40 > d.length) return undefined;
    const payloadLength = (d[o + 4]! << 8) | d[o + 5]!;
    proto = d[o + 6]!;
    tcp = o + 40;
    end = tcp + payloadLength;
    // Skip extension headers; a fragment header (44) means we cannot see a whole segment.
    while (proto === 0 || proto === 43 || proto === 60) {
      if (tcp + 8 > d.length) return undefined;
      const next = d[tcp]!;
      tcp += (d[tcp + 1]! + 1) * 8;
      proto = next;
    }
    src = ipv6Text(d, o + 8);
    dst = ipv6Text(d, o + 24);
  } else return undefined;
  if (proto !== 6 || tcp + 20 > d.length) return undefined;
  const dataOffset = (d[tcp + 12]! >> 4) * 4;
  if (dataOffset < 20) return undefined;
  const srcPort = (d[tcp]! << 8) | d[tcp + 1]!;
  const dstPort = (d[tcp + 2]! << 8) | d[tcp + 3]!;
  const seq = ((d[tcp + 4]! << 24) | (d[tcp + 5]! << 16) | (d[tcp + 6]! << 8) | d[tcp + 7]!) >>> 0;
  const ack = ((d[tcp + 8]! << 24) | (d[tcp + 9]! << 16) | (d[tcp + 10]! << 8) | d[tcp + 11]!) >>> 0;
  const flags = d[tcp + 13]!;
  const start = tcp + dataOffset;
  const payloadLength = Math.max(0, end - start);
  const payload = d.subarray(Math.min(start, d.length), Math.min(end, d.length));
  const srcEnd = typeof src === 'number' ? src * 65536 + srcPort : `${src}:${srcPort}`;
  const dstEnd = typeof dst === 'number' ? dst * 65536 + dstPort : `${dst}:${dstPort}`;
  return { src: srcEnd, dst: dstEnd, srcPort, dstPort, seq, ack, flags, payload, payloadLength };
}

function ipv6Text(d: Uint8Array, o: number): string {
  let s = '';
  for (let i = 0; i < 16; i += 2) s += (i ? ':' : '') + ((d[o + i]! << 8) | d[o + i + 1]!).toString(16);
  return `[${s}]`;
}

/** USB transfer types as usbmon and USBPcap number them. */
export const UsbTransfer = { Isochronous: 0, Interrupt: 1, Control: 2, Bulk: 3 } as const;

/** One URB event: a submission (host → HCD) or a completion (HCD → host). */
export interface UrbEvent {
  /** Identifies the URB so a completion finds its submission. */
  urbId: bigint;
  submit: boolean;
  bus: number;
  device: number;
  /** Endpoint number with the direction bit (0x80 = IN). */
  endpoint: number;
  transfer: number;
  /** 0 on success; negative errno (usbmon) or USBD_STATUS (USBPcap) otherwise. */
  status: number;
  /** Bytes requested (submission) or actually transferred (completion). */
  length: number;
  /** Setup packet of a control submission (8 bytes), when present. */
  setup?: Uint8Array;
  data: Uint8Array;
}

/**
 * Linux usbmon binary header (Documentation/usb/usbmon.rst, "binary interface"): 48 bytes,
 * 64 for the mmapped variant, in the capturing host's byte order (little-endian on every
 * host Linux runs USB captures on in practice; a big-endian file is detected by its id/type).
 */
export function parseUsbmon(d: Uint8Array, mmapped: boolean): UrbEvent | undefined {
  const headerLength = mmapped ? 64 : 48;
  if (d.length < headerLength) return undefined;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const type = d[8]!;
  if (type !== 0x53 && type !== 0x43) return undefined; // 'S' submit, 'C' complete ('E' error ignored)
  const le = true;
  let dataStart = headerLength;
  if (mmapped && d[9] === UsbTransfer.Isochronous) dataStart += v.getUint32(60, le) * 16;
  const flagSetup = d[14]!;
  const event: UrbEvent = {
    urbId: v.getBigUint64(0, le),
    submit: type === 0x53,
    transfer: d[9]!,
    endpoint: d[10]!,
    device: d[11]!,
    bus: v.getUint16(12, le),
    status: v.getInt32(28, le),
    length: v.getUint32(32, le),
    data: d.subarray(Math.min(dataStart, d.length), Math.min(dataStart + v.getUint32(36, le), d.length)),
  };
  if (flagSetup === 0) event.setup = d.subarray(40, 48);
  return event;
}

/**
 * USBPcap packet header (USBPcap "USBPCAP_BUFFER_PACKET_HEADER"), little-endian: header
 * length u16, IRP id u64, USBD status u32, URB function u16, info u8 (bit 0: PDO→FDO, i.e.
 * completion), bus u16, device u16, endpoint u8, transfer u8, data length u32.
 */
export function parseUsbPcap(d: Uint8Array): UrbEvent | undefined {
  if (d.length < 27) return undefined;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const headerLength = v.getUint16(0, true);
  if (headerLength < 27 || headerLength > d.length) return undefined;
  const dataLength = v.getUint32(23, true);
  const transfer = d[22]!;
  const event: UrbEvent = {
    urbId: v.getBigUint64(2, true),
    submit: (d[16]! & 1) === 0,
    status: v.getUint32(10, true),
    bus: v.getUint16(17, true),
    device: v.getUint16(19, true),
    endpoint: d[21]!,
    transfer: transfer === 0xff ? UsbTransfer.Bulk : transfer,
    length: dataLength,
    data: d.subarray(headerLength, Math.min(headerLength + dataLength, d.length)),
  };
  // Control transfers: a stage byte follows (0 setup, 1 data, 2 status); the setup stage
  // carries the 8-byte setup packet as its data.
  if (transfer === UsbTransfer.Control && headerLength >= 28 && d[27] === 0 && event.data.length >= 8) {
    event.setup = event.data.subarray(0, 8);
    event.data = event.data.subarray(8);
  }
  return event;
}
