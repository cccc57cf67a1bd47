/**
 * SYNCHRONIZE CACHE rejected, failed, or never answered: the host cannot make its writes
 * durable. An INVALID FIELD IN CDB rejection names the field the device server refused (the
 * sense-key-specific field pointer, SPC-6) instead of calling the command unsupported.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects, ServiceResponse } from '../../model/events.js';
import { ascName, cdbFieldsAt, commandName, senseKeyName, taskStatusName } from '../../scsi/index.js';
import { ascText, checkCondition, completedGood, durationText, refusedCdbField, senseOf } from '../helpers.js';
import { defineRule } from '../rule.js';
import { CommandKind } from '../state.js';

/** What refusing a SYNCHRONIZE CACHE field means, by T10 field name (SBC-5 SYNCHRONIZE CACHE (10)/(16)). */
const FIELD_MEANING: Record<string, string> = {
  IMMED:
    'SBC lets a device server that does not support IMMED terminate the command with exactly this sense; send SYNCHRONIZE CACHE without IMMED and wait for it (macOS itself never sets IMMED)',
  SYNC_NV: 'SYNC_NV is obsolete in SBC-4 and later; send the command with that bit clear',
  'GROUP NUMBER': 'a group number the device server does not support; send 0',
  'NUMBER OF LOGICAL BLOCKS': 'a range the device server would not take; LBA 0 and 0 blocks (the whole medium) is what hosts send',
  LBA: 'a range the device server would not take; LBA 0 and 0 blocks (the whole medium) is what hosts send',
  CONTROL: 'a CONTROL byte the device server would not take (NACA or a vendor bit); send 0',
};

export default defineRule({
  meta: {
    id: 'sync-cache-rejected',
    category: 'cache',
    severity: 'error',
    description: 'SYNCHRONIZE CACHE rejected by the device or driver, failed, or never completed',
    messages: {
      unsupported: '{command} rejected: {sense}: the device server does not implement this command, so the host cannot make writes durable with it',
      invalidField: '{command} rejected: {sense}: the device server refused {field}; {meaning}',
      invalidFieldNoPointer: '{command} rejected: {sense} with no field pointer; {candidates}',
      failed: 'SYNCHRONIZE CACHE failed: {status}{sense}',
      deliveryFailed: 'SYNCHRONIZE CACHE not delivered: {status}',
      neverCompleted: 'SYNCHRONIZE CACHE submitted {age} before the end of the trace and never completed',
      completionNotCaptured: 'SYNCHRONIZE CACHE submitted {age} before the end of the trace; its completion was not captured (a {gap} may hold it)',
    },
  },
  create({ state, report }) {
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
        const senseText = q ? `${senseKeyName(q.key)}, ${ascName(q.asc, q.ascq)} (${ascText(q.asc, q.ascq)})` : '';
        const evidence: Record<string, string | number> = { status: c.status, ...(q ? { senseKey: q.key, asc: q.asc, ascq: q.ascq } : {}) };
        const command = commandName(t.submit.cdb);
        if (q && q.key === 0x05 && q.asc === 0x20 && q.ascq === 0x00) {
          report({ messageId: 'unsupported', data: { command, sense: senseText }, at: c, task: t.submit, evidence });
          return;
        }
        if (q && q.key === 0x05 && q.asc === 0x24 && q.ascq === 0x00) {
          const refused = refusedCdbField(t.submit.cdb, c.sense);
          if (refused) {
            evidence['fieldPointer'] = refused.byte;
            if (refused.bit !== undefined) evidence['bitPointer'] = refused.bit;
            if (refused.names.length) evidence['field'] = refused.names.join(' / ');
            const meaning = refused.names.map((n) => FIELD_MEANING[n]).find((m) => m !== undefined) ?? 'the CDB layout is in SBC-5 (SYNCHRONIZE CACHE)';
            report({ messageId: 'invalidField', data: { command, sense: senseText, field: refused.text, meaning }, at: c, task: t.submit, evidence });
            return;
          }
          report({
            messageId: 'invalidFieldNoPointer',
            data: { command, sense: senseText, candidates: candidates(t.submit.cdb) },
            at: c,
            task: t.submit,
            evidence,
          });
          return;
        }
        report({ messageId: 'failed', data: { status, sense: senseText ? ` (${senseText})` : '' }, at: c, task: t.submit, evidence });
      },
      end(left, at) {
        for (const t of left) {
          if (t.submit.cdb[0] !== 0x35 && t.submit.cdb[0] !== 0x91) continue;
          const ageNs = at.timeNs - t.submit.timeNs;
          const evidence = { submittedNs: t.submit.timeNs, traceEndNs: at.timeNs };
          const gap = state.gaps.lostSince(t.submit.timeNs, GapAffects.Completions, t.submit.targetId);
          if (gap)
            report({
              messageId: 'completionNotCaptured',
              severity: 'info',
              data: { age: durationText(ageNs), gap: gapText(gap) },
              at: t.submit,
              task: t.submit,
              evidence: { ...evidence, captureGapNs: gap.timeNs },
            });
          else report({ messageId: 'neverCompleted', data: { age: durationText(ageNs) }, at: t.submit, task: t.submit, evidence });
        }
      },
    };
  },
});

/** Without a field pointer: the fields this CDB sets (any of them may be the one refused). */
function candidates(cdb: Uint8Array): string {
  const set: string[] = [];
  for (let byte = 1; byte < cdb.length; byte++) {
    if (cdb[byte] === 0) continue;
    for (const f of cdbFieldsAt(cdb, byte)) {
      if (f.value === 0 || f.value === false || f.value === 0n || f.value === '00') continue;
      const at = `byte ${f.byte}${f.bit !== undefined ? ` bit ${f.bit}` : ''}`;
      const name = `${f.name} (${at})`;
      if (!set.includes(name)) set.push(name);
    }
  }
  if (!set.length) return 'the CDB sets no field but the operation code, so the refusal is not about a field the host chose';
  const immed = set.find((s) => s.startsWith('IMMED '));
  return `the CDB sets ${set.join(', ')}${immed ? `; ${FIELD_MEANING['IMMED']}` : ''}`;
}
