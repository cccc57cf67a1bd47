/**
 * Vendor-specific CDBs (operation codes C0h-FFh, SPC-6 4.2.5.1) issued, and what the trace
 * shows of their failures. A CDB in an HBA trace was already handed to the HBA driver, so a
 * failure is the device's answer or the driver's own decision: never a host layer above it.
 */
import { gapText } from '../../analysis/gaps.js';
import { GapAffects, ServiceResponse } from '../../model/events.js';
import { ascName, commandName, senseKeyName, taskStatusName } from '../../scsi/index.js';
import { ascText, checkCondition, completedGood, durationText, refusedCdbField, senseOf } from '../helpers.js';
import { defineRule } from '../rule.js';

export default defineRule({
  meta: {
    id: 'vendor-specific-cdb',
    category: 'commands',
    severity: 'info',
    description: 'Vendor-specific CDBs (opcodes 0xC0-0xFF) issued, and what the trace shows of their failures',
    messages: {
      issued: '{command} issued and completed GOOD: a vendor-specific command outside the SCSI command sets the OS understands',
      rejectedByDevice:
        '{command} rejected by the device: CHECK CONDITION, {sense}: {meaning}; the CDB reached the HBA driver and the device answered it, so no host layer refused it',
      failed: '{command} failed: {status}{sense}',
      notDelivered:
        "{command} not delivered: the HBA driver completed it with {status}; the task had reached the driver, so not delivering it was the driver's own decision",
      functionRejected:
        '{command} answered FUNCTION REJECTED by the driver: that service response belongs to task management functions ("the task management function was rejected", SCSIControllerDriverKit SCSIDefinitions.h), not to a command; the device never answered this task',
      neverCompleted: '{command} issued and never completed',
      completionNotCaptured: '{command} issued {age} before the end of the trace; its completion was not captured (a {gap} may hold it)',
    },
  },
  create({ state, report }) {
    // A driver often logs why it refused the CDB in a note right after the completion: hold the
    // finding until the next vendor command or the end, and add the note as evidence.
    let held: Parameters<typeof report>[0] | undefined;
    const release = (): void => {
      if (held) report(held);
      held = undefined;
    };
    return {
      note(n) {
        if (!held || n.taskId === undefined || n.taskId !== held.taskId) return;
        held.evidence = { ...held.evidence, driverNote: n.text };
        release();
      },
      complete(t, f) {
        if (!f.vendorSpecific) return;
        release();
        const c = t.complete;
        const command = commandName(t.submit.cdb);
        const evidence: Record<string, string | number> = { opcode: `0x${f.opcode.toString(16)}`, serviceResponse: c.serviceResponse, status: c.status };
        if (completedGood(c)) {
          report({ messageId: 'issued', data: { command }, at: c, task: t.submit, subject: command, evidence });
          return;
        }
        // Held until the next vendor command or the end: keep snapshots, not the views.
        const base = { severity: 'warning' as const, at: c.snapshot(), task: t.submit.snapshot(), taskId: c.taskId, subject: command, evidence };
        const status = taskStatusName(c.serviceResponse, c.status);
        if (c.serviceResponse === ServiceResponse.FunctionRejected) {
          held = { ...base, messageId: 'functionRejected', data: { command } };
          return;
        }
        if (c.serviceResponse !== ServiceResponse.TaskComplete) {
          held = { ...base, messageId: 'notDelivered', data: { command, status } };
          return;
        }
        const q = checkCondition(c) ? senseOf(c) : undefined;
        if (q) Object.assign(evidence, { senseKey: q.key, asc: q.asc, ascq: q.ascq });
        const senseText = q ? `${senseKeyName(q.key)}, ${ascName(q.asc, q.ascq)} (${ascText(q.asc, q.ascq)})` : '';
        if (q && q.key === 0x05 && q.ascq === 0x00 && (q.asc === 0x20 || q.asc === 0x24)) {
          let meaning = 'the device does not implement this operation code (vendor-specific commands belong to one product and firmware)';
          if (q.asc === 0x24) {
            const refused = refusedCdbField(t.submit.cdb, c.sense);
            meaning = refused ? `the device refused ${refused.text}` : 'the device refused a field of it (no field pointer)';
            if (refused) evidence['fieldPointer'] = refused.byte;
          }
          held = { ...base, messageId: 'rejectedByDevice', data: { command, sense: senseText, meaning } };
          return;
        }
        held = { ...base, messageId: 'failed', data: { command, status, sense: senseText ? ` (${senseText})` : '' } };
      },
      end(left, at) {
        release();
        for (const t of left) {
          if (t.submit.cdb.length === 0 || t.submit.cdb[0]! < 0xc0) continue;
          const command = commandName(t.submit.cdb);
          const gap = state.gaps.lostSince(t.submit.timeNs, GapAffects.Completions, t.submit.targetId);
          if (gap) {
            report({
              messageId: 'completionNotCaptured',
              severity: 'info',
              data: { command, age: durationText(at.timeNs - t.submit.timeNs), gap: gapText(gap) },
              at: t.submit,
              task: t.submit,
              subject: command,
              evidence: { captureGapNs: gap.timeNs },
            });
          } else {
            report({ messageId: 'neverCompleted', severity: 'warning', data: { command }, at: t.submit, task: t.submit, subject: command });
          }
        }
      },
    };
  },
});
