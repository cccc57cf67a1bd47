/** Tasks that completed after their own timeout, or after the configured taskTimeoutMs. */
import { DeliveryStatus, SamStatus, ServiceResponse, type TaskCompleted } from '../../model/events.js';
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
      ownTimeout: 'took {latency}, longer than its own {timeoutMs} ms timeout, and completed {status} instead of TASK TIMEOUT: the driver never acted on the timeout',
      configured: 'took {latency}, longer than the configured {limitMs} ms task limit (taskTimeoutMs)',
    },
  },
  create({ state, report }) {
    return {
      complete(t) {
        const s = t.submit;
        const latency = t.latencyNs;
        if (endedByTimeoutHandling(t.complete)) return;
        if (s.timeoutMs > 0 && latency > s.timeoutMs * 1e6) {
          report({ messageId: 'ownTimeout', data: { latency: durationText(latency), timeoutMs: s.timeoutMs, status: taskStatusName(t.complete.serviceResponse, t.complete.status) }, at: t.complete, task: s, evidence: { latencyNs: latency, timeoutMs: s.timeoutMs } });
          return;
        }
        const limitMs = state.limits.taskTimeoutMs;
        if (latency > limitMs * 1e6) {
          report({ messageId: 'configured', data: { latency: durationText(latency), limitMs }, at: t.complete, task: s, evidence: { latencyNs: latency, limitMs } });
        }
      },
    };
  },
});
