/**
 * Writes acknowledged into a volatile write cache with no successful flush after them before
 * the trace ends, a reset, or a power-down: the data is at risk (SBC-5 4.15 write caching).
 */
import { HbaEventKind, type EventOrigin, type TaskSubmitted } from '../../model/events.js';
import { bytesText, completedGood } from '../helpers.js';
import { defineRule } from '../rule.js';
import { CommandKind, isWriteKind, type LunInfo } from '../state.js';

/** Ranges kept per logical unit; beyond this, further writes only add to the totals. */
const MAX_RANGES = 32;

/**
 * [first LBA, end LBA) ranges of acknowledged writes in a fixed typed array: merged when they
 * touch, no allocation per write. Past MAX_RANGES disjoint ranges, writes only count.
 */
class RangeSet {
  private readonly r = new Float64Array(MAX_RANGES * 2);
  count = 0;
  /** Writes not recorded as ranges because the set was full of disjoint ranges. */
  unrecorded = 0;

  add(start: number, end: number): void {
    const r = this.r;
    // Sequential writes extend the last range; others may touch any.
    for (let i = this.count - 1; i >= 0; i--) {
      if (start <= r[2 * i + 1]! && end >= r[2 * i]!) {
        if (start < r[2 * i]!) r[2 * i] = start;
        if (end > r[2 * i + 1]!) r[2 * i + 1] = end;
        return;
      }
    }
    // Full: merge what touches (nearly sorted already, so the insertion sort is a single pass).
    if (this.count === MAX_RANGES) this.compact();
    if (this.count < MAX_RANGES) {
      r[2 * this.count] = start;
      r[2 * this.count + 1] = end;
      this.count++;
    } else {
      this.unrecorded++;
    }
  }

  /** Sorts by start (insertion sort: at most 32 ranges) and merges ranges that touch. */
  compact(): void {
    const r = this.r;
    for (let i = 1; i < this.count; i++) {
      const a = r[2 * i]!;
      const b = r[2 * i + 1]!;
      let j = i - 1;
      while (j >= 0 && r[2 * j]! > a) {
        r[2 * j + 2] = r[2 * j]!;
        r[2 * j + 3] = r[2 * j + 1]!;
        j--;
      }
      r[2 * j + 2] = a;
      r[2 * j + 3] = b;
    }
    let out = 0;
    for (let i = 0; i < this.count; i++) {
      if (out > 0 && r[2 * i]! <= r[2 * out - 1]!) {
        if (r[2 * i + 1]! > r[2 * out - 1]!) r[2 * out - 1] = r[2 * i + 1]!;
      } else {
        r[2 * out] = r[2 * i]!;
        r[2 * out + 1] = r[2 * i + 1]!;
        out++;
      }
    }
    this.count = out;
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
    this.compact();
    return Array.from({ length: this.count }, (_, i) => [this.r[2 * i]!, this.r[2 * i + 1]!] as [number, number]);
  }
}

interface Pending {
  writes: number;
  bytes: number;
  ranges: RangeSet;
  first: TaskSubmitted;
}

export default defineRule({
  meta: {
    id: 'unflushed-writes',
    category: 'cache',
    severity: 'warning',
    description: 'Writes acknowledged into a volatile write cache with no successful flush before the end, a reset or a power-down',
    messages: {
      atEnd: '{writes} writes ({bytes}) acknowledged on LUN {lun} with the write cache {cache} and no successful flush before the end of the trace; LBAs at risk: {ranges}',
      atReset: '{writes} writes ({bytes}) acknowledged on LUN {lun} with the write cache {cache} were not flushed before a {event}; LBAs at risk: {ranges}',
    },
  },
  create({ state, report }) {
    const pending = new Map<LunInfo, Pending>();
    /** Sync-cache tasks in flight, and whether a successful controller flush was seen for each. */
    const syncInFlight = new Map<bigint, boolean>();
    let syncCacheSeen = false;

    const cacheState = (info: LunInfo): string | undefined => {
      if (info.writeCache === true) return `on (${info.writeCacheSource})`;
      if (info.writeCache === false) return undefined;
      // Hosts send SYNCHRONIZE CACHE only when MODE SENSE reported WCE=1, so one in the trace implies the cache is on.
      return syncCacheSeen ? 'assumed on (the host sent SYNCHRONIZE CACHE)' : undefined;
    };

    const flush = (info: LunInfo | undefined, lba = 0, blocks = 0): void => {
      const targets = info ? [info] : [...pending.keys()];
      for (const i of targets) {
        const p = pending.get(i);
        if (!p) continue;
        if (blocks === 0 && lba === 0) {
          pending.delete(i);
          continue;
        }
        // A ranged flush clears the ranges wholly inside it (SBC-5: 0 blocks = to the end).
        p.ranges.removeWithin(lba, blocks === 0 ? Infinity : lba + blocks);
        if (!p.ranges.count && !p.ranges.unrecorded) pending.delete(i);
      }
    };

    const flushOne = (info: LunInfo, p: Pending, messageId: 'atEnd' | 'atReset', at: EventOrigin, event?: string): void => {
      const cache = cacheState(info);
      if (cache === undefined) return;
      const list = p.ranges.list();
      const shown = list.slice(0, 4).map(([a, b]) => (b - a === 1 ? `${a}` : `${a}-${b - 1}`));
      const more = list.length - shown.length + p.ranges.unrecorded;
      const ranges = shown.join(', ') + (more > 0 ? ` (+${more} more)` : '');
      report({
        messageId,
        severity: messageId === 'atReset' ? 'error' : 'warning',
        data: { writes: p.writes, bytes: bytesText(p.bytes), lun: `${info.targetId}:${info.lun}`, cache, ranges, event: event ?? '' },
        at,
        task: p.first,
        evidence: { writes: p.writes, bytes: p.bytes, firstLba: list[0]?.[0] ?? -1, rangeCount: list.length, writeCache: cache },
      });
    };

    const lose = (at: EventOrigin, event: string, match: (i: LunInfo) => boolean): void => {
      for (const [info, p] of pending) {
        if (!match(info)) continue;
        flushOne(info, p, 'atReset', at, event);
        pending.delete(info);
      }
    };

    return {
      submit(s, f) {
        if (f.kind === CommandKind.SyncCache) {
          syncCacheSeen = true;
          syncInFlight.set(s.taskId, false);
        }
      },
      hba(e) {
        switch (e.hbaKind) {
          case HbaEventKind.ControllerCacheFlush:
            if (e.status !== 0) return;
            if (e.taskId !== undefined) {
              if (syncInFlight.has(e.taskId)) syncInFlight.set(e.taskId, true);
            } else {
              for (const id of syncInFlight.keys()) syncInFlight.set(id, true);
              if (e.phase !== 1) flush(undefined);
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
            if (e.arg1 === 0n && e.phase !== 1) lose(e, `power-down (state ${e.arg0} → 0)`, () => true);
            return;
        }
      },
      complete(t, f) {
        const c = t.complete;
        if (f.kind === CommandKind.SyncCache) {
          const linked = syncInFlight.get(c.taskId);
          syncInFlight.delete(c.taskId);
          // With HBA events recorded, GOOD counts only if the controller really flushed.
          if (completedGood(c) && (!state.hbaEventsSeen || linked)) flush(f.lunInfo, f.lba, f.rangeBlocks);
          return;
        }
        if (!isWriteKind(f.kind) || f.durable || !completedGood(c)) return;
        const info = f.lunInfo;
        if (info.writeCache === false) return;
        let p = pending.get(info);
        if (!p) {
          p = { writes: 0, bytes: 0, ranges: new RangeSet(), first: t.submit };
          pending.set(info, p);
        }
        p.writes++;
        p.bytes += t.submit.requestedBytes;
        if (f.lba < 0 || f.rangeBlocks <= 0) return;
        p.ranges.add(f.lba, f.lba + f.rangeBlocks);
      },
      end() {
        for (const [info, p] of pending) flushOne(info, p, 'atEnd', p.first);
        pending.clear();
      },
    };
  },
});
