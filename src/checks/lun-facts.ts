/**
 * Per-logical-unit facts for the rules of one trace: block size, capacity, write cache and its
 * volatility, each with where it came from (a constraints file, the trace's constraints record, a
 * `lun-info` note, or inferred from traffic). At most MAX_LUNS units are tracked; the rest share
 * one record that learns nothing (rules that need a unit's facts skip it) and are counted.
 */
import type { TaskKey } from '../analysis/slot-table.js';
import { DataDirection } from '../model/events.js';
import type { ConstraintConfig, ResolvedConstraints } from './constraints.js';
import { CommandKind, type FactSource, type LunInfo, type TaskFacts } from './state.js';

export type { FactSource, LunInfo } from './state.js';

export interface LunSummary {
  file?: string;
  targetId: bigint;
  lun: number;
  blockSize?: number;
  blockSizeSource?: FactSource;
  capacityBlocks?: number;
  capacitySource?: FactSource;
  writeCache?: boolean;
  writeCacheSource?: FactSource;
  writeCacheVolatile?: boolean;
  writeCacheVolatileSource?: FactSource;
}

/** Logical units tracked per trace (as the summary's per-LUN rows); the rest share one untracked record. */
export const MAX_LUNS = 1024;

type SettingId = 'logicalBlockSize' | 'capacityBlocks' | 'writeCacheEnabled';

export class LunFacts {
  /** Units by target key, then LUN (no string keys on the hot path). */
  private readonly byTarget = new Map<TaskKey, Map<number, LunInfo>>();
  private count = 0;
  private untracked: LunInfo | undefined;
  /** Distinct target:LUN pairs past the cap that shared the untracked record (counted up to a bound). */
  untrackedUnits = 0;
  private readonly untrackedSeen = new Set<string>();
  private lastKey: TaskKey = -1;
  private lastLun = -1;
  private last: LunInfo | undefined;
  private resolved: ResolvedConstraints;

  constructor(
    private readonly config: ConstraintConfig | undefined,
    resolved: ResolvedConstraints,
  ) {
    this.resolved = resolved;
  }

  /** The unit a task addresses, by target key (TaskKey) and LUN. */
  lookup(targetKey: TaskKey, lun: number): LunInfo {
    if (lun === this.lastLun && targetKey === this.lastKey) return this.last!;
    let target = this.byTarget.get(targetKey);
    let info = target?.get(lun);
    if (!info) {
      // Target ids and LUNs come from the input: past the cap, further units share one record.
      if (this.count >= MAX_LUNS) return this.overflow(targetKey, lun);
      if (!target) this.byTarget.set(targetKey, (target = new Map<number, LunInfo>()));
      info = { targetId: BigInt(targetKey), lun, blockSize: 0, capacityBlocks: 0, writeCache: undefined };
      this.applyLimits(info);
      target.set(lun, info);
      this.count++;
    }
    this.lastKey = targetKey;
    this.lastLun = lun;
    this.last = info;
    return info;
  }

  private overflow(targetKey: TaskKey, lun: number): LunInfo {
    // Counting distinct untracked units exactly would take memory per unit: count them while a
    // bounded set can tell them apart, then every new lookup (an upper bound, said so in reports).
    if (this.untrackedSeen.size < 65536) {
      const k = `${targetKey}:${lun}`;
      if (!this.untrackedSeen.has(k)) {
        this.untrackedSeen.add(k);
        this.untrackedUnits++;
      }
    }
    return (this.untracked ??= { targetId: -1n, lun: -1, blockSize: 0, capacityBlocks: 0, writeCache: undefined, untracked: true });
  }

  /** Every tracked unit. */
  *all(): IterableIterator<LunInfo> {
    for (const target of this.byTarget.values()) yield* target.values();
  }

  /** New constraints (the trace's record arrived): every unit takes them where they win. */
  setConstraints(resolved: ResolvedConstraints): void {
    this.resolved = resolved;
    for (const info of this.all()) this.applyLimits(info);
  }

  private fromConfig(id: SettingId): boolean {
    return this.config?.values[id] !== undefined;
  }

  private applyLimits(info: LunInfo): void {
    const l = this.resolved.limits;
    const src = (id: SettingId): FactSource => (this.fromConfig(id) ? 'config' : 'trace constraints');
    if (
      l.logicalBlockSize !== Infinity &&
      (info.blockSizeSource === undefined || info.blockSizeSource === 'inferred from traffic' || src('logicalBlockSize') === 'config')
    ) {
      info.blockSize = l.logicalBlockSize;
      info.blockSizeSource = src('logicalBlockSize');
    }
    if (l.capacityBlocks !== Infinity && (info.capacitySource === undefined || src('capacityBlocks') === 'config')) {
      info.capacityBlocks = l.capacityBlocks;
      info.capacitySource = src('capacityBlocks');
    }
    if (l.writeCacheEnabled !== undefined && (info.writeCacheSource === undefined || src('writeCacheEnabled') === 'config')) {
      info.writeCache = l.writeCacheEnabled;
      info.writeCacheSource = src('writeCacheEnabled');
    }
    const vol = volatileSetting(this.resolved);
    if (vol && (info.writeCacheVolatileSource === undefined || vol.source === 'config')) {
      info.writeCacheVolatile = vol.value;
      info.writeCacheVolatileSource = vol.source;
    }
  }

  /** What a `lun-info` note says of a unit, unless a constraints file says otherwise. */
  learnFromNote(text: string): void {
    const learned = parseLunNote(text);
    if (!learned) return;
    const targetId = learned.targetId;
    const info = this.lookup(targetId <= 0x1f_ffff_ffff_ffffn ? Number(targetId) : targetId, learned.lun);
    if (info.untracked) return;
    if (learned.blockSize && !this.fromConfig('logicalBlockSize')) {
      info.blockSize = learned.blockSize;
      info.blockSizeSource = 'note';
    }
    if (learned.capacityBlocks && !this.fromConfig('capacityBlocks')) {
      info.capacityBlocks = learned.capacityBlocks;
      info.capacitySource = 'note';
    }
    if (learned.writeCache !== undefined && !this.fromConfig('writeCacheEnabled')) {
      info.writeCache = learned.writeCache;
      info.writeCacheSource = 'note';
    }
    if (learned.writeCacheVolatile !== undefined && volatileSetting(this.resolved)?.source !== 'config') {
      info.writeCacheVolatile = learned.writeCacheVolatile;
      info.writeCacheVolatileSource = 'note';
    }
  }

  /**
   * Without a configured block size, the first READ/WRITE whose requested bytes divide evenly
   * into its blocks (a power of two from 512 to 64 KiB) sets the logical unit's block size.
   */
  inferBlockSize(requestedBytes: number, direction: number, f: TaskFacts, info: LunInfo): void {
    if ((f.kind !== CommandKind.Read && f.kind !== CommandKind.Write) || f.dataBlocks <= 0 || requestedBytes <= 0) return;
    if (direction === DataDirection.None) return;
    const per = requestedBytes / f.dataBlocks - f.protectionBytes;
    if (per >= 512 && per <= 65536 && Number.isInteger(per) && (per & (per - 1)) === 0) {
      info.blockSize = per;
      info.blockSizeSource = 'inferred from traffic';
    }
  }

  /** The units something is known about, for the report. */
  summaries(file: string | undefined): LunSummary[] {
    const out: LunSummary[] = [];
    for (const info of this.all()) {
      if (!info.blockSize && !info.capacityBlocks && info.writeCache === undefined && info.writeCacheVolatile === undefined) continue;
      const s: LunSummary = { targetId: info.targetId, lun: info.lun };
      if (file !== undefined) s.file = file;
      if (info.blockSize) Object.assign(s, { blockSize: info.blockSize, blockSizeSource: info.blockSizeSource });
      if (info.capacityBlocks) Object.assign(s, { capacityBlocks: info.capacityBlocks, capacitySource: info.capacitySource });
      if (info.writeCache !== undefined) Object.assign(s, { writeCache: info.writeCache, writeCacheSource: info.writeCacheSource });
      if (info.writeCacheVolatile !== undefined)
        Object.assign(s, { writeCacheVolatile: info.writeCacheVolatile, writeCacheVolatileSource: info.writeCacheVolatileSource });
      out.push(s);
    }
    return out;
  }
}

/**
 * `writeCacheVolatile` as the constraints resolved it (config file or the trace's record), with
 * where it came from. Read by id from the resolved entries, so the checker needs nothing more
 * than the constraints table to define the key.
 */
export function volatileSetting(resolved: ResolvedConstraints): { value: boolean; source: FactSource } | undefined {
  for (const e of resolved.entries) {
    if ((e.id as string) !== 'writeCacheVolatile' || typeof e.value !== 'boolean' || e.source === 'default') continue;
    return { value: e.value, source: e.source === 'config' ? 'config' : 'trace constraints' };
  }
  return undefined;
}

/**
 * Logical-unit facts a reader or driver may put in a note, since a trace carries no data
 * payloads (docs/constraints.md): `lun-info target=0 lun=0 block-size=512 capacity-blocks=2097152 write-cache=on`.
 */
export interface LunNote {
  targetId: bigint;
  lun: number;
  blockSize?: number;
  capacityBlocks?: number;
  writeCache?: boolean;
  writeCacheVolatile?: boolean;
}

export function parseLunNote(text: string): LunNote | undefined {
  if (!text.startsWith('lun-info ')) return undefined;
  const out: LunNote = { targetId: 0n, lun: 0 };
  for (const part of text.slice(9).trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq);
    const v = part.slice(eq + 1);
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    if (k === 'target' && /^\d+$/.test(v)) out.targetId = BigInt(v);
    else if (k === 'lun' && Number.isInteger(n)) out.lun = n;
    else if (k === 'block-size' && n > 0) out.blockSize = n;
    else if (k === 'capacity-blocks' && n > 0) out.capacityBlocks = n;
    else if (k === 'last-lba' && n >= 0) out.capacityBlocks = n + 1;
    else if (k === 'write-cache' && /^(on|off|1|0|true|false)$/.test(v)) out.writeCache = v === 'on' || v === '1' || v === 'true';
    else if (k === 'write-cache-volatile' && /^(yes|no|1|0|true|false)$/.test(v)) out.writeCacheVolatile = v === 'yes' || v === '1' || v === 'true';
  }
  return out;
}
