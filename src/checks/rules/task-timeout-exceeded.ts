/** Tasks that completed after their own timeout, or after the configured taskTimeoutMs. */
import { ms } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'task-timeout-exceeded',
    category: 'lifecycle',
    severity: 'warning',
    description: 'Tasks that took longer than their own timeout or the configured task timeout',
    messages: {
      ownTimeout: 'took {latency}, longer than its own {timeoutMs} ms timeout: the driver should have aborted it and reported TASK TIMEOUT',
      configured: 'took {latency}, longer than the configured {limitMs} ms task limit (taskTimeoutMs)',
    },
  },
  create({ state, report }) {
    return {
      complete(t) {
        const s = t.submit;
        const latency = t.latencyNs;
        if (s.timeoutMs > 0 && latency > s.timeoutMs * 1e6) {
          report({ messageId: 'ownTimeout', data: { latency: ms(latency), timeoutMs: s.timeoutMs }, at: t.complete, task: s, evidence: { latencyNs: latency, timeoutMs: s.timeoutMs } });
          return;
        }
        const limitMs = state.limits.taskTimeoutMs;
        if (latency > limitMs * 1e6) {
          report({ messageId: 'configured', data: { latency: ms(latency), limitMs }, at: t.complete, task: s, evidence: { latencyNs: latency, limitMs } });
        }
      },
    };
  },
});
