import * as cdb from '../cdb.js';
import { runCopy } from '../copy.js';
import { dextModel, HEALTHY_DEXT } from '../dext.js';
import { enumerate, RAID_VOLUME } from '../device.js';
import { controllerInit, syncWithControllerFlush } from '../megaraid.js';
import { Media } from '../media.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';

const MiB = 1024 * 1024;

/** The producer of the healthy dext's capture, as it names itself to sct_ring_init. */
export const HEALTHY_DEXT_PRODUCER = 'MegaRAID3108 dext 1.5.0 (com.example.driver.MegaRAID3108), sctring-drain';

/**
 * What a correct kext-style driver reports: 64-bit SGEs, 1 MiB transfers, 257 segments (the
 * constraints record of the kext-era samples and the benchmark trace).
 */
export const HEALTHY_CONSTRAINTS = {
  IOMaximumSegmentCountRead: 257,
  IOMaximumSegmentCountWrite: 257,
  IOMaximumSegmentByteCountRead: 0x10000,
  IOMaximumSegmentByteCountWrite: 0x10000,
  IOMaximumByteCountRead: 0x100000,
  IOMaximumByteCountWrite: 0x100000,
  IOMaximumBlockCountRead: 2048,
  IOMaximumBlockCountWrite: 2048,
  IOMinimumSegmentAlignmentByteCount: 4,
  IOMaximumSegmentAddressableBitCount: 64,
} as const;

export const healthyCopy: Scenario = {
  name: 'healthy-copy',
  summary: 'buffered file copy through a correct RAID HBA dext: no findings expected',
  producer: HEALTHY_DEXT_PRODUCER,
  details: [
    'A DriverKit capture of the fixed MegaRAID dext, as the ring reader writes it: each task records',
    'its IOVM range (fBufferIOVMAddr, fRequestedTransferCount) and the SGL the dext built from it',
    '(64 KiB elements, full 64-bit addresses); task ids are pooled fControllerTaskIdentifier values.',
    'Host with 32 GiB, MegaRAID SAS3108 volume (512-byte blocks, ~3.6 TiB, write-back cache that the',
    'dext notes is volatile). Constraints record: 64 address bits both to UserReportHBAConstraints',
    'and from UserGetDMASpecification (1 MiB, 4-byte alignment), 257 elements, platform dext.',
    'Then REPORT LUNS, INQUIRY (+VPD 00/80/83/B0), READ CAPACITY(10) and (16), MODE SENSE(10)',
    'caching page (WCE=1). Copy within the volume: READ(10) read-ahead of the source below 2 TiB,',
    'WRITE(16) of the destination past 2 TiB at queue depth 12, journal WRITE(10)s; the mapper hands',
    'ranges above 4 GiB too (and across it), which the 64-bit SGL carries whole.',
    'SYNCHRONIZE CACHE(10) every 8 MiB and at the end, each answered after a controller flush',
    '(ControllerCacheFlush Issued/Completed linked to the task). Verify pass reads the destination',
    'back; read digests (per 64 KiB, recorded once the DMA is done) equal the written ones.',
  ],
  size: { meaning: 'bytes copied', default: 32 * MiB, min: 64 * 1024, max: 64 * 1024 * MiB },
  generate(w, o) {
    const rng = new Prng(o.seed);
    const d = HEALTHY_DEXT;
    // Little room below 4 GiB: most ranges are mapped above it, some across it.
    const { sim, path, othersAtRest } = dextModel(w, rng, {
      declarations: d,
      sgl: { elementBytes: d.IOMaximumSegmentByteCountWrite, truncateTo32: false },
      lowFreeBytes: 4 * MiB,
      straddleProbability: 0.05,
    });
    controllerInit(sim);
    sim.note('lun-info target=0 lun=0 write-cache=on write-cache-volatile=yes');
    w.constraints(sim.now, { ...d });
    sim.wait(rng.int(200_000, 800_000));
    enumerate(sim, RAID_VOLUME);
    sim.wait(rng.int(5_000_000, 20_000_000));
    const dma = path(() => othersAtRest);
    runCopy(sim, {
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      bytes: o.size ?? 32 * MiB,
      disk: RAID_VOLUME,
      media: new Media(o.seed, RAID_VOLUME.blockBytes),
      seed: o.seed,
      queueDepth: 12,
      read: { maxBytes: d.IOMaximumByteCountRead, dma },
      write: { maxBytes: d.IOMaximumByteCountWrite, dma },
      flushEveryBytes: 8 * MiB,
      flush: (s, dirty) => void syncWithControllerFlush(s, dirty, cdb.synchronizeCache10()),
      digest: { at: 'complete', chunkPages: 16 },
      journalEveryBytes: 4 * MiB,
      readBack: true,
    });
    sim.finish();
  },
};
