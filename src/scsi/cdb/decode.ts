/**
 * decodeCdb: names a CDB and decodes every field, dispatching to the command sets' tables
 * (SPC, SBC, SAT, ZBC). Unknown commands still get their name and raw bytes; nothing throws.
 */
import { JSON_READY } from '../../model/json.js';
import { hex } from '../hex.js';
import { cdbLength, cdbServiceAction, commandName, hasServiceActionName } from '../names.js';
import type { CdbField, DecodedCdb } from '../types.js';
import { CdbReader, type CommandDecoder } from './reader.js';
import { SAT_COMMANDS } from './sat.js';
import { SBC_COMMANDS } from './sbc.js';
import { SPC_COMMANDS } from './spc.js';
import { ZBC_COMMANDS } from './zbc.js';

const COMMAND_SETS: ReadonlyArray<readonly CommandDecoder[]> = [SPC_COMMANDS, SBC_COMMANDS, SAT_COMMANDS, ZBC_COMMANDS];

/** Decoders of commands named by opcode alone, indexed by opcode. */
const BY_OPCODE = new Array<CommandDecoder | undefined>(256).fill(undefined);
/** Decoders of commands named by service action, keyed opcode * 0x10000 + service action. */
const BY_SERVICE_ACTION = new Map<number, CommandDecoder>();

for (const set of COMMAND_SETS) {
  for (const row of set) {
    if (row.serviceAction === undefined) {
      if (BY_OPCODE[row.opcode]) throw new Error(`two decoders for opcode ${hex(row.opcode)}`);
      BY_OPCODE[row.opcode] = row;
    } else {
      const key = row.opcode * 0x10000 + row.serviceAction;
      if (BY_SERVICE_ACTION.has(key)) throw new Error(`two decoders for ${hex(row.opcode)}/${hex(row.serviceAction)}`);
      BY_SERVICE_ACTION.set(key, row);
    }
  }
}

/** The decoder for a CDB, if any command set has one. */
function findDecoder(opcode: number, serviceAction: number | undefined): CommandDecoder | undefined {
  if (hasServiceActionName(opcode)) {
    return serviceAction === undefined ? undefined : BY_SERVICE_ACTION.get(opcode * 0x10000 + serviceAction);
  }
  return BY_OPCODE[opcode];
}

/** Commands with a decoder, as [opcode, service action] pairs (for tests and documentation). */
export function decodedCommands(): Array<[number, number | undefined]> {
  const list: Array<[number, number | undefined]> = [];
  BY_OPCODE.forEach((row, op) => row && list.push([op, undefined]));
  for (const row of BY_SERVICE_ACTION.values()) list.push([row.opcode, row.serviceAction]);
  return list;
}

/** Fields of a command without a decoder: SERVICE ACTION when it names the command, raw bytes, CONTROL. */
function decodeGeneric(r: CdbReader, expectedLength: number | undefined): void {
  const opcode = r.byte(0);
  const controlAt = expectedLength !== undefined && r.cdb.length >= expectedLength ? expectedLength - 1 : undefined;
  if (opcode === 0x7f) {
    r.control(1);
    r.raw('RESERVED', 2, 6);
    r.bits('GROUP NUMBER', 6, 0, 6);
    r.uint('ADDITIONAL CDB LENGTH', 7, 1);
    r.uint('SERVICE ACTION', 8, 2, { hex: true, text: r.name });
    r.raw('UNDECODED BYTES', 10, r.cdb.length);
    return;
  }
  let next = 1;
  if (hasServiceActionName(opcode) && r.has(1)) {
    if (r.byte(1) & 0xe0) r.bits('BYTE 1 BITS 7:5', 1, 5, 3, { hex: true });
    r.bits('SERVICE ACTION', 1, 0, 5, { hex: true, text: r.name });
    next = 2;
  }
  r.raw('UNDECODED BYTES', next, controlAt ?? r.cdb.length);
  if (controlAt !== undefined) r.control(controlAt);
}

function emptyCdb(): DecodedCdb {
  return Object.assign(Object.create(JSON_READY) as object, {
    opcode: 0,
    name: 'EMPTY CDB',
    group: 0,
    fields: [],
    vendorSpecific: false,
    problems: ['CDB is empty'],
    truncated: { length: 0, needs: 1, missing: 'the CDB is empty: no OPERATION CODE' },
    summary: 'EMPTY CDB',
  });
}

/** "bytes 3-9" / "byte 9". */
function byteRange(from: number, to: number): string {
  return from === to ? `byte ${from} is` : `bytes ${from}-${to} are`;
}

/** A CDB field and where it lies: `bit` is its most significant bit, for bit fields. */
export interface CdbFieldAt {
  name: string;
  byte: number;
  bit?: number;
  width?: number;
  value: CdbField['value'];
}

/**
 * The CDB field at a byte (and bit) a sense-key-specific FIELD POINTER names (SPC-6 sense-key specific data:
 * the pointer gives the most significant byte of the field in error, the BIT POINTER its most
 * significant bit). Without a bit, every field starting in (or covering) that byte; an empty
 * list when the CDB layout of this command is not known there. Never throws.
 */
export function cdbFieldsAt(cdb: Uint8Array, byte: number, bit?: number): CdbFieldAt[] {
  if (cdb.length === 0) return [];
  const r = new CdbReader(cdb, commandName(cdb));
  if (byte === 0) return [{ name: 'OPERATION CODE', byte: 0, value: cdb[0]! }];
  const decoder = findDecoder(cdb[0]!, cdbServiceAction(cdb));
  if (!decoder) return [];
  r.uint('OPERATION CODE', 0, 1);
  decoder.decode(r);
  const out: CdbFieldAt[] = [];
  for (const s of r.spans) {
    if (byte < s.byte || byte >= s.byte + s.bytes) continue;
    if (s.bit !== undefined) {
      if (bit !== undefined && (bit < s.bit || bit >= s.bit + s.width!)) continue;
      out.push({ name: s.field.name, byte: s.byte, bit: s.bit + s.width! - 1, width: s.width!, value: s.field.value });
    } else {
      if (bit !== undefined && byte !== s.byte) continue;
      out.push({ name: s.field.name, byte: s.byte, value: s.field.value });
    }
  }
  return out;
}

/**
 * Decodes a CDB: T10 name, every field in CDB order, LBA and transfer length where the command
 * has them, and what is wrong with it. Never throws.
 */
export function decodeCdb(cdb: Uint8Array): DecodedCdb {
  if (cdb.length === 0) return emptyCdb();
  const opcode = cdb[0]!;
  const name = commandName(cdb);
  const serviceAction = cdbServiceAction(cdb);
  const decoder = findDecoder(opcode, serviceAction);
  const expectedLength = decoder?.length ?? cdbLength(opcode, cdb);
  const r = new CdbReader(cdb, name);

  const short = expectedLength !== undefined && cdb.length < expectedLength;
  if (short) r.problem(`CDB is ${cdb.length} bytes; ${name} needs ${expectedLength}`);
  r.uint('OPERATION CODE', 0, 1, { hex: true, text: name });
  if (decoder) decoder.decode(r);
  else decodeGeneric(r, expectedLength);

  if (expectedLength !== undefined && cdb.length > expectedLength) {
    // DriverKit and many HBAs carry CDBs in a fixed 16- or 32-byte array: zero padding is normal.
    const extra = cdb.subarray(expectedLength);
    if (extra.some((b) => b !== 0)) {
      r.problem(`CDB has ${extra.length} bytes after the ${expectedLength} ${name} uses, not all zero`);
    }
  }

  // JSON_READY: JSON.stringify(decodeCdb(...)) works as is (the LBA is a bigint).
  const decoded: DecodedCdb = Object.assign(Object.create(JSON_READY) as object, {
    opcode,
    name,
    group: opcode >> 5,
    fields: r.fields,
    vendorSpecific: opcode >= 0xc0,
    problems: r.problems,
    summary: r.summary.length ? `${name} ${r.summary.join(' ')}` : name,
  });
  if (short) {
    decoded.truncated = {
      length: cdb.length,
      needs: expectedLength,
      missing: `${name} needs ${expectedLength} bytes; ${byteRange(cdb.length, expectedLength - 1)} missing`,
    };
  }
  if (serviceAction !== undefined) decoded.serviceAction = serviceAction;
  if (r.lba !== undefined) decoded.lba = r.lba;
  if (r.transferLength !== undefined) decoded.transferLength = r.transferLength;
  if (r.transferUnit !== undefined) decoded.transferUnit = r.transferUnit;
  if (r.blockCount !== undefined) decoded.blockCount = r.blockCount;
  if (r.direction !== undefined) decoded.direction = r.direction;
  return decoded;
}
