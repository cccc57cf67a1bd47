import type { Prng } from './prng.js';

/**
 * Page-scattered DMA segment lists, as a buffered (UBC) transfer reaches an HBA driver:
 * 4 KiB pages at unrelated physical addresses, with the occasional run of contiguous pages
 * merged into one segment, never more segments or longer segments than the driver allows.
 */

export const PAGE_BYTES = 4096;
export const FOUR_GIB = 0x1_0000_0000;

/** The limits a driver reported (IOMaximumSegmentCount*, IOMaximumSegmentByteCount*). */
export interface SegmentLimits {
  maxSegments: number;
  maxSegmentBytes: number;
}

/** Where pages come from. */
export interface AddressPolicy {
  /** Probability that a run of pages is placed at or above 4 GiB. */
  highProbability: number;
  /** Probability that a run crosses the 4 GiB boundary (needs highProbability > 0). */
  straddleProbability: number;
  /** Top of installed memory (bytes); pages lie below it. */
  memoryTop: number;
  /** Relative weight of longer contiguous runs (1 = typical buffer cache). */
  contiguity?: number;
  /** Draw run lengths uniformly from this range of pages instead (wired, mostly contiguous buffers). */
  runPages?: { min: number; max: number };
}

export interface ScatterList {
  /** Bytes the list covers: at most what was asked for, less when the segment limit was hit. */
  bytes: number;
  /** Packed (u64 address, u64 length) little-endian pairs. */
  packed: Uint8Array;
  segmentCount: number;
  /** DMA address of every 4 KiB page, in transfer order. */
  pageAddresses: number[];
}

/** (address, length) pairs as the native format packs a segment list: u64 address, u64 length, little-endian. */
export function packSegments(segs: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const packed = new Uint8Array(segs.length * 16);
  const view = new DataView(packed.buffer);
  segs.forEach(([address, length], i) => {
    view.setUint32(i * 16, address % FOUR_GIB, true);
    view.setUint32(i * 16 + 4, Math.floor(address / FOUR_GIB), true);
    view.setUint32(i * 16 + 8, length, true);
  });
  return packed;
}

/** Low memory starts above the first 16 MiB and ends below the 3 GiB PCI hole. */
const LOW_START = 16 * 1024 * 1024;
const LOW_END = 3 * 1024 * 1024 * 1024;

export class PageScatter {
  constructor(private readonly rng: Prng) {}

  /** Builds a segment list for up to `bytes` (a multiple of 4 KiB) of buffer. */
  build(bytes: number, limits: SegmentLimits, policy: AddressPolicy): ScatterList {
    const wanted = Math.ceil(bytes / PAGE_BYTES);
    const maxRunPages = Math.max(1, Math.floor(limits.maxSegmentBytes / PAGE_BYTES));
    const used = new Set<number>();
    const segs: Array<[number, number]> = [];
    const pageAddresses: number[] = [];
    let full = false;
    while (!full && pageAddresses.length < wanted) {
      const remaining = wanted - pageAddresses.length;
      const run = policy.runPages ? this.rng.int(policy.runPages.min, policy.runPages.max) : this.runLength(policy.contiguity ?? 1);
      const placed = this.place(Math.min(run, remaining), remaining, policy, used);
      for (let i = 0; i < placed.pages; i++) {
        const address = placed.address + i * PAGE_BYTES;
        const tail = segs[segs.length - 1];
        // Pages contiguous with the previous segment merge into it, up to the segment length limit.
        if (tail && tail[0] + tail[1] === address && tail[1] + PAGE_BYTES <= maxRunPages * PAGE_BYTES) {
          tail[1] += PAGE_BYTES;
        } else if (segs.length < limits.maxSegments) {
          segs.push([address, PAGE_BYTES]);
        } else {
          full = true; // segment limit reached: the OS ends the transfer here
          break;
        }
        used.add(address / PAGE_BYTES);
        pageAddresses.push(address);
      }
    }
    return { bytes: pageAddresses.length * PAGE_BYTES, packed: packSegments(segs), segmentCount: segs.length, pageAddresses };
  }

  /** Contiguous pages in a run: mostly single pages, sometimes a few, rarely dozens. */
  private runLength(contiguity: number): number {
    const r = this.rng.float() / contiguity;
    if (r < 0.02) return this.rng.int(17, 64);
    if (r < 0.1) return this.rng.int(5, 16);
    if (r < 0.3) return this.rng.int(2, 4);
    return 1;
  }

  /** A start address for a run of pages that collides with no page already in the list. */
  private place(pages: number, remaining: number, policy: AddressPolicy, used: Set<number>): { address: number; pages: number } {
    for (;;) {
      let address: number;
      let run = pages;
      if (policy.highProbability > 0 && this.rng.chance(policy.straddleProbability)) {
        // A run that begins a few pages below 4 GiB and continues above it.
        const below = this.rng.int(1, 8);
        run = Math.min(remaining, Math.max(run, below + this.rng.int(1, 8)));
        address = FOUR_GIB - below * PAGE_BYTES;
      } else if (this.rng.chance(policy.highProbability)) {
        address = FOUR_GIB + this.rng.below((policy.memoryTop - FOUR_GIB) / PAGE_BYTES - run) * PAGE_BYTES;
      } else {
        address = LOW_START + this.rng.below((LOW_END - LOW_START) / PAGE_BYTES - run) * PAGE_BYTES;
      }
      let free = true;
      for (let i = 0; i < run && free; i++) if (used.has(address / PAGE_BYTES + i)) free = false;
      if (free) return { address, pages: run };
    }
  }
}
