/**
 * Writes acknowledged into a volatile write cache with no flush after them before the trace
 * ends, a reset, or a power-down: the data is at risk across that power loss or reset (SBC-5
 * write caching). Memory: two fixed-size range sets per logical unit.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects, HbaEventKind, HbaEventPhase, type EventOrigin, type TaskSubmitted } from '../../model/events.js';
import { bytesText, completedGood, flushEventsRecorded } from '../helpers.js';
import { defineRule, type SubmittedTask } from '../rule.js';
import { CommandKind, isWriteKind, type LunInfo } from '../state.js';

/** Ranges kept per logical unit; beyond this, further writes only add to the totals. */
const MAX_RANGES = 32;

/**
 * [first LBA, end LBA) ranges of acknowledged writes in a fixed typed array, kept sorted by
 * start with no two touching: a write is placed by binary search and merged with the ranges it
 * touches, so each costs O(log MAX_RANGES) steps plus a shift of at most MAX_RANGES entries, with
 * no allocation and no compaction pass. Past MAX_RANGES disjoint ranges, writes only count.
 */
export class RangeSet {
  private readonly r = new Float64Array(MAX_RANGES * 2);
  count = 0;
  /** Writes not recorded as ranges because the set was full of disjoint ranges. */
  unrecorded = 0;
  /** Compaction passes done: none, the set is kept merged as it changes (for tests that count work). */
  readonly compactions = 0;
  /** Search and merge steps done (for tests that count work). */
  steps = 0;

  add(start: number, end: number): void {
    const r = this.r;
    const n = this.count;
    // First range whose end reaches start (ends are sorted too: ranges are disjoint).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      this.steps++;
      const mid = (lo + hi) >> 1;
      if (r[2 * mid + 1]! < start) lo = mid + 1;
      else hi = mid;
    }
    // Ranges lo..j-1 touch [start, end): merge them into one.
    let j = lo;
    while (j < n && r[2 * j]! <= end) {
      this.steps++;
      j++;
    }
    if (j > lo) {
      if (r[2 * lo]! > start) r[2 * lo] = start;
      r[2 * lo + 1] = Math.max(end, r[2 * j - 1]!);
      const gone = j - lo - 1;
      if (gone > 0) {
        r.copyWithin(2 * (lo + 1), 2 * j, 2 * n);
        this.count = n - gone;
      }
      return;
    }
    if (n === MAX_RANGES) {
      this.unrecorded++;
      return;
    }
    r.copyWithin(2 * (lo + 1), 2 * lo, 2 * n);
    r[2 * lo] = start;
    r[2 * lo + 1] = end;
    this.count = n + 1;
  }

  /** Drops the ranges wholly inside [start, end). */
  removeWithin(start: number, end: number): void {
    const r = this.r;
    let out = 0;
    for (let i = 0; i < this.count; i++) {
      if (r[2 * i]! >= start && r[2 * i + 1]! <= end) continue;
      r[2 * out] = r[2 * i]!;
      r[2 * out + 1] = r[2 * i + 1]!;
      out++;
    }
    this.count = out;
  }

  list(): Array<[number, number]> {
    return Array.from({ length: this.count }, (_, i) => [this.r[2 * i]!, this.r[2 * i + 1]!] as [number, number]);
  }
}

/** Acknowledged writes since a flush. */
interface PendingSet {
  writes: number;
  bytes: number;
  ranges: RangeSet;
  first: TaskSubmitted;
}

/**
 * Per logical unit, two views of the same writes: since the host's last GOOD SYNCHRONIZE CACHE,
 * and since the controller last completed a cache flush (HBA events). Which one is reported is
 * decided by the evidence: with HBA events in the trace, the controller's; without, the host's.
 */
interface Pending {
  host?: PendingSet;
  verified?: PendingSet;
}

export default defineRule({
  meta: {
    id: 'unflushed-writes',
    category: 'cache',
    severity: 'warning',
    description: 'Writes acknowledged into a volatile write cache with no flush before the end, a reset or a power-down',
    messages: {
      atEnd:
        '{writes} writes ({bytes}) acknowledged on LUN {lun} with the write cache {cache} and no {flush} before the end of the trace; LBAs at risk: {ranges}{gap}',
      atReset:
        '{writes} writes ({bytes}) acknowledged on LUN {lun} with the write cache {cache} were not flushed before a {event} (no {flush} after them); LBAs at risk: {ranges}{gap}',
    },
  },
  create({ state, report }) {
    const pending = new Map<LunInfo, Pending>();
    let syncCacheSeen = false;

    const cacheState = (info: LunInfo): string | undefined => {
      if (info.writeCacheVolatile === false) return undefined;
      const volatility = info.writeCacheVolatile === true ? `, volatile (${info.writeCacheVolatileSource})` : ', volatility unknown';
      if (info.writeCache === true) return `on (${info.writeCacheSource})${volatility}`;
      if (info.writeCache === false) return undefined;
      // macOS and Linux send SYNCHRONIZE CACHE only with WCE set, so one in the trace implies the cache is on.
      return syncCacheSeen ? `assumed on (the host sent SYNCHRONIZE CACHE)${volatility}` : undefined;
    };

    /** Clears the writes a flush covers from one view (SBC-5: 0 blocks = to the end). */
    const clear = (p: Pending, view: 'host' | 'verified', lba: number, blocks: number): void => {
      const set = p[view];
      if (!set) return;
      if (blocks === 0 && lba === 0) {
        p[view] = undefined;
        return;
      }
      set.ranges.removeWithin(lba, blocks === 0 ? Infinity : lba + blocks);
      if (!set.ranges.count && !set.ranges.unrecorded) p[view] = undefined;
    };

    const flushOne = (info: LunInfo, set: PendingSet, view: 'host' | 'verified', messageId: 'atEnd' | 'atReset', at: EventOrigin, event?: string): void => {
      const cache = cacheState(info);
      if (cache === undefined) return;
      const list = set.ranges.list();
      const shown = list.slice(0, 4).map(([a, b]) => (b - a === 1 ? `${a}` : `${a}-${b - 1}`));
      const more = list.length - shown.length + set.ranges.unrecorded;
      const ranges = shown.join(', ') + (more > 0 ? ` (+${more} more)` : '');
      // A capture gap since the first of these writes may hold the flush that covered them.
      const gap = state.gaps.lostSince(set.first.timeNs, GapAffects.All, info.targetId);
      const volatile = info.writeCacheVolatile === true;
      const severity = gap ? 'info' : messageId === 'atReset' ? (volatile ? 'error' : 'warning') : volatile ? 'warning' : 'info';
      report({
        messageId,
        severity,
        data: {
          writes: set.writes,
          bytes: bytesText(set.bytes),
          lun: `${info.targetId}:${info.lun}`,
          cache,
          ranges,
          event: event ?? '',
          flush: view === 'host' ? 'GOOD SYNCHRONIZE CACHE' : 'completed controller cache flush',
          gap: gap ? `; a ${gapText(gap)} may hold the flush that covered them` : '',
        },
        at,
        task: set.first,
        evidence: {
          writes: set.writes,
          bytes: set.bytes,
          firstLba: list[0]?.[0] ?? -1,
          rangeCount: list.length,
          writeCache: cache,
          evidence: view === 'host' ? 'host-commands' : 'hba-events',
          ...(gap ? { captureGapNs: gap.timeNs } : {}),
        },
      });
    };

    /**
     * A reset or power-down: the controller's view is the evidence when the trace records its
     * flushes (the reset is itself an HBA event of the driver's); a capture of the wire, whose
     * resets are task management, has only the host's.
     */
    const lose = (at: EventOrigin, event: string, match: (i: LunInfo) => boolean): void => {
      const view = flushEventsRecorded(state) ? 'verified' : 'host';
      for (const [info, p] of pending) {
        if (!match(info)) continue;
        const set = p[view];
        if (set) flushOne(info, set, view, 'atReset', at, event);
        pending.delete(info);
      }
    };

    const add = (p: Pending, view: 'host' | 'verified', s: SubmittedTask, lba: number, blocks: number): void => {
      const set = (p[view] ??= { writes: 0, bytes: 0, ranges: new RangeSet(), first: s.snapshot() });
      set.writes++;
      set.bytes += s.requestedBytes;
      if (lba >= 0 && blocks > 0) set.ranges.add(lba, lba + blocks);
    };

    return {
      submit(_s, f) {
        if (f.kind === CommandKind.SyncCache) syncCacheSeen = true;
      },
      hba(e) {
        switch (e.hbaKind) {
          case HbaEventKind.ControllerCacheFlush:
            // A completed controller flush writes the whole controller cache (e.g. MegaRAID's
            // MR_DCMD_CTRL_CACHE_FLUSH takes no range), whichever task it was issued for.
            if (e.status !== 0 || e.phase === HbaEventPhase.Issued) return;
            for (const [info, p] of pending) {
              p.verified = undefined;
              if (!p.host) pending.delete(info);
            }
            return;
          case HbaEventKind.BusReset:
            lose(e, 'bus reset', () => true);
            return;
          case HbaEventKind.TargetReset:
            lose(e, `target reset (target ${e.arg0})`, (i) => i.targetId === e.arg0);
            return;
          case HbaEventKind.LogicalUnitReset:
            lose(e, `logical unit reset (${e.arg0}:${e.arg1})`, (i) => i.targetId === e.arg0 && BigInt(i.lun) === e.arg1);
            return;
          case HbaEventKind.PowerStateChange:
            if (e.arg1 === 0n && e.phase !== HbaEventPhase.Issued) lose(e, `power-down (state ${e.arg0} → 0)`, () => true);
            return;
        }
      },
      complete(t, f) {
        const c = t.complete;
        if (f.kind === CommandKind.SyncCache) {
          if (!completedGood(c)) return;
          const p = pending.get(f.lunInfo);
          if (!p) return;
          clear(p, 'host', f.lba, f.rangeBlocks);
          if (!p.host && !p.verified) pending.delete(f.lunInfo);
          return;
        }
        if (!isWriteKind(f.kind) || f.durable || !completedGood(c)) return;
        const info = f.lunInfo;
        if (info.writeCache === false || info.writeCacheVolatile === false) return;
        let p = pending.get(info);
        if (!p) pending.set(info, (p = {}));
        add(p, 'host', t.submit, f.lba, f.rangeBlocks);
        add(p, 'verified', t.submit, f.lba, f.rangeBlocks);
      },
      end() {
        const view = flushEventsRecorded(state) ? 'verified' : 'host';
        for (const [info, p] of pending) {
          const set = p[view];
          if (set) flushOne(info, set, view, 'atEnd', set.first);
        }
        pending.clear();
      },
    };
  },
});
