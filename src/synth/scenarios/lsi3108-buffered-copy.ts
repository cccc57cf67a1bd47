import { runCopy } from '../copy.js';
import { dextModel, LSI3108_DEXT } from '../dext.js';
import { enumerate, RAID_VOLUME } from '../device.js';
import { controllerInit, syncWithoutFlush } from '../megaraid.js';
import { Media } from '../media.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';

const MiB = 1024 * 1024;

/** Room below 4 GiB the mapper leaves this controller's tasks at the start (other mappings hold the rest). */
const LOW_FREE_AT_START = 20 * MiB;
/** Low IOVM space other mappings take per byte copied, as the copy's data piles up in the buffer cache. */
const PRESSURE_PER_BYTE = 1 / 16;

/** The trace's producer: the dext as it names itself to sct_ring_init, drained by sctring-drain. */
export const LSI3108_DEXT_PRODUCER = 'MegaRAID3108 dext 1.4.2 (com.example.driver.MegaRAID3108), sctring-drain';

export const lsi3108BufferedCopy: Scenario = {
  name: 'lsi3108-buffered-copy',
  summary:
    'LSI 3108 dext copying a file onto its RAID volume: IOVM ranges above 4 GiB cut into 32-bit SGL elements, flushes never reach the controller, corrupt read-back',
  producer: LSI3108_DEXT_PRODUCER,
  details: [
    'A DriverKit capture, as the ring reader writes it: every task records the one IOVM range the',
    'framework handed (fBufferIOVMAddr, fRequestedTransferCount) and the SGL the dext built from',
    "it (64 KiB elements); task ids are the framework's pooled fControllerTaskIdentifier values.",
    'The dext declares IOMaximumSegmentAddressableBitCount 32 and HBA Data Alignment',
    '0x00000000FFFFFFFC to UserReportHBAConstraints but returns numAddressBits 64 (512 KiB, 4-byte',
    'alignment) from UserGetDMASpecification; its constraints record says so, with platform dext.',
    'After MR_DCMD_CTRL_GET_INFO it notes the controller cache is volatile (hw_present.bbu = 0):',
    '"lun-info ... write-cache-volatile=yes". A file on another disk is copied onto the volume',
    '(512 KiB WRITE(16)s, journal WRITE(10)s), then read back (READ(16)). Modelled mapper: the',
    "IOVM space below 4 GiB left to this controller shrinks as the copy's data piles up (1 MiB per",
    '16 MiB copied, from 20 MiB free); once a task does not fit there the mapper, allowed 64 bits,',
    'maps it above 4 GiB, and the dext keeps only the low 32 bits of each SGL element address',
    '(a 32-bit SGE). A copy up to ~192 MiB stays below 4 GiB and reads back intact; past that,',
    'writes land with whatever the truncated addresses held, and the read-back (caches purged)',
    'returns different digests for exactly those writes (per-64 KiB chunk digests, recorded once',
    'the DMA is done, as a debug build with UserGetDataBuffer can). SYNCHRONIZE CACHE(10) of LBA 0',
    'and 0 blocks (the only one macOS sends) is completed GOOD in ~15-40 us without',
    'MR_DCMD_CTRL_CACHE_FLUSH.',
  ],
  size: { meaning: 'bytes copied', default: 256 * MiB, min: 1 * MiB, max: 64 * 1024 * MiB },
  generate(w, o) {
    const rng = new Prng(o.seed);
    const bytes = o.size ?? 256 * MiB;
    const d = LSI3108_DEXT;
    const { sim, path, othersAtRest } = dextModel(w, rng, {
      declarations: d,
      sgl: { elementBytes: d.IOMaximumSegmentByteCountWrite, truncateTo32: true },
      lowFreeBytes: LOW_FREE_AT_START,
      straddleProbability: 0.03,
    });
    controllerInit(sim);
    sim.note('MR_DCMD_CTRL_GET_INFO: hw_present.bbu=0 (no battery backup unit): the write-back cache of logical drive 0 is volatile');
    sim.note('lun-info target=0 lun=0 write-cache=on write-cache-volatile=yes');
    w.constraints(sim.now, { ...d });
    sim.wait(rng.int(200_000, 800_000));
    enumerate(sim, RAID_VOLUME);
    sim.wait(rng.int(5_000_000, 20_000_000));
    // Low IOVM space taken by other mappings: grows with the data copied, drops when the caches are purged.
    const copying = path((progress) => othersAtRest + progress * bytes * PRESSURE_PER_BYTE);
    const atRest = path(() => othersAtRest);
    runCopy(sim, {
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      bytes,
      disk: RAID_VOLUME,
      media: new Media(o.seed, RAID_VOLUME.blockBytes),
      seed: o.seed,
      queueDepth: 16,
      source: { otherDisk: true, bytesPerNs: 1.6, batchBytes: 8 * MiB },
      read: { maxBytes: d.IOMaximumByteCountRead, dma: atRest },
      write: { maxBytes: d.IOMaximumByteCountWrite, dma: copying },
      verify: { maxBytes: d.IOMaximumByteCountRead, dma: atRest },
      flushEveryBytes: 32 * MiB,
      // The bug: SYNCHRONIZE CACHE answered without MR_DCMD_CTRL_CACHE_FLUSH.
      flush: (s) => syncWithoutFlush(s),
      digest: { at: 'complete', chunkPages: 16 },
      journalEveryBytes: 8 * MiB,
      readBack: true,
    });
    sim.finish();
  },
};
