/**
 * SBC-5 (block commands) CDB decoders, one row per command. Adding a command is adding a row
 * and, when no existing layout fits, a small decoder.
 */
import { dpoFua, groupNumber, lba, parameterListLength, protect, allocationLength, serviceAction5 } from './common.js';
import { blockCommand } from '../block-commands.js';
import { CdbReader, nameOf, type CommandDecoder } from './reader.js';
import { BYTCHK, WRITE_AND_VERIFY_BYTCHK, DEFECT_LIST_FORMATS, FMTPINFO, LBA_STATUS_REPORT_TYPES, POWER_CONDITIONS } from './values.js';

/** TRANSFER LENGTH in logical blocks; `zeroMeans` for READ(6)/WRITE(6), where 0 is 256. */
function blocks(r: CdbReader, start: number, size: number, direction: 'to-device' | 'from-device', name = 'TRANSFER LENGTH', zeroMeans?: number): number {
  if (!r.has(start, size)) return 0;
  const raw = r.uint(name, start, size, {
    unit: 'blocks',
    text: (v) => (v !== 0 ? undefined : zeroMeans ? `0 means ${zeroMeans} blocks` : 'no blocks transferred'),
  });
  const length = raw === 0 && zeroMeans ? zeroMeans : raw;
  r.transfer(length, 'blocks', direction);
  r.note(`len ${length}`);
  return length;
}

/** Number of blocks a command acts on without moving them (SYNCHRONIZE CACHE, WRITE SAME...). */
function blockRange(r: CdbReader, start: number, size: number, name: string, zeroText: string): number {
  if (!r.has(start, size)) return 0;
  const count = r.uint(name, start, size, { unit: 'blocks', text: (v) => (v === 0 ? zeroText : undefined) });
  r.blockCount = count;
  r.note(count === 0 ? 'blocks all' : `blocks ${count}`);
  return count;
}

/** SBC-5 READ(6) / WRITE(6): 21-bit LBA, 8-bit TRANSFER LENGTH where 0 means 256. */
function rw6(direction: 'to-device' | 'from-device') {
  return (r: CdbReader): void => {
    if (r.has(1, 3)) {
      const value = ((r.byte(1) & 0x1f) << 16) | (r.byte(2) << 8) | r.byte(3);
      r.add('LBA', value);
      r.lba = BigInt(value);
      r.note(`LBA ${value}`);
    }
    blocks(r, 4, 1, direction, 'TRANSFER LENGTH', 256);
    r.control(5);
  };
}

/** Where a 10-, 12- or 16-byte block command's fields lie, from the one block-command table. */
interface RwLayout {
  lbaSize: 4 | 8;
  lengthAt: number;
  lengthSize: number;
  groupAt: number;
  control: number;
  /** READ(16)/WRITE(16): DLD2 in byte 1 bit 0, DLD1/DLD0 in the group byte (SBC-5). */
  dld?: boolean;
}

/** The layout of a block command, read from src/scsi/block-commands.ts (fields defined once). */
function layoutOf(opcode: number): RwLayout {
  const c = blockCommand(opcode);
  if (!c || c.lbaBytes === 3) throw new Error(`no 10/12/16-byte block command 0x${opcode.toString(16)} in the block table`);
  return { lbaSize: c.lbaBytes, lengthAt: c.lengthAt, lengthSize: c.lengthBytes, groupAt: c.groupAt, control: c.controlAt, ...(c.dld ? { dld: true } : {}) };
}

/** The table row of block command `opcode`: its CDB length and a decoder made for its layout. */
function blockRow(opcode: number, decoder: (layout: RwLayout) => (r: CdbReader) => void): CommandDecoder {
  const layout = layoutOf(opcode);
  return { opcode, length: blockCommand(opcode)!.cdbLength, decode: decoder(layout) };
}

/** LBA, then GROUP NUMBER and the length (read by `length`) in the layout's order, then CONTROL. */
function addressedRange(r: CdbReader, layout: RwLayout, length: () => void): void {
  lba(r, 2, layout.lbaSize);
  // The 10-byte CDBs have GROUP NUMBER (byte 6) before the length; 12 and 16 after it.
  if (layout.groupAt < layout.lengthAt) groupNumber(r, layout.groupAt);
  length();
  if (layout.groupAt > layout.lengthAt) groupNumber(r, layout.groupAt);
  r.control(layout.control);
}

/** SBC-5 READ(16)/WRITE(16): DLD2 (byte 1) with DLD1 and DLD0 (group byte) pick a duration limit descriptor. */
function durationLimit(r: CdbReader, dld2: boolean, groupAt: number): void {
  const dld1 = r.flag('DLD1', groupAt, 7);
  const dld0 = r.flag('DLD0', groupAt, 6);
  const descriptor = (dld2 ? 4 : 0) | (dld1 ? 2 : 0) | (dld0 ? 1 : 0);
  if (descriptor !== 0) r.note(`DLD ${descriptor}`);
}

/**
 * SBC-5 READ(10/12/16): RDPROTECT, DPO, FUA, RARC; LBA; TRANSFER LENGTH; GROUP NUMBER.
 * SBC-5 WRITE(10/12/16): the same with WRPROTECT and no RARC.
 */
function rw(kind: 'read' | 'write', layout: RwLayout, protectName = kind === 'read' ? 'RDPROTECT' : 'WRPROTECT') {
  return (r: CdbReader): void => {
    protect(r, protectName, 1);
    dpoFua(r, 1);
    if (kind === 'read') r.noteFlag('RARC', 1, 2, 'rebuild assist recovery control');
    const dld2 = layout.dld ? r.flag('DLD2', 1, 0) : false;
    addressedRange(r, layout, () => {
      blocks(r, layout.lengthAt, layout.lengthSize, kind === 'read' ? 'from-device' : 'to-device');
      if (layout.dld) durationLimit(r, dld2, layout.groupAt);
    });
  };
}

/**
 * VERIFICATION LENGTH of the VERIFY commands. What is transferred depends on BYTCHK: 00b the
 * medium alone is checked; 01b the blocks are compared with as many blocks of data-out; 11b
 * each block is compared with one block of data-out.
 */
function verificationLength(r: CdbReader, start: number, size: number, bytchk: number): void {
  if (!r.has(start, size)) return;
  const count = r.uint('VERIFICATION LENGTH', start, size, {
    unit: 'blocks',
    text: (v) => (v === 0 ? 'no blocks verified' : undefined),
  });
  r.blockCount = count;
  r.note(`len ${count}`);
  if (bytchk === 1) r.transfer(count, 'blocks', 'to-device');
  else if (bytchk === 3) r.transfer(count === 0 ? 0 : 1, 'blocks', 'to-device');
  else r.noData();
}

/** SBC-5 VERIFY(10/16) and WRITE AND VERIFY(10/16): BYTCHK decides what is transferred. */
function verify(kind: 'verify' | 'write-and-verify', layout: RwLayout) {
  return (r: CdbReader): void => {
    protect(r, kind === 'verify' ? 'VRPROTECT' : 'WRPROTECT', 1);
    r.noteFlag('DPO', 1, 4, 'disable page out');
    const bytchk = r.bits('BYTCHK', 1, 1, 2, {
      text: nameOf(kind === 'verify' ? BYTCHK : WRITE_AND_VERIFY_BYTCHK),
    });
    if (bytchk !== 0) r.note(`BYTCHK ${bytchk}`);
    if (r.has(1) && bytchk === 2) r.problem('BYTCHK 10b is reserved');
    addressedRange(r, layout, () => {
      if (kind === 'write-and-verify') blocks(r, layout.lengthAt, layout.lengthSize, 'to-device');
      else verificationLength(r, layout.lengthAt, layout.lengthSize, bytchk);
    });
  };
}

/**
 * SBC-5 SYNCHRONIZE CACHE(10/16) (SYNC_NV, obsolete; IMMED; NUMBER OF LOGICAL BLOCKS) and
 * PRE-FETCH(10/16) (IMMED; PREFETCH LENGTH): a block range and no data.
 */
function cacheRange(layout: RwLayout, command: 'synchronize-cache' | 'pre-fetch') {
  return (r: CdbReader): void => {
    if (command === 'synchronize-cache') {
      r.noteFlag('SYNC_NV', 1, 2, 'obsolete in SBC-4');
      r.noteFlag('IMMED', 1, 1, 'return before the cache is flushed');
    } else {
      r.noteFlag('IMMED', 1, 1, 'return before the blocks are read');
    }
    const lengthName = command === 'synchronize-cache' ? 'NUMBER OF LOGICAL BLOCKS' : 'PREFETCH LENGTH';
    addressedRange(r, layout, () => blockRange(r, layout.lengthAt, layout.lengthSize, lengthName, 'all blocks from LBA to the end'));
    r.noData();
  };
}

/** WRITE SAME: 0 blocks means to the end of the medium, unless the device reports WSNZ. */
const WRITE_SAME_ZERO = 'all blocks from LBA to the end, or none (see WSNZ)';

/** SBC-5 WRITE SAME(10/16): one block of data-out (none with NDOB) written to a range. */
function writeSame(layout: RwLayout, ndob: boolean) {
  return (r: CdbReader): void => {
    protect(r, 'WRPROTECT', 1);
    r.noteFlag('ANCHOR', 1, 4);
    const unmap = r.flag('UNMAP', 1, 3, 'deallocate the blocks if possible');
    if (unmap) r.note('UNMAP');
    const noData = ndob ? r.flag('NDOB', 1, 0, 'no data-out buffer: write zeros') : false;
    if (noData) r.note('NDOB');
    addressedRange(r, layout, () => blockRange(r, layout.lengthAt, layout.lengthSize, 'NUMBER OF LOGICAL BLOCKS', WRITE_SAME_ZERO));
    if (noData) r.noData();
    else r.transfer(1, 'blocks', 'to-device');
  };
}

/** SBC-5 READ CAPACITY(10): 8 bytes of parameter data; the LBA and PMI fields are obsolete. */
function readCapacity10(r: CdbReader): void {
  const address = r.uint('LBA', 2, 4, { text: 'obsolete' });
  const pmi = r.flag('PMI', 8, 0, 'partial medium indicator (obsolete)');
  if (address !== 0 && !pmi) r.problem('LBA must be 0 when PMI is 0');
  r.transfer(8, 'bytes', 'from-device');
  r.control(9);
}

/** SBC-5 READ CAPACITY(16): SERVICE IN(16) 10h, ALLOCATION LENGTH. */
function readCapacity16(r: CdbReader): void {
  serviceAction5(r);
  const address = r.has(2, 8) ? r.uint64('LBA', 2, { text: 'obsolete' }) : 0n;
  allocationLength(r, 10, 4);
  const pmi = r.flag('PMI', 14, 0, 'partial medium indicator (obsolete)');
  if (address !== 0n && !pmi) r.problem('LBA must be 0 when PMI is 0');
  r.control(15);
}

/** SBC-5 UNMAP: ANCHOR, GROUP NUMBER, PARAMETER LIST LENGTH. */
function unmap(r: CdbReader): void {
  r.noteFlag('ANCHOR', 1, 0);
  groupNumber(r, 6);
  parameterListLength(r, 7, 2);
  r.control(9);
}

/** SBC-5 COMPARE AND WRITE: data-out is N blocks to compare then N blocks to write. */
function compareAndWrite(r: CdbReader): void {
  protect(r, 'WRPROTECT', 1);
  dpoFua(r, 1);
  lba(r, 2, 8);
  if (r.has(13)) {
    const count = r.uint('NUMBER OF LOGICAL BLOCKS', 13, 1, { unit: 'blocks' });
    r.blockCount = count;
    r.transfer(count * 2, 'blocks', 'to-device');
    r.note(`blocks ${count}`);
  }
  groupNumber(r, 14);
  r.control(15);
}

/** SBC-5 FORMAT UNIT. */
function formatUnit(r: CdbReader): void {
  r.bits('FMTPINFO', 1, 6, 2, { text: nameOf(FMTPINFO) });
  r.flag('LONGLIST', 1, 5);
  const fmtdata = r.flag('FMTDATA', 1, 4, 'a parameter list follows');
  r.flag('CMPLST', 1, 3, 'replace the grown defect list');
  r.bits('DEFECT LIST FORMAT', 1, 0, 3, { text: nameOf(DEFECT_LIST_FORMATS) });
  r.uint('VENDOR SPECIFIC', 2, 1, { hex: true });
  const ffmt = r.bits('FFMT', 4, 0, 2, {
    text: (v) => ['normal format', 'fast, new blocks read as initialized', 'fast, new blocks may be unreadable', 'reserved'][v],
  });
  if (ffmt !== 0) r.note(`FFMT ${ffmt}`);
  if (fmtdata) {
    r.direction = 'to-device';
    r.transferUnit = 'bytes';
    r.note('FMTDATA');
  } else {
    r.noData();
  }
  r.control(5);
}

/** SBC-5 START STOP UNIT. */
function startStopUnit(r: CdbReader): void {
  r.noteFlag('IMMED', 1, 0);
  r.bits('POWER CONDITION MODIFIER', 3, 0, 4);
  const condition = r.bits('POWER CONDITION', 4, 4, 4, { text: (v) => POWER_CONDITIONS.get(v) ?? 'reserved' });
  r.noteFlag('NO_FLUSH', 4, 2, 'do not flush the cache before stopping');
  const loej = r.flag('LOEJ', 4, 1, 'load or eject the medium');
  const start = r.flag('START', 4, 0);
  if (r.has(4)) {
    if (condition !== 0) r.note(POWER_CONDITIONS.get(condition) ?? `POWER CONDITION ${condition}`);
    else r.note(loej ? (start ? 'LOAD' : 'EJECT') : start ? 'START' : 'STOP');
  }
  r.noData();
  r.control(5);
}

/** SBC-5 GET LBA STATUS(16). */
function getLbaStatus(r: CdbReader): void {
  serviceAction5(r);
  lba(r, 2, 8, 'STARTING LBA');
  allocationLength(r, 10, 4);
  r.uint('REPORT TYPE', 14, 1, { hex: true, text: (v) => LBA_STATUS_REPORT_TYPES.get(v) });
  r.control(15);
}

/**
 * SBC-5 WRITE ATOMIC(16) (ATOMIC BOUNDARY) and WRITE STREAM(16) (STR_ID): a 16-bit field in
 * bytes 10-11, then a 16-bit TRANSFER LENGTH.
 */
function write16ShortLength(fieldName: 'ATOMIC BOUNDARY' | 'STR_ID') {
  return (r: CdbReader): void => {
    protect(r, 'WRPROTECT', 1);
    dpoFua(r, 1);
    lba(r, 2, 8);
    const value = r.uint(fieldName, 10, 2, fieldName === 'ATOMIC BOUNDARY' ? { unit: 'blocks' } : undefined);
    if (r.has(10, 2) && fieldName === 'STR_ID') r.note(`stream ${value}`);
    blocks(r, 12, 2, 'to-device');
    groupNumber(r, 14);
    r.control(15);
  };
}

/** SBC-5 SANITIZE: IMMED, ZNR, AUSE, SERVICE ACTION, PARAMETER LIST LENGTH. */
function sanitize(r: CdbReader): void {
  r.noteFlag('IMMED', 1, 7);
  r.noteFlag('ZNR', 1, 6, 'zone no reset');
  r.noteFlag('AUSE', 1, 5, 'allow unrestricted sanitize exit');
  const action = serviceAction5(r);
  if (r.has(1)) r.note(r.fields[r.fields.length - 1]!.text ?? `SA ${action}`);
  const length = parameterListLength(r, 7, 2);
  if (r.has(7, 2)) {
    if (action === 0x01 && length === 0) r.problem('OVERWRITE needs a parameter list, but PARAMETER LIST LENGTH is 0');
    if (action !== 0x01 && length !== 0) r.problem('only OVERWRITE takes a parameter list; PARAMETER LIST LENGTH should be 0');
  }
  r.control(9);
}

/**
 * SBC-5 32-byte CDBs (opcode 7Fh): CONTROL in byte 1, GROUP NUMBER in byte 6, ADDITIONAL CDB
 * LENGTH (18h) in byte 7, SERVICE ACTION in bytes 8-9, flags in byte 10, LBA in bytes 12-19,
 * protection tags in 20-27, length in 28-31.
 */
function variable32(kind: 'read' | 'write' | 'verify' | 'write-and-verify' | 'write-same') {
  return (r: CdbReader): void => {
    r.control(1);
    groupNumber(r, 6);
    const additional = r.uint('ADDITIONAL CDB LENGTH', 7, 1);
    if (r.has(7) && additional !== 0x18) r.problem(`ADDITIONAL CDB LENGTH is ${additional}; this command needs 24`);
    r.uint('SERVICE ACTION', 8, 2, { hex: true, text: r.name });
    const protectName = kind === 'read' ? 'RDPROTECT' : kind === 'verify' ? 'VRPROTECT' : 'WRPROTECT';
    protect(r, protectName, 10);
    let bytchk = 0;
    let noData = false;
    if (kind === 'write-same') {
      r.noteFlag('ANCHOR', 10, 4);
      r.noteFlag('UNMAP', 10, 3);
      noData = r.flag('NDOB', 10, 0, 'no data-out buffer: write zeros');
      if (noData) r.note('NDOB');
    } else {
      r.noteFlag('DPO', 10, 4, 'disable page out');
      if (kind === 'read' || kind === 'write') {
        r.noteFlag('FUA', 10, 3, 'force unit access');
      } else {
        bytchk = r.bits('BYTCHK', 10, 1, 2, { text: nameOf(BYTCHK) });
      }
    }
    lba(r, 12, 8);
    r.uint('EXPECTED INITIAL LOGICAL BLOCK REFERENCE TAG', 20, 4, { hex: true });
    r.uint('EXPECTED LOGICAL BLOCK APPLICATION TAG', 24, 2, { hex: true });
    r.uint('LOGICAL BLOCK APPLICATION TAG MASK', 26, 2, { hex: true });
    if (kind === 'read') blocks(r, 28, 4, 'from-device');
    else if (kind === 'write' || kind === 'write-and-verify') blocks(r, 28, 4, 'to-device');
    else if (kind === 'write-same') {
      blockRange(r, 28, 4, 'NUMBER OF LOGICAL BLOCKS', WRITE_SAME_ZERO);
      if (noData) r.noData();
      else r.transfer(1, 'blocks', 'to-device');
    } else {
      verificationLength(r, 28, 4, bytchk);
    }
  };
}

export const SBC_COMMANDS: readonly CommandDecoder[] = [
  { opcode: 0x04, length: 6, decode: formatUnit },
  { opcode: 0x08, length: 6, decode: rw6('from-device') },
  { opcode: 0x0a, length: 6, decode: rw6('to-device') },
  { opcode: 0x1b, length: 6, decode: startStopUnit },
  { opcode: 0x25, length: 10, decode: readCapacity10 },
  blockRow(0x28, (l) => rw('read', l)),
  blockRow(0x2a, (l) => rw('write', l)),
  blockRow(0x2e, (l) => verify('write-and-verify', l)),
  blockRow(0x2f, (l) => verify('verify', l)),
  blockRow(0x34, (l) => cacheRange(l, 'pre-fetch')),
  blockRow(0x35, (l) => cacheRange(l, 'synchronize-cache')),
  blockRow(0x41, (l) => writeSame(l, false)),
  { opcode: 0x42, length: 10, decode: unmap },
  { opcode: 0x48, length: 10, decode: sanitize },
  blockRow(0x88, (l) => rw('read', l)),
  { opcode: 0x89, length: 16, decode: compareAndWrite },
  // SBC-4 ORWRITE(16): WRITE(16)'s layout with ORPROTECT, and no duration limit bits (the table has no dld for it).
  blockRow(0x8b, (l) => rw('write', l, 'ORPROTECT')),
  blockRow(0x8a, (l) => rw('write', l)),
  blockRow(0x8e, (l) => verify('write-and-verify', l)),
  blockRow(0x8f, (l) => verify('verify', l)),
  blockRow(0x90, (l) => cacheRange(l, 'pre-fetch')),
  blockRow(0x91, (l) => cacheRange(l, 'synchronize-cache')),
  blockRow(0x93, (l) => writeSame(l, true)),
  { opcode: 0x9a, length: 16, decode: write16ShortLength('STR_ID') },
  { opcode: 0x9c, length: 16, decode: write16ShortLength('ATOMIC BOUNDARY') },
  { opcode: 0x9e, serviceAction: 0x10, length: 16, decode: readCapacity16 },
  { opcode: 0x9e, serviceAction: 0x12, length: 16, decode: getLbaStatus },
  blockRow(0xa8, (l) => rw('read', l)),
  blockRow(0xaa, (l) => rw('write', l)),
  blockRow(0xae, (l) => verify('write-and-verify', l)),
  blockRow(0xaf, (l) => verify('verify', l)),
  { opcode: 0x7f, serviceAction: 0x0009, length: 32, decode: variable32('read') },
  { opcode: 0x7f, serviceAction: 0x000a, length: 32, decode: variable32('verify') },
  { opcode: 0x7f, serviceAction: 0x000b, length: 32, decode: variable32('write') },
  { opcode: 0x7f, serviceAction: 0x000c, length: 32, decode: variable32('write-and-verify') },
  { opcode: 0x7f, serviceAction: 0x000d, length: 32, decode: variable32('write-same') },
];
