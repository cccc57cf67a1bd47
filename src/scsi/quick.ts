/**
 * The hot path for per-task output: READ/WRITE CDBs are most of any real trace, and building
 * every field of them (decodeCdb) costs several microseconds. For the plain cases (no flag bits,
 * group 0) the name, LBA and length are read straight from the bytes; everything else goes
 * through decodeCdb, so the result is always what decodeCdb would say (test/scsi/quick.test.ts).
 */
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

/** Layouts of the READ/WRITE family (SBC-5): where the LBA, the length and the group byte are. */
interface RwLayout {
  lbaAt: number;
  lbaSize: number;
  lenAt: number;
  lenSize: number;
  groupAt: number;
  cdbLength: number;
}
const RW10: RwLayout = { lbaAt: 2, lbaSize: 4, lenAt: 7, lenSize: 2, groupAt: 6, cdbLength: 10 };
const RW12: RwLayout = { lbaAt: 2, lbaSize: 4, lenAt: 6, lenSize: 4, groupAt: 10, cdbLength: 12 };
const RW16: RwLayout = { lbaAt: 2, lbaSize: 8, lenAt: 10, lenSize: 4, groupAt: 14, cdbLength: 16 };
/** Indexed by opcode (an array, not an object: this is looked up once per task). */
const RW: ReadonlyArray<RwLayout | undefined> = (() => {
  const table = new Array<RwLayout | undefined>(256).fill(undefined);
  table[0x28] = table[0x2a] = RW10;
  table[0xa8] = table[0xaa] = RW12;
  table[0x88] = table[0x8a] = RW16;
  return table;
})();

/**
 * Set by plainRange (and so by isPlainReadWrite): module scope instead of a result object, as
 * this runs once per task.
 */
export let rangeLba = 0;
export let rangeLen = 0;

function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** True for a plain READ/WRITE CDB (no flag bits, group 0, control 0); sets rangeLba/rangeLen. */
function plainRange(cdb: Uint8Array, l: RwLayout | undefined): boolean {
  if (l === undefined) return false;
  const length = l.cdbLength;
  if (cdb.length !== length || cdb[1] !== 0 || cdb[l.groupAt] !== 0 || cdb[length - 1] !== 0) return false;
  // Big-endian words read whole (the LBA always starts at byte 2).
  const first = u32be(cdb, 2);
  if (l.lbaSize === 8) {
    if (first >= 0x20_0000) return false; // past 2^53: not exact as a number
    rangeLba = first * 0x1_0000_0000 + u32be(cdb, 6);
  } else {
    rangeLba = first;
  }
  const at = l.lenAt;
  rangeLen = l.lenSize === 2 ? (cdb[at]! << 8) | cdb[at + 1]! : u32be(cdb, at);
  return true;
}

/**
 * True for a plain READ/WRITE CDB, whose summary is then `<name> LBA <rangeLba> len <rangeLen>`
 * (for writers that build that text themselves, byte by byte).
 */
export function isPlainReadWrite(cdb: Uint8Array): boolean {
  return plainRange(cdb, RW[cdb[0]!]);
}

function plainRw(cdb: Uint8Array): CdbHeadline | undefined {
  if (!plainRange(cdb, RW[cdb[0]!])) return undefined;
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
  return plainRange(cdb, RW[cdb[0]!]) ? `${commandName(cdb)} LBA ${rangeLba} len ${rangeLen}` : decodeCdb(cdb).summary;
}
