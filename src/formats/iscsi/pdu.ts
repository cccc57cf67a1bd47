/**
 * iSCSI PDU framing (RFC 7143 11.2): a 48-byte Basic Header Segment, optional AHS, optional
 * header digest, a data segment padded to 4 bytes, optional data digest. The framer turns one
 * direction's byte stream into PDUs, keeping only the bytes a PDU's meaning needs (never the
 * bulk data of Data-In/Data-Out), and finds PDU boundaries again after a gap or when a
 * capture starts mid-stream.
 */
import { crc32c } from '../../model/crc32c.js';
import type { PacketRef } from './tcp.js';

export const BHS_LENGTH = 48;

/** RFC 7143 11.1.1 opcodes (low six bits of byte 0). */
export const Op = {
  NopOut: 0x00,
  ScsiCommand: 0x01,
  TaskMgmtRequest: 0x02,
  LoginRequest: 0x03,
  TextRequest: 0x04,
  DataOut: 0x05,
  LogoutRequest: 0x06,
  SnackRequest: 0x10,
  NopIn: 0x20,
  ScsiResponse: 0x21,
  TaskMgmtResponse: 0x22,
  LoginResponse: 0x23,
  TextResponse: 0x24,
  DataIn: 0x25,
  LogoutResponse: 0x26,
  R2T: 0x31,
  AsyncMessage: 0x32,
  Reject: 0x3f,
} as const;

export function dataSegmentLength(h: Uint8Array, o = 0): number {
  return (h[o + 5]! << 16) | (h[o + 6]! << 8) | h[o + 7]!;
}

export function u32(h: Uint8Array, o: number): number {
  return ((h[o]! << 24) | (h[o + 1]! << 16) | (h[o + 2]! << 8) | h[o + 3]!) >>> 0;
}

function zero(h: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (h[i] !== 0) return false;
  return true;
}

/**
 * Whether 48 bytes at o could be a BHS: known opcode, and the reserved fields RFC 7143 says
 * are zero are zero. Used to find PDU boundaries in a stream whose start we did not see, so it
 * errs on the strict side; the framer also wants the following PDU to pass.
 */
export function plausibleBhs(h: Uint8Array, o: number): boolean {
  const b0 = h[o]!;
  if (b0 & 0x80) return false;
  const op = b0 & 0x3f;
  const b1 = h[o + 1]!;
  const ahs = h[o + 4]!;
  const dsl = dataSegmentLength(h, o);
  if (op >= 0x20 && b0 & 0x40) return false; // I bit only on initiator PDUs
  if (op !== Op.ScsiCommand && ahs !== 0) return false;
  switch (op) {
    case Op.ScsiCommand:
      return (b1 & 0x18) === 0 && (b1 & 0x07) <= 4 && h[o + 2] === 0 && h[o + 3] === 0 && ahs <= 64;
    case Op.DataOut:
      return (b1 & 0x7f) === 0 && zero(h, o + 2, o + 4) && zero(h, o + 24, o + 28) && zero(h, o + 32, o + 36) && zero(h, o + 44, o + 48);
    case Op.DataIn:
      return (b1 & 0x38) === 0 && h[o + 2] === 0 && (b1 & 0x01 ? true : h[o + 3] === 0) && (b1 & 0x01 ? (b1 & 0x80) !== 0 : true);
    case Op.R2T:
      return b1 === 0x80 && zero(h, o + 2, o + 4) && dsl === 0;
    case Op.ScsiResponse:
      return (b1 & 0x81) === 0x80 && zero(h, o + 8, o + 16);
    case Op.NopOut:
    case Op.NopIn:
      return b1 === 0x80 && zero(h, o + 2, o + 4);
    case Op.TaskMgmtRequest:
      return (b1 & 0x80) !== 0 && (b1 & 0x7f) >= 1 && (b1 & 0x7f) <= 14 && zero(h, o + 2, o + 4) && dsl === 0;
    case Op.TaskMgmtResponse:
      return b1 === 0x80 && h[o + 3] === 0 && dsl === 0 && zero(h, o + 8, o + 16);
    case Op.LoginRequest:
      return (b1 & 0x30) === 0 && (b1 & 0x0c) !== 0x08 && h[o + 2] === 0 && h[o + 3] === 0;
    case Op.LoginResponse:
      return (b1 & 0x30) === 0 && (b1 & 0x0c) !== 0x08 && h[o + 2] === 0 && h[o + 3] === 0;
    case Op.TextRequest:
    case Op.TextResponse:
      return (b1 & 0x3f) === 0 && zero(h, o + 2, o + 4);
    case Op.LogoutRequest:
      return (b1 & 0x80) !== 0 && (b1 & 0x7f) <= 3 && zero(h, o + 2, o + 4) && dsl === 0;
    case Op.LogoutResponse:
      return b1 === 0x80 && h[o + 3] === 0 && dsl === 0;
    case Op.SnackRequest:
      return (b1 & 0x80) !== 0 && (b1 & 0x70) === 0 && zero(h, o + 2, o + 4);
    case Op.AsyncMessage:
      return b1 === 0x80 && zero(h, o + 2, o + 4);
    case Op.Reject:
      return b1 === 0x80 && h[o + 3] === 0 && dsl >= 48;
    default:
      return false;
  }
}

/** PDUs whose data segment the decoder reads; others have theirs skipped unread. */
function keepsData(op: number): boolean {
  return op === Op.ScsiResponse || op === Op.LoginRequest || op === Op.LoginResponse || op === Op.TextResponse || op === Op.Reject || op === Op.AsyncMessage;
}

/** Bytes of a data segment kept for the decoder (sense, login keys, Data-In for REQUEST SENSE). */
export const MAX_KEPT_DATA = 64 * 1024;

export interface Pdu {
  /** BHS followed by the AHS (no digest); only valid during PduHandler.pdu(). */
  header: Uint8Array;
  /** Start of the data segment (up to MAX_KEPT_DATA bytes), when the opcode needs it. */
  data: Uint8Array;
  dataLength: number;
}

export interface PduHandler {
  pdu(pdu: Pdu, at: PacketRef): void;
  /** Framing lost: bytes skipped while looking for the next PDU. */
  lost(skippedBytes: number, at: PacketRef, why: string): void;
}

export interface Digests {
  header: boolean;
  data: boolean;
}

/** Bytes held while looking for a PDU boundary; past this the oldest are given up. */
const RESYNC_WINDOW = 2 * 1024 * 1024;

/**
 * One direction's PDU framer. `locked` when it knows where PDUs start (stream seen from its
 * SYN, or found again); otherwise it scans for a BHS followed by another plausible BHS.
 */
export class PduFramer {
  private locked: boolean;
  private hdr = new Uint8Array(BHS_LENGTH + 1024 + 4);
  private hdrHave = 0;
  private hdrNeed = BHS_LENGTH;
  /** Bytes of the current PDU after the header (data, padding, digest) still to come. */
  private rest = 0;
  private data: Uint8Array | undefined;
  private dataHave = 0;
  private dataKeep = 0;
  private dataLength = 0;
  private scan: Uint8Array = new Uint8Array(0);
  /** Where the scan buffer's bytes started being skipped, for reporting. */
  private skipped = 0;
  private lostWhy = '';
  pdus = 0;
  /** Run once before the next PDU header: how a login's end switches digests on. */
  beforeNextHeader: (() => void) | undefined;
  /**
   * Whether the digest settings are known (a login was seen). When not, resynchronising tries
   * the header digest too, recognised by its CRC32C (RFC 7143 12.1).
   */
  digestsKnown = false;
  private triedDataDigest = false;
  /** Data segment length of the last PDU: a data digest, if any, followed it. */
  private lastDataLength = 0;

  constructor(
    private readonly handler: PduHandler,
    readonly digests: Digests,
    startLocked: boolean,
  ) {
    this.locked = startLocked;
  }

  get isLocked(): boolean {
    return this.locked;
  }

  /** The stream's first byte is next (seen from its SYN): it starts with a BHS. */
  streamStart(): void {
    if (this.pdus === 0 && this.scan.length === 0 && this.skipped === 0) this.locked = true;
  }

  /** The stream lost bytes: finish nothing, find the next PDU by content. */
  gap(length: number, at: PacketRef, why: string): void {
    if (this.locked && this.rest > 0 && this.hdrHave === 0 && length <= this.rest && this.data === undefined) {
      // The hole lies inside bulk data we skip anyway: framing survives.
      this.rest -= length;
      return;
    }
    this.locked = false;
    this.hdrHave = 0;
    this.rest = 0;
    this.data = undefined;
    this.skipped += length;
    // The gap itself is reported by the connection; skipping to the next PDU follows from it.
    this.lostWhy = '';
    void at;
    void why;
  }

  bytes(d: Uint8Array, at: PacketRef): void {
    let p = 0;
    while (p < d.length) {
      if (!this.locked) {
        p = this.resync(d, p, at);
        continue;
      }
      if (this.rest > 0) {
        const n = Math.min(this.rest, d.length - p);
        if (this.data && this.dataHave < this.dataKeep) {
          const take = Math.min(n, this.dataKeep - this.dataHave);
          this.data.set(d.subarray(p, p + take), this.dataHave);
          this.dataHave += take;
        }
        this.rest -= n;
        p += n;
        if (this.rest === 0) this.finish(at);
        continue;
      }
      if (this.hdrHave === 0 && this.beforeNextHeader) {
        const f = this.beforeNextHeader;
        this.beforeNextHeader = undefined;
        f();
      }
      const take = Math.min(this.hdrNeed - this.hdrHave, d.length - p);
      this.hdr.set(d.subarray(p, p + take), this.hdrHave);
      this.hdrHave += take;
      p += take;
      if (this.hdrHave < this.hdrNeed) continue;
      if (this.hdrNeed === BHS_LENGTH) {
        if (!plausibleBhs(this.hdr, 0) && !this.digestsKnown && !this.digests.data && this.lastDataLength > 0 && !this.triedDataDigest) {
          // Without the login we could not know about data digests; a PDU with data followed
          // by four stray bytes is what one looks like. Take them as the digest, once.
          this.triedDataDigest = true;
          this.digests.data = true;
          this.hdr.copyWithin(0, 4, BHS_LENGTH);
          this.hdrHave = BHS_LENGTH - 4;
          continue;
        }
        if (!plausibleBhs(this.hdr, 0)) {
          // Framing is wrong (or the peer is broken): search again from the byte after.
          this.locked = false;
          this.lostWhy = `implausible PDU header (opcode 0x${(this.hdr[0]! & 0x3f).toString(16)})`;
          this.scan = this.hdr.slice(1, BHS_LENGTH);
          this.skipped += 1;
          this.hdrHave = 0;
          continue;
        }
        const extra = this.hdr[4]! * 4 + (this.digests.header ? 4 : 0);
        if (extra > 0) {
          this.hdrNeed = BHS_LENGTH + extra;
          continue;
        }
      }
      this.startData();
      if (this.rest === 0) this.finish(at);
    }
  }

  private startData(): void {
    const dsl = dataSegmentLength(this.hdr);
    this.dataLength = dsl;
    const padded = (dsl + 3) & ~3;
    this.rest = padded + (this.digests.data && dsl > 0 ? 4 : 0);
    const op = this.hdr[0]! & 0x3f;
    this.dataKeep = keepsData(op) ? Math.min(dsl, MAX_KEPT_DATA) : 0;
    this.data = this.dataKeep > 0 ? new Uint8Array(this.dataKeep) : undefined;
    this.dataHave = 0;
  }

  private finish(at: PacketRef): void {
    const headerLength = BHS_LENGTH + this.hdr[4]! * 4;
    const pdu: Pdu = {
      // Valid during the handler call only: the framer reuses its header buffer.
      header: this.hdr.subarray(0, headerLength),
      data: this.data ? this.data.subarray(0, this.dataHave) : EMPTY,
      dataLength: this.dataLength,
    };
    this.hdrHave = 0;
    this.hdrNeed = BHS_LENGTH;
    this.data = undefined;
    this.lastDataLength = this.dataLength;
    this.pdus++;
    this.handler.pdu(pdu, at);
  }

  /** Total length of the PDU whose BHS is at o. */
  private pduLength(b: Uint8Array, o: number): number {
    const dsl = dataSegmentLength(b, o);
    return BHS_LENGTH + b[o + 4]! * 4 + (this.digests.header ? 4 : 0) + ((dsl + 3) & ~3) + (this.digests.data && dsl > 0 ? 4 : 0);
  }

  /**
   * Appends to the scan buffer and looks for a BHS whose successor is also a BHS (or which
   * ends exactly where the bytes seen so far end). Returns how much of d was consumed.
   */
  private resync(d: Uint8Array, p: number, at: PacketRef): number {
    const joined = new Uint8Array(this.scan.length + d.length - p);
    joined.set(this.scan, 0);
    joined.set(d.subarray(p), this.scan.length);
    const consumedAll = d.length;
    for (let q = 0; q + BHS_LENGTH <= joined.length; q++) {
      if (!plausibleBhs(joined, q)) continue;
      if (!this.digestsKnown) {
        // A header digest shows itself: the CRC32C of BHS + AHS follows them.
        const h = q + BHS_LENGTH + joined[q + 4]! * 4;
        this.digests.header = h + 4 <= joined.length && crc32c(joined, q, h) === (joined[h]! | (joined[h + 1]! << 8) | (joined[h + 2]! << 16) | (joined[h + 3]! << 24)) >>> 0;
      }
      let next = q + this.pduLength(joined, q);
      if (!this.digestsKnown && next + BHS_LENGTH <= joined.length && !plausibleBhs(joined, next) && dataSegmentLength(joined, q) > 0) {
        // Perhaps a data digest follows the data segment.
        this.digests.data = !this.digests.data;
        next = q + this.pduLength(joined, q);
        if (!plausibleBhs(joined, next)) this.digests.data = !this.digests.data;
        next = q + this.pduLength(joined, q);
      }
      if (next + BHS_LENGTH <= joined.length) {
        if (!plausibleBhs(joined, next)) continue;
      } else if (next !== joined.length) {
        // Cannot confirm yet. Wait for more unless the window is full.
        if (joined.length - q < RESYNC_WINDOW) {
          this.skipped += q;
          this.scan = joined.slice(q);
          return consumedAll;
        }
        continue;
      }
      // Found: report what was skipped, then feed the rest through the locked path.
      this.skipped += q;
      if (this.skipped > 0) this.handler.lost(this.skipped, at, this.lostWhy);
      this.skipped = 0;
      this.lostWhy = '';
      this.scan = new Uint8Array(0);
      this.locked = true;
      this.hdrHave = 0;
      this.hdrNeed = BHS_LENGTH;
      this.rest = 0;
      this.bytes(joined.subarray(q), at);
      return consumedAll;
    }
    // Nothing yet: keep the last 47 bytes (a BHS may start there) within the window.
    const keep = Math.min(joined.length, BHS_LENGTH - 1);
    this.skipped += joined.length - keep;
    this.scan = joined.slice(joined.length - keep);
    return consumedAll;
  }

  /** Bytes skipped while unlocked and not yet reported (at end of stream). */
  pendingSkipped(): number {
    return this.skipped + this.scan.length;
  }
}

const EMPTY = new Uint8Array(0);
