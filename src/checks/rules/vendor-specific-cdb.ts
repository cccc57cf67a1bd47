/**
 * Vendor-specific CDBs (operation codes C0h-FFh, SPC-6 4.2.5.1) issued, and why they fail.
 */
import { ServiceResponse } from '../../model/events.js';
import { commandName, taskStatusName } from '../../scsi/index.js';
import { completedGood, senseOf } from '../helpers.js';
import { defineRule, type Report } from '../rule.js';

export default defineRule({
  meta: {
    id: 'vendor-specific-cdb',
    category: 'commands',
    severity: 'info',
    description: 'Vendor-specific CDBs (opcodes 0xC0-0xFF) issued, and their failures explained',
    messages: {
      issued: '{command} issued and completed GOOD: vendor-specific commands bypass the SCSI command set the OS understands',
      rejected: '{command} failed with {status}: DriverKit\'s UserSendCDB refuses vendor-specific opcodes (kIOReturnNotPrivileged), and devices that do not know the opcode answer ILLEGAL REQUEST; send it from a tool with the right entitlement or through the driver\'s own user client',
      neverCompleted: '{command} issued and never completed',
    },
  },
  create({ report }) {
    // A driver often logs why it refused the CDB in a note right after the completion: hold the
    // finding until the next vendor command or the end, and add the note as evidence.
    let held: Report | undefined;
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
        const q = senseOf(c);
        if (q) Object.assign(evidence, { senseKey: q.key, asc: q.asc, ascq: q.ascq });
        const status = taskStatusName(c.serviceResponse, c.status) + (c.serviceResponse === ServiceResponse.FunctionRejected ? ' (rejected before reaching the device)' : '');
        held = { messageId: 'rejected', severity: 'warning', data: { command, status }, at: c, task: t.submit, taskId: c.taskId, subject: command, evidence };
      },
      end(left) {
        release();
        for (const t of left) {
          if (t.submit.cdb[0]! < 0xc0) continue;
          const command = commandName(t.submit.cdb);
          report({ messageId: 'neverCompleted', severity: 'warning', data: { command }, at: t.submit, task: t.submit, subject: command });
        }
      },
    };
  },
});
