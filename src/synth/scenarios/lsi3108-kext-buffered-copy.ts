import { runCopy } from '../copy.js';
import { kextConstraints, LSI3108_DEXT } from '../dext.js';
import { enumerate, RAID_VOLUME } from '../device.js';
import { controllerInit, syncWithoutFlush } from '../megaraid.js';
import { Media, strayContent } from '../media.js';
import { FOUR_GIB, type AddressPolicy } from '../memory.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Sim } from '../sim.js';

const MiB = 1024 * 1024;

/** What the LSI 3108 kext reports (ReportHBAConstraints, and its IOMaximumByteCount/BlockCount properties): the dext's limits. */
const LSI3108_KEXT_CONSTRAINTS = kextConstraints(LSI3108_DEXT);

export const lsi3108KextBufferedCopy: Scenario = {
  name: 'lsi3108-kext-buffered-copy',
  summary: 'the same LSI 3108 copy through a kext: page-scattered lists with pages above 4 GiB on a 32-bit HBA, for comparison with the dext',
  details: [
    'The kext-era view of the seed case, kept to compare with lsi3108-buffered-copy (the dext):',
    'an IOSCSIParallelInterfaceController kext on a Mac without a system mapper, whose',
    'IODMACommand hands it physical pages, page-scattered, one list per task (no IOVM range).',
    'It reports IOMaximumSegmentAddressableBitCount 32, IOMaximumSegmentCountWrite 129,',
    'IOMaximumByteCountWrite 0x80000, but its DMA specification lets the OS hand write pages',
    'above 4 GiB once the copy has filled low memory (from ~20% in), including runs that',
    'straddle the 4 GiB boundary. The controller drops the high address bits, so those pages',
    'land on disk with whatever sat at the truncated address: the verify pass reads back',
    'digests that differ from the written ones exactly for those pages (per-4 KiB chunk',
    'digests show which). SYNCHRONIZE CACHE(10) of LBA 0 and 0 blocks (the only one macOS',
    'sends) is completed GOOD within ~15-40 us with no controller flush (no ControllerCacheFlush event; the trace has other HBA events).',
  ],
  size: { meaning: 'bytes copied', default: 256 * MiB, min: 1 * MiB, max: 64 * 1024 * MiB },
  generate(w, o) {
    const rng = new Prng(o.seed);
    const sim = new Sim(w, rng, { startNs: 1_000_000 });
    controllerInit(sim);
    w.constraints(sim.now, LSI3108_KEXT_CONSTRAINTS);
    sim.wait(rng.int(200_000, 800_000));
    enumerate(sim, RAID_VOLUME);
    sim.wait(rng.int(5_000_000, 20_000_000));
    const memoryTop = 64 * 1024 * MiB;
    const low: AddressPolicy = { highProbability: 0, straddleProbability: 0, memoryTop };
    // Low memory runs out as the destination's dirty pages pile up in the buffer cache.
    const writePolicy = (progress: number): AddressPolicy =>
      progress < 0.2 ? low : { highProbability: Math.min(0.5, (progress - 0.2) * 1.2), straddleProbability: 0.015, memoryTop };
    const k = LSI3108_KEXT_CONSTRAINTS;
    const limits = { maxSegments: k.IOMaximumSegmentCountWrite, maxSegmentBytes: k.IOMaximumSegmentByteCountWrite };
    runCopy(sim, {
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      bytes: o.size ?? 256 * MiB,
      disk: RAID_VOLUME,
      media: new Media(o.seed, RAID_VOLUME.blockBytes),
      seed: o.seed,
      queueDepth: 16,
      read: { maxBytes: k.IOMaximumByteCountRead, limits, policy: () => low },
      write: { maxBytes: k.IOMaximumByteCountWrite, limits, policy: writePolicy },
      flushEveryBytes: 32 * MiB,
      // The bug: SYNCHRONIZE CACHE answered without MR_DCMD_CTRL_CACHE_FLUSH.
      flush: (s) => syncWithoutFlush(s),
      // A 32-bit SGE carries only the low 32 bits of the page address.
      landed: (address) => (address >= FOUR_GIB ? strayContent(o.seed, address % FOUR_GIB) : undefined),
      journalEveryBytes: 8 * MiB,
      readBack: true,
    });
    sim.finish();
  },
};
