import type { TraceWriter } from '../formats/native/writer.js';
import { DextDma, IovmSpace, type DextSglBuilder } from './dma.js';
import { FOUR_GIB } from './memory.js';
import type { Prng } from './prng.js';
import { Sim } from './sim.js';

const MiB = 1024 * 1024;

/**
 * What a DriverKit SCSI controller extension records of its declarations, in its trace's
 * constraints record: the UserReportHBAConstraints dictionary (the six IOKitKeys.h keys and
 * kIOMinimumHBADataAlignmentMaskKey, "HBA Data Alignment"), the IOMaximumByteCount /
 * BlockCount properties of its Info.plist personality, its UserReportMaximumTaskCount (published
 * as IOCommandPoolSize), its UserGetDMASpecification out-parameters, and that it is a dext.
 */
export interface DextDeclarations {
  IOMaximumSegmentCountRead: number;
  IOMaximumSegmentCountWrite: number;
  IOMaximumSegmentByteCountRead: number;
  IOMaximumSegmentByteCountWrite: number;
  IOMinimumSegmentAlignmentByteCount: number;
  IOMaximumSegmentAddressableBitCount: number;
  'HBA Data Alignment': string;
  IOMaximumByteCountRead: number;
  IOMaximumByteCountWrite: number;
  IOMaximumBlockCountRead: number;
  IOMaximumBlockCountWrite: number;
  IOCommandPoolSize: number;
  dmaMaxTransferSize: number;
  dmaAlignment: number;
  dmaNumAddressBits: number;
  platform: 'dext';
}

/**
 * The LSI MegaRAID SAS 3108 dext of the seed case: a 32-bit HBA that returns numAddressBits 64.
 * The one declaration of the LSI 3108's limits: the kext samples report the same ones
 * (kextConstraints), the copy-dext port these, the fixed port these with 64 address bits.
 */
export const LSI3108_DEXT: DextDeclarations = {
  IOMaximumSegmentCountRead: 129,
  IOMaximumSegmentCountWrite: 129,
  IOMaximumSegmentByteCountRead: 0x10000,
  IOMaximumSegmentByteCountWrite: 0x10000,
  IOMinimumSegmentAlignmentByteCount: 4,
  IOMaximumSegmentAddressableBitCount: 32,
  'HBA Data Alignment': '0x00000000FFFFFFFC',
  IOMaximumByteCountRead: 0x80000,
  IOMaximumByteCountWrite: 0x80000,
  IOMaximumBlockCountRead: 1024,
  IOMaximumBlockCountWrite: 1024,
  IOCommandPoolSize: 240,
  dmaMaxTransferSize: 0x80000,
  dmaAlignment: 4,
  dmaNumAddressBits: 64,
  platform: 'dext',
};

/**
 * What a kext driving the same HBA reports of these declarations: ReportHBAConstraints' keys and
 * its IOMaximumByteCount / BlockCount properties, in that order; a kext has no
 * UserGetDMASpecification, no UserReportMaximumTaskCount and no "HBA Data Alignment" key.
 */
const KEXT_KEYS = [
  'IOMaximumSegmentCountRead',
  'IOMaximumSegmentCountWrite',
  'IOMaximumSegmentByteCountRead',
  'IOMaximumSegmentByteCountWrite',
  'IOMaximumByteCountRead',
  'IOMaximumByteCountWrite',
  'IOMaximumBlockCountRead',
  'IOMaximumBlockCountWrite',
  'IOMinimumSegmentAlignmentByteCount',
  'IOMaximumSegmentAddressableBitCount',
] as const;

export type KextConstraints = Pick<DextDeclarations, (typeof KEXT_KEYS)[number]>;

/** The constraints record a kext for the same HBA writes: the keys a kext reports, taken from the dext's declarations. */
export function kextConstraints(d: DextDeclarations): KextConstraints {
  return Object.fromEntries(KEXT_KEYS.map((k) => [k, d[k]])) as unknown as KextConstraints;
}

/** A 64-bit SAS/RAID dext that declares what its hardware does: 64-bit elements, 64 address bits, 1 MiB tasks. */
export const HEALTHY_DEXT: DextDeclarations = {
  IOMaximumSegmentCountRead: 257,
  IOMaximumSegmentCountWrite: 257,
  IOMaximumSegmentByteCountRead: 0x10000,
  IOMaximumSegmentByteCountWrite: 0x10000,
  IOMinimumSegmentAlignmentByteCount: 4,
  IOMaximumSegmentAddressableBitCount: 64,
  'HBA Data Alignment': '0xFFFFFFFFFFFFFFFC',
  IOMaximumByteCountRead: 0x100000,
  IOMaximumByteCountWrite: 0x100000,
  IOMaximumBlockCountRead: 2048,
  IOMaximumBlockCountWrite: 2048,
  IOCommandPoolSize: 240,
  dmaMaxTransferSize: 0x100000,
  dmaAlignment: 4,
  dmaNumAddressBits: 64,
  platform: 'dext',
};

/** Where the modelled system mapper puts a controller's mappings below 4 GiB: the top 64 MiB. */
const LOW_IOVM_BYTES = 64 * MiB;

export interface DextModel {
  sim: Sim;
  space: IovmSpace;
  /** A DMA path whose low IOVM room, at a workload's progress, is what other mappings leave. */
  path: (othersLow: (progress: number) => number) => DextDma;
  /** Bytes of the low IOVM space other mappings hold when nothing is under pressure. */
  othersAtRest: number;
}

/**
 * A Sim that records as a dext does, over a modelled IOVM space. `lowFreeBytes` is the room
 * below 4 GiB that other mappings leave this controller's tasks at rest; commands the scenario
 * does not map itself (INQUIRY data, sense buffers of reads) get ranges there.
 */
export function dextModel(
  w: TraceWriter,
  rng: Prng,
  o: {
    declarations: DextDeclarations;
    sgl: DextSglBuilder;
    lowFreeBytes: number;
    straddleProbability?: number;
    startNs?: number;
    /**
     * What the mapper model draws from. By default a fork of `rng`, which takes one number from
     * its stream; a scenario that must draw the same numbers as a kext run of the same workload
     * (the copy-* trio) passes its own.
     */
    mapperRng?: Prng;
  },
): DextModel {
  const space = new IovmSpace(o.mapperRng ?? rng.fork(0x10a), {
    numAddressBits: o.declarations.dmaNumAddressBits,
    lowBase: FOUR_GIB - LOW_IOVM_BYTES,
    lowBytes: LOW_IOVM_BYTES,
    highTop: 64 * 1024 * MiB,
    straddleProbability: o.straddleProbability ?? 0,
  });
  const othersAtRest = LOW_IOVM_BYTES - o.lowFreeBytes;
  const path = (othersLow: (progress: number) => number): DextDma => new DextDma(space, o.sgl, othersLow);
  const sim = new Sim(w, rng, { startNs: o.startNs ?? 1_000_000, dext: { dma: path(() => othersAtRest) } });
  return { sim, space, path, othersAtRest };
}
