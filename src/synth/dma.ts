import { FOUR_GIB, packSegments, PAGE_BYTES, type AddressPolicy, type PageScatter, type SegmentLimits } from './memory.js';
import type { Prng } from './prng.js';

/**
 * How a task's data reaches the HBA, and what its driver records of it. Two models:
 *
 * - a kext (or Linux driver) is handed a scatter/gather list by the OS and records it
 *   (KextDma: page-scattered lists from PageScatter);
 * - a DriverKit extension is handed one IOVM range, `fBufferIOVMAddr` covering
 *   `fRequestedTransferCount` bytes (SCSIControllerDriverKit's SCSIUserParallelTask), builds its
 *   hardware's SGL from it, and records both (DextDma over an IovmSpace).
 *
 * Either says, per 4 KiB chunk of the transfer, where the hardware's DMA went when that is not
 * where the data is: what a truncated address or a 32-bit engine makes of it.
 */
export interface TaskDma {
  /** Bytes the task moves: what was asked, or less when a kext list hit its segment limit. */
  bytes: number;
  /** The list the driver recorded: packed (u64 address, u64 length) LE pairs. */
  segments: Uint8Array;
  /** The IOVM range the framework handed (DriverKit only). */
  buffer?: { address: number; length: number };
  /** Per 4 KiB chunk: the address the hardware used instead of the right one, or undefined. */
  astray: Array<number | undefined>;
  /** Gives the mapping back (at completion). */
  release(): void;
}

export interface DmaPath {
  /** Maps up to `bytes` (a multiple of 4 KiB) for one task; `progress` (0..1) is how far the workload is. */
  map(bytes: number, progress: number): TaskDma;
}

/** The OS hands a kext page-scattered physical pages; a `hbaBits`-bit DMA engine drops the bits above. */
export class KextDma implements DmaPath {
  constructor(
    private readonly scatter: PageScatter,
    private readonly limits: SegmentLimits,
    private readonly policy: (progress: number) => AddressPolicy,
    private readonly hbaBits = 64,
  ) {}

  map(bytes: number, progress: number): TaskDma {
    const sg = this.scatter.build(bytes, this.limits, this.policy(progress));
    const reach = this.hbaBits < 64 ? 2 ** this.hbaBits : Infinity;
    return { bytes: sg.bytes, segments: sg.packed, astray: sg.pageAddresses.map((a) => (a >= reach ? a % reach : undefined)), release: () => {} };
  }
}

export interface IovmSpaceOptions {
  /** The DMA specification's numAddressBits: every mapping lies below 2^bits. */
  numAddressBits: number;
  /** Where this controller's mappings below 4 GiB may go: [lowBase, lowBase + lowBytes). */
  lowBase: number;
  lowBytes: number;
  /** Mappings above 4 GiB lie below this. */
  highTop: number;
  /** Chance that a mapping placed above 4 GiB is placed to start just below it instead, running across. */
  straddleProbability: number;
}

/**
 * The system mapper's address space for one controller's task mappings, as a model: a mapping
 * goes below 4 GiB while the room there (less what other mappings hold at the moment) fits it;
 * otherwise, when numAddressBits allows, above. The mapper's real allocator is not published;
 * what matters here is only that the addresses a dext is handed leave the low 4 GiB once the
 * space there is used up — as memory use grows, with more RAM, after long uptime.
 */
export class IovmSpace {
  private readonly live = new Map<number, number>();
  private lowInUse = 0;

  constructor(
    private readonly rng: Prng,
    private readonly o: IovmSpaceOptions,
  ) {}

  /** Maps `bytes` (page-rounded) while other mappings hold `othersLow` bytes of the low space; returns the IOVM address. */
  map(bytes: number, othersLow: number): number {
    const size = Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES;
    const low = this.o.numAddressBits <= 32 || this.lowInUse + othersLow + size <= this.o.lowBytes;
    let address: number;
    if (low) {
      address = this.place(this.o.lowBase, this.o.lowBase + this.o.lowBytes, size);
      this.lowInUse += size;
    } else if (this.rng.chance(this.o.straddleProbability) && size > PAGE_BYTES) {
      const start = FOUR_GIB - this.rng.int(1, size / PAGE_BYTES - 1) * PAGE_BYTES;
      address = this.fits(start, size) ? start : this.place(FOUR_GIB, this.o.highTop, size);
    } else {
      address = this.place(FOUR_GIB, this.o.highTop, size);
    }
    this.live.set(address, size);
    return address;
  }

  unmap(address: number): void {
    const size = this.live.get(address);
    if (size === undefined) return;
    this.live.delete(address);
    if (address + size <= FOUR_GIB) this.lowInUse -= size;
  }

  private fits(start: number, size: number): boolean {
    for (const [a, n] of this.live) if (start < a + n && a < start + size) return false;
    return true;
  }

  /** A page-aligned free place in [from, to): random tries, then the first free one. */
  private place(from: number, to: number, size: number): number {
    const slots = Math.floor((to - from - size) / PAGE_BYTES) + 1;
    for (let tries = 0; tries < 64; tries++) {
      const start = from + this.rng.below(slots) * PAGE_BYTES;
      if (this.fits(start, size)) return start;
    }
    for (let start = from; start + size <= to; start += PAGE_BYTES) if (this.fits(start, size)) return start;
    throw new RangeError('IOVM space full');
  }
}

export interface DextSglBuilder {
  /** The element length the builder cuts the range into (IOMaximumSegmentByteCount*). */
  elementBytes: number;
  /**
   * The driver keeps only the low 32 bits of each element's address (a 32-bit SGE, or a
   * uint32_t on the way to it), and the engine counts within those 32 bits.
   */
  truncateTo32: boolean;
}

/**
 * A dext: the framework maps each task's buffer into one IOVM range; the driver splits it into
 * elements of `elementBytes` in order and programs them. `othersLow` tells how much of the low
 * IOVM space other mappings hold at the workload's progress.
 */
export class DextDma implements DmaPath {
  constructor(
    private readonly space: IovmSpace,
    private readonly sgl: DextSglBuilder,
    private readonly othersLow: (progress: number) => number = () => 0,
  ) {}

  map(bytes: number, progress: number): TaskDma {
    const iova = this.space.map(bytes, this.othersLow(progress));
    const elements: Array<[number, number]> = [];
    for (let at = 0; at < bytes; at += this.sgl.elementBytes) {
      const address = iova + at;
      elements.push([this.sgl.truncateTo32 ? address % FOUR_GIB : address, Math.min(this.sgl.elementBytes, bytes - at)]);
    }
    const astray: Array<number | undefined> = [];
    for (let at = 0; at < bytes; at += PAGE_BYTES) {
      const e = Math.floor(at / this.sgl.elementBytes);
      const programmed = elements[e]![0] + (at - e * this.sgl.elementBytes);
      const used = this.sgl.truncateTo32 ? programmed % FOUR_GIB : programmed;
      astray.push(used === iova + at ? undefined : used);
    }
    return { bytes, segments: packSegments(elements), buffer: { address: iova, length: bytes }, astray, release: () => this.space.unmap(iova) };
  }
}
