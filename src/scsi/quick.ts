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

/** Layouts of the READ/WRITE family (SBC-5): LBA offset/size, length offset/size, group byte. */
const RW: Record<number, [lbaAt: number, lbaSize: number, lenAt: number, lenSize: number, groupAt: number, cdbLength: number]> = {
  0x28: [2, 4, 7, 2, 6, 10],
  0x2a: [2, 4, 7, 2, 6, 10],
  0xa8: [2, 4, 6, 4, 10, 12],
  0xaa: [2, 4, 6, 4, 10, 12],
  0x88: [2, 8, 10, 4, 14, 16],
  0x8a: [2, 8, 10, 4, 14, 16],
};

function plainRw(cdb: Uint8Array): CdbHeadline | undefined {
  const layout = RW[cdb[0]!];
  if (!layout) return undefined;
  const [lbaAt, lbaSize, lenAt, lenSize, groupAt, length] = layout;
  if (cdb.length !== length || cdb[1] !== 0 || cdb[groupAt] !== 0 || cdb[length - 1] !== 0) return undefined;
  let lba = 0;
  for (let i = 0; i < lbaSize; i++) lba = lba * 256 + cdb[lbaAt + i]!;
  if (!Number.isSafeInteger(lba)) return undefined;
  let len = 0;
  for (let i = 0; i < lenSize; i++) len = len * 256 + cdb[lenAt + i]!;
  const name = commandName(cdb);
  return { opcode: cdb[0]!, name, lba: BigInt(lba), transferLength: len, transferUnit: 'blocks', summary: `${name} LBA ${lba} len ${len}` };
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
  const layout = RW[cdb[0]!];
  if (layout) {
    const [lbaAt, lbaSize, lenAt, lenSize, groupAt, length] = layout;
    if (cdb.length === length && cdb[1] === 0 && cdb[groupAt] === 0 && cdb[length - 1] === 0) {
      let lba = 0;
      for (let i = 0; i < lbaSize; i++) lba = lba * 256 + cdb[lbaAt + i]!;
      let len = 0;
      for (let i = 0; i < lenSize; i++) len = len * 256 + cdb[lenAt + i]!;
      if (Number.isSafeInteger(lba)) return `${commandName(cdb)} LBA ${lba} len ${len}`;
    }
  }
  return decodeCdb(cdb).summary;
}
