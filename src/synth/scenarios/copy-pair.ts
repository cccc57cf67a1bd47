import type { TraceWriter } from '../../formats/native/writer.js';
import { DataDirection, SamStatus, type ConstraintValue } from '../../model/events.js';
import * as cdb from '../cdb.js';
import { runCopy, type DirectionConfig } from '../copy.js';
import { dextModel, LSI3108_DEXT, type DextDeclarations } from '../dext.js';
import { enumerate, RAID_VOLUME, Timeout } from '../device.js';
import { controllerInit, syncWithControllerFlush } from '../megaraid.js';
import { Media } from '../media.js';
import type { AddressPolicy, SegmentLimits } from '../memory.js';
import { mix32, Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Sim } from '../sim.js';
import { Asc, fixedSense, SenseKey } from '../sense.js';
import { LSI3108_DEXT_PRODUCER } from './lsi3108-buffered-copy.js';

/**
 * One workload, three drivers: the same buffered copy (same files, same LBAs, same order) through
 * the original KEXT, through its DriverKit port, and through the port after its fixes. The
 * three traces are what `scsitrace diff` is for: kext vs dext, and dext before vs after a fix.
 * The KEXT's capture records the lists the OS handed it; the two dext captures record, per task,
 * the IOVM range the framework handed the dext and the SGL the dext built from it (dextModel).
 * Everything before the copy draws the same random numbers in all three, so the files land on
 * the same blocks; the copy has no journal writes (their sizes are random), so the reads and
 * writes line up block for block however each driver splits them.
 */

const MiB = 1024 * 1024;

/** The vendor command the management tool sends after the copy (a MegaRAID pass-through). */
const VENDOR_OPCODE = 0xc5;

/** How a driver gets a task's data, and what its capture records of it. */
type DriverDma =
  | {
      /** A kext: the OS hands it page-scattered lists, which it records (no IOVM range). */
      kind: 'kext';
      constraints: Record<string, number>;
      limits: SegmentLimits;
      maxBytes: number;
      /** Chance that a run of the buffer's pages lies above 4 GiB. */
      highProbability: number;
    }
  | {
      /**
       * A dext: the framework hands it one IOVM range per task (fBufferIOVMAddr), from which it
       * builds its SGL; it records both, and its declarations as its constraints record.
       */
      kind: 'dext';
      declarations: DextDeclarations;
      /** The SGL builder keeps only the low 32 bits of each element's address (a 32-bit SGE). */
      truncateTo32: boolean;
    };

interface DriverModel {
  name: string;
  dma: DriverDma;
  queueDepth: number;
  /** SYNCHRONIZE CACHE is answered after a controller cache flush. */
  flushes: boolean;
  /** The port answers the vendor CDB itself (no pass-through): CHECK CONDITION, 05/20/00. */
  vendorRefused: boolean;
}

const KEXT: DriverModel = {
  name: 'KEXT',
  dma: {
    kind: 'kext',
    constraints: {
      IOMaximumSegmentCountRead: 33,
      IOMaximumSegmentCountWrite: 33,
      IOMaximumSegmentByteCountRead: 0x10000,
      IOMaximumSegmentByteCountWrite: 0x10000,
      IOMaximumByteCountRead: 0x20000,
      IOMaximumByteCountWrite: 0x20000,
      IOMaximumBlockCountRead: 256,
      IOMaximumBlockCountWrite: 256,
      IOMinimumSegmentAlignmentByteCount: 4,
      IOMaximumSegmentAddressableBitCount: 64,
    },
    limits: { maxSegments: 33, maxSegmentBytes: 0x10000 },
    maxBytes: 0x20000,
    highProbability: 0.3,
  },
  queueDepth: 8,
  flushes: true,
  vendorRefused: false,
};

/**
 * The DriverKit port: the LSI 3108's declarations (32 addressable bits, 129 elements, 512 KiB)
 * with numAddressBits 64 from UserGetDMASpecification, so the framework hands IOVM ranges above
 * 4 GiB, which its SGL builder cuts to 32 bits; SYNCHRONIZE CACHE answered without a flush.
 */
const DEXT: DriverModel = {
  name: 'DEXT',
  dma: { kind: 'dext', declarations: LSI3108_DEXT, truncateTo32: true },
  queueDepth: 16,
  flushes: false,
  vendorRefused: true,
};

/**
 * The port after its fixes: 64-bit SGEs (the 3108's SGL carries 64-bit addresses; it declares 64
 * addressable bits and alignment mask, as the KEXT did) and a controller flush before GOOD.
 */
const DEXT_FIXED: DriverModel = {
  ...DEXT,
  name: 'DEXT (fixed)',
  dma: {
    kind: 'dext',
    declarations: { ...LSI3108_DEXT, IOMaximumSegmentAddressableBitCount: 64, 'HBA Data Alignment': '0xFFFFFFFFFFFFFFFC' },
    truncateTo32: false,
  },
  flushes: true,
};

/**
 * Room below 4 GiB the mapper leaves the dext's tasks: the enumeration's small buffers and the
 * first read-ahead fit there; the copy's larger transfers are mapped above 4 GiB.
 */
const DEXT_LOW_FREE_BYTES = 256 * 1024;

/** The Sim, the constraints record and the two directions' DMA of one driver. */
function driverSetup(
  w: TraceWriter,
  rng: Prng,
  seed: number,
  d: DriverDma,
): { sim: Sim; constraints: Record<string, ConstraintValue>; read: DirectionConfig; write: DirectionConfig } {
  if (d.kind === 'kext') {
    const sim = new Sim(w, rng, { startNs: 1_000_000 });
    const memoryTop = 64 * 1024 * MiB;
    const policy = (): AddressPolicy => ({ highProbability: d.highProbability, straddleProbability: 0, memoryTop });
    const direction = { maxBytes: d.maxBytes, limits: d.limits, policy };
    return { sim, constraints: d.constraints, read: direction, write: direction };
  }
  const decl = d.declarations;
  // The mapper draws from its own generator, so that the main stream (the files' layout, the
  // latencies) is the KEXT run's number for number.
  const { sim, path, othersAtRest } = dextModel(w, rng, {
    declarations: decl,
    sgl: { elementBytes: decl.IOMaximumSegmentByteCountWrite, truncateTo32: d.truncateTo32 },
    lowFreeBytes: DEXT_LOW_FREE_BYTES,
    mapperRng: new Prng(mix32(seed, 0x10a)),
  });
  const dma = path(() => othersAtRest);
  return {
    sim,
    constraints: { ...decl },
    read: { maxBytes: decl.IOMaximumByteCountRead, dma },
    write: { maxBytes: decl.IOMaximumByteCountWrite, dma },
  };
}

function copyThrough(d: DriverModel): Scenario['generate'] {
  return (w, o) => {
    const rng = new Prng(o.seed);
    const { sim, constraints, read, write } = driverSetup(w, rng, o.seed, d.dma);
    controllerInit(sim);
    w.constraints(sim.now, constraints);
    sim.wait(rng.int(200_000, 800_000));
    enumerate(sim, RAID_VOLUME);
    sim.wait(rng.int(5_000_000, 20_000_000));
    runCopy(sim, {
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      bytes: o.size ?? 4 * MiB,
      disk: RAID_VOLUME,
      media: new Media(o.seed, RAID_VOLUME.blockBytes),
      seed: o.seed,
      queueDepth: d.queueDepth,
      read,
      write,
      flushEveryBytes: 512 * 1024,
      flush: d.flushes
        ? (s, dirty) => void syncWithControllerFlush(s, dirty, cdb.synchronizeCache10())
        : (s) => {
            // The bug: the DEXT answers SYNCHRONIZE CACHE itself, without MR_DCMD_CTRL_CACHE_FLUSH.
            s.submit({ cdb: cdb.synchronizeCache10(), direction: DataDirection.None, timeoutMs: Timeout.sync, latencyNs: s.rng.int(7_000, 12_000) });
            s.waitIdle();
          },
      // A dext reaches the data only through UserGetDataBuffer, once the DMA is done: digests at completion, per 64 KiB.
      ...(d.dma.kind === 'dext' ? { digest: { at: 'complete' as const, chunkPages: 16 } } : {}),
      journalEveryBytes: 0,
      readBack: true,
    });
    // The management tool's vendor command, three times.
    for (let attempt = 0; attempt < 3; attempt++) {
      sim.wait(rng.int(20_000_000, 40_000_000));
      const c = cdb.vendorSpecific(VENDOR_OPCODE, 12, [0x01, 0x00, 0x10]);
      if (d.vendorRefused) {
        sim.submit({
          cdb: c,
          direction: DataDirection.FromDevice,
          requestedBytes: 512,
          timeoutMs: Timeout.inquiry,
          latencyNs: rng.int(5_000, 14_000),
          outcome: { status: SamStatus.CheckCondition, bytesTransferred: 0, sense: fixedSense(SenseKey.IllegalRequest, Asc.InvalidOpcode) },
          onComplete: (taskId) =>
            sim.note(
              `the port's UserProcessParallelTask has no MegaRAID pass-through: it answered vendor-specific operation code 0x${VENDOR_OPCODE.toString(16)} itself with ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE; the CDB never reached the controller`,
              taskId,
            ),
        });
      } else {
        sim.submit({ cdb: c, direction: DataDirection.FromDevice, requestedBytes: 512, timeoutMs: Timeout.inquiry, latencyNs: rng.int(60_000, 120_000) });
      }
      sim.waitIdle();
    }
    sim.finish();
  };
}

/** The fixed port's capture names the dext's next build, as it names itself to sct_ring_init. */
const FIXED_PORT_PRODUCER = 'MegaRAID3108 dext 1.4.3 (com.example.driver.MegaRAID3108), sctring-drain';

const size = { meaning: 'bytes copied', default: 4 * MiB, min: 1 * MiB, max: 64 * 1024 * MiB };

export const copyKext: Scenario = {
  name: 'copy-kext',
  summary: 'a buffered copy through the original KEXT: 128 KiB transfers, 64-bit SGEs, SYNCHRONIZE CACHE after a controller flush',
  details: [
    'The baseline of the copy-* trio (same seed, same files on the same blocks).',
    'MegaRAID KEXT: IOMaximumByteCount 128 KiB, 33 segments, 64-bit addressing, queue depth 8.',
    'SYNCHRONIZE CACHE(10) every 512 KiB written, each answered after MR_DCMD_CTRL_CACHE_FLUSH.',
    'Verify pass reads the destination back. Then a vendor CDB 0xC5 (pass-through) answered GOOD.',
  ],
  size,
  generate: copyThrough(KEXT),
};

export const copyDext: Scenario = {
  name: 'copy-dext',
  summary:
    'the same copy through the DriverKit port: 512 KiB transfers in IOVM ranges above 4 GiB cut into 32-bit SGL elements, SYNCHRONIZE CACHE answered in ~9 µs with no flush, vendor CDB refused',
  details: [
    'The candidate of the copy-* trio: same workload as copy-kext, as a DriverKit capture: every task',
    'records the IOVM range the framework handed the dext (fBufferIOVMAddr, fRequestedTransferCount)',
    "and the SGL the dext built from it (64 KiB elements); task ids are the framework's pooled ones.",
    "The LSI 3108 declarations (the lsi3108-buffered-copy dext's): IOMaximumSegmentAddressableBitCount",
    '32, 129 segments, IOMaximumByteCount 512 KiB, but numAddressBits 64 from UserGetDMASpecification;',
    "queue depth 16. The modelled mapper leaves the dext 256 KiB below 4 GiB, so the copy's larger",
    'ranges are mapped above 4 GiB; the SGL builder keeps only the low 32 bits of each element address,',
    'so those transfers move other memory (read-back digests, per 64 KiB once the DMA is done, differ).',
    'SYNCHRONIZE CACHE(10) is answered in 7-12 µs with no controller flush.',
    'The vendor CDB 0xC5 reaches the dext, which has no MegaRAID pass-through and answers it itself: CHECK CONDITION, ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (05/20/00).',
  ],
  producer: LSI3108_DEXT_PRODUCER,
  size,
  generate: copyThrough(DEXT),
};

export const copyDextFixed: Scenario = {
  name: 'copy-dext-fixed',
  summary: 'the DriverKit port after its fixes: 64-bit SGL addresses, SYNCHRONIZE CACHE answered after a controller flush again',
  details: [
    'copy-dext with two fixes: the SGL builder writes 64-bit element addresses (and the dext declares',
    'IOMaximumSegmentAddressableBitCount 64, HBA Data Alignment 0xFFFFFFFFFFFFFFFC), so the IOVM ranges',
    'above 4 GiB are reached and read back intact; SYNCHRONIZE CACHE(10) is answered after',
    'MR_DCMD_CTRL_CACHE_FLUSH (milliseconds, a ControllerCacheFlush event linked to the task).',
    'Everything else as copy-dext (the vendor CDB is still refused).',
  ],
  producer: FIXED_PORT_PRODUCER,
  size,
  generate: copyThrough(DEXT_FIXED),
};
