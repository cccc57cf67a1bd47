/**
 * What the unit sequence numbers of SCT1 lines say about the log that carried them: which
 * units it lost (capture gaps), which lines it delivered twice (ignored), which numbers were
 * damaged on the way. docs/FORMAT.md, "Carrying records in a text log" → "Reading", states the
 * rules implemented here; the constants below are the numbers it names.
 *
 * A *stream* is the run of numbers one writer's counter produces (one counter under a lock, or
 * one per queue). Units of a stream settle in number order behind a frontier; a number still
 * missing once REORDER_WINDOW later units of its stream have arrived was lost.
 */

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

  constructor(
    readonly seq: number,
    /** Order of first arrival among all units. */
    readonly arrival: number,
    /** Byte offset of the unit's first line. */
    readonly offset: number,
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
  /** The line where the loss became evident (the first unit after it, else the last one before). */
  offset: number;
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
  gap(report: GapReport): void;
  /** A damaged sequence number (damage: the input is not what the writer wrote). */
  damage(offset: number, message: string): void;
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
  const fraction = String(ns % 1e9).padStart(9, '0').replace(/0+$/, '');
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
  private readonly rememberedKeys: (FragmentKeys | undefined)[] = new Array(REMEMBERED);
  private rememberedHead = 0;
  private rememberedCount = 0;
  private readonly recent: (Entry | undefined)[] = new Array(RECENT);
  private arrivals = 0;
  private lastTimeNs = 0;

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

  /** A unit is complete: decoded (with the time of its record, if it has one) or found damaged. */
  complete(seq: number, fragmentKeys: FragmentKeys, timeNs: number | undefined, damaged: boolean): void {
    this.remember(seq, fragmentKeys);
    if (timeNs !== undefined) this.lastTimeNs = timeNs;
    const e = this.open.get(seq);
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

  /** A late unit leaves memory; if it is still incomplete, it was lost. */
  private forgetLate(e: Entry): void {
    this.late.delete(e.seq);
    if (e.state === 'open') this.report(e.seq, 1, 0, [this.drop(e)], this.lastTimeNs, undefined, e.offset);
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
    const opens = [...s.pending.values()].filter((e) => e.state === 'open' && ahead(s.next, e.seq) < length).sort((a, b) => ahead(s.next, a.seq) - ahead(s.next, b.seq));
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
      this.report(s.next, length, missing, incomplete, s.lastTimeNs, endNs, after?.offset ?? last!.offset);
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
      this.host.damage(c.offset, `SCT1 line carries sequence number ${hex(c.seq)} where unit ${hex(seq)} was due (and ${hex(seq)} is missing there): the number looks damaged; ${fate}`);
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
      this.report(t.seq, 1, 0, [this.drop(t)], this.lastTimeNs, undefined, t.offset);
    } else if (t.state === 'done' && t.tentative!.collision) {
      this.host.damage(t.offset, `SCT1 unit ${hex(t.seq)} carries the sequence number of a different unit that arrived before it (a damaged number, or a writer that restarted and counts again without a file header); its record was read`);
    }
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

  private report(first: number, length: number, missing: number, incomplete: { seq: number; received: number; parts: number }[], beforeNs: number | undefined, afterNs: number | undefined, offset: number): void {
    const lost = missing + incomplete.length;
    const range = length === 1 ? `SCT1 unit ${hex(first)}` : `SCT1 units ${hex(first)}..${hex((first + length - 1) >>> 0)}`;
    const named = incomplete.slice(0, NAMED_INCOMPLETE).map((u) => `${length === 1 ? '' : `${hex(u.seq)} `}incomplete (${u.received} of ${u.parts} parts arrived)`);
    if (incomplete.length > NAMED_INCOMPLETE) named.push(`${incomplete.length - NAMED_INCOMPLETE} more incomplete`);
    let what: string;
    if (incomplete.length === 0) what = length === 1 ? 'missing' : `missing (${missing} units)`;
    else if (length === 1) what = named[0]!;
    else what = `lost (${lost} units: ${[...(missing ? [`${missing} missing`] : []), ...named].join(', ')})`;
    const when = beforeNs !== undefined && afterNs !== undefined ? ` between ${seconds(beforeNs)} and ${seconds(afterNs)}` : afterNs !== undefined ? ` before ${seconds(afterNs)}` : beforeNs !== undefined ? ` after ${seconds(beforeNs)}` : '';
    const timeNs = beforeNs ?? afterNs ?? this.lastTimeNs;
    this.host.gap({ offset, timeNs, endNs: afterNs ?? timeNs, lost, detail: `${range} ${what}${when}` });
  }
}
