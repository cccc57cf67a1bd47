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

interface Pending {
  writes: number;
  bytes: number;
  /** [first LBA, end LBA) of acknowledged writes, merged when contiguous. */
  ranges: Array<[number, number]>;
  unrecordedWrites: number;
  first: TaskSubmitted;
}

/** Sorts the ranges and merges the ones that touch. */
function compact(p: Pending): void {
  const sorted = p.ranges.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]![0] <= sorted[i - 1]![1]) {
      sorted[i - 1]![1] = Math.max(sorted[i - 1]![1], sorted[i]![1]);
      sorted.splice(i--, 1);
    }
  }
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
        const end = blocks === 0 ? Infinity : lba + blocks;
        p.ranges = p.ranges.filter(([a, b]) => !(a >= lba && b <= end));
        if (!p.ranges.length && !p.unrecordedWrites) pending.delete(i);
      }
    };

    const flushOne = (info: LunInfo, p: Pending, messageId: 'atEnd' | 'atReset', at: EventOrigin, event?: string): void => {
      const cache = cacheState(info);
      if (cache === undefined) return;
      compact(p);
      const shown = p.ranges.slice(0, 4).map(([a, b]) => (b - a === 1 ? `${a}` : `${a}-${b - 1}`));
      const more = p.ranges.length - shown.length + p.unrecordedWrites;
      const ranges = shown.join(', ') + (more > 0 ? ` (+${more} more)` : '');
      report({
        messageId,
        severity: messageId === 'atReset' ? 'error' : 'warning',
        data: { writes: p.writes, bytes: bytesText(p.bytes), lun: `${info.targetId}:${info.lun}`, cache, ranges, event: event ?? '' },
        at,
        task: p.first,
        evidence: { writes: p.writes, bytes: p.bytes, firstLba: p.ranges[0]?.[0] ?? -1, rangeCount: p.ranges.length, writeCache: cache },
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
          p = { writes: 0, bytes: 0, ranges: [], unrecordedWrites: 0, first: t.submit };
          pending.set(info, p);
        }
        p.writes++;
        p.bytes += t.submit.requestedBytes;
        if (f.lba < 0 || f.rangeBlocks <= 0) return;
        const start = f.lba;
        const end = f.lba + f.rangeBlocks;
        // Writes complete out of order: merge with any range this one touches.
        const near = p.ranges.find(([a, b]) => start <= b && end >= a);
        if (near) {
          near[0] = Math.min(near[0], start);
          near[1] = Math.max(near[1], end);
        } else {
          if (p.ranges.length >= MAX_RANGES) compact(p);
          if (p.ranges.length < MAX_RANGES) p.ranges.push([start, end]);
          else p.unrecordedWrites++;
        }
      },
      end() {
        for (const [info, p] of pending) flushOne(info, p, 'atEnd', p.first);
        pending.clear();
      },
    };
  },
});
