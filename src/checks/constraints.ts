/**
 * HBA constraint configs: what a controller told the OS it can do (IOKit property keys that a
 * DriverKit IOUserSCSIParallelInterfaceController reports from UserReportHBAConstraints), plus
 * limits that are not IOKit keys but that checking needs (tasks in flight, mapped DMA bytes,
 * block size, capacity, write cache, timeouts, power transitions).
 *
 * One table describes every constraint; parsing, validation, resolution (trace vs file vs
 * default) and the `constraints` explanation all read it.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../model/errors.js';
import type { ConstraintValue } from '../model/events.js';
import { editDistance } from './helpers.js';

export type ConstraintKind = 'count' | 'bytes' | 'bits' | 'alignment' | 'mask' | 'boolean' | 'milliseconds' | 'microseconds';

export interface ConstraintDef {
  /** Friendly name, used in JSON output and accepted in config files. */
  id: ConstraintId;
  /** IOKit property string a driver reports (the key in the trace's constraints record). */
  iokitKey?: string;
  /** C constant naming the property in the IOKit / DriverKit headers. */
  constantName?: string;
  kind: ConstraintKind;
  min?: number;
  max?: number;
  default?: number | boolean;
  /** One line for `constraints` and docs/constraints.md. */
  description: string;
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
  'hbaDataAlignmentMask',
  'hierarchicalLunSupport',
  'maxTasksInFlight',
  'maxMappedDmaBytes',
  'logicalBlockSize',
  'capacityBlocks',
  'writeCacheEnabled',
  'taskTimeoutMs',
  'powerTransitionWarnMs',
  'powerTransitionErrorMs',
  'syncCacheFastThresholdUs',
] as const;
export type ConstraintId = (typeof CONSTRAINT_IDS)[number];

const GiB = 1024 * 1024 * 1024;

/** Every constraint the checker knows. IOKit keys from IOStorageDeviceCharacteristics.h and IOSCSIParallelControllerCharacteristics.h. */
export const CONSTRAINTS: readonly ConstraintDef[] = [
  { id: 'maxSegmentCountRead', iokitKey: 'IOMaximumSegmentCountRead', constantName: 'kIOMaximumSegmentCountReadKey', kind: 'count', min: 1, description: 'most scatter/gather segments in one read' },
  { id: 'maxSegmentCountWrite', iokitKey: 'IOMaximumSegmentCountWrite', constantName: 'kIOMaximumSegmentCountWriteKey', kind: 'count', min: 1, description: 'most scatter/gather segments in one write' },
  { id: 'maxSegmentByteCountRead', iokitKey: 'IOMaximumSegmentByteCountRead', constantName: 'kIOMaximumSegmentByteCountReadKey', kind: 'bytes', min: 1, description: 'longest single segment of a read, in bytes' },
  { id: 'maxSegmentByteCountWrite', iokitKey: 'IOMaximumSegmentByteCountWrite', constantName: 'kIOMaximumSegmentByteCountWriteKey', kind: 'bytes', min: 1, description: 'longest single segment of a write, in bytes' },
  { id: 'maxByteCountRead', iokitKey: 'IOMaximumByteCountRead', constantName: 'kIOMaximumByteCountReadKey', kind: 'bytes', min: 1, description: 'largest read, in bytes' },
  { id: 'maxByteCountWrite', iokitKey: 'IOMaximumByteCountWrite', constantName: 'kIOMaximumByteCountWriteKey', kind: 'bytes', min: 1, description: 'largest write, in bytes' },
  { id: 'maxBlockCountRead', iokitKey: 'IOMaximumBlockCountRead', constantName: 'kIOMaximumBlockCountReadKey', kind: 'count', min: 1, description: 'largest read, in logical blocks' },
  { id: 'maxBlockCountWrite', iokitKey: 'IOMaximumBlockCountWrite', constantName: 'kIOMaximumBlockCountWriteKey', kind: 'count', min: 1, description: 'largest write, in logical blocks' },
  { id: 'minSegmentAlignment', iokitKey: 'IOMinimumSegmentAlignmentByteCount', constantName: 'kIOMinimumSegmentAlignmentByteCountKey', kind: 'alignment', min: 1, description: 'every segment address and length must be a multiple of this (a power of two)' },
  { id: 'addressBits', iokitKey: 'IOMaximumSegmentAddressableBitCount', constantName: 'kIOMaximumSegmentAddressableBitCountKey', kind: 'bits', min: 32, max: 64, description: 'DMA address bits the HBA can drive (32 = below 4 GiB)' },
  { id: 'hbaDataAlignmentMask', iokitKey: 'HBA Data Alignment', constantName: 'kIOMinimumHBADataAlignmentMaskKey', kind: 'mask', description: 'address mask for per-task HBA data: addressable bits and minimum alignment (e.g. 0x0000FFFFFFFFFFFE)' },
  { id: 'hierarchicalLunSupport', iokitKey: 'SCSI Hierarchical Logical Unit Support', constantName: 'kIOHierarchicalLogicalUnitSupportKey', kind: 'boolean', description: 'the HBA handles full 8-byte hierarchical LUNs' },
  { id: 'maxTasksInFlight', kind: 'count', min: 1, description: 'most tasks outstanding at once (what the driver reports from UserReportMaximumTaskCount)' },
  { id: 'maxMappedDmaBytes', kind: 'bytes', min: 1, default: 2 * GiB, description: 'most bytes mapped for DMA by all tasks in flight (DriverKit limit)' },
  { id: 'logicalBlockSize', kind: 'bytes', min: 1, description: 'logical block size in bytes (READ CAPACITY LOGICAL BLOCK LENGTH)' },
  { id: 'capacityBlocks', kind: 'count', min: 1, description: 'device capacity in logical blocks (READ CAPACITY RETURNED LOGICAL BLOCK ADDRESS + 1)' },
  { id: 'writeCacheEnabled', kind: 'boolean', description: 'the device write cache is on (MODE SENSE caching page 08h WCE)' },
  { id: 'taskTimeoutMs', kind: 'milliseconds', min: 1, description: 'longest a task may take, in ms, besides the timeout each task carries' },
  { id: 'powerTransitionWarnMs', kind: 'milliseconds', min: 1, default: 10_000, description: 'power-state transitions slower than this are a warning' },
  { id: 'powerTransitionErrorMs', kind: 'milliseconds', min: 1, default: 21_000, description: 'power-state transitions slower than this are an error (the kernel panics past its watchdog)' },
  { id: 'syncCacheFastThresholdUs', kind: 'microseconds', min: 0, default: 100, description: 'without HBA events: a SYNCHRONIZE CACHE after writes answered faster than this is suspect' },
];

const BY_ID = new Map<string, ConstraintDef>(CONSTRAINTS.map((c) => [c.id, c]));
/** Every accepted spelling (friendly, IOKit, C constant), lower-cased, to its definition. */
const BY_SPELLING = new Map<string, ConstraintDef>();
for (const c of CONSTRAINTS) {
  for (const name of [c.id, c.iokitKey, c.constantName]) if (name) BY_SPELLING.set(name.toLowerCase(), c);
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

export type ConstraintSetting = number | boolean | bigint;
export type ConstraintValues = Partial<Record<ConstraintId, ConstraintSetting>>;

/** A validated constraints file (or object): its values and how each key was spelled. */
export interface ConstraintConfig {
  /** File path, or a label like "options" for configs built in code. */
  source: string;
  values: ConstraintValues;
  spelled: Partial<Record<ConstraintId, string>>;
  /** Free text from a "description" key, shown by `constraints`. */
  description?: string;
}

export interface ConstraintProblem {
  key: string;
  message: string;
}

/** Keys that carry commentary rather than a constraint. */
const COMMENT_KEYS = new Set(['$schema', '$comment', 'comment', 'description', '//']);

const SIZE_SUFFIX: Record<string, number> = { k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: GiB, gib: GiB, t: 1024 * GiB, tib: 1024 * GiB };

/**
 * Turns one written value into a setting of the constraint's kind, or says what is wrong.
 * Numbers may be JSON numbers or strings: "0x80000", "524288", and for byte sizes "512KiB".
 */
export function parseConstraintValue(def: ConstraintDef, raw: unknown): { value?: ConstraintSetting; error?: string } {
  if (def.kind === 'boolean') {
    if (typeof raw === 'boolean') return { value: raw };
    if (raw === 0 || raw === 1) return { value: raw === 1 };
    if (typeof raw === 'string') {
      const s = raw.trim().toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(s)) return { value: true };
      if (['false', 'no', 'off', '0'].includes(s)) return { value: false };
    }
    return { error: `expected true or false, got ${describeRaw(raw)}` };
  }
  let big: bigint | undefined;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return { error: `expected a whole number, got ${raw}` };
    if (!Number.isSafeInteger(raw)) return { error: `${raw} is too large to be exact in JSON; write it as a hex string ("0x...")` };
    big = BigInt(raw);
  } else if (typeof raw === 'string') {
    const s = raw.trim().replace(/_/g, '');
    const sized = /^(\d+)\s*([a-z]+)$/i.exec(s);
    if (/^0x[0-9a-f]+$/i.test(s) || /^\d+$/.test(s)) big = BigInt(s);
    else if (sized && def.kind === 'bytes' && SIZE_SUFFIX[sized[2]!.toLowerCase()] !== undefined) big = BigInt(sized[1]!) * BigInt(SIZE_SUFFIX[sized[2]!.toLowerCase()]!);
    else return { error: `expected a number (decimal, or hex like "0x80000"${def.kind === 'bytes' ? ', or a size like "512KiB"' : ''}), got ${describeRaw(raw)}` };
  } else {
    return { error: `expected a number, got ${describeRaw(raw)}` };
  }
  if (big < 0n) return { error: `must not be negative` };
  if (def.kind === 'mask') {
    if (big >= 1n << 64n) return { error: `0x${big.toString(16)} does not fit in 64 bits` };
    const problem = maskProblem(big);
    return problem ? { error: problem } : { value: big };
  }
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return { error: `0x${big.toString(16)} is larger than the checker can use exactly` };
  const n = Number(big);
  if (def.kind === 'bits' && (n < 32 || n > 64)) return { error: `${n} address bits is outside 32-64` };
  if (def.min !== undefined && n < def.min) return { error: `${n} is below the minimum of ${def.min}` };
  if (def.max !== undefined && n > def.max) return { error: `${n} is above the maximum of ${def.max}` };
  if (def.kind === 'alignment' && (n & (n - 1)) !== 0) return { error: `${n} is not a power of two` };
  return { value: n };
}

/** kIOMinimumHBADataAlignmentMaskKey must be ones from the alignment bit up to the top address bit. */
function maskProblem(mask: bigint): string | undefined {
  if (mask === 0n) return 'mask is 0: no address would be allowed';
  const { bits, alignment } = describeMask(mask);
  const expected = ((1n << BigInt(bits)) - 1n) & ~(BigInt(alignment) - 1n);
  if (expected !== mask) return `0x${mask.toString(16)} is not a contiguous mask (expected the form 0x0000FFFFFFFFFFFE: ones from the alignment bit up to the top address bit)`;
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

function describeRaw(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'an object';
  return JSON.stringify(raw);
}

/** Validates a parsed JSON object as a constraints config. Problems are all collected, not just the first. */
export function parseConstraintConfig(json: unknown, source = 'options'): { config: ConstraintConfig; problems: ConstraintProblem[] } {
  const config: ConstraintConfig = { source, values: {}, spelled: {} };
  const problems: ConstraintProblem[] = [];
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    problems.push({ key: '', message: `a constraints file must hold one JSON object, got ${describeRaw(json)}` });
    return { config, problems };
  }
  for (const [key, raw] of Object.entries(json as Record<string, unknown>)) {
    if (COMMENT_KEYS.has(key) || key.startsWith('$') || key.startsWith('//')) {
      if (key === 'description' && typeof raw === 'string') config.description = raw;
      continue;
    }
    const def = lookupConstraintKey(key);
    if (!def) {
      const near = nearestKey(key);
      problems.push({ key, message: `unknown key${near ? `; did you mean "${near}"?` : ''}` });
      continue;
    }
    const before = config.spelled[def.id];
    if (before !== undefined) {
      problems.push({ key, message: `given twice (also as "${before}")` });
      continue;
    }
    const parsed = parseConstraintValue(def, raw);
    if (parsed.error !== undefined) {
      problems.push({ key, message: parsed.error });
      continue;
    }
    config.values[def.id] = parsed.value!;
    config.spelled[def.id] = key;
  }
  problems.push(...crossCheck(config.values, (id) => config.spelled[id] ?? displayKey(constraintDef(id))));
  return { config, problems };
}

/** Problems between keys: limits that contradict one another. */
export function crossCheck(v: ConstraintValues, name: (id: ConstraintId) => string): ConstraintProblem[] {
  const problems: ConstraintProblem[] = [];
  const num = (id: ConstraintId): number | undefined => (typeof v[id] === 'number' ? (v[id] as number) : undefined);
  for (const dir of ['Read', 'Write'] as const) {
    const maxBytes = num(`maxByteCount${dir}`);
    const segCount = num(`maxSegmentCount${dir}`);
    const segBytes = num(`maxSegmentByteCount${dir}`);
    if (maxBytes !== undefined && segCount !== undefined && segBytes !== undefined && segCount * segBytes < maxBytes) {
      problems.push({
        key: name(`maxByteCount${dir}`),
        message: `${maxBytes} bytes can never be reached: ${segCount} segments of at most ${segBytes} bytes hold only ${segCount * segBytes}`,
      });
    }
    const align = num('minSegmentAlignment');
    if (align !== undefined && segBytes !== undefined && segBytes < align) {
      problems.push({ key: name(`maxSegmentByteCount${dir}`), message: `${segBytes} is smaller than the minimum segment alignment ${align}: no aligned segment fits` });
    }
  }
  const warn = num('powerTransitionWarnMs');
  const err = num('powerTransitionErrorMs');
  if (warn !== undefined && err !== undefined && warn > err) {
    problems.push({ key: name('powerTransitionWarnMs'), message: `warning limit ${warn} ms is above the error limit ${err} ms` });
  }
  return problems;
}

/** Reads and validates a constraints file; every problem in one UsageError, one line each. */
export function loadConstraintFile(path: string): ConstraintConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  const { config, problems } = parseConstraintConfig(json, path);
  if (problems.length) throw new UsageError(problems.map((p) => `${path}: ${p.key ? `"${p.key}": ` : ''}${p.message}`).join('\n'));
  return config;
}

/** Builds a config from a plain object (library use); throws UsageError on any problem. */
export function constraintConfig(values: Record<string, unknown>, source = 'options'): ConstraintConfig {
  const { config, problems } = parseConstraintConfig(values, source);
  if (problems.length) throw new UsageError(problems.map((p) => `${source}: ${p.key ? `"${p.key}": ` : ''}${p.message}`).join('\n'));
  return config;
}

/** Closest known spelling by edit distance, when close enough to be a typo. */
export function nearestKey(key: string): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of CONSTRAINTS) {
    for (const name of [c.id, c.iokitKey, c.constantName]) {
      if (!name) continue;
      const d = editDistance(k, name.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = name;
      }
    }
  }
  return bestDistance <= Math.max(3, Math.floor(key.length / 3)) ? best : undefined;
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
}

/** Numbers the rules compare against: Infinity when a limit is not set. */
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
  /** 64 when not set. */
  addressBits: number;
  maxTasksInFlight: number;
  maxMappedDmaBytes: number;
  logicalBlockSize: number;
  capacityBlocks: number;
  taskTimeoutMs: number;
  powerTransitionWarnMs: number;
  powerTransitionErrorMs: number;
  syncCacheFastThresholdUs: number;
  writeCacheEnabled: boolean | undefined;
  hierarchicalLunSupport: boolean | undefined;
}

export interface ResolvedConstraints {
  /** Every constraint that has a value, in table order, with where it came from. */
  entries: ResolvedConstraint[];
  limits: Limits;
  /** The constraints file, when one was given. */
  configFile?: string;
  /** Keys in the trace's constraints record the checker does not know (kept, not used). */
  unknownTraceKeys: string[];
  /** Trace values that could not be used, one line each. */
  traceProblems: string[];
}

/** Parses a trace's constraints record with the same table; unknown or bad entries are reported, not fatal. */
export function traceConstraintValues(entries: Record<string, ConstraintValue>): { values: ConstraintValues; unknown: string[]; problems: string[] } {
  const values: ConstraintValues = {};
  const unknown: string[] = [];
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(entries)) {
    const def = lookupConstraintKey(key);
    if (!def) {
      unknown.push(key);
      continue;
    }
    const parsed = parseConstraintValue(def, raw);
    if (parsed.error !== undefined) problems.push(`trace constraint "${key}": ${parsed.error}`);
    else values[def.id] = parsed.value!;
  }
  return { values, unknown, problems };
}

export function resolveConstraints(config?: ConstraintConfig, trace?: Record<string, ConstraintValue>): ResolvedConstraints {
  const fromTrace = trace ? traceConstraintValues(trace) : { values: {}, unknown: [], problems: [] };
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
    // Say what a file value replaced from the trace (defaults replaced are not news).
    const replaced = present[1];
    if (replaced && replaced[0] !== 'default' && replaced[1] !== value) entry.overrides = { value: replaced[1], source: replaced[0] };
    entries.push(entry);
  }
  const result: ResolvedConstraints = {
    entries,
    limits: limitsOf(entries),
    unknownTraceKeys: fromTrace.unknown,
    traceProblems: fromTrace.problems,
  };
  if (config && config.source !== 'options') result.configFile = config.source;
  return result;
}

function limitsOf(entries: ResolvedConstraint[]): Limits {
  const v = new Map<ConstraintId, ConstraintSetting>(entries.map((e) => [e.id, e.value]));
  const n = (id: ConstraintId, unset = Infinity): number => (typeof v.get(id) === 'number' ? (v.get(id) as number) : unset);
  const b = (id: ConstraintId): boolean | undefined => (typeof v.get(id) === 'boolean' ? (v.get(id) as boolean) : undefined);
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
    maxTasksInFlight: n('maxTasksInFlight'),
    maxMappedDmaBytes: n('maxMappedDmaBytes'),
    logicalBlockSize: n('logicalBlockSize'),
    capacityBlocks: n('capacityBlocks'),
    taskTimeoutMs: n('taskTimeoutMs'),
    powerTransitionWarnMs: n('powerTransitionWarnMs'),
    powerTransitionErrorMs: n('powerTransitionErrorMs'),
    syncCacheFastThresholdUs: n('syncCacheFastThresholdUs', 0),
    writeCacheEnabled: b('writeCacheEnabled'),
    hierarchicalLunSupport: b('hierarchicalLunSupport'),
  };
}

/** A setting as a person writes it: hex for masks and power-of-two byte sizes, else decimal. */
export function formatSetting(def: ConstraintDef, value: ConstraintSetting): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return `0x${value.toString(16).toUpperCase().padStart(16, '0')}`;
  if (def.kind === 'bytes' && value >= 4096 && (value & (value - 1)) === 0) return `${value} (0x${value.toString(16)})`;
  return String(value);
}

/** JSON-safe form of a setting (bigint masks become hex strings). */
export function jsonSetting(value: ConstraintSetting): number | boolean | string {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}

// ---------------------------------------------------------------------------------------------
// Explanation for `scsitrace constraints`.

export interface DirectionExplanation {
  direction: 'read' | 'write';
  /** Largest transfer the OS can issue in one task; undefined when nothing limits it. */
  largestTransferBytes?: number;
  /** Which limit sets it. */
  limitedBy: string[];
  /** Segments a worst-case buffer of that size needs: every page separate, start not page-aligned. */
  worstCaseSegments4k?: number;
  worstCaseSegments16k?: number;
  maxSegments?: number;
  /** True when the worst case needs more segments than the HBA takes: the OS must split or copy. */
  worstCaseExceedsSegments: boolean;
}

export interface Explanation {
  directions: DirectionExplanation[];
  addressBits: number;
  /** Highest DMA address + 1 the HBA can reach, when below 2^64. */
  addressLimitBytes?: number;
  needsBouncing: boolean;
  minSegmentAlignment: number;
  maxMappedDmaBytes: number;
  blockSizeAssumed: boolean;
  blockSize: number;
  notes: string[];
}

/** Page sizes of the hosts drivers run on: 4 KiB (x86_64) and 16 KiB (Apple silicon). */
const PAGE_4K = 4096;
const PAGE_16K = 16384;

export function explainConstraints(limits: Limits): Explanation {
  const blockSizeAssumed = limits.logicalBlockSize === Infinity;
  const blockSize = blockSizeAssumed ? 512 : limits.logicalBlockSize;
  const directions: DirectionExplanation[] = (['read', 'write'] as const).map((direction) => {
    const D = direction === 'read' ? 'Read' : 'Write';
    const maxBytes = limits[`maxByteCount${D}`];
    const maxBlocks = limits[`maxBlockCount${D}`];
    const segCount = limits[`maxSegmentCount${D}`];
    const segBytes = limits[`maxSegmentByteCount${D}`];
    const candidates: Array<[number, string]> = [
      [maxBytes, `IOMaximumByteCount${D}`],
      [maxBlocks * blockSize, `IOMaximumBlockCount${D} × ${blockSize}-byte blocks`],
      [segCount * segBytes, `IOMaximumSegmentCount${D} × IOMaximumSegmentByteCount${D}`],
    ];
    const finite = candidates.filter(([v]) => Number.isFinite(v));
    const largest = finite.length ? Math.min(...finite.map(([v]) => v)) : undefined;
    const e: DirectionExplanation = {
      direction,
      limitedBy: finite.filter(([v]) => v === largest).map(([, why]) => why),
      worstCaseExceedsSegments: false,
    };
    if (largest !== undefined) {
      e.largestTransferBytes = largest;
      e.worstCaseSegments4k = worstCaseSegments(largest, PAGE_4K, segBytes);
      e.worstCaseSegments16k = worstCaseSegments(largest, PAGE_16K, segBytes);
    }
    if (Number.isFinite(segCount)) {
      e.maxSegments = segCount;
      if (e.worstCaseSegments4k !== undefined) e.worstCaseExceedsSegments = e.worstCaseSegments4k > segCount;
    }
    return e;
  });
  const notes: string[] = [];
  const addressLimitBytes = limits.addressBits < 64 ? 2 ** limits.addressBits : undefined;
  for (const d of directions) {
    if (d.worstCaseExceedsSegments) {
      notes.push(`a worst-case ${d.direction} of ${d.largestTransferBytes} bytes scattered over 4 KiB pages needs ${d.worstCaseSegments4k} segments but the HBA takes ${d.maxSegments}: the OS must split or copy such buffers; set IOMaximumByteCount${d.direction === 'read' ? 'Read' : 'Write'} to at most ${(d.maxSegments! - 1) * PAGE_4K} so every buffer fits`);
    }
  }
  return {
    directions,
    addressBits: limits.addressBits,
    ...(addressLimitBytes !== undefined ? { addressLimitBytes } : {}),
    needsBouncing: addressLimitBytes !== undefined,
    minSegmentAlignment: limits.minSegmentAlignment,
    maxMappedDmaBytes: limits.maxMappedDmaBytes,
    blockSizeAssumed,
    blockSize,
    notes,
  };
}

/** Segments for `bytes` starting one byte before a page boundary, every page physically apart. */
function worstCaseSegments(bytes: number, pageSize: number, maxSegmentBytes: number): number {
  // One byte in the first page, then whole pages, then the rest.
  const pages = bytes <= 1 ? 1 : 1 + Math.ceil((bytes - 1) / pageSize);
  if (!Number.isFinite(maxSegmentBytes) || maxSegmentBytes >= pageSize) return pages;
  return pages * Math.ceil(pageSize / maxSegmentBytes);
}
