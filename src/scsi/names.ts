/**
 * Name lookups: operation codes, service actions, ASC/ASCQ. Every lookup is an array index or a
 * map probe over names built once at load; fallbacks are hex ("VENDOR SPECIFIC 0xC5",
 * "ASC 0x84/0x01"), never an exception.
 */
import { ASC_ASCQ_RANGES, ASC_ASCQ_ROWS } from './tables/asc-ascq.js';
import { OPCODE_ROWS } from './tables/opcodes.js';
import { SERVICE_ACTION_ROWS } from './tables/service-actions.js';
import { hex, hexByte } from './hex.js';

/**
 * Several device types share an opcode (0x42 is UNMAP on disks, READ SUB-CHANNEL on MMC). Names
 * default to the all-device, then disk meaning: scsitrace mostly sees block devices.
 */
function deviceTypeRank(deviceTypes: string): number {
  if (deviceTypes === 'PDT_ALL') return 0;
  if (deviceTypes === 'PDT_DISK_ZBC') return 1;
  if (deviceTypes === 'PDT_DISK') return 2;
  return 3;
}

/** Opcodes the reference list does not name on their own (only through service actions). */
const EXTRA_OPCODE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x7f, 'VARIABLE LENGTH CDB'], // SPC-6 variable length CDB format
];

/**
 * Opcodes whose service action picks the command: the service action's name is the command's
 * name (0x9E/0x10 is READ CAPACITY(16)). Value: where the service action is.
 * SPC-6 4.2 CDB formats: a 5-bit field in byte 1, or 16 bits in bytes 8-9 of a 0x7F CDB.
 */
const SA_IN_BYTE1 = 1;
const SA_IN_BYTES_8_9 = 2;
const SERVICE_ACTION_COMMANDS: ReadonlyArray<readonly [number, number]> = [
  [0x7f, SA_IN_BYTES_8_9], // variable length
  [0x83, SA_IN_BYTE1], // third-party copy out
  [0x84, SA_IN_BYTE1], // third-party copy in
  [0x94, SA_IN_BYTE1], // ZBC OUT
  [0x95, SA_IN_BYTE1], // ZBC IN
  [0x9d, SA_IN_BYTE1], // SERVICE ACTION BIDIRECTIONAL
  [0x9e, SA_IN_BYTE1], // SERVICE ACTION IN(16)
  [0x9f, SA_IN_BYTE1], // SERVICE ACTION OUT(16)
  [0xa3, SA_IN_BYTE1], // MAINTENANCE IN
  [0xa4, SA_IN_BYTE1], // MAINTENANCE OUT
  [0xa9, SA_IN_BYTE1], // SERVICE ACTION OUT(12)
  [0xab, SA_IN_BYTE1], // SERVICE ACTION IN(12)
];

/** Picks, per key, the row with the best device-type rank (first listed wins ties). */
function primaryNames<K>(rows: Iterable<{ key: K; deviceTypes: string; name: string }>): Map<K, string> {
  const best = new Map<K, { rank: number; name: string }>();
  for (const r of rows) {
    const rank = deviceTypeRank(r.deviceTypes);
    const seen = best.get(r.key);
    if (!seen || rank < seen.rank) best.set(r.key, { rank, name: r.name });
  }
  return new Map([...best].map(([k, v]) => [k, v.name]));
}

const knownOpcodeNames = primaryNames<number>(OPCODE_ROWS.map((r) => ({ key: r.opcode, ...r })));
for (const [op, name] of EXTRA_OPCODE_NAMES) knownOpcodeNames.set(op, name);

/** Service action names keyed (opcode << 16) | serviceAction. */
const serviceActionNames = primaryNames(SERVICE_ACTION_ROWS.map((r) => ({ key: (r.opcode << 16) | r.serviceAction, ...r })));

function fallbackOpcodeName(opcode: number): string {
  return opcode >= 0xc0 ? `VENDOR SPECIFIC ${hex(opcode)}` : `OPERATION CODE ${hex(opcode)}`;
}

/** Name of every opcode on its own, indexed by opcode. */
const OPCODE_NAME: readonly string[] = Array.from({ length: 256 }, (_, op) => knownOpcodeNames.get(op) ?? fallbackOpcodeName(op));

/** Where each opcode's service action is (0 = its name does not depend on one). */
const SA_LOCATION = new Uint8Array(256);
for (const [op, where] of SERVICE_ACTION_COMMANDS) SA_LOCATION[op] = where;

function fallbackServiceActionCommandName(opcode: number, sa: number): string {
  return `${OPCODE_NAME[opcode]} (SERVICE ACTION ${hex(sa)})`;
}

/** For byte-1 service action opcodes: all 32 command names, indexed [opcode][sa]. */
const SA5_NAMES: ReadonlyArray<readonly string[] | undefined> = Array.from({ length: 256 }, (_, op) =>
  SA_LOCATION[op] === SA_IN_BYTE1
    ? Array.from({ length: 32 }, (_, sa) => serviceActionNames.get((op << 16) | sa) ?? fallbackServiceActionCommandName(op, sa))
    : undefined,
);

/** Variable-length (0x7F) command names by 16-bit service action; unknown ones cached on demand. */
const VARIABLE_NAMES = new Map<number, string>();
for (const [key, name] of serviceActionNames) if (key >>> 16 === 0x7f) VARIABLE_NAMES.set(key & 0xffff, name);

function variableLengthName(sa: number): string {
  let name = VARIABLE_NAMES.get(sa);
  if (name === undefined) {
    // Bounded: at most 65536 service actions exist.
    name = fallbackServiceActionCommandName(0x7f, sa);
    VARIABLE_NAMES.set(sa, name);
  }
  return name;
}

/** True when the opcode's command name depends on a service action (0x7F, 0x9E, 0xA3, ...). */
export function hasServiceActionName(opcode: number): boolean {
  return SA_LOCATION[opcode] !== undefined && SA_LOCATION[opcode] !== 0;
}

/**
 * The service action of a CDB whose command name depends on one, else undefined.
 * SPC-6 4.2: byte 1 bits 4:0, or bytes 8-9 of a variable-length CDB.
 */
export function cdbServiceAction(cdb: Uint8Array): number | undefined {
  return cdbServiceActionAt(cdb, 0, cdb.length);
}

/** cdbServiceAction for the n-byte CDB at bytes[at..] (a batch's slab). */
export function cdbServiceActionAt(bytes: Uint8Array, at: number, n: number): number | undefined {
  const where = SA_LOCATION[n ? bytes[at]! : 0];
  if (where === SA_IN_BYTE1) return n >= 2 ? bytes[at + 1]! & 0x1f : undefined;
  if (where === SA_IN_BYTES_8_9) return n >= 10 ? (bytes[at + 8]! << 8) | bytes[at + 9]! : undefined;
  return undefined;
}

/**
 * T10 name of an operation code, with its service action when the command name depends on one
 * (opcodeName(0x9e, 0x10) is "READ CAPACITY(16)"). For opcodes where the service action is a
 * sub-function (PERSISTENT RESERVE OUT, SANITIZE) it is ignored: see serviceActionName.
 */
export function opcodeName(opcode: number, serviceAction?: number): string {
  if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xff) return `OPERATION CODE ${opcode}`;
  const where = SA_LOCATION[opcode];
  if (serviceAction === undefined || where === 0) return OPCODE_NAME[opcode]!;
  if (where === SA_IN_BYTE1) {
    return serviceAction >= 0 && serviceAction < 32 ? SA5_NAMES[opcode]![serviceAction]! : fallbackServiceActionCommandName(opcode, serviceAction);
  }
  return serviceAction >= 0 && serviceAction <= 0xffff ? variableLengthName(serviceAction) : fallbackServiceActionCommandName(opcode, serviceAction);
}

/**
 * Command name of a CDB, as decodeCdb would give it. Hot path (called per task): array
 * lookups of names built at load, no allocation.
 */
export function commandName(cdb: Uint8Array): string {
  if (cdb.length === 0) return 'EMPTY CDB';
  const op = cdb[0]!;
  const where = SA_LOCATION[op];
  if (where === 0) return OPCODE_NAME[op]!;
  if (where === SA_IN_BYTE1) return cdb.length >= 2 ? SA5_NAMES[op]![cdb[1]! & 0x1f]! : OPCODE_NAME[op]!;
  return cdb.length >= 10 ? variableLengthName((cdb[8]! << 8) | cdb[9]!) : OPCODE_NAME[op]!;
}

/**
 * Name of a service action (or buffer mode, or READ POSITION form) in the reference table, as
 * T10 prints it: serviceActionName(0x5f, 1) is "RESERVE". Undefined when the table has none.
 */
export function serviceActionName(opcode: number, serviceAction: number): string | undefined {
  return serviceActionNames.get(opcode * 0x10000 + serviceAction);
}

/**
 * CDB length from the group code (SPC-6 4.2.5.1): group 0 is 6 bytes, 1 and 2 are 10, 4 is 16,
 * 5 is 12. Groups 3 (reserved, 0x7E/0x7F) and 6-7 (vendor specific) have no fixed length; for
 * 0x7F the length is 8 + ADDITIONAL CDB LENGTH (byte 7), given the CDB.
 */
export function cdbLength(opcode: number, cdb?: Uint8Array): number | undefined {
  switch ((opcode >> 5) & 7) {
    case 0:
      return 6;
    case 1:
    case 2:
      return 10;
    case 4:
      return 16;
    case 5:
      return 12;
    case 3:
      if (opcode === 0x7f && cdb !== undefined && cdb.length >= 8) return 8 + cdb[7]!;
      return undefined;
    default:
      return undefined;
  }
}

const ASC_NAMES = new Map<number, string>(ASC_ASCQ_ROWS.map(([key, name]) => [key, name]));

/**
 * T10 name of an additional sense code. Exact (ASC << 8) | ASCQ entries first, then the ranged
 * patterns (40/NN RAM FAILURE, 4D/NN TAGGED OVERLAPPED COMMANDS, ...), then hex. SPC-6:
 * ASC 80h-FFh and ASCQ 80h-FFh are vendor specific.
 */
export function ascName(asc: number, ascq: number): string {
  const known = ASC_NAMES.get(((asc & 0xff) << 8) | (ascq & 0xff));
  if (known !== undefined) return known;
  for (const r of ASC_ASCQ_RANGES) {
    if (r.asc === asc && ascq >= r.ascqMin && ascq <= r.ascqMax) return r.pattern.replace('{NN}', hex(ascq));
  }
  const code = `ASC 0x${hexByte(asc)}/0x${hexByte(ascq)}`;
  return asc >= 0x80 || ascq >= 0x80 ? `${code} (VENDOR SPECIFIC)` : code;
}

/** Whether the ASC/ASCQ pair has a T10 name (exact or ranged). */
export function isKnownAsc(asc: number, ascq: number): boolean {
  if (ASC_NAMES.has((asc << 8) | ascq)) return true;
  return ASC_ASCQ_RANGES.some((r) => r.asc === asc && ascq >= r.ascqMin && ascq <= r.ascqMax);
}
