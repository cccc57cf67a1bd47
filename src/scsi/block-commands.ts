/**
 * SBC-5 block commands as data: for each, where its LBA, its length field, its xxPROTECT bits,
 * its FUA bit, GROUP NUMBER and CONTROL lie. One table feeds the CDB decoders
 * (src/scsi/cdb/sbc.ts), the quick path for plain READ/WRITE (src/scsi/quick.ts) and the
 * checker's CDB facts (src/checks/state.ts).
 */
import { u16be, u32be } from '../model/byte-order.js';

/** What a block command does with the blocks it names. */
export const BlockKind = {
  Read: 1,
  Write: 2,
  WriteAndVerify: 3,
  WriteSame: 4,
  CompareAndWrite: 5,
  Verify: 6,
  SyncCache: 7,
  PreFetch: 8,
  /** ORWRITE(16): writes the OR of data-out and the medium (SBC-4). */
  OrWrite: 9,
  /** WRITE STREAM(16), WRITE ATOMIC(16): writes with a 16-bit length after a field of their own. */
  WriteTagged: 10,
} as const;
export type BlockKind = (typeof BlockKind)[keyof typeof BlockKind];

export interface BlockCommand {
  opcode: number;
  /** 0x7F variable-length CDBs: the SERVICE ACTION in bytes 8-9. */
  serviceAction?: number;
  kind: BlockKind;
  cdbLength: number;
  /** LBA: bytes [lbaAt, lbaAt + lbaBytes); 3 bytes means READ(6)/WRITE(6)'s 21 bits. */
  lbaAt: number;
  lbaBytes: 3 | 4 | 8;
  /** TRANSFER LENGTH, NUMBER OF LOGICAL BLOCKS or VERIFICATION LENGTH. */
  lengthAt: number;
  lengthBytes: 1 | 2 | 4;
  /** The byte with RDPROTECT/WRPROTECT/VRPROTECT/ORPROTECT in bits 7-5, or -1. */
  protectAt: number;
  /** The byte with FUA in bit 3 (and DPO in bit 4), or -1. */
  fuaAt: number;
  /** GROUP NUMBER byte, or -1. */
  groupAt: number;
  controlAt: number;
  /** READ(16)/WRITE(16): DLD2 in byte 1 bit 0, DLD1/DLD0 in the group byte. */
  dld?: boolean;
}

const row = (
  opcode: number,
  kind: BlockKind,
  cdbLength: number,
  lbaAt: number,
  lbaBytes: 3 | 4 | 8,
  lengthAt: number,
  lengthBytes: 1 | 2 | 4,
  protectAt: number,
  fuaAt: number,
  groupAt: number,
  controlAt: number,
  extra: Partial<BlockCommand> = {},
): BlockCommand => ({ opcode, kind, cdbLength, lbaAt, lbaBytes, lengthAt, lengthBytes, protectAt, fuaAt, groupAt, controlAt, ...extra });

/** SBC-5 5.x, one row per command: opcode, kind, CDB length, LBA at/bytes, length at/bytes, protect byte, FUA byte, group byte, control byte. */
export const BLOCK_COMMANDS: readonly BlockCommand[] = [
  row(0x08, BlockKind.Read, 6, 1, 3, 4, 1, -1, -1, -1, 5), // READ(6)
  row(0x0a, BlockKind.Write, 6, 1, 3, 4, 1, -1, -1, -1, 5), // WRITE(6)
  row(0x28, BlockKind.Read, 10, 2, 4, 7, 2, 1, 1, 6, 9), // READ(10)
  row(0x2a, BlockKind.Write, 10, 2, 4, 7, 2, 1, 1, 6, 9), // WRITE(10)
  row(0x2e, BlockKind.WriteAndVerify, 10, 2, 4, 7, 2, 1, -1, 6, 9), // WRITE AND VERIFY(10)
  row(0x2f, BlockKind.Verify, 10, 2, 4, 7, 2, 1, -1, 6, 9), // VERIFY(10)
  row(0x34, BlockKind.PreFetch, 10, 2, 4, 7, 2, -1, -1, 6, 9), // PRE-FETCH(10)
  row(0x35, BlockKind.SyncCache, 10, 2, 4, 7, 2, -1, -1, 6, 9), // SYNCHRONIZE CACHE(10)
  row(0x41, BlockKind.WriteSame, 10, 2, 4, 7, 2, 1, -1, 6, 9), // WRITE SAME(10)
  row(0x88, BlockKind.Read, 16, 2, 8, 10, 4, 1, 1, 14, 15, { dld: true }), // READ(16)
  row(0x89, BlockKind.CompareAndWrite, 16, 2, 8, 13, 1, 1, 1, 14, 15), // COMPARE AND WRITE
  row(0x8a, BlockKind.Write, 16, 2, 8, 10, 4, 1, 1, 14, 15, { dld: true }), // WRITE(16)
  row(0x8b, BlockKind.OrWrite, 16, 2, 8, 10, 4, 1, 1, 14, 15), // ORWRITE(16)
  row(0x8e, BlockKind.WriteAndVerify, 16, 2, 8, 10, 4, 1, -1, 14, 15), // WRITE AND VERIFY(16)
  row(0x8f, BlockKind.Verify, 16, 2, 8, 10, 4, 1, -1, 14, 15), // VERIFY(16)
  row(0x90, BlockKind.PreFetch, 16, 2, 8, 10, 4, -1, -1, 14, 15), // PRE-FETCH(16)
  row(0x91, BlockKind.SyncCache, 16, 2, 8, 10, 4, -1, -1, 14, 15), // SYNCHRONIZE CACHE(16)
  row(0x93, BlockKind.WriteSame, 16, 2, 8, 10, 4, 1, -1, 14, 15), // WRITE SAME(16)
  row(0x9a, BlockKind.WriteTagged, 16, 2, 8, 12, 2, 1, 1, 14, 15), // WRITE STREAM(16)
  row(0x9c, BlockKind.WriteTagged, 16, 2, 8, 12, 2, 1, 1, 14, 15), // WRITE ATOMIC(16)
  row(0xa8, BlockKind.Read, 12, 2, 4, 6, 4, 1, 1, 10, 11), // READ(12)
  row(0xaa, BlockKind.Write, 12, 2, 4, 6, 4, 1, 1, 10, 11), // WRITE(12)
  row(0xae, BlockKind.WriteAndVerify, 12, 2, 4, 6, 4, 1, -1, 10, 11), // WRITE AND VERIFY(12)
  row(0xaf, BlockKind.Verify, 12, 2, 4, 6, 4, 1, -1, 10, 11), // VERIFY(12)
  // SBC-5 32-byte CDBs (7Fh): CONTROL byte 1, GROUP NUMBER byte 6, flags byte 10, LBA 12-19, length 28-31.
  row(0x7f, BlockKind.Read, 32, 12, 8, 28, 4, 10, 10, 6, 1, { serviceAction: 0x0009 }), // READ(32)
  row(0x7f, BlockKind.Verify, 32, 12, 8, 28, 4, 10, -1, 6, 1, { serviceAction: 0x000a }), // VERIFY(32)
  row(0x7f, BlockKind.Write, 32, 12, 8, 28, 4, 10, 10, 6, 1, { serviceAction: 0x000b }), // WRITE(32)
  row(0x7f, BlockKind.WriteAndVerify, 32, 12, 8, 28, 4, 10, -1, 6, 1, { serviceAction: 0x000c }), // WRITE AND VERIFY(32)
  row(0x7f, BlockKind.WriteSame, 32, 12, 8, 28, 4, 10, -1, 6, 1, { serviceAction: 0x000d }), // WRITE SAME(32)
];

/** The 16-byte and shorter commands by opcode (an array: looked up once per task). */
const BY_OPCODE: ReadonlyArray<BlockCommand | undefined> = (() => {
  const t = new Array<BlockCommand | undefined>(256).fill(undefined);
  for (const c of BLOCK_COMMANDS) if (c.serviceAction === undefined) t[c.opcode] = c;
  return t;
})();
const VARIABLE = new Map(BLOCK_COMMANDS.filter((c) => c.serviceAction !== undefined).map((c) => [c.serviceAction!, c]));

/** The row for the CDB at bytes[at..at+n), or undefined when it is not a block command. */
export function blockCommandAt(bytes: Uint8Array, at: number, n: number): BlockCommand | undefined {
  if (n === 0) return undefined;
  const op = bytes[at]!;
  if (op !== 0x7f) return BY_OPCODE[op];
  return n >= 10 ? VARIABLE.get(u16be(bytes, at + 8)) : undefined;
}

/** The row for one command (opcode, and service action for 7Fh). */
export function blockCommand(opcode: number, serviceAction?: number): BlockCommand | undefined {
  return opcode === 0x7f ? (serviceAction === undefined ? undefined : VARIABLE.get(serviceAction)) : BY_OPCODE[opcode];
}

/** The LBA of a block command at bytes[at..]: exact below 2^53 (larger ones lose low bits). */
export function lbaOf(c: BlockCommand, bytes: Uint8Array, at: number): number {
  const p = at + c.lbaAt;
  if (c.lbaBytes === 3) return ((bytes[p]! & 0x1f) << 16) | u16be(bytes, p + 1);
  if (c.lbaBytes === 4) return u32be(bytes, p);
  return u32be(bytes, p) * 0x1_0000_0000 + u32be(bytes, p + 4);
}

/** The length field of a block command at bytes[at..], as written (READ(6)'s 0 stays 0). */
export function lengthOf(c: BlockCommand, bytes: Uint8Array, at: number): number {
  const p = at + c.lengthAt;
  return c.lengthBytes === 1 ? bytes[p]! : c.lengthBytes === 2 ? u16be(bytes, p) : u32be(bytes, p);
}
