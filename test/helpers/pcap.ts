/**
 * Test helpers: a small pcap/pcapng writer, Ethernet/IP/TCP framing, iSCSI PDU builders
 * (RFC 7143 11) and usbmon/USBPcap URB builders, so tests state only what they are about.
 */
import { TaskMatcher, type TaskRecord } from '../../src/analysis/tasks.js';
import { crc32c } from '../../src/model/crc32c.js';
import type { TraceEvent } from '../../src/model/events.js';

/** Pairs submissions and completions: completed tasks in completion order, then the rest. */
export function tasksOf(events: TraceEvent[]): TaskRecord[] {
  const m = new TaskMatcher();
  const done: TaskRecord[] = [];
  for (const e of events) {
    if (e.kind === 'submit') m.submit(e);
    else if (e.kind === 'complete') {
      const r = m.complete(e);
      if (r.kind === 'task') done.push(r.task);
    }
  }
  return [...done, ...m.drain()];
}

export interface Packet {
  timeNs: number;
  data: Uint8Array;
  interfaceId?: number;
  /** Original length when the packet was cut by the snap length. */
  originalLength?: number;
}

export function pcapFile(
  packets: Packet[],
  o: { linkType?: number; nanos?: boolean; bigEndian?: boolean; snaplen?: number; startSec?: number } = {},
): Uint8Array {
  const le = !o.bigEndian;
  const total = 24 + packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, o.snaplen ?? 262144, le);
  v.setUint32(20, o.linkType ?? 1, le);
  let p = 24;
  const start = o.startSec ?? 1_700_000_000;
  for (const pk of packets) {
    const sec = start + Math.floor(pk.timeNs / 1e9);
    const ns = pk.timeNs % 1e9;
    v.setUint32(p, sec, le);
    v.setUint32(p + 4, o.nanos ? ns : Math.floor(ns / 1000), le);
    v.setUint32(p + 8, pk.data.length, le);
    v.setUint32(p + 12, pk.originalLength ?? pk.data.length, le);
    b.set(pk.data, p + 16);
    p += 16 + pk.data.length;
  }
  return b;
}

export interface PcapngInterface {
  linkType: number;
  /** if_tsresol byte; default 6 (microseconds). */
  tsresol?: number;
}

export function pcapngFile(
  packets: Packet[],
  o: { interfaces?: PcapngInterface[]; bigEndian?: boolean; extraBlocks?: Uint8Array[]; startSec?: number } = {},
): Uint8Array {
  const le = !o.bigEndian;
  const interfaces = o.interfaces ?? [{ linkType: 1 }];
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array) => {
    const padded = (body.length + 3) & ~3;
    const total = 12 + padded;
    const b = new Uint8Array(total);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, le);
    v.setUint32(4, total, le);
    b.set(body, 8);
    v.setUint32(total - 4, total, le);
    blocks.push(b);
  };
  const appl = new TextEncoder().encode('scsitrace-test');
  const shb = new Uint8Array(16 + 4 + ((appl.length + 3) & ~3) + 4);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, 0x1a2b3c4d, le);
  sv.setUint16(4, 1, le);
  sv.setUint16(6, 0, le);
  sv.setBigInt64(8, -1n, le);
  sv.setUint16(16, 4, le);
  sv.setUint16(18, appl.length, le);
  shb.set(appl, 20);
  block(0x0a0d0d0a, shb);
  for (const i of interfaces) {
    const body = new Uint8Array(8 + (i.tsresol !== undefined ? 8 : 0) + 4);
    const iv = new DataView(body.buffer);
    iv.setUint16(0, i.linkType, le);
    iv.setUint32(4, 262144, le);
    if (i.tsresol !== undefined) {
      iv.setUint16(8, 9, le);
      iv.setUint16(10, 1, le);
      body[12] = i.tsresol;
    }
    block(1, body);
  }
  for (const b of o.extraBlocks ?? []) blocks.push(b);
  const start = BigInt(o.startSec ?? 1_700_000_000) * 1_000_000_000n;
  for (const pk of packets) {
    const ifId = pk.interfaceId ?? 0;
    const r = interfaces[ifId]!.tsresol ?? 6;
    const ticksPerSec = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
    const ticks = ((start + BigInt(Math.round(pk.timeNs))) * ticksPerSec) / 1_000_000_000n;
    const body = new Uint8Array(20 + pk.data.length);
    const bv = new DataView(body.buffer);
    bv.setUint32(0, ifId, le);
    bv.setUint32(4, Number(ticks >> 32n), le);
    bv.setUint32(8, Number(ticks & 0xffffffffn), le);
    bv.setUint32(12, pk.data.length, le);
    bv.setUint32(16, pk.originalLength ?? pk.data.length, le);
    body.set(pk.data, 20);
    block(6, body);
  }
  return concat(blocks);
}

export function concat(parts: ArrayLike<number>[] | Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---- Ethernet / IPv4 / IPv6 / TCP -----------------------------------------------------------

export interface TcpFrame {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  flags?: number;
  payload?: Uint8Array;
  vlan?: number[];
  ipv6?: boolean;
}

function ipBytes(a: string): number[] {
  return a.split('.').map(Number);
}

/** IPv4 (or IPv6) + TCP, no link header. */
export function ipTcp(f: TcpFrame): Uint8Array {
  const payload = f.payload ?? new Uint8Array(0);
  const tcp = new Uint8Array(20 + payload.length);
  const tv = new DataView(tcp.buffer);
  tv.setUint16(0, f.sport);
  tv.setUint16(2, f.dport);
  tv.setUint32(4, f.seq >>> 0);
  tv.setUint32(8, 1);
  tcp[12] = 5 << 4;
  tcp[13] = f.flags ?? 0x18;
  tv.setUint16(14, 65535);
  tcp.set(payload, 20);
  if (f.ipv6) {
    const ip = new Uint8Array(40);
    ip[0] = 0x60;
    new DataView(ip.buffer).setUint16(4, tcp.length);
    ip[6] = 6;
    ip[7] = 64;
    ip[23] = Number(f.src.split('.').pop());
    ip[39] = Number(f.dst.split('.').pop());
    return concat([ip, tcp]);
  }
  const ip = new Uint8Array(20);
  const iv = new DataView(ip.buffer);
  ip[0] = 0x45;
  iv.setUint16(2, 20 + tcp.length);
  ip[8] = 64;
  ip[9] = 6;
  ip.set(ipBytes(f.src), 12);
  ip.set(ipBytes(f.dst), 16);
  return concat([ip, tcp]);
}

export function ethernet(ipPacket: Uint8Array, o: { vlan?: number[]; ipv6?: boolean } = {}): Uint8Array {
  const head: number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  for (const id of o.vlan ?? []) head.push(0x81, 0x00, (id >> 8) & 0x0f, id & 0xff);
  head.push(...(o.ipv6 ? [0x86, 0xdd] : [0x08, 0x00]));
  return concat([Uint8Array.from(head), ipPacket]);
}

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/**
 * A TCP conversation between an initiator and a target: keeps sequence numbers, so a test
 * says what each side sends and gets frames (with ms-spaced times) back.
 */
export class Conversation {
  readonly packets: Packet[] = [];
  private seq = { i: 1000, t: 50000 };
  timeNs = 0;
  constructor(
    readonly o: { initiator?: string; target?: string; iport?: number; tport?: number; link?: (ip: Uint8Array) => Uint8Array; ipv6?: boolean } = {},
  ) {}

  private frame(fromInitiator: boolean, seq: number, flags: number, payload?: Uint8Array): Uint8Array {
    const i = this.o.initiator ?? '10.0.0.1';
    const t = this.o.target ?? '10.0.0.2';
    const ip = ipTcp({
      src: fromInitiator ? i : t,
      dst: fromInitiator ? t : i,
      sport: fromInitiator ? (this.o.iport ?? 40000) : (this.o.tport ?? 3260),
      dport: fromInitiator ? (this.o.tport ?? 3260) : (this.o.iport ?? 40000),
      seq,
      flags,
      ...(payload ? { payload } : {}),
      ...(this.o.ipv6 ? { ipv6: true } : {}),
    });
    return (this.o.link ?? ((x) => ethernet(x, this.o.ipv6 ? { ipv6: true } : {})))(ip);
  }

  handshake(): this {
    this.push(this.frame(true, this.seq.i - 1, TCP.SYN));
    this.push(this.frame(false, this.seq.t - 1, TCP.SYN | TCP.ACK));
    this.push(this.frame(true, this.seq.i, TCP.ACK));
    return this;
  }

  /** Frames for bytes sent by one side, cut into segments of at most mss bytes. */
  segments(fromInitiator: boolean, bytes: Uint8Array, mss = 1448): Packet[] {
    const out: Packet[] = [];
    for (let o = 0; o < bytes.length || (o === 0 && bytes.length === 0); o += mss) {
      const part = bytes.subarray(o, Math.min(bytes.length, o + mss));
      const seq = fromInitiator ? this.seq.i : this.seq.t;
      out.push({ timeNs: (this.timeNs += 1_000_000), data: this.frame(fromInitiator, seq, TCP.ACK | TCP.PSH, part) });
      if (fromInitiator) this.seq.i = (this.seq.i + part.length) >>> 0;
      else this.seq.t = (this.seq.t + part.length) >>> 0;
      if (bytes.length === 0) break;
    }
    return out;
  }

  send(fromInitiator: boolean, bytes: Uint8Array, mss?: number): this {
    for (const p of this.segments(fromInitiator, bytes, mss)) this.packets.push(p);
    return this;
  }

  push(data: Uint8Array): void {
    this.packets.push({ timeNs: (this.timeNs += 1_000_000), data });
  }
}

// ---- iSCSI PDUs (RFC 7143 11) ---------------------------------------------------------------

export interface PduOptions {
  headerDigest?: boolean;
  dataDigest?: boolean;
}

function pdu(bhs: Uint8Array, data: Uint8Array = new Uint8Array(0), o: PduOptions = {}, ahs: Uint8Array = new Uint8Array(0)): Uint8Array {
  bhs[4] = ahs.length / 4;
  bhs[5] = (data.length >> 16) & 0xff;
  bhs[6] = (data.length >> 8) & 0xff;
  bhs[7] = data.length & 0xff;
  const parts: Uint8Array[] = [bhs, ahs];
  if (o.headerDigest) {
    const hd = new Uint8Array(4);
    new DataView(hd.buffer).setUint32(0, crc32c(concat([bhs, ahs])), true);
    parts.push(hd);
  }
  if (data.length) {
    const padded = new Uint8Array((data.length + 3) & ~3);
    padded.set(data);
    parts.push(padded);
    if (o.dataDigest) {
      const dd = new Uint8Array(4);
      new DataView(dd.buffer).setUint32(0, crc32c(padded), true);
      parts.push(dd);
    }
  }
  return concat(parts);
}

function setU32(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v >>> 0);
}

export function scsiCommand(
  c: {
    itt: number;
    lun?: number;
    cdb: ArrayLike<number>;
    edtl?: number;
    read?: boolean;
    write?: boolean;
    attr?: number;
    immediate?: Uint8Array;
    cmdSn?: number;
  },
  o?: PduOptions,
): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x01;
  b[1] = 0x80 | (c.read ? 0x40 : 0) | (c.write ? 0x20 : 0) | (c.attr ?? 1);
  b[9] = c.lun ?? 0;
  setU32(b, 16, c.itt);
  setU32(b, 20, c.edtl ?? 0);
  setU32(b, 24, c.cmdSn ?? 1);
  let ahs = new Uint8Array(0);
  const cdb = Uint8Array.from(c.cdb);
  b.set(cdb.subarray(0, 16), 32);
  if (cdb.length > 16) {
    const extra = cdb.subarray(16);
    const len = extra.length + 1;
    ahs = new Uint8Array((3 + len + 3) & ~3);
    ahs[0] = len >> 8;
    ahs[1] = len & 0xff;
    ahs[2] = 1;
    ahs.set(extra, 4);
  }
  return pdu(b, c.immediate, o, ahs);
}

export function dataIn(
  c: { itt: number; data: Uint8Array; offset?: number; final?: boolean; status?: number; residual?: number; underflow?: boolean },
  o?: PduOptions,
): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x25;
  b[1] = (c.final || c.status !== undefined ? 0x80 : 0) | (c.status !== undefined ? 0x01 : 0) | (c.underflow ? 0x02 : 0);
  if (c.status !== undefined) b[3] = c.status;
  setU32(b, 16, c.itt);
  setU32(b, 20, 0xffffffff);
  setU32(b, 40, c.offset ?? 0);
  setU32(b, 44, c.residual ?? 0);
  return pdu(b, c.data, o);
}

export function dataOut(c: { itt: number; data: Uint8Array; ttt?: number; offset?: number; final?: boolean }, o?: PduOptions): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x05;
  b[1] = c.final === false ? 0 : 0x80;
  setU32(b, 16, c.itt);
  setU32(b, 20, c.ttt ?? 0xffffffff);
  setU32(b, 40, c.offset ?? 0);
  return pdu(b, c.data, o);
}

export function r2t(c: { itt: number; ttt: number; offset: number; length: number }, o?: PduOptions): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x31;
  b[1] = 0x80;
  setU32(b, 16, c.itt);
  setU32(b, 20, c.ttt);
  setU32(b, 40, c.offset);
  setU32(b, 44, c.length);
  return pdu(b, undefined, o);
}

export function scsiResponse(
  c: { itt: number; status: number; response?: number; sense?: ArrayLike<number>; residual?: number; underflow?: boolean; overflow?: boolean },
  o?: PduOptions,
): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x21;
  b[1] = 0x80 | (c.underflow ? 0x02 : 0) | (c.overflow ? 0x04 : 0);
  b[2] = c.response ?? 0;
  b[3] = c.status;
  setU32(b, 16, c.itt);
  setU32(b, 44, c.residual ?? 0);
  let data = new Uint8Array(0);
  if (c.sense) {
    data = new Uint8Array(2 + c.sense.length);
    data[0] = c.sense.length >> 8;
    data[1] = c.sense.length & 0xff;
    data.set(Uint8Array.from(c.sense), 2);
  }
  return pdu(b, data, o);
}

export function tmfRequest(c: { itt: number; fn: number; lun?: number; rtt?: number }, o?: PduOptions): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x42;
  b[1] = 0x80 | c.fn;
  b[9] = c.lun ?? 0;
  setU32(b, 16, c.itt);
  setU32(b, 20, c.rtt ?? 0xffffffff);
  return pdu(b, undefined, o);
}

export function tmfResponse(c: { itt: number; response: number }, o?: PduOptions): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x22;
  b[1] = 0x80;
  b[2] = c.response;
  setU32(b, 16, c.itt);
  return pdu(b, undefined, o);
}

function keys(k: Record<string, string>): Uint8Array {
  return new TextEncoder().encode(
    Object.entries(k)
      .map(([a, v]) => `${a}=${v}\0`)
      .join(''),
  );
}

export function loginRequest(c: { itt?: number; final?: boolean; csg?: number; nsg?: number; keys: Record<string, string> }): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x43;
  b[1] = (c.final === false ? 0 : 0x80) | ((c.csg ?? 1) << 2) | (c.nsg ?? 3);
  setU32(b, 16, c.itt ?? 0);
  return pdu(b, keys(c.keys));
}

export function loginResponse(c: {
  itt?: number;
  final?: boolean;
  csg?: number;
  nsg?: number;
  keys: Record<string, string>;
  statusClass?: number;
}): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x23;
  b[1] = (c.final === false ? 0 : 0x80) | ((c.csg ?? 1) << 2) | (c.nsg ?? 3);
  setU32(b, 16, c.itt ?? 0);
  b[36] = c.statusClass ?? 0;
  return pdu(b, keys(c.keys));
}

export function nopOut(itt: number, o?: PduOptions): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = 0x40;
  b[1] = 0x80;
  setU32(b, 16, itt);
  setU32(b, 20, 0xffffffff);
  return pdu(b, undefined, o);
}

// ---- USB ------------------------------------------------------------------------------------

export interface Urb {
  id: bigint;
  submit: boolean;
  bus?: number;
  device?: number;
  endpoint: number;
  transfer?: number;
  status?: number;
  length: number;
  data?: Uint8Array;
}

/** usbmon binary header (48 bytes, or 64 when mmapped) followed by the data. */
export function usbmon(u: Urb, mmapped = true): Uint8Array {
  const h = new Uint8Array(mmapped ? 64 : 48);
  const v = new DataView(h.buffer);
  v.setBigUint64(0, u.id, true);
  h[8] = u.submit ? 0x53 : 0x43;
  h[9] = u.transfer ?? 3;
  h[10] = u.endpoint;
  h[11] = u.device ?? 2;
  v.setUint16(12, u.bus ?? 1, true);
  h[14] = 0x2d; // '-': no setup packet
  h[15] = u.data && u.data.length ? 0 : 0x3c;
  v.setInt32(28, u.status ?? (u.submit ? -115 : 0), true);
  v.setUint32(32, u.length, true);
  v.setUint32(36, u.data?.length ?? 0, true);
  return concat([h, u.data ?? new Uint8Array(0)]);
}

/** USBPcap packet header (27 bytes) followed by the data. */
export function usbpcap(u: Urb): Uint8Array {
  const h = new Uint8Array(27);
  const v = new DataView(h.buffer);
  v.setUint16(0, 27, true);
  v.setBigUint64(2, u.id, true);
  v.setUint32(10, u.status ?? 0, true);
  v.setUint16(14, 0x0009, true);
  h[16] = u.submit ? 0 : 1;
  v.setUint16(17, u.bus ?? 1, true);
  v.setUint16(19, u.device ?? 2, true);
  h[21] = u.endpoint;
  h[22] = u.transfer ?? 3;
  v.setUint32(23, u.data?.length ?? 0, true);
  return concat([h, u.data ?? new Uint8Array(0)]);
}

/** BOT 5.1 Command Block Wrapper. */
export function cbw(tag: number, transferLength: number, dirIn: boolean, cdb: ArrayLike<number>, lun = 0): Uint8Array {
  const b = new Uint8Array(31);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x43425355, true);
  v.setUint32(4, tag, true);
  v.setUint32(8, transferLength, true);
  b[12] = dirIn ? 0x80 : 0;
  b[13] = lun;
  b[14] = cdb.length;
  b.set(Uint8Array.from(cdb), 15);
  return b;
}

/** BOT 5.2 Command Status Wrapper. */
export function csw(tag: number, residue: number, status: number): Uint8Array {
  const b = new Uint8Array(13);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x53425355, true);
  v.setUint32(4, tag, true);
  v.setUint32(8, residue, true);
  b[12] = status;
  return b;
}

/** UAS Command IU (UAS-2 6.2.2). */
export function uasCommand(tag: number, cdb: ArrayLike<number>, lun = 0): Uint8Array {
  const b = new Uint8Array(32);
  b[0] = 0x01;
  b[2] = tag >> 8;
  b[3] = tag & 0xff;
  b[9] = lun;
  b.set(Uint8Array.from(cdb), 16);
  return b;
}

/** UAS Sense IU (UAS-2 6.2.5). */
export function uasSense(tag: number, status: number, sense: ArrayLike<number> = []): Uint8Array {
  const b = new Uint8Array(16 + sense.length);
  b[0] = 0x03;
  b[2] = tag >> 8;
  b[3] = tag & 0xff;
  b[6] = status;
  b[14] = sense.length >> 8;
  b[15] = sense.length & 0xff;
  b.set(Uint8Array.from(sense), 16);
  return b;
}

export function uasReady(tag: number, read: boolean): Uint8Array {
  return Uint8Array.of(read ? 0x06 : 0x07, 0, tag >> 8, tag & 0xff);
}

/** Fixed-format sense data (SPC-6 4.4.3) with the given key/ASC/ASCQ. */
export function fixedSense(key: number, asc: number, ascq: number): number[] {
  const s = new Array<number>(18).fill(0);
  s[0] = 0x70;
  s[2] = key;
  s[7] = 10;
  s[12] = asc;
  s[13] = ascq;
  return s;
}
