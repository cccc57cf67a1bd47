/**
 * Tasks that completed after their own timeout, or after the configured taskTimeoutMs. Tasks are
 * paired by id: when a capture gap during the task could have lost both its completion and a
 * new submission under the same id, the completion seen may be the later task's.
 */
import { gapText } from '../../analysis/gaps.js';
import { DeliveryStatus, GapAffects, SamStatus, ServiceResponse, type TaskCompleted } from '../../model/events.js';
import { taskStatusName } from '../../scsi/index.js';
import { durationText } from '../helpers.js';
import { defineRule } from '../rule.js';

/** The driver already reported the timeout (TASK TIMEOUT) or the abort (TASK ABORTED): the right outcome, not a finding. */
function endedByTimeoutHandling(c: TaskCompleted): boolean {
  if (c.serviceResponse === ServiceResponse.ServiceDeliveryOrTargetFailure) return c.status === DeliveryStatus.TaskTimeoutOccurred;
  return c.serviceResponse === ServiceResponse.TaskComplete && c.status === SamStatus.TaskAborted;
}

export default defineRule({
  meta: {
    id: 'task-timeout-exceeded',
    category: 'lifecycle',
    severity: 'warning',
    description: 'Tasks that took longer than their own timeout or the configured task timeout',
    messages: {
      ownTimeout:
        'took {latency}, longer than its own {timeoutMs} ms timeout, and completed {status} instead of TASK TIMEOUT: the driver never acted on the timeout',
      configured: 'took {latency}, longer than the configured {limitMs} ms task limit (taskTimeoutMs)',
      pairingUncertain:
        "took {latency} by its id, longer than {limit}; a {gap} during the task could have lost its completion and a new submission with the same id, so the completion seen may be another task's",
    },
  },
  create({ state, report }) {
    return {
      complete(t) {
        const s = t.submit;
        const latency = t.latencyNs;
        if (endedByTimeoutHandling(t.complete)) return;
        const limitMs = state.limits.taskTimeoutMs;
        const over =
          s.timeoutMs > 0 && latency > s.timeoutMs * 1e6
            ? `its own ${s.timeoutMs} ms timeout`
            : latency > limitMs * 1e6
              ? `the configured ${limitMs} ms task limit`
              : undefined;
        if (over === undefined) return;
        const lostCompletion = state.gaps.lostSince(s.timeNs, GapAffects.Completions, s.targetId);
        const lostSubmission = lostCompletion && state.gaps.lostSince(s.timeNs, GapAffects.Submissions, s.targetId);
        if (lostCompletion && lostSubmission && lostSubmission.timeNs <= t.complete.timeNs) {
          report({
            messageId: 'pairingUncertain',
            severity: 'info',
            data: { latency: durationText(latency), limit: over, gap: gapText(lostSubmission) },
            at: t.complete,
            task: s,
            evidence: { latencyNs: latency, captureGapNs: lostSubmission.timeNs },
          });
          return;
        }
        if (s.timeoutMs > 0 && latency > s.timeoutMs * 1e6) {
          report({
            messageId: 'ownTimeout',
            data: { latency: durationText(latency), timeoutMs: s.timeoutMs, status: taskStatusName(t.complete.serviceResponse, t.complete.status) },
            at: t.complete,
            task: s,
            evidence: { latencyNs: latency, timeoutMs: s.timeoutMs },
          });
          return;
        }
        if (latency > limitMs * 1e6) {
          report({
            messageId: 'configured',
            data: { latency: durationText(latency), limitMs },
            at: t.complete,
            task: s,
            evidence: { latencyNs: latency, limitMs },
          });
        }
      },
    };
  },
});
