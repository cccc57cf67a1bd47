/**
 * TCP reassembly for one direction of one connection: hands on the byte stream in sequence
 * order, once. Retransmitted and overlapping bytes are dropped, out-of-order segments wait
 * (bounded) until the hole before them is filled, and a hole that never fills is reported as
 * a gap so the consumer can resynchronise.
 */

/** The packet that made bytes available: what events built from them are stamped with. */
export interface PacketRef {
  timeNs: number;
  offset: number;
  index: number;
}

/** Bytes of a stream that the capture does not have. */
export interface StreamHole {
  /** Sequence number of the first missing byte (absolute, as on the wire). */
  seq: number;
  length: number;
  /** The packet whose bytes came last before the hole (undefined: none yet). */
  before: PacketRef | undefined;
  /** The packet that showed the hole: the first bytes after it, or the one whose tail was cut. */
  after: PacketRef;
  /** Why the bytes are missing, for a person. */
  why: string;
}

export interface StreamConsumer {
  /** In-order bytes. `data` is only valid during the call. */
  bytes(data: Uint8Array, at: PacketRef): void;
  /** Bytes are missing from the capture before the next bytes(): never join across it. */
  gap(hole: StreamHole): void;
}

interface Held {
  /** Sequence offset relative to nextSeq at the time it was stored is not stable; keep seq. */
  seq: number;
  data: Uint8Array;
  /** Bytes the segment claimed beyond what was captured (snap length). */
  missing: number;
  at: PacketRef;
}

/** Out-of-order segments kept at most; beyond either bound the oldest hole is given up. */
const MAX_HELD_SEGMENTS = 1024;
const MAX_HELD_BYTES = 8 * 1024 * 1024;

/** A FIN further than this past the last byte seen is not believed (half the sequence space). */
const MAX_FIN_HOLE = 2 ** 30;

/** Signed distance a - b in 32-bit sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class TcpHalfStream {
  /** Next sequence number expected; undefined until the first segment. */
  private nextSeq: number | undefined;
  private held: Held[] = [];
  private heldBytes = 0;
  /** Highest sequence number the peer acknowledged; bytes below it will not come again. */
  private ackedTo: number | undefined;
  /** Total payload bytes handed on (for statistics). */
  delivered = 0;
  /** The packet whose bytes were handed on last. */
  private lastAt: PacketRef | undefined;
  private finSeq: number | undefined;

  constructor(private readonly consumer: StreamConsumer) {}

  /** SYN seen: the stream starts at isn + 1. */
  syn(isn: number): void {
    this.nextSeq = (isn + 1) >>> 0;
    this.held = [];
    this.heldBytes = 0;
  }

  get started(): boolean {
    return this.nextSeq !== undefined;
  }

  segment(seq: number, data: Uint8Array, claimedLength: number, at: PacketRef): void {
    if (claimedLength === 0) return;
    if (this.nextSeq === undefined) this.nextSeq = seq; // capture began mid-stream
    const missing = claimedLength - data.length;
    const d = seqDiff(seq, this.nextSeq);
    if (d + claimedLength <= 0) return; // entirely old: a retransmission
    if (d > 0) {
      this.hold(seq, data, missing, at);
      return;
    }
    // Overlaps what we have: keep only the new part.
    const skip = -d;
    this.deliver(skip < data.length ? data.subarray(skip) : new Uint8Array(0), Math.max(0, missing - Math.max(0, skip - data.length)), at);
    this.drainHeld(at);
  }

  /**
   * The peer acknowledged up to `ack`. Any hole below it was received by the peer, so it will
   * never be retransmitted: the capture lost it. Give it up now rather than at the end.
   */
  acked(ack: number, at: PacketRef): void {
    if (this.nextSeq === undefined) return;
    if (this.ackedTo === undefined || seqDiff(ack, this.ackedTo) > 0) this.ackedTo = ack;
    while (this.held.length && seqDiff(ack, this.nextSeq) > 0 && seqDiff(this.held[0]!.seq, ack) <= 0) {
      this.skipToHeld(at, 'acknowledged by the peer but missing from the capture');
    }
  }

  /** The sender's FIN: its stream ends before `seq`. */
  fin(seq: number): void {
    this.finSeq = seq;
  }

  /** End of input (or connection): give up every hole and hand on what is held. */
  flush(at: PacketRef): void {
    while (this.held.length) this.skipToHeld(at, 'never filled before the end of the capture');
    // Bytes between the last ones captured and the FIN were sent, and lost by the capture.
    if (this.finSeq !== undefined && this.nextSeq !== undefined) {
      const missing = seqDiff(this.finSeq, this.nextSeq);
      if (missing > 0 && missing < MAX_FIN_HOLE) {
        this.consumer.gap({ seq: this.nextSeq, length: missing, before: this.lastAt, after: at, why: 'sent before the FIN but missing from the capture' });
        this.nextSeq = this.finSeq;
      }
    }
  }

  private deliver(data: Uint8Array, missing: number, at: PacketRef): void {
    if (data.length) {
      this.delivered += data.length;
      this.lastAt = at;
      this.consumer.bytes(data, at);
    }
    const cutAt = (this.nextSeq! + data.length) >>> 0;
    this.nextSeq = (cutAt + missing) >>> 0;
    if (missing > 0) {
      this.consumer.gap({ seq: cutAt, length: missing, before: this.lastAt, after: at, why: "cut by the capture's snap length" });
      this.lastAt = at;
    }
  }

  private hold(seq: number, data: Uint8Array, missing: number, at: PacketRef): void {
    // Keep a copy: the packet buffer belongs to the reader.
    const copy = data.slice();
    let i = this.held.length;
    while (i > 0 && seqDiff(this.held[i - 1]!.seq, seq) > 0) i--;
    if (i > 0 && this.held[i - 1]!.seq === seq && this.held[i - 1]!.data.length >= copy.length) return; // duplicate
    this.held.splice(i, 0, { seq, data: copy, missing, at });
    this.heldBytes += copy.length;
    while (this.held.length && this.ackedTo !== undefined && seqDiff(this.ackedTo, this.nextSeq!) > 0 && seqDiff(this.held[0]!.seq, this.ackedTo) <= 0) {
      this.skipToHeld(at, 'acknowledged by the peer but missing from the capture');
    }
    while (this.held.length > MAX_HELD_SEGMENTS || this.heldBytes > MAX_HELD_BYTES) {
      this.skipToHeld(at, 'lost from the capture (the hole was never filled)');
    }
  }

  /**
   * Hands on held segments that are now in order. When a hole was just filled, they become
   * readable with the packet that filled it (as Wireshark reports them); when a hole was given
   * up, each is stamped with its own packet.
   */
  private drainHeld(at: PacketRef | undefined): void {
    while (this.held.length) {
      const h = this.held[0]!;
      const d = seqDiff(h.seq, this.nextSeq!);
      if (d > 0) return;
      this.held.shift();
      this.heldBytes -= h.data.length;
      const end = d + h.data.length + h.missing;
      if (end <= 0) continue;
      const skip = -d;
      this.deliver(skip < h.data.length ? h.data.subarray(skip) : new Uint8Array(0), Math.max(0, h.missing - Math.max(0, skip - h.data.length)), at ?? h.at);
    }
  }

  private skipToHeld(at: PacketRef, why: string): void {
    const h = this.held[0]!;
    const hole = seqDiff(h.seq, this.nextSeq!);
    if (hole > 0) {
      this.consumer.gap({ seq: this.nextSeq!, length: hole, before: this.lastAt, after: h.at, why });
      this.nextSeq = h.seq;
    }
    this.drainHeld(undefined);
    void at;
  }
}
