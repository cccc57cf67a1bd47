/**
 * What a constraints config means for the platform the driver runs on (docs/constraints.md,
 * "What `scsitrace constraints` explains"):
 *
 * - dext: the framework hands each task ONE IOVM range (SCSIUserParallelTask.fBufferIOVMAddr,
 *   fRequestedTransferCount bytes); the driver's SGL builder splits it into hardware elements.
 * - kext and Linux: the driver receives page-scattered physical segments; the question is how
 *   many a worst-case buffer needs.
 *
 * An unknown platform gets both views, labelled.
 */
import { CONSTRAINTS, type ConstraintId, type Limits, type Platform } from './constraints.js';

export interface DirectionExplanation {
  direction: 'read' | 'write';
  /** Largest transfer the OS can issue in one task; undefined when nothing limits it. */
  largestTransferBytes?: number;
  /** Which limit sets it. */
  limitedBy: string[];
  /** Apple's block-count default (65535 blocks) took part because no block count is set. */
  appleBlockDefault: boolean;
  maxSegments?: number;
  maxSegmentBytes?: number;
  /** kext/Linux view: segments a worst-case buffer of that size needs (every page apart, start one byte before a page boundary). */
  worstCaseSegments4k?: number;
  worstCaseSegments16k?: number;
  /** True when the worst case needs more segments than the HBA takes: the OS must split or copy. */
  worstCaseExceedsSegments: boolean;
  /** dext view: elements the SGL builder needs for one IOVM range of the largest size, cut greedily from its start. */
  sglElements?: number;
  /** True when the largest range, plus one element for a 4 GiB crossing where that can happen, needs more elements than the HBA takes. */
  sglExceedsSegments: boolean;
  /** The largest transfer is above the DMA specification's maxTransferSize: such tasks fail to map. */
  exceedsDmaMaxTransfer: boolean;
}

export type ExplanationView = 'driverkit' | 'page-scatter';

export interface Explanation {
  platform?: Platform;
  /** How the platform is known: the platform key, inferred from DMA-specification keys, or not at all. */
  platformSource: 'set' | 'inferred' | 'unknown';
  views: ExplanationView[];
  directions: DirectionExplanation[];
  addressBits: number;
  /** Highest DMA address + 1 the HBA can reach, when below 2^64. */
  addressLimitBytes?: number;
  /** kext/Linux: segments above the HBA's reach must be bounced or remapped. */
  needsBouncing: boolean;
  /** dext: the DMA mapping's address bits, when given. */
  dmaNumAddressBits?: number;
  /** dext: IOVM addresses may lie above what the HBA can address (numAddressBits above IOMaximumSegmentAddressableBitCount). */
  iovaMayExceedHba: boolean;
  /** dext: an IOVM range may cross a 4 GiB boundary (mapping with more than 32 address bits, or unknown). */
  iovaMayCross4GiB: boolean;
  minSegmentAlignment: number;
  /** The alignment is Apple's default (4: IOBlockStorageDriver), none being given. */
  appleAlignmentDefault: boolean;
  dmaAlignment: number;
  /** dext: tasks in flight × largest mapping: the most the framework can have mapped at once. */
  mappingCeilingBytes?: number;
  /** The opt-in mapped-bytes budget, when set. */
  maxMappedDmaBytes?: number;
  blockSizeAssumed: boolean;
  blockSize: number;
  /** Keys the explanation needed but nobody gave (display names). */
  missing: string[];
  /**
   * dext: the keys UserReportHBAConstraints requires (IOUserSCSIParallelInterfaceController.iig)
   * that the config does not give, by IOKit name. Empty for other platforms.
   */
  requiredHbaConstraintsMissing: string[];
  notes: string[];
}

/** Page sizes of the hosts drivers run on: 4 KiB (x86_64) and 16 KiB (Apple silicon). */
const PAGE_4K = 4096;
const PAGE_16K = 16384;
/** IOSCSIBlockCommandsDevice's kDefaultMaxBlocksPerIO, used when the controller publishes no block count. */
export const APPLE_DEFAULT_MAX_BLOCKS = 65535;
/** IOBlockStorageDriver's segment alignment when nothing publishes IOMinimumSegmentAlignmentByteCount. */
export const APPLE_DEFAULT_SEGMENT_ALIGNMENT = 4;

export interface ExplainOptions {
  /** Overrides the platform key (the `--platform` flag). */
  platform?: Platform;
  /** Keys that have a value (ResolvedConstraints.entries), to tell "set to the default" from "not set". */
  given?: ReadonlySet<ConstraintId>;
}

export function explainConstraints(limits: Limits, options: ExplainOptions = {}): Explanation {
  const given = (id: ConstraintId, fallback: boolean): boolean => (options.given ? options.given.has(id) : fallback);
  const dmaKeysGiven =
    given('dmaMaxTransferSize', Number.isFinite(limits.dmaMaxTransferSize)) ||
    given('dmaAlignment', limits.dmaAlignment > 1) ||
    given('dmaNumAddressBits', limits.dmaNumAddressBits < 64);
  const platform = options.platform ?? limits.platform ?? (dmaKeysGiven ? 'dext' : undefined);
  const platformSource: Explanation['platformSource'] = (options.platform ?? limits.platform) ? 'set' : platform ? 'inferred' : 'unknown';
  // Apple's defaults apply only where Apple's stack runs.
  const macOS = platform === 'dext' || platform === 'kext';
  const views: ExplanationView[] = platform === 'dext' ? ['driverkit'] : platform === undefined ? ['driverkit', 'page-scatter'] : ['page-scatter'];
  const blockSizeAssumed = limits.logicalBlockSize === Infinity;
  const blockSize = blockSizeAssumed ? 512 : limits.logicalBlockSize;
  const dmaBitsKnown = given('dmaNumAddressBits', limits.dmaNumAddressBits < 64);
  const iovaBits = dmaBitsKnown ? limits.dmaNumAddressBits : 64;
  const iovaMayCross4GiB = iovaBits > 32;

  const directions: DirectionExplanation[] = (['read', 'write'] as const).map((direction) => {
    const D = direction === 'read' ? 'Read' : 'Write';
    const maxBytes = limits[`maxByteCount${D}`];
    const maxBlocks = limits[`maxBlockCount${D}`];
    const segCount = limits[`maxSegmentCount${D}`];
    const segBytes = limits[`maxSegmentByteCount${D}`];
    const appleBlockDefault = macOS && !Number.isFinite(maxBlocks);
    const blocks = appleBlockDefault ? APPLE_DEFAULT_MAX_BLOCKS : maxBlocks;
    const candidates: Array<[number, string]> = [
      [maxBytes, `IOMaximumByteCount${D}`],
      [
        blocks * blockSize,
        appleBlockDefault
          ? `Apple's default of ${APPLE_DEFAULT_MAX_BLOCKS} blocks × ${blockSize} bytes (no IOMaximumBlockCount${D})`
          : `IOMaximumBlockCount${D} × ${blockSize}-byte blocks`,
      ],
      [segCount * segBytes, `IOMaximumSegmentCount${D} × IOMaximumSegmentByteCount${D}`],
    ];
    const finite = candidates.filter(([v]) => Number.isFinite(v));
    const largest = finite.length ? Math.min(...finite.map(([v]) => v)) : undefined;
    const e: DirectionExplanation = {
      direction,
      limitedBy: finite.filter(([v]) => v === largest).map(([, why]) => why),
      appleBlockDefault,
      worstCaseExceedsSegments: false,
      sglExceedsSegments: false,
      exceedsDmaMaxTransfer: largest !== undefined && largest > limits.dmaMaxTransferSize,
    };
    if (Number.isFinite(segCount)) e.maxSegments = segCount;
    if (Number.isFinite(segBytes)) e.maxSegmentBytes = segBytes;
    if (largest !== undefined) {
      e.largestTransferBytes = largest;
      e.worstCaseSegments4k = worstCaseSegments(largest, PAGE_4K, segBytes);
      e.worstCaseSegments16k = worstCaseSegments(largest, PAGE_16K, segBytes);
      e.sglElements = Number.isFinite(segBytes) ? Math.ceil(largest / segBytes) : 1;
      if (e.maxSegments !== undefined) {
        e.worstCaseExceedsSegments = e.worstCaseSegments4k > e.maxSegments;
        e.sglExceedsSegments = e.sglElements + (iovaMayCross4GiB ? 1 : 0) > e.maxSegments;
      }
    }
    return e;
  });

  const addressLimitBytes = limits.addressBits < 64 ? 2 ** limits.addressBits : undefined;
  const appleAlignmentDefault = macOS && !given('minSegmentAlignment', limits.minSegmentAlignment > 1);
  const missing: string[] = [];
  if (views.includes('driverkit')) {
    if (!dmaBitsKnown) missing.push('dmaNumAddressBits');
    if (!given('dmaMaxTransferSize', Number.isFinite(limits.dmaMaxTransferSize))) missing.push('dmaMaxTransferSize');
    if (!Number.isFinite(limits.maxSegmentByteCountRead) || !Number.isFinite(limits.maxSegmentByteCountWrite))
      missing.push('IOMaximumSegmentByteCountRead/Write');
    if (!Number.isFinite(limits.maxSegmentCountRead) || !Number.isFinite(limits.maxSegmentCountWrite)) missing.push('IOMaximumSegmentCountRead/Write');
    if (!Number.isFinite(limits.maxTasksInFlight)) missing.push('IOCommandPoolSize (maxTasksInFlight)');
  }
  // Without the set of given keys, a value differing from "not set" counts as given.
  const fallbackGiven: Partial<Record<ConstraintId, boolean>> = {
    maxSegmentCountRead: Number.isFinite(limits.maxSegmentCountRead),
    maxSegmentCountWrite: Number.isFinite(limits.maxSegmentCountWrite),
    maxSegmentByteCountRead: Number.isFinite(limits.maxSegmentByteCountRead),
    maxSegmentByteCountWrite: Number.isFinite(limits.maxSegmentByteCountWrite),
    minSegmentAlignment: limits.minSegmentAlignment > 1,
    addressBits: limits.addressBits < 64,
  };
  const requiredHbaConstraintsMissing =
    platform === 'dext'
      ? CONSTRAINTS.filter((c) => c.hbaConstraints === 'required' && !given(c.id, fallbackGiven[c.id] ?? false)).map((c) => c.iokitKey ?? c.id)
      : [];
  const largestAny = Math.max(...directions.map((d) => d.largestTransferBytes ?? 0));
  const perTask = Math.min(limits.dmaMaxTransferSize, largestAny || Infinity);
  const mappingCeilingBytes = Number.isFinite(limits.maxTasksInFlight) && Number.isFinite(perTask) ? limits.maxTasksInFlight * perTask : undefined;

  const notes: string[] = [];
  for (const d of directions) {
    const D = d.direction === 'read' ? 'Read' : 'Write';
    if (d.exceedsDmaMaxTransfer && views.includes('driverkit')) {
      notes.push(
        `the OS may issue ${d.direction}s of ${d.largestTransferBytes} bytes but the DMA specification's maxTransferSize is ${limits.dmaMaxTransferSize}: larger tasks fail to map (IODMACommand::prepare returns kIOReturnNoSpace); publish IOMaximumByteCount${D} ${limits.dmaMaxTransferSize}`,
      );
    }
    if (views.includes('page-scatter') && d.worstCaseExceedsSegments) {
      notes.push(
        `${platform ? '' : 'kext/Linux: '}a worst-case ${d.direction} of ${d.largestTransferBytes} bytes scattered over 4 KiB pages needs ${d.worstCaseSegments4k} segments but the HBA takes ${d.maxSegments}: the OS must split or copy such buffers; set IOMaximumByteCount${D} to at most ${(d.maxSegments! - 1) * PAGE_4K} so every buffer fits`,
      );
    }
    if (views.includes('driverkit') && d.sglExceedsSegments) {
      notes.push(
        `${platform ? '' : 'dext: '}one IOVM range of ${d.largestTransferBytes} bytes needs ${d.sglElements} elements of at most ${d.maxSegmentBytes ?? '∞'} bytes${iovaMayCross4GiB ? ', one more where it crosses a 4 GiB boundary,' : ''} but the HBA takes ${d.maxSegments}`,
      );
    }
  }
  const result: Explanation = {
    platformSource,
    views,
    directions,
    addressBits: limits.addressBits,
    ...(addressLimitBytes !== undefined ? { addressLimitBytes } : {}),
    needsBouncing: addressLimitBytes !== undefined,
    iovaMayExceedHba: iovaBits > limits.addressBits,
    iovaMayCross4GiB,
    minSegmentAlignment: appleAlignmentDefault ? APPLE_DEFAULT_SEGMENT_ALIGNMENT : limits.minSegmentAlignment,
    appleAlignmentDefault,
    dmaAlignment: limits.dmaAlignment,
    blockSizeAssumed,
    blockSize,
    missing,
    requiredHbaConstraintsMissing,
    notes,
  };
  if (platform) result.platform = platform;
  if (dmaBitsKnown) result.dmaNumAddressBits = limits.dmaNumAddressBits;
  if (mappingCeilingBytes !== undefined) result.mappingCeilingBytes = mappingCeilingBytes;
  if (Number.isFinite(limits.maxMappedDmaBytes)) result.maxMappedDmaBytes = limits.maxMappedDmaBytes;
  return result;
}

/** Segments for `bytes` starting one byte before a page boundary, every page physically apart. */
function worstCaseSegments(bytes: number, pageSize: number, maxSegmentBytes: number): number {
  // One byte in the first page, then whole pages, then the rest.
  const pages = bytes <= 1 ? 1 : 1 + Math.ceil((bytes - 1) / pageSize);
  if (!Number.isFinite(maxSegmentBytes) || maxSegmentBytes >= pageSize) return pages;
  return pages * Math.ceil(pageSize / maxSegmentBytes);
}
