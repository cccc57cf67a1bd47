/**
 * The hot path for per-task output: READ/WRITE CDBs are most of any real trace, and building
 * every field of them (decodeCdb) costs several microseconds. For the plain cases (no flag bits,
 * group 0) the name, LBA and length are read straight from the bytes; everything else goes
 * through decodeCdb, so the result is always what decodeCdb would say (test/scsi/quick.test.ts).
 */
import { u32be } from '../model/byte-order.js';
import { BLOCK_COMMANDS, BlockKind, lbaOf, lengthOf, type BlockCommand } from './block-commands.js';
import { commandName } from './names.js';
import { decodeCdb } from './cdb/decode.js';

export interface CdbHeadline {
  opcode: number;
  serviceAction?: number;
  name: string;
  lba?: bigint;
  transferLength?: number;
  transferUnit?: 'blocks' | 'bytes';
  summary: string;
}

/**
 * The plain READ/WRITE commands by opcode: READ/WRITE(10/12/16) from the block-command table
 * (an array, not an object: this is looked up once per task).
 */
const RW: ReadonlyArray<BlockCommand | undefined> = (() => {
  const table = new Array<BlockCommand | undefined>(256).fill(undefined);
  for (const c of BLOCK_COMMANDS) {
    if ((c.kind === BlockKind.Read || c.kind === BlockKind.Write) && c.serviceAction === undefined && c.cdbLength >= 10) table[c.opcode] = c;
  }
  return table;
})();

/**
 * Set by plainRange (and so by isPlainReadWrite): module scope instead of a result object, as
 * this runs once per task.
 */
export let rangeLba = 0;
export let rangeLen = 0;

/** True for a plain READ/WRITE CDB at bytes[at..at+n) (no flag bits, group 0, control 0); sets rangeLba/rangeLen. */
function plainRange(bytes: Uint8Array, at: number, n: number, c: BlockCommand | undefined): boolean {
  if (c === undefined) return false;
  if (n !== c.cdbLength || bytes[at + 1] !== 0 || bytes[at + c.groupAt] !== 0 || bytes[at + c.controlAt] !== 0) return false;
  // Big-endian words read whole (the LBA always starts at byte 2).
  if (c.lbaBytes === 8 && u32be(bytes, at + c.lbaAt) >= 0x20_0000) return false; // past 2^53: not exact as a number
  rangeLba = lbaOf(c, bytes, at);
  rangeLen = lengthOf(c, bytes, at);
  return true;
}

/**
 * True for a plain READ/WRITE CDB, whose summary is then `<name> LBA <rangeLba> len <rangeLen>`
 * (for writers that build that text themselves, byte by byte).
 */
export function isPlainReadWrite(cdb: Uint8Array): boolean {
  return plainRange(cdb, 0, cdb.length, RW[cdb[0]!]);
}

/** isPlainReadWrite for the n-byte CDB at bytes[at..] (a batch's slab). */
export function isPlainReadWriteAt(bytes: Uint8Array, at: number, n: number): boolean {
  return n > 0 && plainRange(bytes, at, n, RW[bytes[at]!]);
}

function plainRw(cdb: Uint8Array): CdbHeadline | undefined {
  if (!plainRange(cdb, 0, cdb.length, RW[cdb[0]!])) return undefined;
  const name = commandName(cdb);
  return { opcode: cdb[0]!, name, lba: BigInt(rangeLba), transferLength: rangeLen, transferUnit: 'blocks', summary: `${name} LBA ${rangeLba} len ${rangeLen}` };
}

/** Name, LBA, length and one-line summary of a CDB, as decodeCdb gives them. */
export function cdbHeadline(cdb: Uint8Array): CdbHeadline {
  const fast = plainRw(cdb);
  if (fast) return fast;
  const d = decodeCdb(cdb);
  const h: CdbHeadline = { opcode: d.opcode, name: d.name, summary: d.summary };
  if (d.serviceAction !== undefined) h.serviceAction = d.serviceAction;
  if (d.lba !== undefined) h.lba = d.lba;
  if (d.transferLength !== undefined) h.transferLength = d.transferLength;
  if (d.transferUnit !== undefined) h.transferUnit = d.transferUnit;
  return h;
}

/** Just the one-line summary: the same as cdbHeadline's, without building the headline. */
export function cdbSummary(cdb: Uint8Array): string {
  return plainRange(cdb, 0, cdb.length, RW[cdb[0]!]) ? `${commandName(cdb)} LBA ${rangeLba} len ${rangeLen}` : decodeCdb(cdb).summary;
}
