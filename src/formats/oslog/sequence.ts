/**
 * What the unit sequence numbers of SCT1 lines say about the log that carried them: which
 * units it lost (capture gaps), which lines it delivered twice (ignored), which numbers were
 * damaged on the way. docs/FORMAT.md, "Carrying records in a text log" → "Reading", states the
 * rules implemented here; the constants below are the numbers it names.
 *
 * A *stream* is the run of numbers one writer's counter produces (one counter under a lock, or
 * one per queue). Units of a stream settle in number order behind a frontier; a number still
 * missing once REORDER_WINDOW later units of its stream have arrived was lost.
 *
 * The tracker also keeps the reader's promise (TraceFormat.read): a capture gap comes before
 * every event captured after the loss. A decoded unit's events are held back until no gap can
 * come before them any more: every number before it in its stream arrived or was given up, and
 * every stream has settled a unit as late as its record. A gap goes in before the first held
 * unit of its stream numbered after the loss, or before an earlier held record later than the
 * loss's start. Events leave in the order their units were completed; at most HOLD_UNITS items
 * (HOLD_BYTES of records) are held at once.
 */
import type { TraceEvent } from '../../model/events.js';

/** A missing unit is given up once this many later units of its stream have arrived. */
export const REORDER_WINDOW = 64;
/** A number less than this far ahead of a stream's frontier continues the stream at once. */
export const NEAR = 1024;
/** A number up to this far ahead continues the stream after lost units, once a next one confirms it. */
export const REACH = 1 << 24;
/** A number up to this far behind a stream's frontier is a late unit of it. */
export const BEHIND = 1024;
/** Completed units remembered (with a hash of each fragment) to recognise a line delivered again. */
export const REMEMBERED = 1024;
/** Fragment hashes kept for those units at most (bounds memory for units of many parts). */
const REMEMBERED_FRAGMENTS = 1 << 16;
const MAX_STREAMS = 64;
const MAX_TENTATIVE = 64;
const MAX_LATE = 256;
/** Recent arrivals kept to explain a missing unit by a damaged number (power of two). */
const RECENT = 256;
/** Most arrivals between a missing unit's neighbours that are searched for its damaged number. */
const MATCH_SPAN = 16;
/** Incomplete units named one by one in a gap's detail; the rest are counted. */
const NAMED_INCOMPLETE = 3;
/**
 * Units (and diagnostics between them) held back at most: past this the oldest is let go, its
 * stream giving up what it misses before it at once, as if its window had passed. One stream
 * whose lines arrive in order holds at most its window; this leaves room for 16 streams that
 * interleave evenly, or a slow stream among busy ones.
 */
export const HOLD_UNITS = 16 * REORDER_WINDOW;
/** Bytes of held units' records at most (the same way): bounds the memory of held events. */
export const HOLD_BYTES = 8 * 1024 * 1024;

type State = 'open' | 'done' | 'damaged';

/** A unit from its first line until it settles (one object shape: it is made for every unit). */
class Entry {
  state: State = 'open';
  /** Time of the unit's record, once decoded (none for a file header or damage). */
  timeNs: number | undefined = undefined;
  /** The stream whose pending set holds it. */
  stream: Stream | undefined = undefined;
  /** Waiting for a next number to confirm where it belongs. */
  tentative: { jumpOf: Stream | undefined; collision: boolean } | undefined = undefined;
  /** Arrived behind its stream's frontier. */
  late = false;
  /** Where it is, or was, in the stream: no capture gap can come before it any more. */
  placed = false;
  /** Its events, held back, once it is decoded (none for a unit without events). */
  item: Held | undefined = undefined;

  constructor(
    readonly seq: number,
    /** Order of first arrival among all units. */
    readonly arrival: number,
    /** Byte offset of the unit's first line. */
    readonly offset: number,
  ) {}
}

/** Events waiting to leave the tracker: a decoded unit's, or a diagnostic's. */
class Held {
  /** Capture gaps (and diagnostics) that go before this unit's events. */
  before: TraceEvent[] | undefined = undefined;
  next: Held | undefined = undefined;
  /** Left the tracker. */
  released = false;
  /** Let go to bound memory, whatever may still come. */
  forced = false;

  constructor(
    readonly events: TraceEvent[],
    /** Bytes of the unit's record (0 for a diagnostic). */
    readonly bytes: number,
    /** The unit's first line and its unit index (where a gap before it is said to be). */
    readonly offset: number,
    readonly index: number | undefined,
    /** Time of the unit's record; -Infinity when it has none (a file header, a diagnostic). */
    readonly timeNs: number,
    /** Order of reading (the order events leave in). */
    readonly position: number,
    /** Its own stream has settled it (see Entry.placed). */
    public placed: boolean,
    readonly entry: Entry | undefined,
  ) {}
}

/** The keys of a completed unit's fragments: one number for a unit of one fragment. */
export type FragmentKeys = number | Float64Array;
const keyCount = (k: FragmentKeys) => (typeof k === 'number' ? 1 : k.length);

interface Stream {
  /** Lowest number not yet settled. */
  next: number;
  /** Units that arrived at or ahead of the frontier, by number. */
  pending: Map<number, Entry>;
  /** Time of the last settled unit that had one. */
  lastTimeNs?: number;
  /** Arrival of unit next - 1, when it arrived. */
  lastArrival?: number;
  lastActive: number;
}

/** A capture loss found in the numbers. */
export interface GapReport {
  /**
   * The first line of the unit the gap goes before (the first read after the loss), else of
   * the last unit of the loss that arrived in part; index is that unit's index when it has one.
   */
  offset: number;
  index: number | undefined;
  timeNs: number;
  endNs: number;
  /** Units lost: numbers that never arrived and units that arrived incomplete. */
  lost: number;
  detail: string;
}

/** What the tracker needs from the reader that holds the fragments. */
export interface SequenceHost {
  /** Gives up an incomplete unit the tracker has accounted for; what had arrived of it. */
  dropIncomplete(seq: number): { received: number; parts: number } | undefined;
  /** The event for a capture gap (the tracker puts it in its place). */
  gap(report: GapReport): TraceEvent;
  /** The diagnostic for a damaged sequence number (damage: the input is not what the writer wrote). */
  damage(offset: number, message: string): TraceEvent;
}

/**
 * A 53-bit hash of a fragment's bytes, to recognise the same line again. Not a CRC32C: a record
 * carries its own CRC32C at its end, so the CRC32C of a fragment holding a whole record is the
 * same for every record of that length (the CRC residue).
 */
export function fragmentKey(bytes: Uint8Array): number {
  let h1 = 0xdeadbeef ^ bytes.length;
  let h2 = 0x41c6ce57 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    h1 = Math.imul(h1 ^ b, 2654435761);
    h2 = Math.imul(h2 ^ b, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const hex = (n: number) => `0x${n.toString(16)}`;
const ahead = (from: number, to: number) => (to - from) >>> 0;

/** Numbers whose 8-digit hex forms differ in exactly one digit (one damaged character). */
function oneDigitApart(a: number, b: number): boolean {
  const x = (a ^ b) >>> 0;
  if (x === 0) return false;
  for (let shift = 0; shift < 32; shift += 4) if (((x >>> shift) & 0xf) !== 0) return x >>> shift <= 0xf;
  return false;
}

/** Seconds for a person, exact to the nanosecond: 12.000431 s, 12.004 s, 0.000000003 s. */
function seconds(ns: number): string {
  const fraction = String(ns % 1e9)
    .padStart(9, '0')
    .replace(/0+$/, '');
  return `${Math.floor(ns / 1e9)}${fraction ? `.${fraction}` : ''} s`;
}

export class SequenceTracker {
  private readonly streams: Stream[] = [];
  private readonly tentatives: Entry[] = [];
  private readonly late = new Map<number, Entry>();
  /** The unit being reassembled under each number (at most one at a time). */
  private readonly open = new Map<number, Entry>();
  /** Completed units: the key of each fragment, by number. */
  private readonly completed = new Map<number, FragmentKeys>();
  private completedFragments = 0;
  /** The numbers remembered, oldest first, in a ring (with the keys remembered for each). */
  private readonly rememberedSeq = new Float64Array(REMEMBERED);
  private readonly rememberedKeys = new Array<FragmentKeys | undefined>(REMEMBERED);
  private rememberedHead = 0;
  private rememberedCount = 0;
  private readonly recent = new Array<Entry | undefined>(RECENT);
  private arrivals = 0;
  private lastTimeNs = 0;
  /** Events held back, in the order they were read (a list: first and last). */
  private heldFirst: Held | undefined;
  private heldLast: Held | undefined;
  private heldCount = 0;
  private heldBytes = 0;
  private positions = 0;

  constructor(private readonly host: SequenceHost) {}

  /** True when this fragment is one of a unit already completed, delivered again. */
  isRepeat(seq: number, part: number, parts: number, key: number): boolean {
    const c = this.completed.get(seq);
    if (c === undefined) return false;
    return typeof c === 'number' ? parts === 1 && c === key : c.length === parts && c[part - 1] === key;
  }

  /** The first fragment of a unit arrived (not a repeat). */
  begin(seq: number, offset: number): void {
    const e = new Entry(seq, ++this.arrivals, offset);
    this.recent[e.arrival % RECENT] = e;
    // A number a different unit already carries: not a continuation of anything.
    const collision = this.completed.has(seq) || this.late.has(seq) || this.pendingAnywhere(seq);
    this.open.set(seq, e);
    const near = collision ? undefined : this.nearest(seq);
    if (near?.kind === 'ahead') return this.place(e, near.stream);
    if (near?.kind === 'behind') {
      e.late = true;
      this.placed(e);
      this.late.set(seq, e);
      if (this.late.size > MAX_LATE) this.forgetLate(this.late.values().next().value as Entry);
      return;
    }
    const confirmed = this.tentatives.find((t) => t.seq !== seq && ahead(t.seq, seq) < NEAR);
    if (confirmed) return this.place(e, this.promote(confirmed));
    e.tentative = { jumpOf: near?.kind === 'jump' ? near.stream : undefined, collision };
    this.tentatives.push(e);
    if (this.tentatives.length > MAX_TENTATIVE) this.resolve(this.tentatives[0]!);
  }

  /**
   * A unit is complete: decoded (with the time of its record, if it has one, and its events)
   * or found damaged. `bytes` is its size, `offset` its first line, `index` its unit index.
   */
  complete(
    seq: number,
    fragmentKeys: FragmentKeys,
    timeNs: number | undefined,
    damaged: boolean,
    events: TraceEvent[],
    bytes: number,
    offset: number,
    index: number,
  ): void {
    this.remember(seq, fragmentKeys);
    if (timeNs !== undefined) this.lastTimeNs = timeNs;
    const e = this.open.get(seq);
    if (events.length) this.hold(events, bytes, offset, index, timeNs, e);
    if (!e) return;
    this.open.delete(seq);
    e.state = damaged ? 'damaged' : 'done';
    if (timeNs !== undefined) e.timeNs = timeNs;
    const s = e.stream;
    if (!s) return;
    // Most units complete at the frontier, in order.
    if (e.seq === s.next) this.settle(s, e);
    if (s.pending.size) this.advance(s);
  }

  /** A line of this unit was damaged (already reported): the unit is accounted for, not lost. */
  damagedLine(seq: number, offset: number): void {
    if (this.completed.has(seq)) return;
    if (!this.open.has(seq)) this.begin(seq, offset);
    const e = this.open.get(seq)!;
    this.open.delete(seq);
    e.state = 'damaged';
    if (e.stream) this.advance(e.stream);
  }

  /** End of input: every loss still pending is reported, every unconfirmed number resolved. */
  end(): void {
    for (const s of [...this.streams]) this.retire(s);
    while (this.tentatives.length) this.resolve(this.tentatives[0]!);
    for (const e of [...this.late.values()]) this.forgetLate(e);
  }

  /** An event that waits for nothing (a diagnostic): it leaves after what was read before it. */
  emit(event: TraceEvent): void {
    this.append(new Held([event], 0, 0, undefined, -Infinity, this.positions++, true, undefined));
  }

  /**
   * Moves the events no capture gap can come before any more to `out`, in order: a unit's once
   * its own stream has settled it and every stream has settled a unit as late as its record
   * (a stream may still find a loss after the last unit it settled, and what it lost may be
   * older than this record). When more than HOLD_UNITS items or HOLD_BYTES wait, the oldest is
   * let go now: its own stream gives up the numbers it misses before it, and what other streams
   * may still find comes after it. `all`: everything (end of input).
   */
  release(out: TraceEvent[], all = false): void {
    for (;;) {
      const settledUntil = this.settledUntil();
      let h = this.heldFirst;
      while (h && (all || h.forced || (h.placed && h.timeNs <= settledUntil))) {
        if (h.before) for (const ev of h.before) out.push(ev);
        for (const ev of h.events) out.push(ev);
        h.released = true;
        this.heldCount--;
        this.heldBytes -= h.bytes;
        // Nothing released stays reachable (entries are remembered a while after they settle).
        if (h.entry) h.entry.item = undefined;
        const next = h.next;
        h.next = undefined;
        h = this.heldFirst = next;
      }
      if (!h) {
        this.heldLast = undefined;
        return;
      }
      if (this.heldCount <= HOLD_UNITS && this.heldBytes <= HOLD_BYTES) return;
      this.force(h);
    }
  }

  /**
   * The time up to which every stream has settled: a gap a stream finds later begins at or
   * after the last unit it settled. A stream that has settled no timed unit yet holds all back.
   */
  private settledUntil(): number {
    let until = Infinity;
    for (const s of this.streams) {
      const t = s.lastTimeNs ?? -Infinity;
      if (t < until) until = t;
    }
    return until;
  }

  private hold(events: TraceEvent[], bytes: number, offset: number, index: number, timeNs: number | undefined, e: Entry | undefined): void {
    const item = new Held(events, bytes, offset, index, timeNs ?? -Infinity, this.positions++, !e || e.placed, e);
    if (e) e.item = item;
    this.append(item);
  }

  private append(item: Held): void {
    if (this.heldLast) this.heldLast.next = item;
    else this.heldFirst = item;
    this.heldLast = item;
    this.heldCount++;
    this.heldBytes += item.bytes;
  }

  /** An event goes in before a held unit's events, or (none) after everything read so far. */
  private insert(event: TraceEvent, before: Held | undefined): void {
    if (before && !before.released) (before.before ??= []).push(event);
    else this.emit(event);
  }

  /** Its stream has settled this unit: no gap of its stream can come before it any more. */
  private placed(e: Entry): void {
    e.placed = true;
    if (e.item) e.item.placed = true;
  }

  /**
   * Where a loss stream `s` found goes: before its first held unit numbered after the loss,
   * or before an earlier held unit of any stream whose record is later than `sinceNs`, the
   * time the loss began (it may have been captured after the loss).
   */
  private firstAfterLoss(s: Stream, sinceNs: number): Held | undefined {
    let first: Held | undefined;
    for (const e of s.pending.values()) if (e.item && !e.item.released && (!first || e.item.position < first.position)) first = e.item;
    for (let h = this.heldFirst; h && h !== first; h = h.next) if (h.timeNs > sinceNs) return h;
    return first;
  }

  /** Settles a held unit now, to bound what is held (its stream gives up what it misses before it). */
  private force(item: Held): void {
    const e = item.entry;
    if (e?.tentative && this.tentatives.includes(e)) this.resolve(e);
    const s = e?.stream;
    if (e && s && this.streams.includes(s)) {
      while (s.pending.get(e.seq) === e) {
        const next = s.next;
        this.forceSettle(s);
        if (s.next === next) break;
      }
    }
    item.forced = true;
  }

  /** A late unit leaves memory; if it is still incomplete, it was lost. */
  private forgetLate(e: Entry): void {
    this.late.delete(e.seq);
    if (e.state === 'open') this.report(e.seq, 1, 0, [this.drop(e)], this.lastTimeNs, undefined, e.offset, undefined);
  }

  private pendingAnywhere(seq: number): boolean {
    for (const s of this.streams) if (s.pending.has(seq)) return true;
    for (const t of this.tentatives) if (t.seq === seq) return true;
    return false;
  }

  private nearest(seq: number): { stream: Stream; kind: 'ahead' | 'behind' | 'jump' } | undefined {
    let best: { stream: Stream; kind: 'ahead' | 'behind' | 'jump' } | undefined;
    let bestRank = Infinity;
    for (const s of this.streams) {
      const d = ahead(s.next, seq);
      const b = ahead(seq, s.next);
      // Continuations first, then late units, then jumps; nearest within each.
      const rank = d < NEAR ? d : b <= BEHIND ? NEAR + b : d < REACH ? 2 * NEAR + d : Infinity;
      if (rank < bestRank) {
        bestRank = rank;
        best = { stream: s, kind: d < NEAR ? 'ahead' : b <= BEHIND ? 'behind' : 'jump' };
      }
    }
    return best;
  }

  /** A tentative unit was confirmed by a next number: the stream it continues or begins. */
  private promote(t: Entry): Stream {
    this.tentatives.splice(this.tentatives.indexOf(t), 1);
    const { jumpOf, collision } = t.tentative!;
    t.tentative = undefined;
    let stream: Stream;
    if (jumpOf && this.streams.includes(jumpOf)) {
      stream = jumpOf;
    } else {
      // A stream that used these numbers recently: its writer restarted and counts again.
      const own = this.completed.get(t.seq);
      for (const s of [...this.streams]) if (ahead(t.seq, s.next) <= BEHIND || (collision && ahead(s.next, t.seq) < NEAR)) this.retire(s, true);
      if (own !== undefined && t.state !== 'open') this.remember(t.seq, own);
      stream = { next: t.seq, pending: new Map(), lastActive: this.arrivals };
      this.streams.push(stream);
      // Its first unit may have arrived just before, with a damaged number.
      this.explainByDamagedNumber((t.seq - 1) >>> 0, t.arrival - MATCH_SPAN - 1, t.arrival);
      if (this.streams.length > MAX_STREAMS) {
        const idle = this.streams.reduce((a, b) => (b.lastActive < a.lastActive ? b : a));
        this.retire(idle);
      }
    }
    this.place(t, stream);
    return stream;
  }

  private place(e: Entry, s: Stream): void {
    e.stream = s;
    s.pending.set(e.seq, e);
    s.lastActive = this.arrivals;
    if (e.state !== 'open' || e.seq !== s.next) this.advance(s);
    while (s.pending.size > REORDER_WINDOW) this.forceSettle(s);
  }

  /** Settles the run of complete units at the frontier. */
  private advance(s: Stream): void {
    for (;;) {
      const e = s.pending.get(s.next);
      if (!e || e.state === 'open') return;
      this.settle(s, e);
    }
  }

  /** The unit at the frontier is accounted for: the frontier moves past it. */
  private settle(s: Stream, e: Entry): void {
    this.placed(e);
    s.pending.delete(e.seq);
    if (e.timeNs !== undefined) s.lastTimeNs = e.timeNs;
    s.lastArrival = e.arrival;
    s.next = (e.seq + 1) >>> 0;
  }

  /** The frontier waited long enough: what is missing or incomplete there was lost. */
  private forceSettle(s: Stream): void {
    let after: Entry | undefined;
    let afterD = Infinity;
    let lastOpenD = -1;
    for (const e of s.pending.values()) {
      const d = ahead(s.next, e.seq);
      if (e.state === 'open') lastOpenD = Math.max(lastOpenD, d);
      else if (d < afterD) {
        afterD = d;
        after = e;
      }
    }
    const length = after ? afterD : lastOpenD + 1;
    const first = this.firstAfterLoss(s, s.lastTimeNs ?? -Infinity);
    const opens = [...s.pending.values()]
      .filter((e) => e.state === 'open' && ahead(s.next, e.seq) < length)
      .sort((a, b) => ahead(s.next, a.seq) - ahead(s.next, b.seq));
    let missing = length - opens.length;
    // One unit missing or incomplete: perhaps (a line of) it arrived with a damaged number,
    // among the arrivals from its predecessor (or its own first line) to its successor.
    if (length === 1) {
      const seen = opens[0]?.arrival ?? after!.arrival;
      const from = s.lastArrival ?? seen - MATCH_SPAN - 1;
      const read = this.explainByDamagedNumber(s.next, from, after ? after.arrival : Math.max(from, seen) + MATCH_SPAN + 1);
      if (read && missing === 1) missing = 0;
    }
    const incomplete = opens.map((e) => {
      s.pending.delete(e.seq);
      return this.drop(e);
    });
    if (missing + incomplete.length > 0) {
      const endNs = after ? this.timeFrom(s, after) : undefined;
      const last = opens[opens.length - 1];
      this.report(s.next, length, missing, incomplete, s.lastTimeNs, endNs, after?.offset ?? last!.offset, first);
    }
    s.next = (s.next + length) >>> 0;
    if (!after) delete s.lastArrival;
    this.advance(s);
  }

  /** Time of `from` or of the first unit after it (in number order) that has one. */
  private timeFrom(s: Stream, from: Entry): number | undefined {
    if (from.timeNs !== undefined) return from.timeNs;
    let best: Entry | undefined;
    for (const e of s.pending.values()) if (e.timeNs !== undefined && ahead(from.seq, e.seq) < ahead(from.seq, best?.seq ?? from.seq - 1)) best = e;
    return best?.timeNs;
  }

  /**
   * A unit that arrived between the neighbours of missing unit `seq`, whose number is one hex
   * digit away from it and fits nowhere else, is that unit with a damaged number: reported as
   * damage. True when its record was read (the number is then not missing).
   */
  private explainByDamagedNumber(seq: number, previousArrival: number, nextArrival: number): boolean {
    if (nextArrival - previousArrival - 1 > 2 * MATCH_SPAN) return false;
    for (let a = Math.max(previousArrival + 1, 1); a < nextArrival; a++) {
      const c = this.recent[a % RECENT];
      if (!c || c.arrival !== a || !oneDigitApart(c.seq, seq) || !this.isStray(c)) continue;
      const fate = c.state === 'done' ? 'its record was read' : c.state === 'damaged' ? 'its unit was damaged as well' : 'its unit could not be reassembled';
      this.insert(
        this.host.damage(
          c.offset,
          `SCT1 line carries sequence number ${hex(c.seq)} where unit ${hex(seq)} was due (and ${hex(seq)} is missing there): the number looks damaged; ${fate}`,
        ),
        c.item,
      );
      this.discard(c);
      return c.state === 'done';
    }
    return false;
  }

  /** A unit no stream accounts for: unconfirmed, late, or alone far ahead of its stream. */
  private isStray(c: Entry): boolean {
    if (c.tentative) return this.tentatives.includes(c);
    if (c.late) return this.late.get(c.seq) === c;
    const stream = c.stream;
    if (!stream || stream.pending.get(c.seq) !== c) return false;
    if (this.twin(c)) return true;
    const known = (n: number) => this.completed.has(n) || stream.pending.has(n);
    return !known((c.seq - 1) >>> 0) && !known((c.seq + 1) >>> 0);
  }

  /** A later unit with the same number, held back because this one took the number first. */
  private twin(c: Entry): Entry | undefined {
    return this.tentatives.find((t) => t.seq === c.seq && t.tentative!.collision);
  }

  private discard(c: Entry): void {
    this.placed(c);
    if (c.tentative) this.tentatives.splice(this.tentatives.indexOf(c), 1);
    if (c.late) this.late.delete(c.seq);
    if (c.stream) {
      c.stream.pending.delete(c.seq);
      // The unit that really carries this number takes its place.
      const twin = this.twin(c);
      if (twin) {
        this.tentatives.splice(this.tentatives.indexOf(twin), 1);
        twin.tentative = undefined;
        twin.stream = c.stream;
        c.stream.pending.set(twin.seq, twin);
      }
    }
    if (c.state === 'open') this.drop(c);
  }

  /** Gives up an incomplete unit; what had arrived of it. */
  private drop(e: Entry): { seq: number; received: number; parts: number } {
    if (this.open.get(e.seq) === e) this.open.delete(e.seq);
    const got = this.host.dropIncomplete(e.seq);
    return { seq: e.seq, received: got?.received ?? 0, parts: got?.parts ?? 0 };
  }

  /** Settles everything a stream still holds and forgets it (end of input, or its writer restarted). */
  private retire(s: Stream, restarted = false): void {
    while (s.pending.size) {
      this.advance(s);
      if (s.pending.size) this.forceSettle(s);
    }
    // Its last unit may have arrived just after, with a damaged number.
    if (!restarted && s.lastArrival !== undefined) this.explainByDamagedNumber(s.next, s.lastArrival, s.lastArrival + MATCH_SPAN + 1);
    this.streams.splice(this.streams.indexOf(s), 1);
    if (!restarted) return;
    // Its numbers will be used again: forget the units that carried them.
    for (const seq of [...this.completed.keys()]) {
      if (ahead(seq, s.next) <= BEHIND + REORDER_WINDOW || ahead(s.next, seq) < NEAR) {
        this.completedFragments -= keyCount(this.completed.get(seq)!);
        this.completed.delete(seq);
      }
    }
    for (const e of [...this.late.values()]) if (ahead(e.seq, s.next) <= BEHIND + REORDER_WINDOW) this.forgetLate(e);
  }

  /** An unconfirmed unit is settled on its own: a lone unit, a lost one, or a damaged number. */
  private resolve(t: Entry): void {
    this.tentatives.splice(this.tentatives.indexOf(t), 1);
    if (t.state === 'open') {
      this.report(t.seq, 1, 0, [this.drop(t)], this.lastTimeNs, undefined, t.offset, undefined);
    } else if (t.state === 'done' && t.tentative!.collision) {
      this.insert(
        this.host.damage(
          t.offset,
          `SCT1 unit ${hex(t.seq)} carries the sequence number of a different unit that arrived before it (a damaged number, or a writer that restarted and counts again without a file header); its record was read`,
        ),
        t.item,
      );
    }
    this.placed(t);
  }

  private remember(seq: number, fragmentKeys: FragmentKeys): void {
    const old = this.completed.get(seq);
    if (old !== undefined) this.completedFragments -= keyCount(old);
    this.completed.set(seq, fragmentKeys);
    this.completedFragments += keyCount(fragmentKeys);
    while (this.rememberedCount === REMEMBERED || (this.rememberedCount && this.completedFragments > REMEMBERED_FRAGMENTS)) this.forgetOldest();
    const at = (this.rememberedHead + this.rememberedCount++) % REMEMBERED;
    this.rememberedSeq[at] = seq;
    this.rememberedKeys[at] = fragmentKeys;
  }

  private forgetOldest(): void {
    const at = this.rememberedHead;
    const seq = this.rememberedSeq[at]!;
    const keys = this.rememberedKeys[at]!;
    this.rememberedKeys[at] = undefined;
    this.rememberedHead = (at + 1) % REMEMBERED;
    this.rememberedCount--;
    // Unless the number was remembered again since (a later unit under it).
    if (this.completed.get(seq) === keys) {
      this.completed.delete(seq);
      this.completedFragments -= keyCount(keys);
    }
  }

  /** A loss becomes a capture gap, before `at` (the first unit read after it) or after all read so far. */
  private report(
    first: number,
    length: number,
    missing: number,
    incomplete: { seq: number; received: number; parts: number }[],
    beforeNs: number | undefined,
    afterNs: number | undefined,
    offset: number,
    at: Held | undefined,
  ): void {
    const lost = missing + incomplete.length;
    const range = length === 1 ? `SCT1 unit ${hex(first)}` : `SCT1 units ${hex(first)}..${hex((first + length - 1) >>> 0)}`;
    const named = incomplete
      .slice(0, NAMED_INCOMPLETE)
      .map((u) => `${length === 1 ? '' : `${hex(u.seq)} `}incomplete (${u.received} of ${u.parts} parts arrived)`);
    if (incomplete.length > NAMED_INCOMPLETE) named.push(`${incomplete.length - NAMED_INCOMPLETE} more incomplete`);
    let what: string;
    if (incomplete.length === 0) what = length === 1 ? 'missing' : `missing (${missing} units)`;
    else if (length === 1) what = named[0]!;
    else what = `lost (${lost} units: ${[...(missing ? [`${missing} missing`] : []), ...named].join(', ')})`;
    const when =
      beforeNs !== undefined && afterNs !== undefined
        ? ` between ${seconds(beforeNs)} and ${seconds(afterNs)}`
        : afterNs !== undefined
          ? ` before ${seconds(afterNs)}`
          : beforeNs !== undefined
            ? ` after ${seconds(beforeNs)}`
            : '';
    const timeNs = beforeNs ?? afterNs ?? this.lastTimeNs;
    this.insert(
      this.host.gap({ offset: at?.offset ?? offset, index: at?.index, timeNs, endNs: afterNs ?? timeNs, lost, detail: `${range} ${what}${when}` }),
      at,
    );
  }
}
