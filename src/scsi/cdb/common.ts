/** Field groups shared by several command sets' decoders. */
import { opcodeName, serviceActionName } from '../names.js';
import { CdbReader } from './reader.js';
import { protectText } from './values.js';

/** SERVICE ACTION in byte 1 bits 4:0 (SPC-6 4.2), named from the reference table. */
export function serviceAction5(r: CdbReader): number {
  const opcode = r.byte(0);
  return r.bits('SERVICE ACTION', 1, 0, 5, {
    hex: true,
    text: (sa) => serviceActionName(opcode, sa) ?? opcodeName(opcode, sa),
  });
}

/** GROUP NUMBER (SBC-5 4.23): 6 bits, low bits of the byte. */
export function groupNumber(r: CdbReader, index: number): number {
  const group = r.bits('GROUP NUMBER', index, 0, 6);
  if (group !== 0) r.note(`group ${group}`);
  return group;
}

/** RDPROTECT / WRPROTECT / VRPROTECT (byte bits 7:5). */
export function protect(r: CdbReader, name: string, index: number): number {
  const value = r.bits(name, index, 5, 3, { text: protectText });
  if (value !== 0) r.note(`${name}=${value}`);
  return value;
}

/** DPO (bit 4) and FUA (bit 3) of byte `index`. */
export function dpoFua(r: CdbReader, index: number): void {
  r.noteFlag('DPO', index, 4, 'disable page out');
  r.noteFlag('FUA', index, 3, 'force unit access');
}

/** LOGICAL BLOCK ADDRESS of 4 or 8 bytes, shown as "LBA". */
export function lba(r: CdbReader, start: number, size: 4 | 8, name = 'LBA'): bigint {
  if (!r.has(start, size)) return 0n;
  const value = size === 8 ? r.uint64(name, start) : BigInt(r.uint(name, start, 4));
  r.lba = value;
  r.note(`LBA ${value}`);
  return value;
}

/** An allocation length: the most bytes the application client accepts. */
export function allocationLength(r: CdbReader, start: number, size: number, name = 'ALLOCATION LENGTH'): number {
  if (!r.has(start, size)) return 0;
  const length = r.uint(name, start, size, { unit: 'bytes' });
  r.transfer(length, 'bytes', 'from-device');
  r.note(`alloc ${length}`);
  return length;
}

/** A parameter list length: the bytes the application client sends. */
export function parameterListLength(r: CdbReader, start: number, size: number, name = 'PARAMETER LIST LENGTH'): number {
  if (!r.has(start, size)) return 0;
  const length = r.uint(name, start, size, { unit: 'bytes' });
  r.transfer(length, 'bytes', 'to-device');
  r.note(`param ${length}`);
  return length;
}

/** Opcode byte as a field with its name (REPORT SUPPORTED OPERATION CODES and similar). */
export function opcodeField(r: CdbReader, name: string, index: number, serviceAction?: number): number {
  return r.uint(name, index, 1, { hex: true, text: (op) => opcodeName(op, serviceAction) });
}
