/**
 * CDBs and sense data covering the knowledge base's tables, for tests that must hold for every
 * command or sense shape (the published JSON Schemas, JSON serialisation): every opcode, every
 * service action the T10 table names for opcodes whose command a service action picks, every
 * command with a decoder; sense data of both formats with every sense key, every descriptor
 * type the decoder knows, and the truncated and malformed shapes.
 */
import { cdbLength, decodedCommands, hasServiceActionName } from '../../src/scsi/index.js';
import { SERVICE_ACTION_ROWS } from '../../src/scsi/tables/service-actions.js';
import { hex } from './hex.js';

export interface ScsiSample {
  what: string;
  bytes: Uint8Array;
}

/** Deterministic bytes (a 32-bit LCG): the same samples every run. */
function filler(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 24;
  };
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** A CDB of the command's full length with body bytes from `body(i)`; the bytes that name the command kept. */
function cdbOf(opcode: number, serviceAction: number | undefined, body: (i: number) => number): Uint8Array {
  // SPC-6 4.2.3: a variable length CDB is 8 + ADDITIONAL CDB LENGTH bytes; 0x18 gives the 32 of READ(32) and its kin.
  const length = opcode === 0x7f ? 32 : (cdbLength(opcode) ?? 16);
  const cdb = new Uint8Array(length);
  for (let i = 1; i < length; i++) cdb[i] = body(i);
  cdb[0] = opcode;
  if (opcode === 0x7f) {
    cdb[7] = 0x18;
    if (serviceAction !== undefined) {
      cdb[8] = serviceAction >> 8;
      cdb[9] = serviceAction & 0xff;
    }
  } else if (serviceAction !== undefined) {
    cdb[1] = (cdb[1]! & 0xe0) | serviceAction;
  }
  return cdb;
}

/**
 * Every command as full-length CDBs, three ways each: all fields zero, a plausible spread of
 * values (deterministic pseudo-random bytes: flags set and clear, LBAs and lengths of every
 * size), and every byte 0xFF (64-bit LBAs past 2^53, every flag set). CONTROL is 0 in the first
 * two.
 */
export function cdbSamples(): ScsiSample[] {
  const commands = new Map<string, [number, number | undefined]>();
  const add = (opcode: number, sa: number | undefined): void => void commands.set(`${opcode}/${sa}`, [opcode, sa]);
  for (let opcode = 0; opcode < 256; opcode++) if (!hasServiceActionName(opcode)) add(opcode, undefined);
  for (const row of SERVICE_ACTION_ROWS) {
    if (hasServiceActionName(row.opcode) && (row.opcode === 0x7f || row.serviceAction < 32)) add(row.opcode, row.serviceAction);
  }
  for (const [opcode, sa] of decodedCommands()) add(opcode, sa);

  const out: ScsiSample[] = [];
  for (const [opcode, sa] of commands.values()) {
    const id = `${hex2(opcode)}${sa === undefined ? '' : `/${sa.toString(16)}`}`;
    const zero = cdbOf(opcode, sa, () => 0);
    const next = filler(opcode * 0x10000 + (sa ?? 0) + 1);
    const plausible = cdbOf(opcode, sa, () => next());
    plausible[plausible.length - 1] = 0;
    out.push(
      { what: `${id} zero fields`, bytes: zero },
      { what: `${id} plausible fields`, bytes: plausible },
      { what: `${id} every bit set`, bytes: cdbOf(opcode, sa, () => 0xff) },
    );
  }
  return out;
}

/** A full-length CDB cut short: after the opcode, mid-way, one byte before its end. */
export function truncatedCdbSamples(): ScsiSample[] {
  const out: ScsiSample[] = [];
  for (const s of cdbSamples().filter((c) => c.what.endsWith('plausible fields'))) {
    const n = s.bytes.length;
    for (const keep of new Set([1, n >> 1, n - 1])) out.push({ what: `${s.what} cut to ${keep} bytes`, bytes: s.bytes.subarray(0, keep) });
  }
  return out;
}

/** Fixed format (SPC-6 4.4.3) sense data with the given key and three sense-key specific bytes. */
function fixed(responseCode: number, key: number, asc: number, ascq: number, sks: [number, number, number] = [0, 0, 0]): Uint8Array {
  return hex`${responseCode} 00 ${key} | 00 00 10 00 | 0a | 00 00 00 00 | ${asc} ${ascq} | 00 | ${sks[0]} ${sks[1]} ${sks[2]}`;
}

/** Descriptor format (SPC-6 4.4.2) sense data: header, then the descriptors as hex. */
function descriptorSense(key: number, asc: number, ascq: number, descriptors: string, responseCode = 0x72): Uint8Array {
  const additionalLength = hex`${descriptors}`.length;
  return hex`${responseCode} ${key} ${asc} ${ascq} | 00 00 00 ${additionalLength} | ${descriptors}`;
}

/** Sense data of every shape the decoder tells apart, well-formed and not. */
export function senseSamples(): ScsiSample[] {
  const out: ScsiSample[] = [];
  for (let key = 0; key < 16; key++) {
    // SKSV set, with bits that mean something for each interpretation (C/D, BPV, SD, overflow).
    out.push({ what: `fixed, sense key ${key}, SKSV`, bytes: fixed(0x70, key, 0x24, 0x00, [0xcd, 0x00, 0x02]) });
    out.push({ what: `descriptor, sense key ${key}, SKSV`, bytes: descriptorSense(key, 0x04, 0x04, '02 06 00 00 | c8 01 23 | 00') });
  }
  const descriptors: Array<[string, string]> = [
    ['information (64-bit, past 2^53)', '00 0a 80 00 ff ff ff ff ff ff ff ff'],
    ['information, not valid', '00 0a 00 00 00 00 00 00 00 00 10 00'],
    ['command-specific information', '01 0a 00 00 00 00 00 00 00 00 00 2a'],
    ['field replaceable unit', '03 02 00 07'],
    ['stream commands', '04 02 00 e0'],
    ['block commands', '05 02 00 20'],
    ['OSD object identification', '06 02 00 00'],
    ['ATA status return, 48-bit', '09 0c 01 04 00 01 02 03 04 05 06 07 40 51'],
    ['ATA status return, 28-bit', '09 0c 00 04 00 01 02 03 04 05 06 07 40 50'],
    ['another progress indication', '0a 06 02 04 07 00 80 00'],
    ['forwarded sense data', '0c 14 81 02 | 70 00 05 00 00 00 00 0a 00 00 00 00 20 00 00 00 00 00'],
    ['direct-access block device', '0d 16 a0 00 | c0 00 05 | 03 | 00 00 00 00 00 00 10 00 | 00 00 00 00 00 00 00 07'],
    ['microcode activation', '0f 06 00 00 00 00 00 3c'],
    ['unknown type', '10 04 01 02 03 04'],
    ['vendor specific type', '80 02 ab cd'],
    ['wrong additional length', '03 04 00 07 00 00'],
  ];
  for (const [what, d] of descriptors) out.push({ what: `descriptor: ${what}`, bytes: descriptorSense(0x03, 0x11, 0x00, d) });
  out.push(
    {
      what: 'descriptor: every known descriptor together',
      bytes: descriptorSense(
        0x05,
        0x24,
        0x00,
        descriptors
          .slice(0, 13)
          .map(([, d]) => d)
          .join(' '),
      ),
    },
    { what: 'fixed, deferred', bytes: fixed(0x71, 0x04, 0x44, 0x00) },
    { what: 'descriptor, deferred', bytes: descriptorSense(0x02, 0x04, 0x01, '', 0x73) },
    { what: 'fixed, VALID, FILEMARK EOM ILI SDAT_OVFL, FRU', bytes: hex`f0 00 f3 | 00 01 02 03 | 0a | 00 00 00 05 | 14 00 | 2b | 00 00 00` },
    { what: 'fixed, ATA PASS-THROUGH registers (00/1D)', bytes: hex`70 00 01 | 04 51 40 02 | 0a | c3 05 06 07 | 00 1d | 00 | 00 00 00` },
    { what: 'fixed, additional sense bytes', bytes: hex`70 00 06 | 00 00 00 00 | 0e | 00 00 00 00 | 29 00 | 00 | 00 00 00 | de ad be ef` },
    { what: 'fixed, ADDITIONAL SENSE LENGTH leaves ASC out', bytes: hex`70 00 05 00 00 00 00 04 00 00 00 00 24 00 00 00 00 00` },
    { what: 'empty (all zero)', bytes: new Uint8Array(18) },
    { what: 'vendor specific response code 7Fh', bytes: hex`7f 00 05 00 00 00 00 0a` },
    { what: 'not sense data (response code 12h)', bytes: hex`12 34 56` },
    { what: 'descriptor cut after its type byte', bytes: hex`72 05 24 00 00 00 00 01 | 00` },
    { what: 'descriptor longer than what remains', bytes: hex`72 05 24 00 00 00 00 04 | 00 0a 80 00` },
  );
  return out;
}

/** Sense data cut short: in the header, and before the length ADDITIONAL SENSE LENGTH declares. */
export function truncatedSenseSamples(): ScsiSample[] {
  const fixed18 = fixed(0x70, 0x05, 0x24, 0x00, [0xcd, 0x00, 0x02]);
  const descriptor = descriptorSense(0x03, 0x11, 0x00, '00 0a 80 00 00 00 00 00 00 00 10 00');
  const out: ScsiSample[] = [];
  for (const keep of [1, 2, 3, 7, 10, 13, 17]) out.push({ what: `fixed cut to ${keep} bytes`, bytes: fixed18.subarray(0, keep) });
  for (const keep of [1, 2, 3, 4, 7, 12, 19]) out.push({ what: `descriptor cut to ${keep} bytes`, bytes: descriptor.subarray(0, keep) });
  return out;
}

/** Bytes as the hex argument `scsitrace cdb` and `scsitrace sense` take. */
export function hexArg(bytes: Uint8Array): string {
  return [...bytes].map(hex2).join(' ');
}
