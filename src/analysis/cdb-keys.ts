/**
 * Where a command's service action lives, for the opcodes that have one (SPC-6 4.2.2):
 * byte 1 bits 4-0 for most; bytes 8-9 for 0x7F variable-length CDBs; READ/WRITE BUFFER use
 * byte 1 as a mode, which we key the same way so filters and statistics can tell them apart.
 */
const SA_BYTE1 = new Set([0x3b, 0x3c, 0x48, 0x5e, 0x5f, 0x83, 0x84, 0x8c, 0x94, 0x95, 0x9d, 0x9e, 0x9f, 0xa3, 0xa4, 0xa9, 0xab, 0x34]);

export function cdbServiceAction(cdb: Uint8Array): number | undefined {
  const op = cdb[0]!;
  if (op === 0x7f) return cdb.length >= 10 ? (cdb[8]! << 8) | cdb[9]! : undefined;
  if (SA_BYTE1.has(op)) return cdb.length >= 2 ? cdb[1]! & 0x1f : undefined;
  return undefined;
}

/** One number per command kind: opcode, or 0x1000000 | opcode << 16 | service action. */
export function commandKey(cdb: Uint8Array): number {
  const op = cdb[0]!;
  const sa = cdbServiceAction(cdb);
  return sa === undefined ? op : 0x100_0000 | (op << 16) | sa;
}
