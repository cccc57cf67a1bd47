/**
 * A large synthetic iSCSI capture for the benchmark (scripts/bench.mjs): one initiator and one
 * target on TCP port 3260 in a classic pcap file (Ethernet, microsecond timestamps), the way
 * dumpcap records a session on loopback. The session logs in (HeaderDigest/DataDigest None,
 * MaxRecvDataSegmentLength 262144, InitialR2T Yes, ImmediateData No), then runs a mixed
 * READ(10)/WRITE(10) workload at queue depth 8: reads answered by Data-In PDUs (the last one
 * carrying the status, RFC 7143 11.7.4's S bit), writes solicited by R2T and sent as Data-Out,
 * answered by a SCSI Response. Each side's PDUs are written to its TCP byte stream and cut into
 * segments of at most `mss` bytes, so PDUs cross segment boundaries and small ones share a
 * segment, as on a real wire; the receiver acknowledges what it got.
 *
 * Streams to the file through one reused buffer: hundreds of MB in seconds, flat memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Prng } from './prng.js';

export interface IscsiCaptureOptions {
  /** SCSI commands to issue. */
  commands: number;
  seed?: number;
  /** Largest TCP payload per packet (loopback: 65483). */
  mss?: number;
  /** Commands in flight. */
  queueDepth?: number;
  /** Transfer sizes in KiB (multiples of 0.5) with their weights; default a mix of 4 KiB-512 KiB. */
  sizesKiB?: ReadonlyArray<readonly [number, number]>;
}

export interface IscsiCaptureStats {
  commands: number;
  packets: number;
  bytes: number;
}

const INITIATOR = [10, 0, 0, 1];
const TARGET = [10, 0, 0, 2];
const IPORT = 40_000;
const TPORT = 3260;
const MAX_DATA_PDU = 65_536;
const BLOCK = 512;
/** Transfer sizes in KiB and their weights: small random I/O and large sequential transfers. */
const MIXED_SIZES: ReadonlyArray<readonly [number, number]> = [
  [4, 40],
  [8, 20],
  [16, 15],
  [64, 12],
  [128, 8],
  [256, 4],
  [512, 1],
];
const OUT_CHUNK = 4 << 20;
const ZEROS = new Uint8Array(MAX_DATA_PDU);

/** Writes the capture to `path`; returns what it holds. */
export function writeIscsiCapture(path: string, o: IscsiCaptureOptions): IscsiCaptureStats {
  const rng = new Prng(o.seed ?? 7);
  const mss = Math.max(536, Math.min(o.mss ?? 65_483, 65_483));
  const depth = Math.max(1, o.queueDepth ?? 8);
  const sizes = o.sizesKiB ?? MIXED_SIZES;
  const sizeTotal = sizes.reduce((n, [, w]) => n + w, 0);
  const fd = openSync(path, 'w');
  const out = new Uint8Array(OUT_CHUNK + 65_536 + 128);
  const view = new DataView(out.buffer);
  let at = 0;
  let packets = 0;
  let bytes = 0;
  let nowUs = 1_000_000;
  const spill = (): void => {
    writeSync(fd, out, 0, at);
    bytes += at;
    at = 0;
  };

  // pcap global header (little-endian, microseconds, Ethernet).
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 262_144, true);
  view.setUint32(20, 1, true);
  at = 24;

  /** Each direction's unsent bytes (PDUs queued for its stream) and next sequence number. */
  const pending = [new Uint8Array(1 << 20), new Uint8Array(1 << 20)];
  const pendingLength = [0, 0];
  const seq = [1_000_000, 50_000_000];

  const frame = (fromInitiator: boolean, flags: number, payload: Uint8Array, from: number, length: number): void => {
    if (at + 16 + 54 + length > OUT_CHUNK) spill();
    const d = fromInitiator ? 0 : 1;
    const total = 14 + 20 + 20 + length;
    view.setUint32(at, Math.floor(nowUs / 1e6), true);
    view.setUint32(at + 4, nowUs % 1e6, true);
    view.setUint32(at + 8, total, true);
    view.setUint32(at + 12, total, true);
    let p = at + 16;
    // Ethernet: destination, source, IPv4.
    out.fill(0, p, p + 12);
    out[p + 5] = fromInitiator ? 2 : 1;
    out[p + 11] = fromInitiator ? 1 : 2;
    out[p + 12] = 0x08;
    out[p + 13] = 0x00;
    p += 14;
    out[p] = 0x45;
    out[p + 1] = 0;
    view.setUint16(p + 2, 40 + length);
    view.setUint16(p + 4, packets & 0xffff);
    view.setUint16(p + 6, 0x4000);
    out[p + 8] = 64;
    out[p + 9] = 6;
    view.setUint16(p + 10, 0);
    out.set(fromInitiator ? INITIATOR : TARGET, p + 12);
    out.set(fromInitiator ? TARGET : INITIATOR, p + 16);
    p += 20;
    view.setUint16(p, fromInitiator ? IPORT : TPORT);
    view.setUint16(p + 2, fromInitiator ? TPORT : IPORT);
    view.setUint32(p + 4, seq[d]! >>> 0);
    view.setUint32(p + 8, seq[1 - d]! >>> 0);
    out[p + 12] = 5 << 4;
    out[p + 13] = flags;
    view.setUint16(p + 14, 65_535);
    view.setUint32(p + 16, 0);
    p += 20;
    out.set(payload.subarray(from, from + length), p);
    at = p + length;
    seq[d] = (seq[d]! + length + (flags & 0x02 ? 1 : 0)) >>> 0;
    packets++;
    nowUs += 2;
  };

  /** Queues a PDU (48-byte header, then `dataLength` bytes of payload) on one side's stream. */
  const bhs = new Uint8Array(48);
  const bhsView = new DataView(bhs.buffer);
  const queue = (fromInitiator: boolean, data: Uint8Array | number): void => {
    const d = fromInitiator ? 0 : 1;
    const dataLength = typeof data === 'number' ? data : data.length;
    const padded = (dataLength + 3) & ~3;
    bhs[5] = (dataLength >> 16) & 0xff;
    bhs[6] = (dataLength >> 8) & 0xff;
    bhs[7] = dataLength & 0xff;
    let buf = pending[d]!;
    const need = pendingLength[d]! + 48 + padded;
    if (need > buf.length) {
      const grown = new Uint8Array(Math.max(need, buf.length * 2));
      grown.set(buf.subarray(0, pendingLength[d]));
      pending[d] = buf = grown;
    }
    buf.set(bhs, pendingLength[d]);
    if (typeof data === 'number') buf.set(ZEROS.subarray(0, padded), pendingLength[d]! + 48);
    else {
      buf.set(data, pendingLength[d]! + 48);
      buf.fill(0, pendingLength[d]! + 48 + data.length, pendingLength[d]! + 48 + padded);
    }
    pendingLength[d] = need;
    bhs.fill(0);
  };
  /** Sends one side's queued bytes as segments of at most mss bytes; the other side acknowledges. */
  const flush = (fromInitiator: boolean): void => {
    const d = fromInitiator ? 0 : 1;
    const n = pendingLength[d]!;
    for (let o = 0; o < n; o += mss) frame(fromInitiator, 0x18, pending[d]!, o, Math.min(mss, n - o));
    pendingLength[d] = 0;
    if (n) frame(!fromInitiator, 0x10, ZEROS, 0, 0);
    nowUs += 5;
  };

  // TCP handshake and login (RFC 7143 11.12/11.13: one request and response, Full Feature Phase).
  frame(true, 0x02, ZEROS, 0, 0);
  frame(false, 0x12, ZEROS, 0, 0);
  frame(true, 0x10, ZEROS, 0, 0);
  const text = (pairs: string[]): Uint8Array => new TextEncoder().encode(pairs.map((p) => `${p}\0`).join(''));
  const common = [
    'HeaderDigest=None',
    'DataDigest=None',
    'MaxRecvDataSegmentLength=262144',
    'InitialR2T=Yes',
    'ImmediateData=No',
    'MaxBurstLength=1048576',
    'FirstBurstLength=262144',
  ];
  bhs[0] = 0x43;
  bhs[1] = 0x87;
  bhsView.setUint32(16, 0x1000);
  queue(true, text(['InitiatorName=iqn.2026-12.dev.scsitrace:bench', 'TargetName=iqn.2026-12.dev.scsitrace:target', 'SessionType=Normal', ...common]));
  flush(true);
  bhs[0] = 0x23;
  bhs[1] = 0x87;
  bhsView.setUint32(16, 0x1000);
  queue(false, text(common));
  flush(false);

  let statSn = 1;
  let cmdSn = 1;
  let lba = 2048;
  /** Commands in flight: ITT, read or write, bytes. */
  const inFlight: Array<{ itt: number; read: boolean; bytes: number }> = [];
  let issued = 0;
  let itt = 1;
  const issue = (): void => {
    let r = rng.below(sizeTotal);
    let kib = 4;
    for (const [k, w] of sizes) {
      r -= w;
      if (r < 0) {
        kib = k;
        break;
      }
    }
    const bytesLen = Math.max(512, Math.round(kib * 2) * 512);
    const read = rng.below(10) < 6;
    const blocks = bytesLen / BLOCK;
    if (rng.below(10) < 3) lba = rng.below(0x3fff_0000);
    bhs[0] = 0x01;
    bhs[1] = 0x80 | (read ? 0x40 : 0x20) | 0x01;
    bhs[9] = 0; // LUN 0
    bhsView.setUint32(16, itt);
    bhsView.setUint32(20, bytesLen);
    bhsView.setUint32(24, cmdSn++);
    bhsView.setUint32(28, statSn);
    bhs[32] = read ? 0x28 : 0x2a;
    bhsView.setUint32(34, lba);
    bhsView.setUint16(39, blocks);
    queue(true, 0);
    inFlight.push({ itt, read, bytes: bytesLen });
    lba = (lba + blocks) % 0x3fff_0000;
    itt = (itt + 1) >>> 0 || 1;
    issued++;
  };
  const answer = (k: number): void => {
    const t = inFlight[k]!;
    inFlight[k] = inFlight[inFlight.length - 1]!;
    inFlight.pop();
    if (t.read) {
      let dataSn = 0;
      for (let off = 0; off < t.bytes; off += MAX_DATA_PDU) {
        const n = Math.min(MAX_DATA_PDU, t.bytes - off);
        const last = off + n >= t.bytes;
        bhs[0] = 0x25;
        bhs[1] = last ? 0x81 : 0x00; // F, and S: status in the last Data-In
        bhsView.setUint32(16, t.itt);
        bhsView.setUint32(20, 0xffff_ffff);
        if (last) bhsView.setUint32(24, statSn++);
        bhsView.setUint32(28, cmdSn);
        bhsView.setUint32(32, cmdSn + 16);
        bhsView.setUint32(36, dataSn++);
        bhsView.setUint32(40, off);
        queue(false, n);
      }
      flush(false);
      return;
    }
    // Write: R2T for the whole transfer, Data-Out PDUs, then the SCSI Response.
    bhs[0] = 0x31;
    bhs[1] = 0x80;
    bhsView.setUint32(16, t.itt);
    bhsView.setUint32(20, t.itt ^ 0x5a5a_0000);
    bhsView.setUint32(24, statSn);
    bhsView.setUint32(28, cmdSn);
    bhsView.setUint32(32, cmdSn + 16);
    bhsView.setUint32(40, 0);
    bhsView.setUint32(44, t.bytes);
    queue(false, 0);
    flush(false);
    let dataSn = 0;
    for (let off = 0; off < t.bytes; off += MAX_DATA_PDU) {
      const n = Math.min(MAX_DATA_PDU, t.bytes - off);
      bhs[0] = 0x05;
      bhs[1] = off + n >= t.bytes ? 0x80 : 0;
      bhsView.setUint32(16, t.itt);
      bhsView.setUint32(20, t.itt ^ 0x5a5a_0000);
      bhsView.setUint32(28, statSn);
      bhsView.setUint32(36, dataSn++);
      bhsView.setUint32(40, off);
      queue(true, n);
    }
    flush(true);
    bhs[0] = 0x21;
    bhs[1] = 0x80;
    bhsView.setUint32(16, t.itt);
    bhsView.setUint32(24, statSn++);
    bhsView.setUint32(28, cmdSn);
    bhsView.setUint32(32, cmdSn + 16);
    queue(false, 0);
    flush(false);
  };

  try {
    while (issued < o.commands || inFlight.length > 0) {
      // The initiator fills its queue (commands leave in one burst), then the target answers one.
      while (issued < o.commands && inFlight.length < depth) issue();
      flush(true);
      answer(rng.below(inFlight.length));
      nowUs += 20 + rng.below(200);
    }
    spill();
  } finally {
    closeSync(fd);
  }
  return { commands: issued, packets, bytes };
}
