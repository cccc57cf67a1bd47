/**
 * SYNCHRONIZE CACHE rejected, failed, or never answered: the host believes its data is at risk
 * (or, worse, a driver that fails it quietly leaves the file system unable to order writes).
 */
import { ServiceResponse } from '../../model/events.js';
import { ascName, senseKeyName, taskStatusName } from '../../scsi/index.js';
import { ascText, checkCondition, completedGood, durationText, senseOf } from '../helpers.js';
import { defineRule } from '../rule.js';
import { CommandKind } from '../state.js';

export default defineRule({
  meta: {
    id: 'sync-cache-rejected',
    category: 'cache',
    severity: 'error',
    description: 'SYNCHRONIZE CACHE rejected by the device or driver, failed, or never completed',
    messages: {
      unsupported: 'SYNCHRONIZE CACHE rejected: {sense}; the driver or device does not implement it, so the host cannot make writes durable',
      failed: 'SYNCHRONIZE CACHE failed: {status}{sense}',
      deliveryFailed: 'SYNCHRONIZE CACHE not delivered: {status}',
      neverCompleted: 'SYNCHRONIZE CACHE submitted {age} before the end of the trace and never completed',
    },
  },
  create({ report }) {
    return {
      complete(t, f) {
        if (f.kind !== CommandKind.SyncCache) return;
        const c = t.complete;
        if (completedGood(c)) return;
        const status = taskStatusName(c.serviceResponse, c.status);
        if (c.serviceResponse !== ServiceResponse.TaskComplete) {
          report({ messageId: 'deliveryFailed', data: { status }, at: c, task: t.submit, evidence: { serviceResponse: c.serviceResponse, status: c.status } });
          return;
        }
        const q = checkCondition(c) ? senseOf(c) : undefined;
        const senseText = q ? `${senseKeyName(q.key)}: ${ascName(q.asc, q.ascq)} (${ascText(q.asc, q.ascq)})` : '';
        const evidence = { status: c.status, ...(q ? { senseKey: q.key, asc: q.asc, ascq: q.ascq } : {}) };
        if (q && q.key === 0x05 && ((q.asc === 0x20 && q.ascq === 0x00) || (q.asc === 0x24 && q.ascq === 0x00))) {
          report({ messageId: 'unsupported', data: { sense: senseText }, at: c, task: t.submit, evidence });
        } else {
          report({ messageId: 'failed', data: { status, sense: senseText ? ` (${senseText})` : '' }, at: c, task: t.submit, evidence });
        }
      },
      end(left, at) {
        for (const t of left) {
          if (t.submit.cdb[0] !== 0x35 && t.submit.cdb[0] !== 0x91) continue;
          const ageNs = at.timeNs - t.submit.timeNs;
          report({ messageId: 'neverCompleted', data: { age: durationText(ageNs) }, at: t.submit, task: t.submit, evidence: { submittedNs: t.submit.timeNs, traceEndNs: at.timeNs } });
        }
      },
    };
  },
});
