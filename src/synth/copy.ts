import { DataDirection } from '../model/events.js';
import * as cdb from './cdb.js';
import { ioLatency, Timeout, type DiskModel } from './device.js';
import type { DmaPath, TaskDma } from './dma.js';
import { CHUNK_BYTES, staleContent, strayContent, type Digest, type Media } from './media.js';
import { PageScatter, PAGE_BYTES, type AddressPolicy, type SegmentLimits } from './memory.js';
import { mix32 } from './prng.js';
import type { Sim, TaskPlan } from './sim.js';

/**
 * A buffered file copy as the block layer sees it: cluster read-ahead of the source file,
 * write-behind of the destination's dirty pages in clusters as large as the driver allows,
 * small journal writes, a cache flush every so often and at the end, then (optionally) a
 * verify pass that reads the destination back.
 */
/** One direction of the copy: page-scattered lists (`limits`, `policy`: a kext) or a DriverKit DMA path (`dma`). */
export type DirectionConfig = {
  /** IOMaximumByteCount* */
  maxBytes: number;
} & (
  | {
      limits: SegmentLimits;
      /** Where buffer pages come from, by progress through the copy (0..1). */
      policy: (progress: number) => AddressPolicy;
      dma?: undefined;
    }
  | {
      /** The task's DMA as a DriverKit extension sees it: one IOVM range, the driver's SGL. */
      dma: DmaPath;
    }
);

export interface CopyConfig {
  bytes: number;
  disk: DiskModel;
  media: Media;
  seed: number;
  queueDepth: number;
  read: DirectionConfig;
  write: DirectionConfig;
  /** A cache flush after this many bytes written (and one at the end). */
  flushEveryBytes: number;
  /** Issues the flush the scenario models and waits for it; gets the bytes written since the last. */
  flush: (sim: Sim, dirtyBytes: number, lastWriteLba: number) => void;
  /** What reached the medium from a page at this DMA address, when not the page's own data (lists without `dma`). */
  landed?: (pageAddress: number) => number | undefined;
  /** Journal writes every this many bytes of file data (0: none). */
  journalEveryBytes: number;
  readBack: boolean;
  /** Progress: bytes copied (and verified), of the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Where the source file is read from: this volume (its reads are in the trace, the default),
   * or another disk, read at `bytesPerNs`, whose reads this controller never sees; the buffer
   * cache's write-behind pushes the copied data in batches of `batchBytes`.
   */
  source?: { otherDisk: true; bytesPerNs: number; batchBytes: number };
  /** The verify pass's reads (default: `read`). */
  verify?: DirectionConfig;
  /** How digests are recorded (Sim's TaskPlan digest options). */
  digest?: { at?: 'submit' | 'complete'; chunkPages?: number };
}

/** The page list or the DMA model of one direction, for one task: what the Sim records, and where each chunk's DMA went. */
function mapTask(
  scatter: PageScatter,
  d: DirectionConfig,
  bytes: number,
  progress: number,
): { bytes: number; plan: Pick<TaskPlan, 'segments' | 'dma'>; astray: Array<number | undefined>; pages: number[] } {
  if (d.dma !== undefined) {
    const dma: TaskDma = d.dma.map(bytes, progress);
    return { bytes: dma.bytes, plan: { dma }, astray: dma.astray, pages: [] };
  }
  const sg = scatter.build(bytes, d.limits, d.policy(progress));
  return { bytes: sg.bytes, plan: { segments: sg.packed }, astray: [], pages: sg.pageAddresses };
}

interface Extent {
  fileOffset: number;
  lba: number;
  bytes: number;
}

const SOURCE_FILE = 1;
const JOURNAL_LBA = 0x0064_0000;
const JOURNAL_BLOCKS = 0x4000;

/** Lays a file of `bytes` out in `count` extents starting near `baseLba`, 4 KiB aligned. */
function layout(sim: Sim, bytes: number, baseLba: number, count: number, blockBytes: number): Extent[] {
  const pages = bytes / PAGE_BYTES;
  const cuts = new Set<number>();
  while (cuts.size < Math.min(count - 1, pages - 1)) cuts.add(sim.rng.int(1, pages - 1));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), pages];
  const perPage = PAGE_BYTES / blockBytes;
  const extents: Extent[] = [];
  let lba = baseLba;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const n = bounds[i + 1]! - bounds[i]!;
    extents.push({ fileOffset: bounds[i]! * PAGE_BYTES, lba, bytes: n * PAGE_BYTES });
    lba += n * perPage + sim.rng.int(256, 65536) * perPage; // free space between extents
  }
  return extents;
}

/** The disk range for up to `max` bytes of the file from `offset`, not crossing an extent. */
function mapRange(extents: readonly Extent[], offset: number, max: number, blockBytes: number): { lba: number; bytes: number } {
  for (const e of extents) {
    if (offset >= e.fileOffset && offset < e.fileOffset + e.bytes) {
      return { lba: e.lba + (offset - e.fileOffset) / blockBytes, bytes: Math.min(max, e.fileOffset + e.bytes - offset) };
    }
  }
  throw new RangeError(`file offset ${offset} outside the file`);
}

export function runCopy(sim: Sim, c: CopyConfig): void {
  const { disk, media } = c;
  const rng = sim.rng;
  const bs = disk.blockBytes;
  const bytes = Math.max(PAGE_BYTES, Math.ceil(c.bytes / PAGE_BYTES) * PAGE_BYTES);
  const scatter = new PageScatter(rng.fork(0x5ca7));
  // Source below 2 TiB (READ(10)); the destination lands past 2 TiB (WRITE(16)/READ(16)).
  const source = layout(sim, bytes, 0x0a00_0000 + rng.below(0x100_0000) * 8, rng.int(1, 3), bs);
  const dest = layout(sim, bytes, 0x1_2000_0000 + rng.below(0x100_0000) * 8, rng.int(1, 2), bs);
  for (const e of source) media.placeFile(e.lba, SOURCE_FILE, e.fileOffset / CHUNK_BYTES, e.bytes / CHUNK_BYTES);

  let readIssued = 0;
  let readDone = 0;
  const readFinished = new Map<number, number>(); // start -> end of completed reads past readDone
  let readAhead = 128 * 1024;
  let written = 0;
  let sinceFlush = 0;
  let sinceJournal = 0;
  let journalAt = 0;
  let journalSeq = 0;
  let lastWriteLba = 0;
  const writes: Array<{ lba: number; bytes: number }> = [];
  const work = c.readBack ? 2 * bytes : bytes;
  let verified = 0;

  /**
   * What reached the medium for chunk i of a write when it is not the host's data: what sat at
   * the address the DMA fetched from instead (a truncated SGL element, or a list's page that
   * `landed` says went astray); undefined when the right data landed.
   */
  const landedAt =
    (sg: { astray: Array<number | undefined>; pages: number[] }) =>
    (i: number): number | undefined => {
      const astray = sg.astray[i];
      if (astray !== undefined) return strayContent(c.seed, astray);
      return sg.pages.length > 0 ? c.landed?.(sg.pages[i]!) : undefined;
    };
  /** What a read leaves in the buffer: the medium's data, except where the DMA went elsewhere and the buffer kept what it held. */
  const readData = (lba: number, n: number, astray: Array<number | undefined>): Digest =>
    media.read(lba, n / CHUNK_BYTES, astray.length > 0 ? (i) => (astray[i] === undefined ? undefined : staleContent(c.seed, astray[i])) : undefined).digest;

  const issueRead = (): void => {
    const r = mapRange(source, readIssued, Math.min(readAhead, c.read.maxBytes), bs);
    const sg = mapTask(scatter, c.read, r.bytes, readIssued / bytes);
    const start = readIssued;
    const end = start + sg.bytes;
    const data = readData(r.lba, sg.bytes, sg.astray);
    sim.submit({
      cdb: cdb.rw(false, r.lba, sg.bytes / bs),
      direction: DataDirection.FromDevice,
      requestedBytes: sg.bytes,
      ...sg.plan,
      timeoutMs: Timeout.io,
      latencyNs: ioLatency(rng, sg.bytes, false, sim.inFlight),
      digest: { lba: r.lba, data, chunked: false },
      onComplete: () => {
        readFinished.set(start, end);
        while (readFinished.has(readDone)) {
          const e = readFinished.get(readDone)!;
          readFinished.delete(readDone);
          readDone = e;
        }
      },
    });
    readIssued = end;
    readAhead = Math.min(readAhead * 2, c.read.maxBytes);
  };

  const issueWrite = (): void => {
    const r = mapRange(dest, written, Math.min(c.write.maxBytes, readDone - written), bs);
    const sg = mapTask(scatter, c.write, r.bytes, written / bytes);
    const digest = media.writeFile(r.lba, SOURCE_FILE, written / CHUNK_BYTES, sg.bytes / CHUNK_BYTES, landedAt(sg));
    sim.submit({
      cdb: cdb.rw(true, r.lba, sg.bytes / bs),
      direction: DataDirection.ToDevice,
      requestedBytes: sg.bytes,
      ...sg.plan,
      timeoutMs: Timeout.io,
      latencyNs: ioLatency(rng, sg.bytes, true, sim.inFlight),
      digest: { lba: r.lba, data: digest, ...c.digest },
    });
    writes.push({ lba: r.lba, bytes: sg.bytes });
    lastWriteLba = r.lba;
    written += sg.bytes;
    c.onProgress?.(written, work);
    sinceFlush += sg.bytes;
    sinceJournal += sg.bytes;
  };

  const issueJournal = (): void => {
    const pages = rng.int(1, 4);
    const lba = JOURNAL_LBA + journalAt;
    journalAt = (journalAt + pages * (PAGE_BYTES / bs)) % JOURNAL_BLOCKS;
    const sg = mapTask(scatter, c.write, pages * PAGE_BYTES, written / bytes);
    const host = Array.from({ length: sg.bytes / CHUNK_BYTES }, () => mix32(c.seed, 0x10c, journalSeq++));
    const landed = landedAt(sg);
    sim.submit({
      cdb: cdb.rw(true, lba, sg.bytes / bs),
      direction: DataDirection.ToDevice,
      requestedBytes: sg.bytes,
      ...sg.plan,
      timeoutMs: Timeout.io,
      latencyNs: ioLatency(rng, sg.bytes, true, sim.inFlight),
      digest: {
        lba,
        data: media.write(
          lba,
          host,
          host.map((h, i) => landed(i) ?? h),
        ),
        ...c.digest,
      },
    });
    sinceFlush += sg.bytes;
    sinceJournal = 0;
  };

  const copyStart = sim.now;
  while (written < bytes) {
    sim.waitForSlot(c.queueDepth);
    sim.wait(rng.int(2_000, 15_000));
    if (c.source) {
      // The source is another disk: its data is ready at its read rate, pushed in write-behind batches.
      const want = written + Math.min(c.write.maxBytes, bytes - written);
      const batchEnd = Math.min(bytes, Math.ceil(want / c.source.batchBytes) * c.source.batchBytes);
      const readyAt = copyStart + Math.ceil(batchEnd / c.source.bytesPerNs);
      if (sim.now < readyAt) sim.advanceTo(readyAt);
      readDone = readIssued = want;
    }
    const readyToWrite = readDone - written;
    if (readyToWrite >= Math.min(c.write.maxBytes, bytes - written)) {
      issueWrite();
      if (c.journalEveryBytes > 0 && sinceJournal >= c.journalEveryBytes) issueJournal();
      if (sinceFlush >= c.flushEveryBytes && written < bytes) {
        sim.waitIdle();
        c.flush(sim, sinceFlush, lastWriteLba);
        sinceFlush = 0;
      }
    } else if (readIssued < bytes && readIssued - written < 16 * c.read.maxBytes) {
      issueRead();
    } else if (!sim.step()) {
      throw new Error('copy model stalled'); // unreachable: a read is always in flight here
    }
  }
  if (c.journalEveryBytes > 0) issueJournal();
  sim.waitIdle();
  c.flush(sim, sinceFlush, lastWriteLba);

  if (!c.readBack) return;
  // Verify pass: the caches were purged, the destination is read back range by range.
  sim.wait(rng.int(150_000_000, 400_000_000));
  const verify = c.verify ?? c.read;
  for (const wr of writes) {
    sim.waitForSlot(c.queueDepth);
    sim.wait(rng.int(2_000, 15_000));
    const sg = mapTask(scatter, verify, wr.bytes, 1);
    // Every write range fits the read limits too (at most one segment per page), so the
    // verify pass reads exactly the ranges written and the digests line up.
    if (sg.bytes !== wr.bytes) throw new RangeError(`read-back of ${wr.bytes} bytes does not fit the read segment limit`);
    sim.submit({
      cdb: cdb.rw(false, wr.lba, wr.bytes / bs),
      direction: DataDirection.FromDevice,
      requestedBytes: wr.bytes,
      ...sg.plan,
      timeoutMs: Timeout.io,
      latencyNs: ioLatency(rng, wr.bytes, false, sim.inFlight),
      digest: { lba: wr.lba, data: readData(wr.lba, wr.bytes, sg.astray), ...(c.digest?.chunkPages ? { chunkPages: c.digest.chunkPages } : {}) },
    });
    verified += wr.bytes;
    c.onProgress?.(bytes + verified, work);
  }
  sim.waitIdle();
}
