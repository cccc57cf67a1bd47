import { DataDirection, DeliveryStatus, ServiceResponse } from '../../model/events.js';
import * as cdb from '../cdb.js';
import { enumerate, RAID_VOLUME, Timeout } from '../device.js';
import { controllerInit, syncWithControllerFlush } from '../megaraid.js';
import { PageScatter, type AddressPolicy } from '../memory.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Sim } from '../sim.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/**
 * The driver's own ceiling: the controller translates DMA addresses through a window of 2 GiB
 * that the driver fills as it maps tasks. Not an Apple limit (no Apple source sets one:
 * docs/constraints.md, "The DMA mapping budget is opt-in").
 */
export const DMA_MAPPING_LIMIT = 2 * GiB;
/** kIOReturnNoMemory: iokit_common_err(0x2bd). */
export const K_IO_RETURN_NO_MEMORY = 0xe00002bd;

export const DMA_CONSTRAINTS = {
  IOMaximumSegmentCountRead: 1024,
  IOMaximumSegmentCountWrite: 1024,
  IOMaximumSegmentByteCountRead: 0x200000,
  IOMaximumSegmentByteCountWrite: 0x200000,
  IOMaximumByteCountRead: 0x2000000,
  IOMaximumByteCountWrite: 0x2000000,
  IOMaximumBlockCountRead: 65536,
  IOMaximumBlockCountWrite: 65536,
  IOMinimumSegmentAlignmentByteCount: 4,
  IOMaximumSegmentAddressableBitCount: 64,
} as const;

export const dmaOver2Gib: Scenario = {
  name: 'dma-over-2gib',
  summary: "a burst of 32 MiB writes maps more than the driver's 2 GiB DMA window at once; later mappings fail",
  details: [
    'A capture application writes 32 MiB buffers (F_NOCACHE, wired, mostly contiguous:',
    '64 KiB-2 MiB segments) with many requests outstanding, to a RAID volume whose driver',
    'allows 32 MiB transfers (IOMaximumByteCountWrite 0x2000000) and 128 tasks. The trace is',
    'kext-style: each task records the list the OS handed, no IOVM range.',
    "The driver maps every task into the controller's own DMA address-translation window, which",
    "holds 2 GiB (its hardware's ceiling, not an Apple limit). The controller drains the writes",
    'at ~2.4 GB/s, so the mapped bytes of tasks in flight climb past 2 GiB; from then on the',
    'window is full and the driver completes each new task at once with',
    'SERVICE_DELIVERY_OR_TARGET_FAILURE / DELIVERY_FAILURE and a note "driver DMA window full:',
    '0xe00002bd (kIOReturnNoMemory) ...". The I/O is retried later under new task ids and',
    'succeeds; a SYNCHRONIZE CACHE with controller flush ends it. check reports the excursion',
    'only with that ceiling configured as maxMappedDmaBytes.',
  ],
  size: { meaning: 'bytes the application writes in its burst', default: 3 * GiB, min: 2.25 * GiB, max: 64 * GiB },
  generate(w, o) {
    const rng = new Prng(o.seed);
    const sim = new Sim(w, rng, { startNs: 1_000_000 });
    const scatter = new PageScatter(rng.fork(0x5ca7));
    controllerInit(sim);
    w.constraints(sim.now, DMA_CONSTRAINTS);
    sim.wait(rng.int(200_000, 800_000));
    enumerate(sim, RAID_VOLUME);
    sim.wait(rng.int(20_000_000, 60_000_000));

    const bufferBytes = 32 * MiB;
    const buffers = Math.ceil((o.size ?? 3 * GiB) / bufferBytes);
    const policy: AddressPolicy = { highProbability: 0.9, straddleProbability: 0, memoryTop: 192 * GiB, runPages: { min: 16, max: 512 } };
    const limits = { maxSegments: DMA_CONSTRAINTS.IOMaximumSegmentCountWrite, maxSegmentBytes: DMA_CONSTRAINTS.IOMaximumSegmentByteCountWrite };
    const blocksPerBuffer = bufferBytes / RAID_VOLUME.blockBytes;
    const firstLba = 0x0400_0000 + rng.below(0x10_0000) * 8;
    let deviceFreeAt = sim.now;
    let mapped = 0;
    let mappedTasks = 0;
    const retry: number[] = [];

    const write = (index: number): void => {
      const sg = scatter.build(bufferBytes, limits, policy);
      const lba = firstLba + index * blocksPerBuffer;
      const base = {
        cdb: cdb.rw(true, lba, sg.bytes / RAID_VOLUME.blockBytes),
        direction: DataDirection.ToDevice,
        requestedBytes: sg.bytes,
        segments: sg.packed,
        timeoutMs: Timeout.io,
      };
      if (mapped >= DMA_MAPPING_LIMIT) {
        const inFlightBytes = mapped;
        const inFlightTasks = mappedTasks;
        sim.submit({
          ...base,
          latencyNs: rng.int(4_000, 9_000),
          outcome: { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.DeliveryFailure, bytesTransferred: 0 },
          onComplete: (taskId) =>
            sim.note(
              `driver DMA window full: 0x${K_IO_RETURN_NO_MEMORY.toString(16)} (kIOReturnNoMemory) mapping ${sg.bytes} bytes; ${inFlightBytes} of its ${DMA_MAPPING_LIMIT} bytes already mapped by ${inFlightTasks} tasks in flight`,
              taskId,
            ),
        });
        retry.push(index);
        return;
      }
      // The controller moves one buffer at a time at ~2.4 GB/s.
      deviceFreeAt = Math.max(deviceFreeAt, sim.now) + sg.bytes / 2.4 + rng.int(20_000, 60_000);
      mapped += sg.bytes;
      mappedTasks++;
      sim.submit({
        ...base,
        latencyNs: deviceFreeAt - sim.now,
        onComplete: () => {
          mapped -= sg.bytes;
          mappedTasks--;
        },
      });
    };

    // Progress counts buffers issued, first tries and retries alike, against all known so far.
    let issued = 0;
    let firstTries = 0;
    const progress = () => {
      issued++;
      o.onProgress?.(issued * bufferBytes, (issued + buffers - firstTries + retry.length) * bufferBytes);
    };
    for (let i = 0; i < buffers; i++) {
      sim.wait(rng.int(40_000, 90_000));
      write(i);
      firstTries++;
      progress();
    }
    // The framework retries the refused writes once tasks complete, keeping 8 in flight.
    while (retry.length > 0) {
      sim.waitForSlot(8);
      sim.wait(rng.int(40_000, 90_000));
      write(retry.shift()!);
      progress();
    }
    sim.waitIdle();
    // The controller's write-back cache still holds the tail of the burst.
    syncWithControllerFlush(sim, 512 * MiB);
    sim.finish();
  },
};
