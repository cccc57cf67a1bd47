/**
 * Commands the device or driver refused as unsupported or malformed: ILLEGAL REQUEST with
 * INVALID COMMAND OPERATION CODE (20/00) or INVALID FIELD IN CDB (24/00), SPC-6 4.4.
 */
import { commandName } from '../../scsi/index.js';
import { checkCondition, refusedCdbField, senseOf } from '../helpers.js';
import { defineRule } from '../rule.js';
import { CommandKind } from '../state.js';

export default defineRule({
  meta: {
    id: 'opcode-rejected',
    category: 'commands',
    severity: 'warning',
    description: 'Commands rejected with ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE (20/00) or INVALID FIELD IN CDB (24/00), grouped per command',
    messages: {
      invalidOpcode: '{command} rejected: ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20/00): the device or driver does not implement it',
      invalidField: '{command} rejected: ILLEGAL REQUEST, INVALID FIELD IN CDB (24/00){pointer}',
    },
  },
  create({ report }) {
    return {
      complete(t, f) {
        const c = t.complete;
        if (!checkCondition(c)) return;
        // SYNCHRONIZE CACHE and vendor-specific opcodes have rules of their own that explain more.
        if (f.kind === CommandKind.SyncCache || f.vendorSpecific) return;
        const q = senseOf(c);
        if (!q || q.key !== 0x05 || q.ascq !== 0x00 || (q.asc !== 0x20 && q.asc !== 0x24)) return;
        const command = commandName(t.submit.cdb);
        const cdb = t.submit.cdb;
        const evidence: Record<string, string | number> = { opcode: `0x${cdb[0]!.toString(16).padStart(2, '0')}`, asc: q.asc, ascq: q.ascq };
        // SPC-6: the sense-key specific FIELD POINTER names the refused field.
        const refused = q.asc === 0x24 ? refusedCdbField(cdb, c.sense) : undefined;
        const pointer = refused ? `: the device refused ${refused.text}` : '';
        if (refused) {
          evidence['fieldPointer'] = refused.byte;
          if (refused.bit !== undefined) evidence['bitPointer'] = refused.bit;
          if (refused.names.length) evidence['field'] = refused.names.join(' / ');
        }
        report({
          messageId: q.asc === 0x20 ? 'invalidOpcode' : 'invalidField',
          data: { command, pointer },
          at: c,
          task: t.submit,
          subject: command,
          evidence,
        });
      },
    };
  },
});
