import * as cdb from '../cdb.js';
import { runCopy } from '../copy.js';
import { enumerate, RAID_VOLUME } from '../device.js';
import { controllerInit, syncWithControllerFlush } from '../megaraid.js';
import { Media } from '../media.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Sim } from '../sim.js';

const MiB = 1024 * 1024;

/** What the (fixed) driver reports: 64-bit SGEs, 1 MiB transfers, 257 segments. */
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
  summary: 'buffered file copy through a correct RAID HBA driver: no findings expected',
  details: [
    'Host with 32 GiB, MegaRAID SAS3108 volume (512-byte blocks, ~3.6 TiB, write-back cache).',
    'Driver start: firmware GET_INFO / LD_GET_LIST, constraints record (64-bit addressing,',
    '257 segments, 1 MiB), then REPORT LUNS, INQUIRY (+VPD 00/80/83/B0), READ CAPACITY(10)',
    'and (16), MODE SENSE(10) caching page (WCE=1).',
    'Copy: READ(10) read-ahead of the source below 2 TiB, WRITE(16) of the destination past',
    '2 TiB, 4 KiB pages at scattered addresses with contiguous runs merged, queue depth 12,',
    'journal WRITE(10)s, SYNCHRONIZE CACHE(10) every 8 MiB and at the end, each answered',
    'after a controller flush (ControllerCacheFlush Issued/Completed linked to the task).',
    'Verify pass reads the destination back; read digests equal the written ones.',
  ],
  size: { meaning: 'bytes copied', default: 32 * MiB, min: 64 * 1024, max: 64 * 1024 * MiB },
  generate(w, o) {
    const rng = new Prng(o.seed);
    const sim = new Sim(w, rng, { startNs: 1_000_000 });
    controllerInit(sim);
    w.constraints(sim.now, HEALTHY_CONSTRAINTS);
    sim.wait(rng.int(200_000, 800_000));
    enumerate(sim, RAID_VOLUME);
    sim.wait(rng.int(5_000_000, 20_000_000));
    const policy = () => ({ highProbability: 0.7, straddleProbability: 0.01, memoryTop: 32 * 1024 * MiB });
    runCopy(sim, {
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      bytes: o.size ?? 32 * MiB,
      disk: RAID_VOLUME,
      media: new Media(o.seed, RAID_VOLUME.blockBytes),
      seed: o.seed,
      queueDepth: 12,
      read: { maxBytes: HEALTHY_CONSTRAINTS.IOMaximumByteCountRead, limits: { maxSegments: 257, maxSegmentBytes: 0x10000 }, policy },
      write: { maxBytes: HEALTHY_CONSTRAINTS.IOMaximumByteCountWrite, limits: { maxSegments: 257, maxSegmentBytes: 0x10000 }, policy },
      flushEveryBytes: 8 * MiB,
      flush: (s, dirty) => void syncWithControllerFlush(s, dirty, cdb.synchronizeCache10()),
      journalEveryBytes: 4 * MiB,
      readBack: true,
    });
    sim.finish();
  },
};
