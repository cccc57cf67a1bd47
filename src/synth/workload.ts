import { DataDirection } from '../model/events.js';
import * as cdb from './cdb.js';
import type { DmaPath } from './dma.js';
import { Timeout } from './device.js';
import { PageScatter, PAGE_BYTES, type AddressPolicy, type SegmentLimits } from './memory.js';
import type { Outcome, Sim } from './sim.js';

/** Transfer sizes in 4 KiB pages with weights: the small random I/O of applications and metadata. */
export const SMALL_IO_PAGES: ReadonlyArray<readonly [number, number]> = [
  [1, 30],
  [2, 15],
  [4, 20],
  [8, 15],
  [16, 12],
  [32, 8],
];

export interface RandomIoOptions {
  count: number;
  queueDepth: number;
  blockBytes: number;
  /** LBA range I/O falls in (4 KiB aligned). */
  lbaRange: readonly [number, number];
  readFraction: number;
  limits: SegmentLimits;
  policy: AddressPolicy;
  /** Pause between submissions (ns). */
  think: readonly [number, number];
  latency: (bytes: number, write: boolean) => number;
  sizes?: ReadonlyArray<readonly [number, number]>;
  /** Lets a scenario change one task's fate (nth task issued, 0-based). */
  outcome?: (n: number, write: boolean) => Outcome | undefined;
  /** A DriverKit extension's DMA (one IOVM range, the driver's SGL) instead of page-scattered lists. */
  dma?: DmaPath;
}

/** Random reads and writes at a queue depth: background activity around a scenario's event. */
export function randomIo(sim: Sim, scatter: PageScatter, o: RandomIoOptions): void {
  const rng = sim.rng;
  const perPage = PAGE_BYTES / o.blockBytes;
  for (let n = 0; n < o.count; n++) {
    sim.waitForSlot(o.queueDepth);
    sim.wait(rng.int(o.think[0], o.think[1]));
    const write = !rng.chance(o.readFraction);
    const pages = rng.weighted(o.sizes ?? SMALL_IO_PAGES);
    const dma = o.dma?.map(pages * PAGE_BYTES, n / o.count);
    const list = dma ? undefined : scatter.build(pages * PAGE_BYTES, o.limits, o.policy);
    const bytes = dma?.bytes ?? list!.bytes;
    const span = (o.lbaRange[1] - o.lbaRange[0]) / perPage - pages;
    const lba = o.lbaRange[0] + rng.below(span) * perPage;
    const outcome = o.outcome?.(n, write);
    sim.submit({
      cdb: cdb.rw(write, lba, bytes / o.blockBytes),
      direction: write ? DataDirection.ToDevice : DataDirection.FromDevice,
      requestedBytes: bytes,
      ...(dma ? { dma } : { segments: list!.packed }),
      timeoutMs: Timeout.io,
      latencyNs: o.latency(bytes, write),
      ...(outcome ? { outcome } : {}),
    });
  }
}
