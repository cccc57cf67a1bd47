/**
 * iSCSI PDU framing (RFC 7143 11.2): a 48-byte Basic Header Segment, optional AHS, optional
 * header digest, a data segment padded to 4 bytes, optional data digest. The framer turns one
 * direction's byte stream into PDUs, keeping only the bytes a PDU's meaning needs (never the
 * bulk data of Data-In/Data-Out), and finds PDU boundaries again after a gap or when a
 * capture starts mid-stream.
 */
import { u32le } from '../../model/byte-order.js';
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
  /**
   * Framing lost and found again (or given up at the end): `skippedBytes` were skipped. With a
   * reason, the stream contradicted itself (damage or a broken peer) at `at`; without one, the
   * loss follows from a capture gap already reported, or from joining mid-stream.
   */
  lost(skippedBytes: number, at: PacketRef, why: string): void;
}

export interface Digests {
  header: boolean;
  data: boolean;
}

/** Bytes held while looking for a PDU boundary; past this the oldest are given up. */
const RESYNC_WINDOW = 2 * 1024 * 1024;
/**
 * Largest data segment believed while looking for a PDU boundary when no Login was captured:
 * the default MaxBurstLength (RFC 7143 13.13), which bounds every Data-In and solicited
 * Data-Out PDU of a session that kept the default, and the MaxRecvDataSegmentLength that Linux's
 * initiator declares. Once a Login is seen, the receiver's declared MaxRecvDataSegmentLength
 * (RFC 7143 13.12) is the bound instead.
 */
export const UNNEGOTIATED_MAX_DATA_SEGMENT = 262144;
/** RFC 7143 13.12: MaxRecvDataSegmentLength when a side does not declare one. */
export const DEFAULT_MAX_RECV_DATA_SEGMENT = 8192;
/** The 24-bit DataSegmentLength field's largest value. */
const MAX_DATA_SEGMENT_FIELD = 0xffffff;
/** Post-header bytes of a PDU kept, so that framing can be redone if its length proves wrong. */
const RETAIN_BYTES = 256 * 1024;
/** Header candidates waiting for the bytes that confirm them, at most. */
const MAX_UNDECIDED = 32;
/** Packet marks kept for held bytes; beyond this neighbours merge (times get coarser, never lost). */
const MAX_MARKS = 4096;

const REJECT = 0;
const UNDECIDED = 1;
const CONFIRMED = 2;

/** Bytes held in order with the packet each run came from, so replayed PDUs keep their times. */
class HeldBytes {
  buf = new Uint8Array(0);
  /** Logical position of buf[0]: positions kept outside stay valid when the buffer compacts. */
  origin = 0;
  /**
   * Stream offset (bytes of the direction since the capture's first, gaps counted) minus logical
   * position. Held bytes are always contiguous in the stream (never across a gap).
   */
  streamDelta = 0;
  start = 0;
  end = 0;
  /** Absolute positions in buf where a run from another packet begins. */
  marks: { pos: number; at: PacketRef }[] = [];

  get length(): number {
    return this.end - this.start;
  }

  append(d: Uint8Array, at: PacketRef, stream: number): void {
    if (d.length === 0) return;
    if (this.end === this.start) this.streamDelta = stream - (this.origin + this.end);
    if (this.end + d.length > this.buf.length) {
      const live = this.end - this.start;
      const need = live + d.length;
      if (need <= this.buf.length) this.buf.copyWithin(0, this.start, this.end);
      else {
        const next = new Uint8Array(Math.max(need, this.buf.length * 2, 4096));
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
      }
      for (const m of this.marks) m.pos = Math.max(0, m.pos - this.start);
      this.origin += this.start;
      this.end = live;
      this.start = 0;
    }
    const last = this.marks[this.marks.length - 1];
    if (!last || last.at !== at) {
      if (this.marks.length >= MAX_MARKS) this.marks.splice(1, 1);
      this.marks.push({ pos: this.end, at });
    }
    this.buf.set(d, this.end);
    this.end += d.length;
  }

  /** Forgets bytes before absolute position `pos`. */
  dropBefore(pos: number): void {
    this.start = Math.min(Math.max(pos, this.start), this.end);
    let i = 0;
    while (i + 1 < this.marks.length && this.marks[i + 1]!.pos <= this.start) i++;
    if (i > 0) this.marks.splice(0, i);
  }

  /** Stream offset of buf[i]. */
  streamAt(i: number): number {
    return i + this.origin + this.streamDelta;
  }

  /** The runs from absolute position `from` on, each with its packet and stream offset. */
  runs(from: number): { bytes: Uint8Array; at: PacketRef; stream: number }[] {
    const out: { bytes: Uint8Array; at: PacketRef; stream: number }[] = [];
    for (let i = 0; i < this.marks.length; i++) {
      const s = Math.max(this.marks[i]!.pos, from);
      const e = i + 1 < this.marks.length ? this.marks[i + 1]!.pos : this.end;
      if (e > s) out.push({ bytes: this.buf.subarray(s, e), at: this.marks[i]!.at, stream: this.streamAt(s) });
    }
    return out;
  }

  clear(): void {
    this.origin += this.end;
    this.start = 0;
    this.end = 0;
    this.marks = [];
  }
}

interface PduStart {
  at: PacketRef;
  op: number;
  dataLength: number;
}

/**
 * One direction's PDU framer. `locked` when it knows where PDUs start (stream seen from its
 * SYN, or found again); otherwise it scans for a BHS that the next BHS confirms. Bytes are never
 * joined across a capture gap, and a PDU whose data segment length proves wrong (no header where
 * it ends, or the stream ends inside it) is reported, and its bytes searched for the next PDU.
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
  /** While unlocked: the bytes searched for a PDU header. */
  private scan = new HeldBytes();
  /** Absolute positions in scan below this have been judged. */
  private scanChecked = 0;
  /** Candidate headers whose confirmation needs more bytes (absolute positions in scan). */
  private undecided: number[] = [];
  /** Bytes skipped since framing was lost, not yet reported. */
  private skipped = 0;
  private lostWhy = '';
  private lostAt: PacketRef | undefined;
  /** The current PDU's post-header bytes, kept while they fit and arrive without a gap. */
  private retained = new HeldBytes();
  private retainable = false;
  private current: PduStart | undefined;
  /** The last whole PDU, when its post-header bytes are all in `retained`. */
  private lastPdu: PduStart | undefined;
  pdus = 0;
  /** Run once before the next PDU header: how a login's end switches digests on. */
  beforeNextHeader: (() => void) | undefined;
  /**
   * Whether the digest settings are known (a login was seen). When not, resynchronising tries
   * the header digest too, recognised by its CRC32C (RFC 7143 12.1).
   */
  digestsKnown = false;
  /**
   * The MaxRecvDataSegmentLength the receiving side declared at login (RFC 7143 13.12); undefined
   * when no Login was captured.
   */
  maxDataSegment: number | undefined;
  private triedDataDigest = false;
  /**
   * The four bytes taken for a data digest while the header after them is read; given back to
   * the search (and the guess undone) when that header proves implausible too.
   */
  private digestGuess: Uint8Array | undefined;
  /** Data segment length of the last PDU: a data digest, if any, followed it. */
  private lastDataLength = 0;
  /** Bytes of this direction so far (gaps counted): where the next byte lies in the stream. */
  private streamPos = 0;
  /** Stream offset of the header being read. */
  private hdrStream = 0;
  /**
   * Every PDU is a whole number of 4-byte words (RFC 7143 11.2: BHS, AHS, digests, padded
   * data), so all PDUs of a stream start at the same offset modulo 4; known once one PDU start
   * is (TCP gives exact hole lengths, so it survives gaps). Candidates elsewhere are not PDUs.
   */
  private alignment: number | undefined;

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
    if (this.pdus === 0 && this.scan.length === 0 && this.skipped === 0) {
      this.locked = true;
      this.alignment = this.streamPos % 4;
    }
  }

  /**
   * Between PDUs, when what follows cannot be framed from what is known (a login whose answer
   * the capture lost: header digests may be on), find the next PDU by content instead, where the
   * header digest shows itself. Not damage: nothing is reported.
   */
  searchFromHere(): void {
    if (!this.locked || this.rest > 0 || this.hdrHave > 0) return;
    this.locked = false;
    this.scan.clear();
    this.scanChecked = 0;
    this.undecided = [];
  }

  /** The stream lost `length` bytes: finish nothing across it, find the next PDU by content. */
  gap(length: number, at: PacketRef): void {
    if (this.locked && this.rest > 0 && this.hdrHave === 0 && length <= this.rest && this.data === undefined) {
      // The hole lies inside bulk data we skip anyway: framing survives (TCP says how much is
      // missing), but the kept bytes now have a hole and can never be searched again.
      this.rest -= length;
      this.streamPos += length;
      this.retainable = false;
      this.retained.clear();
      if (this.rest === 0) this.finish(at);
      return;
    }
    this.streamPos += length;
    if (this.lostWhy) this.reportLost(at, '; a capture gap followed before the next PDU was found');
    // Never join bytes across the hole: what was held before it is given up.
    this.skipped += this.scan.length + length;
    this.scan.clear();
    this.scanChecked = 0;
    this.undecided = [];
    this.locked = false;
    this.hdrHave = 0;
    this.hdrNeed = BHS_LENGTH;
    this.rest = 0;
    this.data = undefined;
    this.retainable = false;
    this.retained.clear();
    this.lastPdu = undefined;
  }

  bytes(d: Uint8Array, at: PacketRef): void {
    const stream = this.streamPos;
    this.streamPos += d.length;
    this.feed(d, at, stream);
  }

  /** Bytes whose first is at `stream` in the stream: new ones, or held ones found to be PDUs. */
  private feed(d: Uint8Array, at: PacketRef, stream: number): void {
    let p = 0;
    while (p < d.length) {
      if (!this.locked) {
        this.scan.append(d.subarray(p), at, stream + p);
        this.search(at, false);
        return;
      }
      if (this.rest > 0) {
        const n = Math.min(this.rest, d.length - p);
        if (this.data && this.dataHave < this.dataKeep) {
          const take = Math.min(n, this.dataKeep - this.dataHave);
          this.data.set(d.subarray(p, p + take), this.dataHave);
          this.dataHave += take;
        }
        if (this.retainable) this.retained.append(d.subarray(p, p + n), at, stream + p);
        this.rest -= n;
        p += n;
        if (this.rest === 0) this.finish(at);
        continue;
      }
      if (this.hdrHave === 0 && this.beforeNextHeader) {
        const f = this.beforeNextHeader;
        this.beforeNextHeader = undefined;
        f();
        continue; // it may have set framing aside (see searchFromHere)
      }
      if (this.hdrHave === 0) this.hdrStream = stream + p;
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
          this.digestGuess = this.hdr.slice(0, 4);
          this.hdr.copyWithin(0, 4, BHS_LENGTH);
          this.hdrHave = BHS_LENGTH - 4;
          this.hdrStream += 4;
          continue;
        }
        const op = this.hdr[0]! & 0x3f;
        const guess = this.digestGuess;
        this.digestGuess = undefined;
        if (!plausibleBhs(this.hdr, 0)) {
          // No header after the four bytes either: they were no digest. Search from where the
          // header was first looked for, those four bytes included (a hole in the held bytes
          // would shift every PDU after it).
          let header: Uint8Array = this.hdr.subarray(0, BHS_LENGTH);
          let headerStream = this.hdrStream;
          if (guess) {
            this.digests.data = false;
            header = concatBytes(guess, header);
            headerStream -= guess.length;
          }
          const prev = this.lastPdu;
          if (prev && prev.dataLength > 0) {
            // Either this header is damaged or the PDU before it claimed the wrong length:
            // search again from the end of that PDU's header, through the bytes it claimed.
            this.unlock(
              prev.at,
              `no PDU header where the data segment of the PDU before it ends (that PDU: opcode 0x${hex(prev.op)}, data segment length ${prev.dataLength}; found bytes with opcode 0x${hex(op)})`,
            );
            for (const r of this.retained.runs(this.retained.start)) this.scan.append(r.bytes, r.at, r.stream);
            this.scan.append(header, at, headerStream);
          } else {
            this.unlock(at, `implausible PDU header (opcode 0x${hex(op)})`);
            this.skipped += 1;
            this.scan.append(header.subarray(1), at, headerStream + 1);
          }
          this.scan.append(d.subarray(p), at, stream + p);
          this.search(at, false);
          return;
        }
        const dsl = dataSegmentLength(this.hdr);
        const max = this.maxDataSegment ?? MAX_DATA_SEGMENT_FIELD;
        if (dsl > max) {
          this.unlock(
            at,
            `PDU header (opcode 0x${hex(op)}) claims a data segment of ${dsl} bytes, more than the ${max} that the receiver declared in MaxRecvDataSegmentLength at login (RFC 7143 13.12)`,
          );
          this.skipped += 1;
          this.scan.append(this.hdr.subarray(1, BHS_LENGTH), at, this.hdrStream + 1);
          this.scan.append(d.subarray(p), at, stream + p);
          this.search(at, false);
          return;
        }
        this.alignment = this.hdrStream % 4;
        const extra = this.hdr[4]! * 4 + (this.digests.header ? 4 : 0);
        if (extra > 0) {
          this.hdrNeed = BHS_LENGTH + extra;
          continue;
        }
      }
      this.startData(at);
      if (this.rest === 0) this.finish(at);
    }
  }

  /**
   * End of this direction's stream (`closed`: its sender closed it with a FIN, so every byte it
   * sent was on the wire). A PDU that the stream ends inside is reported when the stream was
   * closed or when the bytes it claimed hold other PDUs (its length was wrong: those are read);
   * a capture that merely stops inside a PDU is not damage.
   */
  end(at: PacketRef, closed: boolean): void {
    if (this.locked && (this.rest > 0 || this.hdrHave > 0) && this.current) {
      const cur = this.current;
      const inHeader = this.rest === 0 && this.hdrHave > 0;
      if (inHeader) {
        if (closed) this.handler.lost(this.hdrHave, at, `the stream ends (FIN) inside a PDU header (${this.hdrHave} of ${this.hdrNeed} bytes)`);
      } else {
        const replay = this.retainable && this.retained.length > 0 && this.findIn(this.retained) >= 0;
        if (closed || replay) {
          const why = `PDU with opcode 0x${hex(cur.op)} claims a data segment of ${cur.dataLength} bytes, but the stream ${closed ? 'ends (FIN)' : 'ends'} ${this.rest} bytes short of it${replay ? ' and PDU headers lie inside it' : ''}`;
          if (replay) {
            this.unlock(cur.at, why);
            for (const r of this.retained.runs(this.retained.start)) this.scan.append(r.bytes, r.at, r.stream);
          } else {
            this.handler.lost(this.retained.length, cur.at, why);
          }
        }
      }
    }
    if (!this.locked && this.scan.length > 0) this.search(at, true);
    if (this.lostWhy) this.reportLost(at, `; no PDU found in the ${this.skipped + this.scan.length} bytes after it`);
  }

  private unlock(at: PacketRef, why: string): void {
    if (this.lostWhy) this.reportLost(at, '');
    this.locked = false;
    this.lostWhy = why;
    this.lostAt = at;
    this.hdrHave = 0;
    this.hdrNeed = BHS_LENGTH;
    this.rest = 0;
    this.data = undefined;
    this.lastPdu = undefined;
    this.scan.clear();
    this.scanChecked = 0;
    this.undecided = [];
  }

  private reportLost(at: PacketRef, tail: string): void {
    const why = this.lostWhy + tail;
    const where = this.lostAt ?? at;
    const skipped = this.skipped;
    this.lostWhy = '';
    this.lostAt = undefined;
    this.skipped = 0;
    this.handler.lost(skipped, where, why);
  }

  private startData(at: PacketRef): void {
    const dsl = dataSegmentLength(this.hdr);
    this.dataLength = dsl;
    const padded = (dsl + 3) & ~3;
    this.rest = padded + (this.digests.data && dsl > 0 ? 4 : 0);
    const op = this.hdr[0]! & 0x3f;
    this.dataKeep = keepsData(op) ? Math.min(dsl, MAX_KEPT_DATA) : 0;
    this.data = this.dataKeep > 0 ? new Uint8Array(this.dataKeep) : undefined;
    this.dataHave = 0;
    this.current = { at, op, dataLength: dsl };
    this.retained.clear();
    this.retainable = this.rest <= RETAIN_BYTES;
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
    this.lastPdu = this.retainable ? this.current : undefined;
    this.pdus++;
    this.handler.pdu(pdu, at);
  }

  /** Total length of the PDU whose BHS is at o. */
  private pduLength(b: Uint8Array, o: number): number {
    const dsl = dataSegmentLength(b, o);
    return BHS_LENGTH + b[o + 4]! * 4 + (this.digests.header ? 4 : 0) + ((dsl + 3) & ~3) + (this.digests.data && dsl > 0 ? 4 : 0);
  }

  /**
   * Whether a PDU header can start at q of b[..end]: rejected, confirmed (the header its length
   * points at is plausible too; at the end of the stream, it ends exactly there), or
   * undecided until more bytes come. Learns digests on the way when no login said.
   */
  private judge(b: Uint8Array, q: number, end: number, limit: number, atEnd: boolean, stream: number): number {
    if (this.alignment !== undefined && stream % 4 !== this.alignment) return REJECT;
    if (!plausibleBhs(b, q) || dataSegmentLength(b, q) > limit) return REJECT;
    if (!this.digestsKnown) {
      // A header digest shows itself: the CRC32C of BHS + AHS follows them.
      const h = q + BHS_LENGTH + b[q + 4]! * 4;
      this.digests.header = h + 4 <= end && crc32c(b, q, h) === u32le(b, h);
    }
    let next = q + this.pduLength(b, q);
    if (!this.digestsKnown && next + BHS_LENGTH <= end && !plausibleBhs(b, next) && dataSegmentLength(b, q) > 0) {
      // Perhaps a data digest follows the data segment.
      this.digests.data = !this.digests.data;
      next = q + this.pduLength(b, q);
      if (!plausibleBhs(b, next)) this.digests.data = !this.digests.data;
      next = q + this.pduLength(b, q);
    }
    if (next + BHS_LENGTH <= end) return plausibleBhs(b, next) && dataSegmentLength(b, next) <= limit ? CONFIRMED : REJECT;
    // Ending exactly where the bytes so far end is no proof (bytes inside data do that by
    // chance): wait for the next header, except at the end of the stream. Commands found late
    // this way still get the answers read before them (Connection.holdEarly).
    if (atEnd) return next === end ? CONFIRMED : REJECT;
    return next - q > RESYNC_WINDOW ? REJECT : UNDECIDED;
  }

  /** Where the first confirmed header in `held` is, or -1 (a dry run: digest guesses restored). */
  private findIn(held: HeldBytes): number {
    const saved = { ...this.digests };
    const limit = this.maxDataSegment ?? UNNEGOTIATED_MAX_DATA_SEGMENT;
    let found = -1;
    for (let q = held.start; q + BHS_LENGTH <= held.end; q++) {
      if (this.judge(held.buf, q, held.end, limit, true, held.streamAt(q)) === CONFIRMED) {
        found = q;
        break;
      }
    }
    this.digests.header = saved.header;
    this.digests.data = saved.data;
    return found;
  }

  /**
   * Looks through the held bytes for a header that the next one confirms. A candidate that
   * cannot be confirmed yet (its claimed end lies beyond what has arrived) does not stop the
   * search: it waits, bounded, while later candidates are tried, and the first confirmed wins.
   */
  private search(at: PacketRef, atEnd: boolean): void {
    if (this.beforeNextHeader) {
      // The login ended before the bytes searched: its digests and limits apply to them.
      const f = this.beforeNextHeader;
      this.beforeNextHeader = undefined;
      f();
    }
    const s = this.scan;
    const b = s.buf;
    const limit = this.maxDataSegment ?? UNNEGOTIATED_MAX_DATA_SEGMENT;
    let found = -1;
    const still: number[] = [];
    const o = s.origin;
    for (const u of this.undecided) {
      if (found >= 0) break;
      const q = u - o;
      const v = this.judge(b, q, s.end, limit, atEnd, s.streamAt(q));
      if (v === CONFIRMED) found = q;
      else if (v === UNDECIDED) still.push(q);
    }
    if (found < 0) {
      let q = Math.max(this.scanChecked - o, s.start);
      for (; q + BHS_LENGTH <= s.end; q++) {
        const v = this.judge(b, q, s.end, limit, atEnd, s.streamAt(q));
        if (v === CONFIRMED) {
          found = q;
          break;
        }
        if (v === UNDECIDED) {
          if (still.length >= MAX_UNDECIDED) still.shift();
          still.push(q);
        }
      }
      this.scanChecked = q + o;
    }
    if (found >= 0) {
      // Found: report what was skipped, then feed the rest through the locked path, each run
      // with the packet it came from.
      this.skipped += found - s.start;
      const runs = s.runs(found);
      if (this.lostWhy) this.reportLost(at, this.skipped ? `; skipped ${this.skipped} bytes to the next PDU` : '');
      else if (this.skipped > 0) {
        const skipped = this.skipped;
        this.skipped = 0;
        this.handler.lost(skipped, runs[0]?.at ?? at, '');
      }
      this.scan = new HeldBytes();
      this.scanChecked = 0;
      this.undecided = [];
      this.locked = true;
      this.hdrHave = 0;
      this.hdrNeed = BHS_LENGTH;
      this.rest = 0;
      for (const r of runs) this.feed(r.bytes, r.at, r.stream);
      return;
    }
    if (atEnd) {
      this.skipped += s.length;
      s.clear();
      this.scanChecked = 0;
      this.undecided = [];
      return;
    }
    // Nothing yet: keep what can still start a PDU (undecided candidates, the last 47 bytes),
    // within the window.
    let keepFrom = Math.min(still.length ? still[0]! : this.scanChecked - o, this.scanChecked - o);
    if (s.end - keepFrom > RESYNC_WINDOW) {
      keepFrom = s.end - RESYNC_WINDOW;
      while (still.length && still[0]! < keepFrom) still.shift();
    }
    this.skipped += Math.max(0, keepFrom - s.start);
    s.dropBefore(keepFrom);
    this.undecided = still.map((q) => q + o);
  }

  /** Bytes skipped while unlocked and not yet reported (for deciding a flow is not iSCSI). */
  pendingSkipped(): number {
    return this.skipped + this.scan.length;
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function hex(n: number): string {
  return n.toString(16);
}

const EMPTY = new Uint8Array(0);
