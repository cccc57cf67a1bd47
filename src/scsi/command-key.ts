/**
 * One number per kind of command, for filters and statistics: the opcode, or the opcode and the
 * service action that tells its commands apart (SPC-6 4.2.5). The one place that says which
 * service action counts.
 */
import { cdbServiceActionAt } from './names.js';

/**
 * Opcodes whose byte 1 bits 4-0 select a sub-function that does not change the command's name
 * (READ/WRITE BUFFER modes, SANITIZE, PERSISTENT RESERVE IN/OUT, READ ATTRIBUTE, READ POSITION;
 * SPC-6, SBC-5). Statistics and filters still tell those sub-functions apart.
 */
const SUB_FUNCTION_IN_BYTE1: readonly boolean[] = (() => {
  const t = new Array<boolean>(256).fill(false);
  for (const op of [0x34, 0x3b, 0x3c, 0x48, 0x5e, 0x5f, 0x8c]) t[op] = true;
  return t;
})();

/**
 * The service action that tells commands apart for filters and statistics: the one the SCSI
 * tables name commands by, or the sub-function of the opcodes above.
 */
export function commandServiceAction(cdb: Uint8Array): number | undefined {
  return commandServiceActionAt(cdb, 0, cdb.length);
}

export function commandServiceActionAt(bytes: Uint8Array, at: number, n: number): number | undefined {
  const sa = cdbServiceActionAt(bytes, at, n);
  if (sa !== undefined) return sa;
  return n >= 2 && SUB_FUNCTION_IN_BYTE1[bytes[at]!] ? bytes[at + 1]! & 0x1f : undefined;
}

/** One number per command kind: opcode, or 0x1000000 | opcode << 16 | service action. */
export function commandKey(cdb: Uint8Array): number {
  return commandKeyAt(cdb, 0, cdb.length);
}

/** commandKey for the n-byte CDB at bytes[at..] (a batch's slab). */
export function commandKeyAt(bytes: Uint8Array, at: number, n: number): number {
  const op = n ? bytes[at]! : 0;
  const sa = commandServiceActionAt(bytes, at, n);
  return sa === undefined ? op : 0x100_0000 | (op << 16) | sa;
}
