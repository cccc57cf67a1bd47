/**
 * SYNCHRONIZE CACHE answered GOOD although the controller did not (or not yet) flush its cache.
 * SBC-5 SYNCHRONIZE CACHE: GOOD means the blocks are in non-volatile cache or on the medium, so
 * whether the write cache is volatile decides whether GOOD without a flush is wrong at all.
 *
 * The evidence (HBA events, or timing when the trace has none) is decided at the end of the
 * trace, not by whether an HBA event happened to come first: findings without a flush event are
 * held (at most MAX_HELD; past that they are judged on the evidence seen so far).
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects, HbaEventKind, HbaEventPhase, type TaskCompleted, type TaskSubmitted } from '../../model/events.js';
import { completedGood, durationText, flushEventsRecorded } from '../helpers.js';
import { defineRule, type Severity } from '../rule.js';
import { CommandKind, isWriteKind, type LunInfo } from '../state.js';

/** SYNCHRONIZE CACHE answers without a flush event held until the evidence is known. */
const MAX_HELD = 65536;
/** Answered SYNCHRONIZE CACHEs still waiting for a controller flush to complete. */
const MAX_AWAITING = 4096;

/** What the HBA events say of the controller flush for one SYNCHRONIZE CACHE. */
interface Flush {
  submit: TaskSubmitted;
  /** An issued flush event was seen. */
  issued: boolean;
  /** Time of the first successful completed (or instant) flush event. */
  completedNs?: number;
  failedStatus?: number;
}

/** A GOOD answer and what was known when it came. */
interface Answer {
  flush: Flush;
  complete: TaskCompleted;
  latencyNs: number;
  writes: number;
  bytes: number;
  immediate: boolean;
  lun: LunInfo;
}

export default defineRule({
  meta: {
    id: 'sync-cache-without-flush',
    category: 'cache',
    severity: 'error',
    description: 'SYNCHRONIZE CACHE completed GOOD before the controller flushed a volatile write cache (or with no flush at all)',
    messages: {
      noFlushEvent:
        'SYNCHRONIZE CACHE completed GOOD after {latency} with no controller cache flush linked to it; {writes} acknowledged writes may still be only in the {cache}',
      flushFailed: 'SYNCHRONIZE CACHE completed GOOD although the controller cache flush linked to it failed with status {status} ({cache})',
      flushNotCompleted:
        'SYNCHRONIZE CACHE completed GOOD after {latency} while the controller cache flush issued for it had not completed, and it never did in the trace: GOOD says the data is already safe ({cache})',
      flushCompletedLate:
        'SYNCHRONIZE CACHE completed GOOD {lag} before the controller cache flush issued for it completed: GOOD says the data is already safe ({cache})',
      tooFast:
        'SYNCHRONIZE CACHE completed GOOD in {latency} after {writes} acknowledged writes{bytes}: too fast to have flushed a volatile cache (threshold {threshold}); the trace does not record controller cache flushes, so timing is the only evidence ({cache})',
      flushNotCaptured:
        'SYNCHRONIZE CACHE completed GOOD with no controller cache flush seen for it, but a {gap} since it was submitted may hold the flush event',
    },
  },
  create({ state, report }) {
    /** SYNCHRONIZE CACHE tasks in flight by task id. */
    const inFlight = new Map<bigint, Flush>();
    /** Answered GOOD with a flush issued but not completed (or IMMED with none yet), by task id. */
    const awaiting = new Map<bigint, Answer>();
    /** Answered GOOD with no flush event: judged at the end, once the evidence is known. */
    const held: Answer[] = [];
    let writesSinceFlush = 0;
    let bytesSinceFlush = 0;

    /** "volatile write cache (note)", or what is unknown, and the severity that follows. */
    const cacheWords = (lun: LunInfo): { words: string; severity: Severity } =>
      lun.writeCacheVolatile === true
        ? { words: `volatile write cache (${lun.writeCacheVolatileSource})`, severity: 'error' }
        : {
            words: 'write cache, which may be volatile (unknown: a battery- or flash-backed cache may rightly answer GOOD at once; set writeCacheVolatile)',
            severity: 'warning',
          };

    const evidenceOf = (a: Answer, kind: string): Record<string, string | number | boolean> => ({
      latencyNs: a.latencyNs,
      writesSincePreviousFlush: a.writes,
      bytesSincePreviousFlush: a.bytes,
      evidence: kind,
      writeCacheVolatile: a.lun.writeCacheVolatile === undefined ? 'unknown' : a.lun.writeCacheVolatile,
    });

    /** A GOOD answer with no flush event: the HBA events say none came, or timing is the evidence. */
    const judgeHeld = (a: Answer, hbaEventsRecorded: boolean): void => {
      const cache = cacheWords(a.lun);
      const c = a.complete;
      if (hbaEventsRecorded) {
        // The flush event travels like any record: a gap since the submission may hold it.
        const gap = state.gaps.lostSince(a.flush.submit.timeNs, GapAffects.All);
        if (gap) {
          report({
            messageId: 'flushNotCaptured',
            severity: 'info',
            data: { gap: gapText(gap) },
            at: c,
            task: a.flush.submit,
            evidence: { ...evidenceOf(a, 'hba-events'), captureGapNs: gap.timeNs },
          });
          return;
        }
        report({
          messageId: 'noFlushEvent',
          severity: cache.severity,
          data: { latency: durationText(a.latencyNs), writes: a.writes, cache: cache.words },
          at: c,
          task: a.flush.submit,
          evidence: evidenceOf(a, 'hba-events'),
        });
        return;
      }
      if (a.writes === 0 || a.immediate) return;
      const thresholdNs = state.limits.syncCacheFastThresholdUs * 1000;
      if (a.latencyNs >= thresholdNs) return;
      report({
        messageId: 'tooFast',
        severity: 'warning',
        data: {
          latency: durationText(a.latencyNs),
          writes: a.writes,
          bytes: a.bytes > 0 ? ` (${a.bytes} bytes)` : '',
          threshold: durationText(thresholdNs),
          cache: cache.words,
        },
        at: c,
        task: a.flush.submit,
        evidence: { ...evidenceOf(a, 'timing'), thresholdNs },
      });
    };

    const hold = (a: Answer): void => {
      // Past the cap, judge what is held on the evidence so far (memory stays bounded).
      if (held.length >= MAX_HELD) for (const h of held.splice(0)) judgeHeld(h, flushEventsRecorded(state));
      held.push(a);
    };

    /** A flush completed for an answered task: late unless IMMED let the device answer first. */
    const flushCompletedFor = (taskId: bigint, timeNs: number): void => {
      const a = awaiting.get(taskId);
      if (!a) return;
      awaiting.delete(taskId);
      if (a.immediate) return;
      const cache = cacheWords(a.lun);
      report({
        messageId: 'flushCompletedLate',
        severity: cache.severity,
        data: { lag: durationText(timeNs - a.complete.timeNs), cache: cache.words },
        at: a.complete,
        task: a.flush.submit,
        evidence: { ...evidenceOf(a, 'hba-events'), flushCompletedNs: timeNs, lagNs: timeNs - a.complete.timeNs },
      });
    };

    const onFlushEvent = (f: Flush, phase: number, status: number, timeNs: number): void => {
      if (status !== 0) {
        f.failedStatus ??= status;
        return;
      }
      if (phase === HbaEventPhase.Issued) f.issued = true;
      else f.completedNs ??= timeNs;
    };

    return {
      submit(s, f) {
        if (f.kind === CommandKind.SyncCache) inFlight.set(s.taskId, { submit: s.snapshot(), issued: false });
      },
      hba(e) {
        if (e.hbaKind !== HbaEventKind.ControllerCacheFlush) return;
        const done = e.phase !== HbaEventPhase.Issued && e.status === 0;
        if (e.taskId !== undefined) {
          const f = inFlight.get(e.taskId);
          if (f) onFlushEvent(f, e.phase, e.status, e.timeNs);
          else if (done) flushCompletedFor(e.taskId, e.timeNs);
          return;
        }
        // A flush not linked to any task counts for every SYNCHRONIZE CACHE in flight, and
        // completes the wait of every answered one still waiting.
        for (const f of inFlight.values()) onFlushEvent(f, e.phase, e.status, e.timeNs);
        if (done) for (const id of [...awaiting.keys()]) flushCompletedFor(id, e.timeNs);
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
        const flush: Flush = inFlight.get(c.taskId) ?? { submit: t.submit.snapshot(), issued: false };
        inFlight.delete(c.taskId);
        if (!completedGood(c)) return;
        const a: Answer = {
          flush,
          complete: c.snapshot(),
          latencyNs: t.latencyNs,
          writes: writesSinceFlush,
          bytes: bytesSinceFlush,
          immediate: f.immediate,
          lun: f.lunInfo,
        };
        writesSinceFlush = 0;
        bytesSinceFlush = 0;
        // Write cache off (WCE = 0), or non-volatile: GOOD without a flush is what SBC allows.
        if (a.lun.writeCache === false || a.lun.writeCacheVolatile === false) return;
        const cache = cacheWords(a.lun);
        if (flush.failedStatus !== undefined) {
          report({
            messageId: 'flushFailed',
            severity: cache.severity,
            data: { status: `0x${flush.failedStatus.toString(16)}`, cache: cache.words },
            at: c,
            task: t.submit,
            evidence: { ...evidenceOf(a, 'hba-events'), flushStatus: flush.failedStatus },
          });
          return;
        }
        if (flush.completedNs !== undefined) return;
        if (flush.issued || a.immediate) {
          if (awaiting.size >= MAX_AWAITING) {
            const [oldId, old] = awaiting.entries().next().value!;
            awaiting.delete(oldId);
            endWait(old);
          }
          awaiting.set(c.taskId, a);
          return;
        }
        hold(a);
      },
      end() {
        for (const a of awaiting.values()) endWait(a);
        awaiting.clear();
        for (const a of held) judgeHeld(a, flushEventsRecorded(state));
        held.length = 0;
        inFlight.clear();
      },
    };

    /** An answered SYNCHRONIZE CACHE whose flush never completed (or, with IMMED, never came). */
    function endWait(a: Answer): void {
      if (!a.flush.issued) {
        hold(a);
        return;
      }
      const gap = state.gaps.lostSince(a.flush.submit.timeNs, GapAffects.All);
      if (gap) {
        report({
          messageId: 'flushNotCaptured',
          severity: 'info',
          data: { gap: gapText(gap) },
          at: a.complete,
          task: a.flush.submit,
          evidence: { ...evidenceOf(a, 'hba-events'), captureGapNs: gap.timeNs },
        });
        return;
      }
      const cache = cacheWords(a.lun);
      report({
        messageId: 'flushNotCompleted',
        severity: cache.severity,
        data: { latency: durationText(a.latencyNs), cache: cache.words },
        at: a.complete,
        task: a.flush.submit,
        evidence: evidenceOf(a, 'hba-events'),
      });
    }
  },
});
