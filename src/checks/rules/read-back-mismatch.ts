/**
 * A READ whose data digest differs from the digest of the last WRITE of the same LBA range:
 * the data read back is not the data written (corruption between host memory and media).
 *
 * Memory and work are bounded by fixed caps, never by the byte count a digest claims (a record
 * of a few dozen bytes may claim 2^53 bytes): a write is indexed in at most
 * MAX_BUCKETS_PER_WRITE buckets, wider writes go to a short list of their own, and the whole
 * index starts over when it holds MAX_REMEMBERED writes, MAX_BUCKETS buckets or
 * MAX_RETAINED_DIGEST_BYTES of chunk digests. Forgetting only ever withholds a finding.
 *
 * The causal link: a write whose DMA went astray (its SGL carries truncated IOVM addresses, does
 * not cover its IOVM range, or has a segment above the HBA's address limit: the facts the rules
 * sgl-address-truncated, sgl-not-covering-buffer and segment-above-address-limit report) is
 * remembered by task id until its digest arrives, then travels with the remembered write as an
 * LBA range. A mismatch against that write names it as the likely cause. At most MAX_SUSPECTS
 * such writes wait for their digest. The rule also says whether a missing cache flush can explain
 * the mismatch: only a reset or power loss between the write and the read could.
 */
import { GapAffects, DataDirection, HbaEventKind, HbaEventPhase, type DataDigest, type TaskSubmitted } from '../../model/events.js';
import { gapText } from '../../analysis/gaps.js';
import { completedGood, hex, senseOf } from '../helpers.js';
import { defineRule } from '../rule.js';
import { taskKey, type TaskKey } from '../../model/batch.js';
import { walkSgl } from '../sgl.js';
import { CommandKind, isWriteKind, type SegmentScan, type TaskFacts } from '../state.js';

/** Written ranges remembered; beyond this the index starts over. */
const MAX_REMEMBERED = 1 << 18;
/** LBAs per bucket of the overlap index (2048 blocks = 1 MiB of 512-byte blocks). */
const BUCKET_BLOCKS = 2048;
/** Writes remembered per bucket; past this the bucket counts as wholly rewritten. */
const MAX_PER_BUCKET = 64;
/** A write covering more buckets than this (64 MiB of 512-byte blocks) is kept in the wide list instead. */
const MAX_BUCKETS_PER_WRITE = 64;
/** Buckets in the index; beyond this it starts over. */
const MAX_BUCKETS = 1 << 16;
/** Wide writes remembered; the oldest is forgotten (and counts as covering everything). */
const MAX_WIDE = 64;
/** Chunk digests kept over all remembered writes (4 bytes each); beyond this the index starts over. */
const MAX_RETAINED_DIGEST_BYTES = 64 << 20;
/** Writes with a wrong DMA path waiting for their digest; past this the oldest is forgotten. */
const MAX_SUSPECTS = 4096;
/** SYNCHRONIZE CACHE tasks in flight watched for a controller flush; past this the oldest is forgotten. */
const MAX_SYNCS = 1024;

/** A write whose DMA went astray, as the rules that report it would say. */
export interface Suspect {
  taskId: bigint;
  timeNs: number;
  offset: number;
  index: number;
  /** LBA range the write covers: [lbaStart, lbaEnd). */
  lbaStart: number;
  lbaEnd: number;
  /** The rule whose defect sends the earliest byte astray, and the other rules that report this write. */
  rule: string;
  alsoRules: string[];
  /** What is wrong, in words that follow "through an SGL". */
  what: string;
  /** First byte of the transfer whose DMA went astray. */
  fromByte: number;
}

interface Defect {
  rule: string;
  what: string;
  fromByte: number;
}

/** The DMA facts that make a write suspect, or undefined for a write whose list is sound (or not recorded). */
export function suspectOf(s: TaskSubmitted, f: TaskFacts, scan: SegmentScan | undefined, hbaBits: number): Suspect | undefined {
  if (!isWriteKind(f.kind) || f.lba < 0 || f.rangeBlocks <= 0) return undefined;
  const defects: Defect[] = [];
  const w = walkSgl(s, hbaBits);
  if (w && w.truncated > 0) {
    const cut = w.truncated > 1 ? ` (${w.truncated} of ${w.elements} elements cut)` : '';
    defects.push({
      rule: 'sgl-address-truncated',
      what: `whose element ${w.firstTruncated} holds ${hex(w.firstTruncatedAddress)}, IOVM address ${hex(w.firstTruncatedExpected)} cut to ${w.truncatedToBits} bits${cut}`,
      fromByte: w.firstTruncatedOffset,
    });
  }
  if (w && w.problem !== undefined) {
    const words: Record<string, string> = {
      empty: 'with no element for its IOVM range',
      outside: 'that points outside its IOVM range',
      long: 'that runs past the end of its IOVM range',
      overlap: 'that covers bytes of its IOVM range twice',
      gap: 'that leaves a gap in its IOVM range',
      short: 'that stops short of the end of its IOVM range',
      outOfOrder: 'that walks its IOVM range out of order',
    };
    defects.push({ rule: 'sgl-not-covering-buffer', what: words[w.problem]!, fromByte: Math.max(0, w.problemOffset) });
  }
  if (scan && scan.aboveLimitIndex >= 0 && hbaBits < 64) {
    const i = scan.aboveLimitIndex;
    let fromByte = 0;
    for (let k = 0; k < i; k++) fromByte += s.segments.length(k);
    // A segment that runs across the limit goes astray from where it crosses.
    if (scan.aboveLimitStraddles) fromByte += Number((1n << BigInt(hbaBits)) - s.segments.address(i));
    defects.push({
      rule: 'segment-above-address-limit',
      what: `whose segment ${i} at ${hex(s.segments.address(i))} ${scan.aboveLimitStraddles ? 'runs across' : 'lies above'} the HBA's ${hbaBits}-bit reach`,
      fromByte,
    });
  }
  if (!defects.length) return undefined;
  defects.sort((a, b) => a.fromByte - b.fromByte);
  return {
    taskId: s.taskId,
    timeNs: s.timeNs,
    offset: s.offset,
    index: s.index,
    lbaStart: f.lba,
    lbaEnd: f.lba + f.rangeBlocks,
    rule: defects[0]!.rule,
    alsoRules: defects.slice(1).map((d) => d.rule),
    what: defects.map((d) => `${d.what} (${d.rule})`).join(' and '),
    fromByte: defects[0]!.fromByte,
  };
}

interface Written {
  start: number;
  end: number;
  byteCount: number;
  crc32c: number;
  seq: number;
  taskId: bigint;
  offset: number;
  timeNs: number;
  chunkBytes: number;
  chunkDigests: Uint32Array;
  /** The write's DMA went astray: the likely cause of a mismatch against it. */
  cause?: Suspect;
}

interface Bucket {
  writes: Written[];
  /** Sequence number of the newest write forgotten from this bucket (treated as covering it all). */
  forgottenSeq: number;
}

/** Blocks a digest covers. Digests carry bytes, so divide by the smallest block size (512): over-covering only makes the check more careful. */
function span(lba: number, byteCount: number): [number, number] {
  return [lba, lba + Math.max(1, Math.ceil(byteCount / 512))];
}

/** The writes seen, indexed by first LBA and by the buckets they touch, within fixed caps. */
export class WriteIndex {
  /** Latest write by its first LBA. */
  private readonly byStart = new Map<number, Written>();
  private readonly buckets = new Map<number, Bucket>();
  private wide: Written[] = [];
  /** Newest wide write forgotten: every write before it counts as overwritten. */
  private wideForgottenSeq = 0;
  private retainedDigestBytes = 0;
  private seq = 0;

  /** Map entries and chunk-digest bytes held, for tests of the caps. */
  get size(): { writes: number; buckets: number; wide: number; digestBytes: number } {
    return { writes: this.byStart.size, buckets: this.buckets.size, wide: this.wide.length, digestBytes: this.retainedDigestBytes };
  }

  private clear(): void {
    this.byStart.clear();
    this.buckets.clear();
    this.wide = [];
    this.wideForgottenSeq = 0;
    this.retainedDigestBytes = 0;
  }

  add(d: DataDigest, lba: number, cause?: Suspect): void {
    const [start, end] = span(lba, d.byteCount);
    const first = Math.floor(start / BUCKET_BLOCKS);
    const last = Math.floor((end - 1) / BUCKET_BLOCKS);
    const isWide = last - first + 1 > MAX_BUCKETS_PER_WRITE;
    const digestBytes = d.chunkDigests.byteLength;
    if (
      this.byStart.size >= MAX_REMEMBERED ||
      this.retainedDigestBytes + digestBytes > MAX_RETAINED_DIGEST_BYTES ||
      (!isWide && this.buckets.size + (last - first + 1) > MAX_BUCKETS)
    ) {
      this.clear();
    }
    // A record's chunk list alone may exceed the budget: keep its whole-transfer digest only.
    const keepChunks = digestBytes <= MAX_RETAINED_DIGEST_BYTES;
    const w: Written = {
      start,
      end,
      byteCount: d.byteCount,
      crc32c: d.crc32c,
      seq: ++this.seq,
      taskId: d.taskId,
      offset: d.offset,
      timeNs: d.timeNs,
      chunkBytes: keepChunks ? d.chunkBytes : 0,
      chunkDigests: keepChunks ? d.chunkDigests : new Uint32Array(0),
      ...(cause ? { cause } : {}),
    };
    if (keepChunks) this.retainedDigestBytes += digestBytes;
    this.byStart.set(lba, w);
    if (isWide) {
      if (this.wide.length >= MAX_WIDE) this.wideForgottenSeq = this.wide.shift()!.seq;
      this.wide.push(w);
      return;
    }
    for (let b = first; b <= last; b++) {
      let bucket = this.buckets.get(b);
      if (!bucket) this.buckets.set(b, (bucket = { writes: [], forgottenSeq: 0 }));
      if (bucket.writes.length >= MAX_PER_BUCKET) bucket.forgottenSeq = bucket.writes.shift()!.seq;
      bucket.writes.push(w);
    }
  }

  /** The latest write that started at this LBA, if remembered. */
  startingAt(lba: number): Written | undefined {
    return this.byStart.get(lba);
  }

  /** True when a write after `w` touched (or may have touched: forgotten) any block of [start, end). */
  overwritten(w: Written, start: number, end: number): boolean {
    if (this.wideForgottenSeq > w.seq) return true;
    for (const other of this.wide) if (other.seq > w.seq && other.start < end && other.end > start) return true;
    const first = Math.floor(start / BUCKET_BLOCKS);
    const last = Math.floor((end - 1) / BUCKET_BLOCKS);
    const later = (bucket: Bucket): boolean => {
      if (bucket.forgottenSeq > w.seq) return true;
      for (const other of bucket.writes) if (other.seq > w.seq && other.start < end && other.end > start) return true;
      return false;
    };
    // Walk the range's buckets, or, for a range wider than the index, the index itself.
    if (last - first + 1 <= this.buckets.size) {
      for (let b = first; b <= last; b++) {
        const bucket = this.buckets.get(b);
        if (bucket && later(bucket)) return true;
      }
    } else {
      for (const [b, bucket] of this.buckets) if (b >= first && b <= last && later(bucket)) return true;
    }
    return false;
  }
}

/** Seconds as the rules' messages give them (gapText's form). */
function seconds(ns: number): string {
  return `${+(ns / 1e9).toFixed(6)} s`;
}

const RESET_KINDS: Record<number, string> = {
  [HbaEventKind.BusReset]: 'bus reset',
  [HbaEventKind.TargetReset]: 'target reset',
  [HbaEventKind.LogicalUnitReset]: 'logical unit reset',
};

export default defineRule({
  meta: {
    id: 'read-back-mismatch',
    category: 'cache',
    severity: 'error',
    usesSegments: true,
    description: 'A READ returned data whose digest differs from the last WRITE of the same LBA range',
    messages: {
      mismatch:
        'data read from LBA {lba} ({bytes} bytes) has CRC32C {readCrc} but the last write of that range (task {writeTask}) had {writeCrc}: the data read back is not the data written{chunk}{cause}{flush}',
      mismatchAfterGap:
        'data read from LBA {lba} ({bytes} bytes) has CRC32C {readCrc} but the last captured write of that range (task {writeTask}) had {writeCrc}{chunk}; a later write of the range may have been lost in the {gap}{cause}{flush}',
    },
  },
  create({ state, report }) {
    const index = new WriteIndex();
    /** Writes with a wrong DMA path, by task id, until their digest arrives (insertion order = age). */
    const suspects = new Map<TaskKey, Suspect>();
    /** SYNCHRONIZE CACHE tasks in flight: whether a controller flush was seen for each. */
    const syncs = new Map<TaskKey, { flushed: boolean }>();
    /** A SYNCHRONIZE CACHE was answered GOOD with no controller flush seen (what sync-cache-without-flush reports). */
    let unflushedSyncNs = -1;
    /** The latest reset or power loss: events after which a volatile cache may have lost its contents. */
    let resetNs = -1;
    let resetWhat = '';

    const resetAt = (timeNs: number, what: string): void => {
      resetNs = timeNs;
      resetWhat = what;
    };

    return {
      submit(s, f, scan) {
        if (f.kind === CommandKind.SyncCache) {
          if (syncs.size >= MAX_SYNCS) syncs.delete(syncs.keys().next().value!);
          syncs.set(taskKey(s.taskId), { flushed: false });
          return;
        }
        if (!isWriteKind(f.kind)) return;
        const key = taskKey(s.taskId);
        // A reused task id starts clean: only this submission's DMA counts for its digest.
        suspects.delete(key);
        const suspect = suspectOf(s, f, scan, state.limits.addressBits);
        if (!suspect) return;
        if (suspects.size >= MAX_SUSPECTS) suspects.delete(suspects.keys().next().value!);
        suspects.set(key, suspect);
      },
      complete(t, f) {
        const c = t.complete;
        if (f.kind === CommandKind.SyncCache) {
          const key = taskKey(c.taskId);
          const sync = syncs.get(key);
          syncs.delete(key);
          // As sync-cache-without-flush sees it: a GOOD with no flush, on a cache not known to be off or non-volatile.
          if (sync && !sync.flushed && completedGood(c) && f.lunInfo.writeCache !== false && f.lunInfo.writeCacheVolatile !== false) unflushedSyncNs = c.timeNs;
          return;
        }
        // UNIT ATTENTION, ASC 29h: POWER ON, RESET, OR BUS DEVICE RESET OCCURRED and its qualifiers (T10 asc-num.txt).
        const sense = senseOf(c);
        if (sense && sense.key === 0x6 && sense.asc === 0x29)
          resetAt(
            c.timeNs,
            `UNIT ATTENTION ${sense.asc.toString(16).toUpperCase()}/${sense.ascq.toString(16).padStart(2, '0').toUpperCase()} (power on or reset)`,
          );
      },
      hba(e) {
        if (e.hbaKind === HbaEventKind.ControllerCacheFlush && e.status === 0) {
          if (e.taskId !== undefined) {
            const sync = syncs.get(taskKey(e.taskId));
            if (sync) sync.flushed = true;
          } else for (const sync of syncs.values()) sync.flushed = true;
          return;
        }
        if (e.phase === HbaEventPhase.Issued) return;
        const reset = RESET_KINDS[e.hbaKind];
        if (reset !== undefined) resetAt(e.timeNs, reset);
        // A transition into power state 0: the controller (and its cache) lost power.
        else if (e.hbaKind === HbaEventKind.PowerStateChange && e.arg1 === 0n && e.arg0 !== 0n) resetAt(e.timeNs, `power-state change ${e.arg0} → 0`);
      },
      digest(d, named) {
        if (d.lba === undefined) return;
        const lba = Number(d.lba);
        if (d.direction === DataDirection.ToDevice) {
          const key = taskKey(d.taskId);
          const suspect = suspects.get(key);
          let cause: Suspect | undefined;
          if (suspect && suspect.timeNs <= d.timeNs && suspect.lbaStart <= lba && lba < suspect.lbaEnd) {
            cause = suspect;
            suspects.delete(key);
          }
          index.add(d, lba, cause);
          return;
        }
        if (d.direction !== DataDirection.FromDevice) return;
        const w = index.startingAt(lba);
        if (!w || w.byteCount !== d.byteCount || w.crc32c === d.crc32c) return;
        const [start, end] = span(lba, d.byteCount);
        if (index.overwritten(w, start, end)) return;
        let chunk = '';
        let firstBadChunk = -1;
        let badChunks = 0;
        if (w.chunkBytes && w.chunkBytes === d.chunkBytes && w.chunkDigests.length === d.chunkDigests.length) {
          for (let i = 0; i < d.chunkDigests.length; i++) {
            if (d.chunkDigests[i] === w.chunkDigests[i]) continue;
            if (firstBadChunk < 0) firstBadChunk = i;
            badChunks++;
          }
          if (firstBadChunk >= 0)
            chunk = `; ${badChunks} of ${d.chunkDigests.length} chunks differ, first chunk ${firstBadChunk} (bytes ${firstBadChunk * d.chunkBytes}-${(firstBadChunk + 1) * d.chunkBytes - 1})`;
        }
        const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
        // The task the digest names: in flight, or the one that completed last.
        const task = named;
        // A write's data travels with its submission: a gap that may have lost one since the
        // write we remember could hold the write that explains what the read returned.
        const gap = state.gaps.lostSince(w.timeNs, GapAffects.Submissions);

        const c = w.cause;
        let cause = '';
        const causeEvidence: Record<string, string | number | boolean> = {};
        if (c) {
          // Chunk digests say where the data differs: it should begin at or after the first misdirected byte.
          const firstDiff = firstBadChunk >= 0 ? firstBadChunk * d.chunkBytes : -1;
          const agrees = firstDiff < 0 ? undefined : firstDiff + d.chunkBytes > c.fromByte;
          cause = `; likely cause: task ${c.taskId}, submitted at ${seconds(c.timeNs)} (record ${c.index}, byte ${hex(c.offset)}), wrote this range through an SGL ${c.what}, from byte ${c.fromByte} of the transfer${agrees === undefined ? '' : agrees ? ', where the data begins to differ' : ', though the data differs earlier'}`;
          Object.assign(causeEvidence, {
            likelyCauseTaskId: c.taskId,
            likelyCauseTimeNs: c.timeNs,
            likelyCauseRecordOffset: c.offset,
            likelyCauseRecordIndex: c.index,
            likelyCauseRule: c.rule,
            ...(c.alsoRules.length ? { likelyCauseAlsoRules: c.alsoRules.join(', ') } : {}),
            likelyCauseFromByte: c.fromByte,
            ...(agrees !== undefined ? { likelyCauseAgreesWithChunks: agrees } : {}),
          });
        }
        // The flush question, when the trace raises it: only a reset or power loss between the
        // write and the read lets a volatile cache lose what the device acknowledged.
        let flush = '';
        if (unflushedSyncNs >= 0) {
          const resetBetween = resetNs >= w.timeNs && resetNs <= d.timeNs;
          flush = resetBetween
            ? `; a ${resetWhat} at ${seconds(resetNs)} lies between this write and this read, and a SYNCHRONIZE CACHE was answered GOOD without a controller flush (sync-cache-without-flush): data still in a volatile cache may have been lost there`
            : '; a SYNCHRONIZE CACHE was answered GOOD without a controller flush (sync-cache-without-flush), but no reset or power loss lies between this write and this read, so the missing flush does not explain the mismatch: until one, the device returns what it cached';
          causeEvidence['flushCanExplain'] = resetBetween;
          if (resetBetween) causeEvidence['resetBetweenNs'] = resetNs;
        }
        report({
          messageId: gap ? 'mismatchAfterGap' : 'mismatch',
          ...(gap ? { severity: 'warning' as const } : {}),
          data: {
            lba: d.lba,
            bytes: d.byteCount,
            readCrc: hex8(d.crc32c),
            writeCrc: hex8(w.crc32c),
            writeTask: w.taskId,
            chunk,
            cause,
            flush,
            ...(gap ? { gap: gapText(gap) } : {}),
          },
          at: d,
          taskId: d.taskId,
          ...(task ? { task } : {}),
          evidence: {
            lba: d.lba,
            byteCount: d.byteCount,
            readCrc32c: hex8(d.crc32c),
            writtenCrc32c: hex8(w.crc32c),
            writeTaskId: w.taskId,
            writeRecordOffset: w.offset,
            ...(firstBadChunk >= 0 ? { firstDifferingChunk: firstBadChunk, differingChunks: badChunks } : {}),
            ...(gap ? { captureGapNs: gap.timeNs } : {}),
            ...causeEvidence,
          },
        });
      },
    };
  },
});
