/**
 * HBA constraint configs: what a controller told the OS it can do, where the OS keeps it, and
 * the few settings checking needs besides (block size, capacity, write cache, timeouts, power
 * transitions). Every fact about a key (its IOKit spelling, who sets it, Apple's default) is
 * in the CONSTRAINTS table; parsing, validation, resolution (file over trace over default),
 * the contradiction notes and `scsitrace constraints` all read it. Sources for every Apple
 * fact are cited in docs/constraints.md.
 */
import { UsageError } from '../model/errors.js';
import type { ConstraintValue } from '../model/events.js';
import { editDistance } from './suggest.js';

export type ConstraintKind = 'count' | 'bytes' | 'bits' | 'alignment' | 'mask' | 'boolean' | 'milliseconds' | 'microseconds' | 'platform';

/** Who sets a value and how the OS learns it. */
export type ConstraintOrigin =
  /** A key of the dictionary a driver fills in UserReportHBAConstraints (kext: ReportHBAConstraints). */
  | 'UserReportHBAConstraints'
  /** A registry property of the controller or the disk object, not part of UserReportHBAConstraints. */
  | 'registry property'
  /** An out-parameter of UserGetDMASpecification (kext: the IODMACommand specification of InitializeDMASpecification). */
  | 'UserGetDMASpecification'
  /** UserReportMaximumTaskCount, published as IOCommandPoolSize. */
  | 'UserReportMaximumTaskCount'
  /** What the device itself reports (READ CAPACITY, MODE SENSE, INQUIRY VPD). */
  | 'device'
  /** What the controller's descriptor format allows, known to its driver but carried by no IOKit key or call. */
  | 'hardware'
  /** A setting of the checker, not a fact about the HBA. */
  | 'scsitrace';

export interface ConstraintDef {
  /** Friendly name, used in JSON output and accepted in config files. */
  id: ConstraintId;
  /** IOKit property string a driver reports (the key in the trace's constraints record). */
  iokitKey?: string;
  /** C constant naming the property in the IOKit / DriverKit headers. */
  constantName?: string;
  /** Other accepted spellings. */
  aliases?: readonly string[];
  kind: ConstraintKind;
  min?: number;
  max?: number;
  /** What the checker assumes when nothing sets the value. */
  default?: number | boolean;
  /** One line for `constraints` and docs/constraints.md. */
  description: string;
  origin: ConstraintOrigin;
  /** Header defining the key or the call (Apple's). */
  header?: string;
  /** What Apple's code does when the driver leaves it out (docs/constraints.md cites each). */
  appleDefault?: string;
  /** For the keys of UserReportHBAConstraints: whether the .iig lists the key as required or optional. */
  hbaConstraints?: 'required' | 'optional';
}

export const CONSTRAINT_IDS = [
  'maxSegmentCountRead',
  'maxSegmentCountWrite',
  'maxSegmentByteCountRead',
  'maxSegmentByteCountWrite',
  'maxByteCountRead',
  'maxByteCountWrite',
  'maxBlockCountRead',
  'maxBlockCountWrite',
  'minSegmentAlignment',
  'addressBits',
  'segmentBoundary',
  'hbaDataAlignmentMask',
  'hierarchicalLunSupport',
  'maxTasksInFlight',
  'dmaMaxTransferSize',
  'dmaAlignment',
  'dmaNumAddressBits',
  'maxMappedDmaBytes',
  'logicalBlockSize',
  'capacityBlocks',
  'writeCacheEnabled',
  'writeCacheVolatile',
  'platform',
  'taskTimeoutMs',
  'powerTransitionWarnMs',
  'powerTransitionErrorMs',
  'syncCacheFastThresholdUs',
] as const;
export type ConstraintId = (typeof CONSTRAINT_IDS)[number];

/** Where a driver runs: decides what `constraints` explains (docs/constraints.md, "Platform"). */
export const PLATFORMS = ['dext', 'kext', 'linux'] as const;
export type Platform = (typeof PLATFORMS)[number];

const IOKIT_KEYS_H = 'IOKitKeys.h';
/** Where the two SCSI-family keys are defined: for a dext, and for a kext. */
const SCSI_KEYS_H = 'SCSIControllerDriverKit/SCSIDefinitions.h (dext), IOSCSIParallelControllerCharacteristics.h (kext)';
const IIG = 'IOUserSCSIParallelInterfaceController.iig';

/** Every constraint the checker knows. */
export const CONSTRAINTS: readonly ConstraintDef[] = [
  {
    id: 'maxSegmentCountRead',
    iokitKey: 'IOMaximumSegmentCountRead',
    constantName: 'kIOMaximumSegmentCountReadKey',
    kind: 'count',
    min: 1,
    origin: 'UserReportHBAConstraints',
    hbaConstraints: 'required',
    header: IOKIT_KEYS_H,
    appleDefault: 'none (no limit)',
    description: 'most scatter/gather elements in one read',
  },
  {
    id: 'maxSegmentCountWrite',
    iokitKey: 'IOMaximumSegmentCountWrite',
    constantName: 'kIOMaximumSegmentCountWriteKey',
    kind: 'count',
    min: 1,
    origin: 'UserReportHBAConstraints',
    hbaConstraints: 'required',
    header: IOKIT_KEYS_H,
    appleDefault: 'none (no limit)',
    description: 'most scatter/gather elements in one write',
  },
  {
    id: 'maxSegmentByteCountRead',
    iokitKey: 'IOMaximumSegmentByteCountRead',
    constantName: 'kIOMaximumSegmentByteCountReadKey',
    kind: 'bytes',
    min: 1,
    origin: 'UserReportHBAConstraints',
    hbaConstraints: 'required',
    header: IOKIT_KEYS_H,
    appleDefault: 'none (no limit)',
    description: 'longest scatter/gather element of a read, in bytes',
  },
  {
    id: 'maxSegmentByteCountWrite',
    iokitKey: 'IOMaximumSegmentByteCountWrite',
    constantName: 'kIOMaximumSegmentByteCountWriteKey',
    kind: 'bytes',
    min: 1,
    origin: 'UserReportHBAConstraints',
    hbaConstraints: 'required',
    header: IOKIT_KEYS_H,
    appleDefault: 'none (no limit)',
    description: 'longest scatter/gather element of a write, in bytes',
  },
  {
    id: 'maxByteCountRead',
    iokitKey: 'IOMaximumByteCountRead',
    constantName: 'kIOMaximumByteCountReadKey',
    kind: 'bytes',
    min: 1,
    origin: 'registry property',
    header: IOKIT_KEYS_H,
    appleDefault: 'none (no byte limit; the block count limits)',
    description: 'largest read, in bytes',
  },
  {
    id: 'maxByteCountWrite',
    iokitKey: 'IOMaximumByteCountWrite',
    constantName: 'kIOMaximumByteCountWriteKey',
    kind: 'bytes',
    min: 1,
    origin: 'registry property',
    header: IOKIT_KEYS_H,
    appleDefault: 'none (no byte limit; the block count limits)',
    description: 'largest write, in bytes',
  },
  {
    id: 'maxBlockCountRead',
    iokitKey: 'IOMaximumBlockCountRead',
    constantName: 'kIOMaximumBlockCountReadKey',
    kind: 'count',
    min: 1,
    origin: 'registry property',
    header: IOKIT_KEYS_H,
    appleDefault: '65535 blocks (kDefaultMaxBlocksPerIO)',
    description: 'largest read, in logical blocks',
  },
  {
    id: 'maxBlockCountWrite',
    iokitKey: 'IOMaximumBlockCountWrite',
    constantName: 'kIOMaximumBlockCountWriteKey',
    kind: 'count',
    min: 1,
    origin: 'registry property',
    header: IOKIT_KEYS_H,
    appleDefault: '65535 blocks (kDefaultMaxBlocksPerIO)',
    description: 'largest write, in logical blocks',
  },
  {
    id: 'minSegmentAlignment',
    iokitKey: 'IOMinimumSegmentAlignmentByteCount',
    constantName: 'kIOMinimumSegmentAlignmentByteCountKey',
    kind: 'alignment',
    min: 1,
    origin: 'UserReportHBAConstraints',
    hbaConstraints: 'required',
    header: IOKIT_KEYS_H,
    appleDefault: '4',
    description: 'every element address and length must be a multiple of this (a power of two)',
  },
  {
    id: 'addressBits',
    iokitKey: 'IOMaximumSegmentAddressableBitCount',
    constantName: 'kIOMaximumSegmentAddressableBitCountKey',
    kind: 'bits',
    min: 32,
    max: 64,
    origin: 'UserReportHBAConstraints',
    hbaConstraints: 'required',
    header: IOKIT_KEYS_H,
    appleDefault: '32 (kext base class); a dext must report it',
    description: 'DMA address bits the HBA can drive (32 = below 4 GiB)',
  },
  {
    id: 'segmentBoundary',
    aliases: ['segmentBoundaryBytes'],
    kind: 'alignment',
    min: 4096,
    origin: 'hardware',
    appleDefault: 'no such key: the framework hands one IOVM range and the dext splits it',
    description: 'no SGL element may cross an address that is a multiple of this (a power of two; 4294967296 for elements that cannot cross a 4 GiB boundary)',
  },
  {
    id: 'hbaDataAlignmentMask',
    iokitKey: 'HBA Data Alignment',
    constantName: 'kIOMinimumHBADataAlignmentMaskKey',
    kind: 'mask',
    origin: 'UserReportHBAConstraints',
    hbaConstraints: 'required',
    header: SCSI_KEYS_H,
    appleDefault: '0x00000000FFFFFFF0 (kext base class); a dext must report it or the system panics',
    description: 'address mask for per-task HBA data: addressable bits and minimum alignment (e.g. 0x0000FFFFFFFFFFFE); never published in the registry',
  },
  {
    id: 'hierarchicalLunSupport',
    iokitKey: 'SCSI Hierarchical Logical Unit Support',
    constantName: 'kIOHierarchicalLogicalUnitSupportKey',
    kind: 'boolean',
    origin: 'UserReportHBAConstraints',
    hbaConstraints: 'optional',
    header: SCSI_KEYS_H,
    appleDefault: 'false (absent)',
    description: 'the HBA handles full 8-byte hierarchical LUNs',
  },
  {
    id: 'maxTasksInFlight',
    iokitKey: 'IOCommandPoolSize',
    constantName: 'kIOCommandPoolSizeKey',
    kind: 'count',
    min: 1,
    origin: 'UserReportMaximumTaskCount',
    header: IOKIT_KEYS_H,
    appleDefault: 'none: the driver must report a count above 0',
    description: "most tasks outstanding at once: the controller's task pool (UserReportMaximumTaskCount, published as IOCommandPoolSize)",
  },
  {
    id: 'dmaMaxTransferSize',
    aliases: ['maxTransferSize'],
    kind: 'bytes',
    min: 0,
    origin: 'UserGetDMASpecification',
    header: IIG,
    appleDefault: '1 MiB (kext base class); a dext must return it; 0 = no limit',
    description: "largest buffer one task's DMA mapping may cover (UserGetDMASpecification maxTransferSize); larger tasks fail to map",
  },
  {
    id: 'dmaAlignment',
    kind: 'alignment',
    min: 0,
    origin: 'UserGetDMASpecification',
    header: IIG,
    appleDefault: '4 (kext base class); a dext must return it; 0 = 1',
    description: 'alignment the DMA mapping needs (UserGetDMASpecification alignment); buffers not so aligned are copied',
  },
  {
    id: 'dmaNumAddressBits',
    aliases: ['numAddressBits'],
    kind: 'bits',
    min: 12,
    max: 64,
    origin: 'UserGetDMASpecification',
    header: IIG,
    appleDefault: '32 (kext base class); a dext must return it',
    description: 'address bits of the DMA mapping (UserGetDMASpecification numAddressBits): the IOVM addresses the framework hands lie below 2^bits',
  },
  {
    id: 'maxMappedDmaBytes',
    kind: 'bytes',
    min: 1,
    origin: 'scsitrace',
    appleDefault: "no such limit in Apple's sources",
    description: 'opt-in: most bytes mapped for DMA by all tasks in flight, a budget you measured (no Apple source sets one)',
  },
  { id: 'logicalBlockSize', kind: 'bytes', min: 1, origin: 'device', description: 'logical block size in bytes (READ CAPACITY LOGICAL BLOCK LENGTH)' },
  {
    id: 'capacityBlocks',
    kind: 'count',
    min: 1,
    origin: 'device',
    description: 'device capacity in logical blocks (READ CAPACITY RETURNED LOGICAL BLOCK ADDRESS + 1)',
  },
  { id: 'writeCacheEnabled', kind: 'boolean', origin: 'device', description: 'the device write cache is on (MODE SENSE caching page 08h WCE)' },
  {
    id: 'writeCacheVolatile',
    kind: 'boolean',
    origin: 'device',
    description:
      'the write cache loses data on power loss (false: battery- or flash-backed, where SYNCHRONIZE CACHE may be answered at once); unknown unless set',
  },
  {
    id: 'platform',
    kind: 'platform',
    origin: 'scsitrace',
    description: 'where the driver runs: dext (DriverKit), kext or linux; decides what `constraints` explains',
  },
  {
    id: 'taskTimeoutMs',
    kind: 'milliseconds',
    min: 1,
    origin: 'scsitrace',
    description: 'longest a task may take, in ms, besides the timeout each task carries',
  },
  {
    id: 'powerTransitionWarnMs',
    kind: 'milliseconds',
    min: 1,
    default: 10_000,
    origin: 'scsitrace',
    description: 'power-state transitions slower than this are a warning',
  },
  {
    id: 'powerTransitionErrorMs',
    kind: 'milliseconds',
    min: 1,
    // IOUserServer::serviceSetPowerState gives a dext 20 s to acknowledge; past it macOS panics (docs/rules/slow-power-transition.md).
    default: 20_000,
    origin: 'scsitrace',
    description: 'power-state transitions slower than this are an error (a dext has 20 s to acknowledge SetPowerState, then macOS panics)',
  },
  {
    id: 'syncCacheFastThresholdUs',
    kind: 'microseconds',
    min: 0,
    default: 100,
    origin: 'scsitrace',
    description: 'without HBA events: a SYNCHRONIZE CACHE after writes answered faster than this is suspect',
  },
];

const BY_ID = new Map<string, ConstraintDef>(CONSTRAINTS.map((c) => [c.id, c]));
/** Every accepted spelling (friendly, IOKit, C constant, aliases), lower-cased, to its definition. */
const BY_SPELLING = new Map<string, ConstraintDef>();
for (const c of CONSTRAINTS) {
  for (const name of spellings(c)) BY_SPELLING.set(name.toLowerCase(), c);
}

/** Every name a key may be written as. */
export function spellings(c: ConstraintDef): string[] {
  return [c.iokitKey, c.constantName, c.id, ...(c.aliases ?? [])].filter((x): x is string => x !== undefined);
}

export function constraintDef(id: ConstraintId): ConstraintDef {
  return BY_ID.get(id)!;
}

/** The definition for any accepted spelling of a key, case-insensitively. */
export function lookupConstraintKey(key: string): ConstraintDef | undefined {
  return BY_SPELLING.get(key.toLowerCase());
}

/** The name users see for a constraint: its IOKit key when it has one. */
export function displayKey(def: ConstraintDef): string {
  return def.iokitKey ?? def.id;
}

export type ConstraintSetting = number | boolean | bigint | Platform;
export type ConstraintValues = Partial<Record<ConstraintId, ConstraintSetting>>;

/** A validated constraints config: its values, how each key was spelled, and where each came from. */
export interface ConstraintConfig {
  /** File path, or a label like "options" for configs built in code. */
  source: string;
  values: ConstraintValues;
  spelled: Partial<Record<ConstraintId, string>>;
  /** For values read from a machine (ioreg): the registry object each came from. */
  origin?: Partial<Record<ConstraintId, string>>;
  /** Free text from a "description" key (or what an ioreg dump was), shown by `constraints`. */
  description?: string;
  /** What reading the source found worth saying (which controller of several, what the registry cannot show). */
  notes?: string[];
}

export interface ConstraintProblem {
  key: string;
  message: string;
  /** Where in the file, when known. */
  offset?: number;
  line?: number;
}

/** Keys that carry commentary rather than a constraint. */
const COMMENT_KEYS = new Set(['$schema', '$comment', 'comment', 'description', '//']);

const GiB = 1024 * 1024 * 1024;
const SIZE_SUFFIX: Record<string, number> = { k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: GiB, gib: GiB, t: 1024 * GiB, tib: 1024 * GiB };

// ---------------------------------------------------------------------------------------------
// Quoting input in messages: never more than a short excerpt.

/** Longest key quoted in a message. */
export const MAX_QUOTED_KEY = 64;
/** Longest value excerpt quoted in a message. */
export const MAX_QUOTED_VALUE = 40;
/** Problems listed one per line before the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 20;

/** A string for a message: JSON-quoted, cut to `max` characters with the full length said. */
export function quoteExcerpt(s: string, max = MAX_QUOTED_VALUE): string {
  if (s.length <= max) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, max))}… (${s.length} characters)`;
}

/** A value as a message shows it: its type for structures, a short excerpt for text. */
export function describeRaw(raw: unknown): string {
  if (raw === undefined) return 'nothing (the value is missing)';
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return `a list of ${raw.length}`;
  if (typeof raw === 'string') return quoteExcerpt(raw);
  if (typeof raw === 'bigint') return raw.toString().length > MAX_QUOTED_VALUE ? `a ${raw.toString().length}-digit number` : raw.toString();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return 'an object';
}

// ---------------------------------------------------------------------------------------------
// One value.

/**
 * Turns one written value into a setting of the constraint's kind, or says what is wrong.
 * Numbers may be JSON numbers (bigint for exact large ones) or strings: "0x80000", "524288",
 * and for byte sizes "512KiB".
 */
export function parseConstraintValue(def: ConstraintDef, raw: unknown): { value?: ConstraintSetting; error?: string } {
  if (raw === undefined) return { error: 'no value given' };
  if (def.kind === 'boolean') {
    if (typeof raw === 'boolean') return { value: raw };
    if (raw === 0 || raw === 1 || raw === 0n || raw === 1n) return { value: raw === 1 || raw === 1n };
    if (typeof raw === 'string') {
      const s = raw.trim().toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(s)) return { value: true };
      if (['false', 'no', 'off', '0'].includes(s)) return { value: false };
    }
    return { error: `expected true or false, got ${describeRaw(raw)}` };
  }
  if (def.kind === 'platform') {
    const s = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
    if (s !== undefined && (PLATFORMS as readonly string[]).includes(s)) return { value: s as Platform };
    return { error: `expected one of ${PLATFORMS.join(', ')}, got ${describeRaw(raw)}` };
  }
  let big: bigint | undefined;
  if (typeof raw === 'bigint') big = raw;
  else if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || !Number.isInteger(raw)) return { error: `expected a whole number, got ${describeRaw(raw)}` };
    if (!Number.isSafeInteger(raw)) return { error: `${raw} is too large to be exact in JSON; write it as a hex string ("0x...")` };
    big = BigInt(raw);
  } else if (typeof raw === 'string') {
    const s = raw.trim().replace(/_/g, '');
    const sized = s.length <= 40 ? /^(\d+)\s*([a-z]+)$/i.exec(s) : null;
    if (s.length <= 40 && (/^0x[0-9a-f]+$/i.test(s) || /^\d+$/.test(s))) big = BigInt(s);
    else if (sized && def.kind === 'bytes' && SIZE_SUFFIX[sized[2]!.toLowerCase()] !== undefined)
      big = BigInt(sized[1]!) * BigInt(SIZE_SUFFIX[sized[2]!.toLowerCase()]!);
    else
      return { error: `expected a number (decimal, or hex like "0x80000"${def.kind === 'bytes' ? ', or a size like "512KiB"' : ''}), got ${describeRaw(raw)}` };
  } else {
    return { error: `expected a number, got ${describeRaw(raw)}` };
  }
  if (big < 0n) return { error: 'must not be negative' };
  if (def.kind === 'mask') {
    if (big >= 1n << 64n) return { error: `${hexExcerpt(big)} does not fit in 64 bits` };
    const problem = maskProblem(big);
    return problem ? { error: problem } : { value: big };
  }
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return { error: `${hexExcerpt(big)} is larger than the checker can use exactly` };
  const n = Number(big);
  if (def.kind === 'bits' && ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max))) {
    const why =
      def.id === 'dmaNumAddressBits' && n === 0 ? ' (0 stands for 64 bits with a 64-bit segment type and 32 with a 32-bit one: write the number)' : '';
    return { error: `${n} address bits is outside ${def.min}-${def.max}${why}` };
  }
  if (def.min !== undefined && n < def.min) return { error: `${n} is below the minimum of ${def.min}` };
  if (def.max !== undefined && n > def.max) return { error: `${n} is above the maximum of ${def.max}` };
  if (def.kind === 'alignment' && n !== 0 && !isPowerOfTwo(n)) return { error: `${n} is not a power of two` };
  return { value: n };
}

/** Exact for every safe integer (the bitwise trick is not: JS bit operations are 32-bit). */
export function isPowerOfTwo(n: number): boolean {
  if (!(n > 0)) return false;
  const e = Math.log2(n);
  return Number.isInteger(e) && 2 ** e === n;
}

function hexExcerpt(big: bigint): string {
  const hex = big.toString(16);
  return hex.length > 32 ? `a ${hex.length}-digit hex number` : `0x${hex}`;
}

/** kIOMinimumHBADataAlignmentMaskKey must be ones from the alignment bit up to the top address bit. */
function maskProblem(mask: bigint): string | undefined {
  if (mask === 0n) return 'mask is 0: no address would be allowed';
  const { bits, alignment } = describeMask(mask);
  const expected = ((1n << BigInt(bits)) - 1n) & ~(BigInt(alignment) - 1n);
  if (expected !== mask)
    return `0x${mask.toString(16)} is not a contiguous mask (expected the form 0x0000FFFFFFFFFFFE: ones from the alignment bit up to the top address bit)`;
  if (bits < 32) return `mask allows only ${bits} address bits; outside 32-64`;
  return undefined;
}

/** Address bits and minimum alignment that an HBA data alignment mask stands for. */
export function describeMask(mask: bigint): { bits: number; alignment: number } {
  const bits = mask.toString(2).length;
  let alignment = 1;
  while (alignment < 2 ** 62 && (mask & BigInt(alignment)) === 0n) alignment *= 2;
  return { bits, alignment };
}

// ---------------------------------------------------------------------------------------------
// A whole config.

/** One key of a config as read: the value, and where it sits when it came from a file. */
export interface ConfigEntry {
  key: string;
  value: unknown;
  offset?: number;
  line?: number;
}

/** Validates entries as a constraints config. Problems are all collected, not just the first. */
export function parseConfigEntries(entries: Iterable<ConfigEntry>, source = 'options'): { config: ConstraintConfig; problems: ConstraintProblem[] } {
  const config: ConstraintConfig = { source, values: {}, spelled: {} };
  const problems: ConstraintProblem[] = [];
  const at = (e: ConfigEntry): Pick<ConstraintProblem, 'offset' | 'line'> => ({
    ...(e.offset !== undefined ? { offset: e.offset } : {}),
    ...(e.line !== undefined ? { line: e.line } : {}),
  });
  for (const e of entries) {
    const { key, value: raw } = e;
    if (COMMENT_KEYS.has(key) || key.startsWith('$') || key.startsWith('//')) {
      if (key === 'description' && typeof raw === 'string') config.description = raw.length > 400 ? `${raw.slice(0, 400)}…` : raw;
      continue;
    }
    const def = lookupConstraintKey(key);
    if (!def) {
      problems.push({ key, message: 'unknown key', ...at(e) });
      continue;
    }
    const before = config.spelled[def.id];
    if (before !== undefined) {
      problems.push({ key, message: `given twice (also as ${quoteExcerpt(before, MAX_QUOTED_KEY)})`, ...at(e) });
      continue;
    }
    const parsed = parseConstraintValue(def, raw);
    if (parsed.error !== undefined) {
      problems.push({ key, message: parsed.error, ...at(e) });
      continue;
    }
    config.values[def.id] = parsed.value!;
    config.spelled[def.id] = key;
  }
  return { config, problems };
}

/** Validates a parsed JSON object as a constraints config. */
export function parseConstraintConfig(json: unknown, source = 'options'): { config: ConstraintConfig; problems: ConstraintProblem[] } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return {
      config: { source, values: {}, spelled: {} },
      problems: [{ key: '', message: `a constraints file must hold one JSON object, got ${describeRaw(json)}` }],
    };
  }
  return parseConfigEntries(
    Object.entries(json as Record<string, unknown>).map(([key, value]) => ({ key, value })),
    source,
  );
}

/**
 * Problems as lines for a UsageError: file, place, key, problem; at most MAX_PROBLEMS_SHOWN,
 * then one line counting the rest. "Did you mean" is worked out only for the lines shown.
 */
export function problemLines(source: string, problems: readonly ConstraintProblem[]): string[] {
  const lines = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => {
    const place =
      p.offset !== undefined
        ? `at byte 0x${p.offset.toString(16)}${p.line !== undefined ? ` (line ${p.line})` : ''}`
        : p.line !== undefined
          ? `line ${p.line}`
          : '';
    let message = p.message;
    if (message === 'unknown key') {
      const near = nearestKey(p.key);
      if (near) message += `; did you mean "${near}"?`;
    }
    return [source, place, p.key ? quoteExcerpt(p.key, MAX_QUOTED_KEY) : '', message].filter(Boolean).join(': ');
  });
  if (problems.length > MAX_PROBLEMS_SHOWN) lines.push(`${source}: … and ${problems.length - MAX_PROBLEMS_SHOWN} more problems (${problems.length} in all)`);
  return lines;
}

/** Builds a config from a plain object (library use); throws UsageError on any problem. */
export function constraintConfig(values: Record<string, unknown>, source = 'options'): ConstraintConfig {
  const { config, problems } = parseConstraintConfig(values, source);
  if (problems.length) throw new UsageError(problemLines(source, problems).join('\n'));
  return config;
}

/** Keys longer than this get no suggestion: no known key is near. */
const MAX_SUGGESTED_KEY_LENGTH = 64;

/** Closest known spelling by edit distance, when close enough to be a typo. */
export function nearestKey(key: string): string | undefined {
  if (key.length === 0 || key.length > MAX_SUGGESTED_KEY_LENGTH) return undefined;
  const k = key.toLowerCase();
  const limit = Math.max(3, Math.floor(key.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of CONSTRAINTS) {
    for (const name of spellings(c)) {
      // The length difference bounds the distance from below: skip names that cannot be near.
      if (Math.abs(name.length - k.length) > limit) continue;
      const d = editDistance(k, name.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = name;
      }
    }
  }
  return bestDistance <= limit ? best : undefined;
}

// ---------------------------------------------------------------------------------------------
// Resolution: file over trace over default.

export type ConstraintSource = 'config' | 'trace' | 'default';

export interface ResolvedConstraint {
  id: ConstraintId;
  /** IOKit key, or the friendly name for limits that are not IOKit keys. */
  key: string;
  value: ConstraintSetting;
  source: ConstraintSource;
  /** A value from a lower-priority source that this one replaced. */
  overrides?: { value: ConstraintSetting; source: ConstraintSource };
  /** For config values: the file (and registry object) it came from, when the config says. */
  origin?: string;
}

/**
 * Numbers the rules compare against: Infinity when a limit is not set. Each field's meaning is
 * in docs/constraints.md under its key.
 */
export interface Limits {
  maxSegmentCountRead: number;
  maxSegmentCountWrite: number;
  maxSegmentByteCountRead: number;
  maxSegmentByteCountWrite: number;
  maxByteCountRead: number;
  maxByteCountWrite: number;
  maxBlockCountRead: number;
  maxBlockCountWrite: number;
  /** 1 when not set. */
  minSegmentAlignment: number;
  /** IOMaximumSegmentAddressableBitCount; 64 when not set. */
  addressBits: number;
  /** No SGL element may cross a multiple of this; Infinity when not set. */
  segmentBoundary: number;
  maxTasksInFlight: number;
  /** UserGetDMASpecification maxTransferSize; Infinity when not set or 0. */
  dmaMaxTransferSize: number;
  /** UserGetDMASpecification alignment; 1 when not set or 0. */
  dmaAlignment: number;
  /** UserGetDMASpecification numAddressBits: IOVM addresses lie below 2^this; 64 when not set. */
  dmaNumAddressBits: number;
  /** Opt-in budget of bytes mapped by tasks in flight; Infinity (no limit) unless set. */
  maxMappedDmaBytes: number;
  logicalBlockSize: number;
  capacityBlocks: number;
  taskTimeoutMs: number;
  powerTransitionWarnMs: number;
  powerTransitionErrorMs: number;
  syncCacheFastThresholdUs: number;
  writeCacheEnabled: boolean | undefined;
  /** false: battery/flash-backed cache; undefined: unknown. */
  writeCacheVolatile: boolean | undefined;
  hierarchicalLunSupport: boolean | undefined;
  platform: Platform | undefined;
}

/** Something about the config as a whole: limits that contradict each other, or what reading it found. */
export interface ConstraintNote {
  /** contradiction: two values cannot both be what the driver means; note: worth knowing. */
  severity: 'contradiction' | 'note';
  /** The keys it is about, by display name. */
  keys: string[];
  message: string;
}

export interface ResolvedConstraints {
  /** Every constraint that has a value, in table order, with where it came from. */
  entries: ResolvedConstraint[];
  limits: Limits;
  /** The constraints file, when one was given. */
  configFile?: string;
  /** Keys in the trace's constraints record the checker does not know (kept, not used); at most MAX_LISTED_TRACE_KEYS. */
  unknownTraceKeys: string[];
  /** Unknown trace keys in all (the list above may be cut). */
  unknownTraceKeyCount: number;
  /** Trace values that could not be used, one line each (at most MAX_PROBLEMS_SHOWN, then a count). */
  traceProblems: string[];
  /** Contradictions between values and what reading the sources found. */
  notes: ConstraintNote[];
}

/** Unknown trace keys listed by name before the rest are only counted. */
export const MAX_LISTED_TRACE_KEYS = 20;

/** Parses a trace's constraints record with the same table; unknown or bad entries are reported, not fatal. */
export function traceConstraintValues(entries: Record<string, ConstraintValue>): {
  values: ConstraintValues;
  unknown: string[];
  unknownCount: number;
  problems: string[];
} {
  const values: ConstraintValues = {};
  const unknown: string[] = [];
  let unknownCount = 0;
  const problems: string[] = [];
  let problemCount = 0;
  for (const [key, raw] of Object.entries(entries)) {
    const def = lookupConstraintKey(key);
    if (!def) {
      if (unknownCount++ < MAX_LISTED_TRACE_KEYS) unknown.push(key.length > MAX_QUOTED_KEY ? `${key.slice(0, MAX_QUOTED_KEY)}…` : key);
      continue;
    }
    const parsed = parseConstraintValue(def, raw);
    if (parsed.error !== undefined) {
      if (problemCount++ < MAX_PROBLEMS_SHOWN) problems.push(`trace constraint ${quoteExcerpt(key, MAX_QUOTED_KEY)}: ${parsed.error}`);
    } else values[def.id] = parsed.value!;
  }
  if (problemCount > MAX_PROBLEMS_SHOWN) problems.push(`… and ${problemCount - MAX_PROBLEMS_SHOWN} more unusable trace constraints`);
  return { values, unknown, unknownCount, problems };
}

export function resolveConstraints(config?: ConstraintConfig, trace?: Record<string, ConstraintValue>): ResolvedConstraints {
  const fromTrace = trace ? traceConstraintValues(trace) : { values: {}, unknown: [], unknownCount: 0, problems: [] };
  const entries: ResolvedConstraint[] = [];
  for (const def of CONSTRAINTS) {
    const layers: Array<[ConstraintSource, ConstraintSetting | undefined]> = [
      ['config', config?.values[def.id]],
      ['trace', fromTrace.values[def.id]],
      ['default', def.default],
    ];
    const present = layers.filter((l): l is [ConstraintSource, ConstraintSetting] => l[1] !== undefined);
    if (!present.length) continue;
    const [source, value] = present[0]!;
    const entry: ResolvedConstraint = { id: def.id, key: displayKey(def), value, source };
    const origin = source === 'config' ? config?.origin?.[def.id] : undefined;
    if (origin !== undefined) entry.origin = origin;
    // Say what a file value replaced from the trace (defaults replaced are not news).
    const replaced = present[1];
    if (replaced && replaced[0] !== 'default' && replaced[1] !== value) entry.overrides = { value: replaced[1], source: replaced[0] };
    entries.push(entry);
  }
  const limits = limitsOf(entries);
  const result: ResolvedConstraints = {
    entries,
    limits,
    unknownTraceKeys: fromTrace.unknown,
    unknownTraceKeyCount: fromTrace.unknownCount,
    traceProblems: fromTrace.problems,
    notes: [...(config?.notes ?? []).map((message): ConstraintNote => ({ severity: 'note', keys: [], message })), ...consistencyNotes(entries)],
  };
  if (config && config.source !== 'options') result.configFile = config.source;
  return result;
}

function limitsOf(entries: ResolvedConstraint[]): Limits {
  const v = new Map<ConstraintId, ConstraintSetting>(entries.map((e) => [e.id, e.value]));
  const n = (id: ConstraintId, unset = Infinity): number => (typeof v.get(id) === 'number' ? (v.get(id) as number) : unset);
  const b = (id: ConstraintId): boolean | undefined => (typeof v.get(id) === 'boolean' ? (v.get(id) as boolean) : undefined);
  const platform = v.get('platform');
  return {
    maxSegmentCountRead: n('maxSegmentCountRead'),
    maxSegmentCountWrite: n('maxSegmentCountWrite'),
    maxSegmentByteCountRead: n('maxSegmentByteCountRead'),
    maxSegmentByteCountWrite: n('maxSegmentByteCountWrite'),
    maxByteCountRead: n('maxByteCountRead'),
    maxByteCountWrite: n('maxByteCountWrite'),
    maxBlockCountRead: n('maxBlockCountRead'),
    maxBlockCountWrite: n('maxBlockCountWrite'),
    minSegmentAlignment: n('minSegmentAlignment', 1),
    addressBits: n('addressBits', 64),
    segmentBoundary: n('segmentBoundary'),
    maxTasksInFlight: n('maxTasksInFlight'),
    // IODMACommand::setSpecification: a maximum transfer of 0 means none; an alignment of 0 means 1.
    dmaMaxTransferSize: n('dmaMaxTransferSize') || Infinity,
    dmaAlignment: n('dmaAlignment', 1) || 1,
    dmaNumAddressBits: n('dmaNumAddressBits', 64),
    maxMappedDmaBytes: n('maxMappedDmaBytes'),
    logicalBlockSize: n('logicalBlockSize'),
    capacityBlocks: n('capacityBlocks'),
    taskTimeoutMs: n('taskTimeoutMs'),
    powerTransitionWarnMs: n('powerTransitionWarnMs'),
    powerTransitionErrorMs: n('powerTransitionErrorMs'),
    syncCacheFastThresholdUs: n('syncCacheFastThresholdUs', 0),
    writeCacheEnabled: b('writeCacheEnabled'),
    writeCacheVolatile: b('writeCacheVolatile'),
    hierarchicalLunSupport: b('hierarchicalLunSupport'),
    platform: typeof platform === 'string' ? platform : undefined,
  };
}

/**
 * Values that contradict one another, each with what follows from it. Reported by `constraints`
 * and in the constraints section of `check`; never fatal: a machine's registry is what it is.
 */
export function consistencyNotes(entries: readonly ResolvedConstraint[]): ConstraintNote[] {
  const v = new Map<ConstraintId, ConstraintSetting>(entries.map((e) => [e.id, e.value]));
  const num = (id: ConstraintId): number | undefined => (typeof v.get(id) === 'number' ? (v.get(id) as number) : undefined);
  const key = (id: ConstraintId): string => displayKey(constraintDef(id));
  const notes: ConstraintNote[] = [];
  const add = (severity: ConstraintNote['severity'], ids: ConstraintId[], message: string): void => {
    notes.push({ severity, keys: ids.map(key), message });
  };
  for (const dir of ['Read', 'Write'] as const) {
    const maxBytes = num(`maxByteCount${dir}`);
    const segCount = num(`maxSegmentCount${dir}`);
    const segBytes = num(`maxSegmentByteCount${dir}`);
    if (maxBytes !== undefined && segCount !== undefined && segBytes !== undefined && segCount * segBytes < maxBytes) {
      add(
        'contradiction',
        [`maxByteCount${dir}`, `maxSegmentCount${dir}`, `maxSegmentByteCount${dir}`],
        `${key(`maxByteCount${dir}`)} ${maxBytes} can never be reached: ${segCount} elements of at most ${segBytes} bytes hold only ${segCount * segBytes}`,
      );
    }
    const align = num('minSegmentAlignment');
    if (align !== undefined && segBytes !== undefined && segBytes < align) {
      add(
        'contradiction',
        [`maxSegmentByteCount${dir}`, 'minSegmentAlignment'],
        `${key(`maxSegmentByteCount${dir}`)} ${segBytes} is smaller than ${key('minSegmentAlignment')} ${align}: no aligned element fits`,
      );
    }
    const dmaMax = num('dmaMaxTransferSize');
    if (dmaMax && maxBytes !== undefined && maxBytes > dmaMax) {
      add(
        'contradiction',
        [`maxByteCount${dir}`, 'dmaMaxTransferSize'],
        `${key(`maxByteCount${dir}`)} ${maxBytes} is above the DMA specification's maxTransferSize ${dmaMax}: a task over ${dmaMax} bytes fails to map (IODMACommand::prepare returns kIOReturnNoSpace) and never reaches the driver`,
      );
    }
  }
  const addr = num('addressBits');
  const dmaBits = num('dmaNumAddressBits');
  if (addr !== undefined && dmaBits !== undefined && dmaBits > addr) {
    add(
      'contradiction',
      ['addressBits', 'dmaNumAddressBits'],
      `${key('addressBits')} ${addr} but the DMA specification's numAddressBits ${dmaBits}: the IOVM addresses handed in fBufferIOVMAddr are mapped with ${dmaBits} address bits and may lie above ${addressLimitText(addr)}, which the HBA cannot reach; return numAddressBits ${addr}`,
    );
  } else if (addr !== undefined && dmaBits !== undefined && dmaBits < addr) {
    add(
      'note',
      ['addressBits', 'dmaNumAddressBits'],
      `the DMA specification's numAddressBits ${dmaBits} keeps IOVM addresses below ${addressLimitText(dmaBits)}; ${key('addressBits')} ${addr} claims more than the mapping uses`,
    );
  }
  const mask = v.get('hbaDataAlignmentMask');
  if (typeof mask === 'bigint') {
    const reach = Math.min(addr ?? 64, dmaBits ?? 64);
    const { bits } = describeMask(mask);
    if ((addr !== undefined || dmaBits !== undefined) && bits > reach) {
      add(
        'contradiction',
        ['hbaDataAlignmentMask', addr !== undefined ? 'addressBits' : 'dmaNumAddressBits'],
        `${key('hbaDataAlignmentMask')} allows ${bits} address bits but the HBA reaches ${reach}: per-task HBA data (the driver's own SGL frames, sense buffers) may be allocated where the HBA cannot reach it`,
      );
    }
  }
  const segAlign = num('minSegmentAlignment');
  const dmaAlign = num('dmaAlignment');
  if (dmaAlign !== undefined && dmaAlign > 1 && dmaAlign > (segAlign ?? 4)) {
    add(
      'note',
      ['dmaAlignment', 'minSegmentAlignment'],
      `the DMA specification asks ${dmaAlign}-byte alignment but ${key('minSegmentAlignment')} is ${segAlign ?? "4 (Apple's default)"}: buffers aligned only to that are copied (double-buffered) by IODMACommand before the driver sees them`,
    );
  }
  const warn = num('powerTransitionWarnMs');
  const err = num('powerTransitionErrorMs');
  if (warn !== undefined && err !== undefined && warn > err) {
    add('contradiction', ['powerTransitionWarnMs', 'powerTransitionErrorMs'], `warning limit ${warn} ms is above the error limit ${err} ms`);
  }
  if (v.get('writeCacheVolatile') !== undefined && v.get('writeCacheEnabled') === false) {
    add('note', ['writeCacheVolatile', 'writeCacheEnabled'], 'the write cache is off: whether it would be volatile does not matter');
  }
  return notes;
}

export function addressLimitText(bits: number): string {
  if (bits >= 64) return '2^64';
  const bytes = 2 ** bits;
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  let x = bytes;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${x} ${units[u]}`;
}

/** A setting as a person writes it: hex for masks and power-of-two byte sizes, else decimal. */
export function formatSetting(def: ConstraintDef, value: ConstraintSetting): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return `0x${value.toString(16).toUpperCase().padStart(16, '0')}`;
  if (value === 0 && (def.id === 'dmaMaxTransferSize' || def.id === 'dmaAlignment')) return `0 (${def.id === 'dmaMaxTransferSize' ? 'no limit' : 'none'})`;
  if (def.kind === 'bytes' && value >= 4096 && isPowerOfTwo(value)) return `${value} (0x${value.toString(16)})`;
  return String(value);
}

/** JSON-safe form of a setting (bigint masks become hex strings). */
export function jsonSetting(value: ConstraintSetting): number | boolean | string {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}
