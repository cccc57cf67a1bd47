import { cdbServiceAction } from '../scsi/index.js';

/**
 * Opcodes whose byte 1 bits 4-0 select a sub-function that does not change the command's name
 * (READ/WRITE BUFFER modes, SANITIZE, PERSISTENT RESERVE IN/OUT, READ ATTRIBUTE, READ POSITION;
 * SPC-6, SBC-5). Statistics and filters still tell those sub-functions apart.
 */
const SUB_FUNCTION_IN_BYTE1 = new Set([0x34, 0x3b, 0x3c, 0x48, 0x5e, 0x5f, 0x8c]);

/**
 * The service action that tells commands apart for filters and statistics: the one the SCSI
 * tables name commands by (src/scsi), or the sub-function of the opcodes above.
 */
export function commandServiceAction(cdb: Uint8Array): number | undefined {
  const sa = cdbServiceAction(cdb);
  if (sa !== undefined) return sa;
  return SUB_FUNCTION_IN_BYTE1.has(cdb[0]!) && cdb.length >= 2 ? cdb[1]! & 0x1f : undefined;
}

/** One number per command kind: opcode, or 0x1000000 | opcode << 16 | service action. */
export function commandKey(cdb: Uint8Array): number {
  const op = cdb[0]!;
  const sa = commandServiceAction(cdb);
  return sa === undefined ? op : 0x100_0000 | (op << 16) | sa;
}
