import { DataDirection, SamStatus } from '../../model/events.js';
import * as cdb from '../cdb.js';
import { runCopy } from '../copy.js';
import { enumerate, RAID_VOLUME, Timeout } from '../device.js';
import { controllerInit, syncWithControllerFlush } from '../megaraid.js';
import { Media, strayContent } from '../media.js';
import { FOUR_GIB, type AddressPolicy } from '../memory.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Sim } from '../sim.js';
import { Asc, fixedSense, SenseKey } from '../sense.js';

/**
 * One workload, three drivers: the same buffered copy (same files, same LBAs, same order) through
 * the original KEXT, through its DriverKit port, and through the port after its flush fix. The
 * three traces are what `scsitrace diff` is for: kext vs dext, and dext before vs after a fix.
 * Everything before the copy draws the same random numbers in all three, so the files land on
 * the same blocks; the copy has no journal writes (their sizes are random), so the reads and
 * writes line up block for block however each driver splits them.
 */

const MiB = 1024 * 1024;

/** The vendor command the management tool sends after the copy (a MegaRAID pass-through). */
const VENDOR_OPCODE = 0xc5;

interface DriverModel {
  name: string;
  constraints: Record<string, number>;
  maxBytes: number;
  maxSegments: number;
  queueDepth: number;
  /** Pages above 4 GiB reach the driver (a DEXT's buffers come from anywhere). */
  highPages: boolean;
  /** The controller only sees the low 32 address bits (a 32-bit SGE). */
  truncates: boolean;
  /** SYNCHRONIZE CACHE is answered after a controller cache flush. */
  flushes: boolean;
  /** The port answers the vendor CDB itself (no pass-through): CHECK CONDITION, 05/20/00. */
  vendorRefused: boolean;
}

const KEXT: DriverModel = {
  name: 'KEXT',
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
  maxBytes: 0x20000,
  maxSegments: 33,
  queueDepth: 8,
  highPages: true,
  truncates: false,
  flushes: true,
  vendorRefused: false,
};

const DEXT: DriverModel = {
  name: 'DEXT',
  constraints: {
    IOMaximumSegmentCountRead: 129,
    IOMaximumSegmentCountWrite: 129,
    IOMaximumSegmentByteCountRead: 0x10000,
    IOMaximumSegmentByteCountWrite: 0x10000,
    IOMaximumByteCountRead: 0x80000,
    IOMaximumByteCountWrite: 0x80000,
    IOMaximumBlockCountRead: 1024,
    IOMaximumBlockCountWrite: 1024,
    IOMinimumSegmentAlignmentByteCount: 4,
    IOMaximumSegmentAddressableBitCount: 32,
  },
  maxBytes: 0x80000,
  maxSegments: 129,
  queueDepth: 16,
  highPages: true,
  truncates: true,
  flushes: false,
  vendorRefused: true,
};

/** The DEXT after the fix: flushes the controller cache before answering SYNCHRONIZE CACHE. */
const DEXT_FIXED: DriverModel = { ...DEXT, name: 'DEXT (flush fixed)', flushes: true };

function copyThrough(d: DriverModel): Scenario['generate'] {
  return (w, o) => {
    const rng = new Prng(o.seed);
    const sim = new Sim(w, rng, { startNs: 1_000_000 });
    controllerInit(sim);
    w.constraints(sim.now, d.constraints);
    sim.wait(rng.int(200_000, 800_000));
    enumerate(sim, RAID_VOLUME);
    sim.wait(rng.int(5_000_000, 20_000_000));
    const memoryTop = 64 * 1024 * MiB;
    const policy = (): AddressPolicy => ({ highProbability: d.highPages ? 0.3 : 0, straddleProbability: 0, memoryTop });
    const limits = { maxSegments: d.maxSegments, maxSegmentBytes: 0x10000 };
    runCopy(sim, {
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      bytes: o.size ?? 4 * MiB,
      disk: RAID_VOLUME,
      media: new Media(o.seed, RAID_VOLUME.blockBytes),
      seed: o.seed,
      queueDepth: d.queueDepth,
      read: { maxBytes: d.maxBytes, limits, policy },
      write: { maxBytes: d.maxBytes, limits, policy },
      flushEveryBytes: 512 * 1024,
      flush: d.flushes
        ? (s, dirty) => void syncWithControllerFlush(s, dirty, cdb.synchronizeCache10())
        : (s) => {
            // The bug: the DEXT answers SYNCHRONIZE CACHE itself, without MR_DCMD_CTRL_CACHE_FLUSH.
            s.submit({ cdb: cdb.synchronizeCache10(), direction: DataDirection.None, timeoutMs: Timeout.sync, latencyNs: s.rng.int(7_000, 12_000) });
            s.waitIdle();
          },
      ...(d.truncates ? { landed: (address: number) => (address >= FOUR_GIB ? strayContent(o.seed, address % FOUR_GIB) : undefined) } : {}),
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
  summary: 'the same copy through the DriverKit port: 512 KiB transfers, 32-bit SGEs, SYNCHRONIZE CACHE answered in ~9 µs with no flush, vendor CDB refused',
  details: [
    'The candidate of the copy-* trio: same workload as copy-kext.',
    'DEXT: IOMaximumByteCount 512 KiB, 129 segments, IOMaximumSegmentAddressableBitCount 32,',
    'queue depth 16; pages above 4 GiB reach it and land at the truncated address (read-back',
    'digests differ). SYNCHRONIZE CACHE(10) is answered in 7-12 µs with no controller flush.',
    'The vendor CDB 0xC5 reaches the dext, which has no MegaRAID pass-through and answers it itself: CHECK CONDITION, ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (05/20/00).',
  ],
  size,
  generate: copyThrough(DEXT),
};

export const copyDextFixed: Scenario = {
  name: 'copy-dext-fixed',
  summary: 'the DriverKit port after its flush fix: SYNCHRONIZE CACHE answered after a controller flush again',
  details: [
    'copy-dext with one change: SYNCHRONIZE CACHE(10) is answered after MR_DCMD_CTRL_CACHE_FLUSH',
    '(milliseconds, a ControllerCacheFlush event linked to the task). Everything else as copy-dext.',
  ],
  size,
  generate: copyThrough(DEXT_FIXED),
};
