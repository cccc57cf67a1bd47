/**
 * SYNCHRONIZE CACHE answered GOOD although the controller never flushed its cache.
 * SBC-5 5.29/5.30: GOOD means the blocks are on non-volatile media.
 */
import { HbaEventKind } from '../../model/events.js';
import { completedGood, durationText } from '../helpers.js';
import { defineRule } from '../rule.js';
import { CommandKind, isWriteKind } from '../state.js';

export default defineRule({
  meta: {
    id: 'sync-cache-without-flush',
    category: 'cache',
    severity: 'error',
    description: 'SYNCHRONIZE CACHE completed GOOD but the controller never flushed its cache',
    messages: {
      noFlushEvent: 'SYNCHRONIZE CACHE completed GOOD after {latency} with no controller cache flush linked to it; {writes} acknowledged writes may still be in volatile cache',
      flushFailed: 'SYNCHRONIZE CACHE completed GOOD although the controller cache flush linked to it failed with status {status}',
      tooFast: 'SYNCHRONIZE CACHE completed GOOD in {latency} after {writes} acknowledged writes{bytes}: too fast to have flushed (threshold {threshold}); the trace has no HBA events, so timing is the only evidence',
    },
  },
  create({ state, report }) {
    /** Sync-cache tasks in flight → flush outcome seen for them (undefined = none yet). */
    const pending = new Map<bigint, { flushed: boolean; failedStatus?: number }>();
    let writesSinceFlush = 0;
    let bytesSinceFlush = 0;
    return {
      submit(s, f) {
        if (f.kind === CommandKind.SyncCache) pending.set(s.taskId, { flushed: false });
      },
      hba(e) {
        if (e.hbaKind !== HbaEventKind.ControllerCacheFlush) return;
        if (e.taskId !== undefined) {
          const p = pending.get(e.taskId);
          if (!p) return;
          if (e.status !== 0) p.failedStatus = e.status;
          else p.flushed = true;
        } else if (e.status === 0) {
          // A flush not linked to any task counts for every SYNCHRONIZE CACHE in flight at the time.
          for (const p of pending.values()) p.flushed = true;
        }
      },
      complete(t, f) {
        const c = t.complete;
        if (isWriteKind(f.kind)) {
          if (completedGood(c) && !f.durable) {
            writesSinceFlush++;
            bytesSinceFlush += t.submit.requestedBytes;
          }
          return;
        }
        if (f.kind !== CommandKind.SyncCache) return;
        const p = pending.get(c.taskId);
        pending.delete(c.taskId);
        if (!completedGood(c)) return;
        const writes = writesSinceFlush;
        const bytes = bytesSinceFlush;
        writesSinceFlush = 0;
        bytesSinceFlush = 0;
        const evidenceBase = { latencyNs: t.latencyNs, writesSincePreviousFlush: writes, bytesSincePreviousFlush: bytes };
        if (p?.failedStatus !== undefined) {
          report({ messageId: 'flushFailed', data: { status: `0x${p.failedStatus.toString(16)}` }, at: c, task: t.submit, evidence: { ...evidenceBase, evidence: 'hba-events', flushStatus: p.failedStatus } });
        } else if (state.hbaEventsSeen) {
          if (!p?.flushed) report({ messageId: 'noFlushEvent', data: { latency: durationText(t.latencyNs), writes }, at: c, task: t.submit, evidence: { ...evidenceBase, evidence: 'hba-events' } });
        } else if (writes > 0 && !f.immediate) {
          const thresholdNs = state.limits.syncCacheFastThresholdUs * 1000;
          if (t.latencyNs < thresholdNs) {
            report({
              messageId: 'tooFast',
              severity: 'warning',
              data: { latency: durationText(t.latencyNs), writes, bytes: bytes > 0 ? ` (${bytes} bytes)` : '', threshold: durationText(thresholdNs) },
              at: c,
              task: t.submit,
              evidence: { ...evidenceBase, evidence: 'timing', thresholdNs },
            });
          }
        }
      },
      end() {
        pending.clear();
      },
    };
  },
});
