import { describe, expect, it } from 'vitest';
import {
  DataDirection,
  DeliveryStatus,
  HbaEventKind,
  HbaEventPhase,
  SamStatus,
  ServiceResponse,
  type DataDigest,
  type TaskSubmitted,
} from '../../src/model/events.js';
import { decodeCdb } from '../../src/scsi/index.js';
import { decodeSense } from '../../src/scsi/sense.js';
import { diffEvents } from '../../src/report/diff/index.js';
import { scenarios, synthesize } from '../../src/synth/index.js';
import { decode, isRw, isSync, sample, type Decoded, type Task } from './helpers.js';

const FOUR_GIB = 0x1_0000_0000;
const names = scenarios.map((s) => s.name);

describe('every scenario', () => {
  it.each(names)('%s decodes with no diagnostics, unknown records or skipped bytes', (name) => {
    const d = sample(name);
    expect(d.events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    expect(d.stats).toMatchObject({ unknownRecords: 0, damagedRegions: 0, skippedBytes: 0, skippedRecords: 0 });
    expect(d.tasks.length).toBeGreaterThan(10);
  });

  it.each(names)('%s is written in time order, completes only submitted tasks once, never reuses an in-flight tag or task id', (name) => {
    const d = sample(name);
    let last = 0;
    let backwards = 0;
    let tagClashes = 0;
    let idClashes = 0;
    let strayCompletions = 0;
    const inFlightTags = new Map<bigint, bigint>();
    for (const e of d.events) {
      if (e.timeNs < last) backwards++;
      last = e.timeNs;
      if (e.kind === 'submit') {
        if ([...inFlightTags.values()].includes(e.tag)) tagClashes++;
        if (inFlightTags.has(e.taskId)) idClashes++;
        inFlightTags.set(e.taskId, e.tag);
      } else if (e.kind === 'complete') {
        if (!inFlightTags.delete(e.taskId)) strayCompletions++;
      }
    }
    expect({ backwards, tagClashes, idClashes, strayCompletions }).toEqual({ backwards: 0, tagClashes: 0, idClashes: 0, strayCompletions: 0 });
  });

  it.each(names)('%s has CDBs that decode cleanly and agree with the requested transfer', (name) => {
    const d = sample(name);
    for (const { submit: s } of d.tasks) {
      const c = decodeCdb(s.cdb);
      expect(c.problems, c.summary).toEqual([]);
      if (isRw(s)) {
        expect(c.transferLength! * 512).toBe(s.requestedBytes);
        expect(s.segments.totalBytes()).toBe(s.requestedBytes);
        expect(s.direction).toBe(s.cdb[0] === 0x2a || s.cdb[0] === 0x8a ? DataDirection.ToDevice : DataDirection.FromDevice);
      }
    }
  });

  it.each(names)('%s has no overlapping segments within a READ or WRITE, all 4 KiB aligned', (name) => {
    let unaligned = 0;
    let overlapping = 0;
    let segments = 0;
    for (const { submit: s } of sample(name).tasks) {
      if (!isRw(s)) continue;
      const ranges: Array<[number, number]> = [];
      for (let i = 0; i < s.segments.count; i++) {
        const a = Number(s.segments.address(i));
        if (a % 4096 !== 0 || s.segments.length(i) % 4096 !== 0) unaligned++;
        ranges.push([a, a + s.segments.length(i)]);
        segments++;
      }
      ranges.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < ranges.length; i++) if (ranges[i]![0] < ranges[i - 1]![1]) overlapping++;
    }
    expect({ unaligned, overlapping }).toEqual({ unaligned: 0, overlapping: 0 });
    expect(segments).toBeGreaterThan(0);
  });

  it.each(names)('%s returns well-formed fixed-format sense with CHECK CONDITION only', (name) => {
    for (const { complete: c } of sample(name).tasks) {
      if (!c) continue;
      if (c.sense.length === 0) {
        expect(c.serviceResponse === ServiceResponse.TaskComplete && c.status === SamStatus.CheckCondition).toBe(false);
        continue;
      }
      expect(c.status).toBe(SamStatus.CheckCondition);
      expect(c.sense[0]! & 0x7f).toBe(0x70);
      expect(c.sense[7]).toBe(c.sense.length - 8);
      expect(decodeSense(c.sense).problems).toEqual([]);
    }
  });

  it.each(names)('%s gives the same bytes for the same seed and different bytes for another', (name) => {
    const s = scenarios.find((x) => x.name === name)!;
    const o = s.size ? { size: s.size.min } : {};
    const a = synthesize(name, { seed: 42, ...o });
    expect(Buffer.compare(Buffer.from(a), Buffer.from(synthesize(name, { seed: 42, ...o })))).toBe(0);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(synthesize(name, { seed: 43, ...o })))).not.toBe(0);
  });
});

/** Digests by (LBA, byte count), last one wins: what a read-back is compared against. */
function writeDigests(events: ReturnType<typeof sample>['events']): { writes: Map<string, DataDigest>; reads: Array<{ read: DataDigest; write: DataDigest }> } {
  const writes = new Map<string, DataDigest>();
  const reads: Array<{ read: DataDigest; write: DataDigest }> = [];
  for (const e of events) {
    if (e.kind !== 'digest') continue;
    const key = `${e.lba}/${e.byteCount}`;
    if (e.direction === DataDirection.ToDevice) writes.set(key, e);
    else if (writes.has(key)) reads.push({ read: e, write: writes.get(key)! });
  }
  return { writes, reads };
}

/** Controller flush events linked to a task, between its submission and its completion (a dext's task ids are reused). */
function flushEvents(d: Decoded, t: Task) {
  const end = t.complete?.timeNs ?? Infinity;
  return d.hba.filter((h) => h.hbaKind === HbaEventKind.ControllerCacheFlush && h.taskId === t.submit.taskId && h.timeNs >= t.submit.timeNs && h.timeNs <= end);
}

/** The addresses a DriverKit task's SGL should hold: the range walked in order. */
function expectedElements(s: TaskSubmitted): Array<{ expected: number; actual: number; length: number }> {
  const out: Array<{ expected: number; actual: number; length: number }> = [];
  let at = Number(s.buffer!.address);
  for (let i = 0; i < s.segments.count; i++) {
    out.push({ expected: at, actual: Number(s.segments.address(i)), length: s.segments.length(i) });
    at += s.segments.length(i);
  }
  return out;
}

/** What every DriverKit sample records: a range for each task that moves data, the SGL always, pooled task ids, the dext's declarations. */
function expectDriverKitCapture(d: Decoded, producer: RegExp): void {
  const header = d.events.find((e) => e.kind === 'header');
  expect(header?.kind === 'header' && header.producer).toMatch(producer);
  expect(header?.kind === 'header' && header.producer).toMatch(/\(synthetic\)$/);
  const c = d.events.find((e) => e.kind === 'constraints')!;
  const entries = (c as { entries: Record<string, unknown> }).entries;
  expect(entries).toMatchObject({
    platform: 'dext',
    dmaNumAddressBits: expect.any(Number),
    dmaMaxTransferSize: expect.any(Number),
    dmaAlignment: expect.any(Number),
    'HBA Data Alignment': expect.stringMatching(/^0x[0-9A-F]{16}$/),
  });
  for (const key of [
    'IOMaximumSegmentCountRead',
    'IOMaximumSegmentCountWrite',
    'IOMaximumSegmentByteCountRead',
    'IOMaximumSegmentByteCountWrite',
    'IOMinimumSegmentAlignmentByteCount',
    'IOMaximumSegmentAddressableBitCount',
  ])
    expect(entries[key], key).toEqual(expect.any(Number));
  for (const { submit: s } of d.tasks) {
    expect(s.sglRecorded ?? s.segments.count > 0).toBe(true);
    if (s.requestedBytes === 0) {
      expect(s.buffer).toBeUndefined();
      expect(s.segments.count).toBe(0);
      continue;
    }
    expect(s.buffer?.length).toBe(s.requestedBytes);
    expect(s.segments.totalBytes()).toBe(s.requestedBytes);
    expect(s.segments.count).toBe(Math.ceil(s.requestedBytes / (entries['IOMaximumSegmentByteCountWrite'] as number)));
  }
  // Task ids come back to the pool: far fewer ids than tasks.
  expect(new Set(d.tasks.map((t) => t.submit.taskId)).size).toBeLessThan(d.tasks.length / 2);
}

describe('healthy-copy', () => {
  const d = sample('healthy-copy');
  const submits = d.tasks.map((t) => t.submit);

  it('is a DriverKit capture: one IOVM range per data task, the SGL that walks it in 64-bit elements, pooled ids', () => {
    expectDriverKitCapture(d, /^MegaRAID3108 dext 1\.5\.0 \(com\.example\.driver\.MegaRAID3108\), sctring-drain; scsitrace synth healthy-copy seed=1/);
    let above = 0;
    let across = 0;
    for (const { submit: s } of d.tasks) {
      if (!s.buffer) continue;
      for (const e of expectedElements(s)) expect(e.actual).toBe(e.expected);
      const start = Number(s.buffer.address);
      if (start >= FOUR_GIB) above++;
      else if (start + s.buffer.length > FOUR_GIB) across++;
    }
    expect(above).toBeGreaterThan(20);
    expect(across).toBeGreaterThan(0);
  });

  it('starts with the constraints record and the enumeration commands', () => {
    expect(d.events.findIndex((e) => e.kind === 'constraints')).toBeLessThan(d.events.findIndex((e) => e.kind === 'submit'));
    const firstOps = submits.slice(0, 10).map((s) => s.cdb[0]);
    expect(firstOps).toEqual(expect.arrayContaining([0xa0, 0x12, 0x00, 0x25, 0x9e, 0x5a]));
  });

  it('uses READ/WRITE(10) below 2 TiB and READ/WRITE(16) above, within the limits', () => {
    const ops = new Set(submits.filter(isRw).map((s) => s.cdb[0]));
    expect([...ops].sort((a, b) => a! - b!)).toEqual([0x28, 0x2a, 0x88, 0x8a]);
    const entries = (d.events.find((e) => e.kind === 'constraints') as { entries: Record<string, number> }).entries;
    for (const s of submits.filter(isRw)) {
      const write = s.direction === DataDirection.ToDevice;
      expect(s.segments.count).toBeLessThanOrEqual(entries[write ? 'IOMaximumSegmentCountWrite' : 'IOMaximumSegmentCountRead']!);
      expect(s.requestedBytes).toBeLessThanOrEqual(entries[write ? 'IOMaximumByteCountWrite' : 'IOMaximumByteCountRead']!);
    }
  });

  it('answers every SYNCHRONIZE CACHE(10) GOOD only after a linked controller flush Issued then Completed', () => {
    const syncs = d.tasks.filter((t) => isSync(t.submit));
    expect(syncs.length).toBeGreaterThanOrEqual(3);
    for (const t of syncs) {
      expect(t.submit.cdb[0]).toBe(0x35);
      const [issued, done, ...rest] = flushEvents(d, t);
      expect(rest).toEqual([]);
      const c = t.complete!;
      expect(issued!.phase).toBe(HbaEventPhase.Issued);
      expect(done!.phase).toBe(HbaEventPhase.Completed);
      expect(done!.durationNs).toBe(done!.timeNs - issued!.timeNs);
      expect(t.submit.timeNs).toBeLessThan(issued!.timeNs);
      expect(done!.timeNs).toBeLessThan(c.timeNs);
      expect(c.status).toBe(SamStatus.Good);
      expect(c.timeNs - t.submit.timeNs).toBeGreaterThan(1_000_000); // a real flush takes milliseconds
    }
  });

  it('flushes after the last write, and reads back exactly the digests it wrote (per 64 KiB, recorded after completion)', () => {
    const lastWrite = Math.max(...submits.filter((s) => s.direction === DataDirection.ToDevice).map((s) => s.timeNs));
    const lastSync = Math.max(...submits.filter(isSync).map((s) => s.timeNs));
    expect(lastSync).toBeGreaterThan(lastWrite);
    const { reads } = writeDigests(d.events);
    expect(reads.length).toBeGreaterThanOrEqual(16);
    for (const { read, write } of reads) {
      expect(read.crc32c).toBe(write.crc32c);
      expect(read.chunkBytes).toBe(65536);
      expect(Array.from(read.chunkDigests)).toEqual(Array.from(write.chunkDigests));
      const t = d.taskOf(write);
      expect(write.timeNs).toBeGreaterThanOrEqual(t.complete!.timeNs);
    }
  });

  it('completes every task GOOD with the bytes requested, or reports the residual of a short transfer', () => {
    for (const t of d.tasks) {
      const c = t.complete!;
      expect(c.status).toBe(SamStatus.Good);
      expect(c.bytesTransferred + c.residual).toBe(t.submit.requestedBytes);
      if (c.bytesTransferred < t.submit.requestedBytes) expect(c.residualFlags).toBe(1);
    }
  });
});

describe('lsi3108-buffered-copy (the seed case, as a dext captures it)', () => {
  const d = sample('lsi3108-buffered-copy');
  const writes = d.tasks.filter((t) => t.submit.direction === DataDirection.ToDevice && isRw(t.submit));

  it("is a DriverKit capture with the dext's real declarations: 32 addressable bits, numAddressBits 64", () => {
    expectDriverKitCapture(
      d,
      /^MegaRAID3108 dext 1\.4\.2 \(com\.example\.driver\.MegaRAID3108\), sctring-drain; scsitrace synth lsi3108-buffered-copy seed=1 size=268435456/,
    );
    const c = d.events.find((e) => e.kind === 'constraints')!;
    expect(c.kind === 'constraints' && c.entries).toMatchObject({
      IOMaximumSegmentAddressableBitCount: 32,
      'HBA Data Alignment': '0x00000000FFFFFFFC',
      dmaNumAddressBits: 64,
      dmaMaxTransferSize: 0x80000,
      dmaAlignment: 4,
      IOMaximumSegmentCountWrite: 129,
      IOMaximumByteCountWrite: 0x80000,
      IOCommandPoolSize: 240,
      platform: 'dext',
    });
    expect(d.events.some((e) => e.kind === 'note' && e.text === 'lun-info target=0 lun=0 write-cache=on write-cache-volatile=yes')).toBe(true);
  });

  it('hands IOVM ranges above 4 GiB only late in the copy, and the dext cuts exactly those elements to 32 bits', () => {
    let high = 0;
    let firstHighWritten = Infinity;
    let written = 0;
    for (const t of writes) {
      const s = t.submit;
      const end = Number(s.buffer!.address) + s.buffer!.length;
      for (const e of expectedElements(s)) {
        // An element is right unless the address it should carry is at or above 4 GiB: then the low 32 bits.
        expect(e.actual).toBe(e.expected >= FOUR_GIB ? e.expected % FOUR_GIB : e.expected);
      }
      if (end > FOUR_GIB) {
        high++;
        firstHighWritten = Math.min(firstHighWritten, written);
      }
      if (s.cdb[0] === 0x8a) written += s.requestedBytes;
    }
    expect(high).toBeGreaterThan(20);
    expect(firstHighWritten).toBeGreaterThan(150 * 1024 * 1024);
    // No read is ever mapped above 4 GiB: the read-back happens after the caches were purged.
    for (const t of d.tasks)
      if (t.submit.direction === DataDirection.FromDevice && t.submit.buffer)
        expect(Number(t.submit.buffer.address) + t.submit.buffer.length).toBeLessThanOrEqual(FOUR_GIB);
  });

  it('completes SYNCHRONIZE CACHE(10) GOOD within microseconds with no linked controller flush, though the trace has HBA events', () => {
    const syncs = d.tasks.filter((t) => isSync(t.submit));
    // macOS sends only SYNCHRONIZE CACHE(10) (IOSCSIBlockCommandsDevice::SynchronizeCache).
    expect(new Set(syncs.map((t) => t.submit.cdb[0]))).toEqual(new Set([0x35]));
    expect(d.hba.length).toBeGreaterThan(0);
    expect(d.hba.some((h) => h.hbaKind === HbaEventKind.ControllerCacheFlush)).toBe(false);
    for (const t of syncs) {
      expect(t.complete!.status).toBe(SamStatus.Good);
      expect(t.complete!.timeNs - t.submit.timeNs).toBeLessThan(50_000);
      expect(t.submit.buffer).toBeUndefined();
    }
  });

  it('reads back digests that differ exactly in the 64 KiB chunks whose DMA reached past 4 GiB', () => {
    const { reads } = writeDigests(d.events);
    expect(reads.length).toBeGreaterThan(400);
    let bad = 0;
    let good = 0;
    for (const { read, write } of reads) {
      const s = d.taskOf(write).submit;
      const elements = expectedElements(s);
      expect(read.chunkBytes).toBe(65536);
      for (let i = 0; i < read.chunkDigests.length; i++) {
        const corrupt = elements[i]!.expected + elements[i]!.length > FOUR_GIB;
        expect(read.chunkDigests[i] !== write.chunkDigests[i]).toBe(corrupt);
        if (corrupt) bad++;
        else good++;
      }
    }
    expect(bad).toBeGreaterThan(100);
    expect(good).toBeGreaterThan(bad);
  });

  it('scales with --size: 256 MiB by default', () => {
    expect(scenarios.find((s) => s.name === 'lsi3108-buffered-copy')!.size!.default).toBe(256 * 1024 * 1024);
    const small = decode(synthesize('lsi3108-buffered-copy', { seed: 1, size: 8 * 1024 * 1024 }));
    const written = small.tasks
      .filter((t) => t.submit.direction === DataDirection.ToDevice && t.submit.cdb[0] === 0x8a)
      .reduce((n, t) => n + t.submit.requestedBytes, 0);
    expect(written).toBe(8 * 1024 * 1024);
  });
});

describe('lsi3108-kext-buffered-copy', () => {
  const d = sample('lsi3108-kext-buffered-copy');
  const submits = [...d.submits.values()];

  it('reports the LSI 3108 kext constraints and records lists only (no IOVM range, unique task ids)', () => {
    const c = d.events.find((e) => e.kind === 'constraints')!;
    expect(c.kind === 'constraints' && c.entries).toMatchObject({
      IOMaximumSegmentAddressableBitCount: 32,
      IOMaximumSegmentCountWrite: 129,
      IOMaximumByteCountWrite: 0x80000,
    });
    expect(submits.length).toBe(d.tasks.length);
    for (const s of submits) expect(s.buffer).toBeUndefined();
  });

  it('hands the 32-bit HBA write segments above 4 GiB, some straddling the boundary, and keeps other limits', () => {
    let above = 0;
    let straddle = 0;
    for (const s of submits) {
      if (s.direction === DataDirection.ToDevice) {
        expect(s.segments.count).toBeLessThanOrEqual(129);
        expect(s.requestedBytes).toBeLessThanOrEqual(0x80000);
      }
      for (let i = 0; i < s.segments.count; i++) {
        const end = Number(s.segments.address(i)) + s.segments.length(i);
        if (s.segments.addressHigh(i) > 0) {
          expect(s.direction).toBe(DataDirection.ToDevice);
          above++;
        } else if (end > FOUR_GIB) straddle++;
      }
    }
    expect(above).toBeGreaterThan(100);
    expect(straddle).toBeGreaterThan(0);
  });

  it('reads back digests that differ exactly in the 4 KiB chunks written from pages at or above 4 GiB', () => {
    const pagesOf = (s: TaskSubmitted): number[] => {
      const pages: number[] = [];
      for (let i = 0; i < s.segments.count; i++) for (let o = 0; o < s.segments.length(i); o += 4096) pages.push(Number(s.segments.address(i)) + o);
      return pages;
    };
    const { reads } = writeDigests(d.events);
    expect(reads.length).toBeGreaterThan(100);
    let bad = 0;
    let good = 0;
    for (const { read, write } of reads) {
      const pages = pagesOf(d.submits.get(write.taskId)!);
      for (let i = 0; i < read.chunkDigests.length; i++) {
        const corrupt = pages[i]! >= FOUR_GIB;
        expect(read.chunkDigests[i] !== write.chunkDigests[i]).toBe(corrupt);
        if (corrupt) bad++;
        else good++;
      }
      expect(read.crc32c === write.crc32c).toBe(pages.every((p) => p < FOUR_GIB));
    }
    expect(bad).toBeGreaterThan(100);
    expect(good).toBeGreaterThan(bad);
  });
});

describe('the copy-* trio (the diff samples): one copy through the KEXT, its DriverKit port and the fixed port', () => {
  const kext = sample('copy-kext');
  const dext = sample('copy-dext');
  const fixed = sample('copy-dext-fixed');
  const constraintsOf = (d: Decoded): Record<string, unknown> => {
    const c = d.events.find((e) => e.kind === 'constraints')!;
    return c.kind === 'constraints' ? c.entries : {};
  };
  /** The copy's large transfers: READ/WRITE of more than 256 KiB. */
  const large = (d: Decoded): TaskSubmitted[] => d.tasks.map((t) => t.submit).filter((s) => isRw(s) && s.requestedBytes > 256 * 1024);

  it('the KEXT capture stays kext-shaped: the lists the OS handed it, no IOVM range, no DriverKit declarations', () => {
    for (const { submit: s } of kext.tasks) expect(s.buffer).toBeUndefined();
    expect(constraintsOf(kext)).not.toHaveProperty('platform');
    expect(constraintsOf(kext)).not.toHaveProperty('dmaNumAddressBits');
  });

  it("the port records each task's IOVM range above 4 GiB for the large transfers, and the SGL it built with the addresses cut to 32 bits", () => {
    expectDriverKitCapture(dext, /^MegaRAID3108 dext 1\.4\.2 \(com\.example\.driver\.MegaRAID3108\), sctring-drain; scsitrace synth copy-dext seed=7/);
    expect(constraintsOf(dext)).toMatchObject({
      IOMaximumSegmentAddressableBitCount: 32,
      IOMaximumSegmentCountWrite: 129,
      IOMaximumByteCountWrite: 0x80000,
      dmaNumAddressBits: 64,
      'HBA Data Alignment': '0x00000000FFFFFFFC',
    });
    const big = large(dext);
    expect(big.length).toBeGreaterThan(20);
    for (const s of big) {
      expect(Number(s.buffer!.address)).toBeGreaterThanOrEqual(FOUR_GIB);
      for (const e of expectedElements(s)) expect(e.actual).toBe(e.expected % FOUR_GIB);
    }
  });

  it('the fixed port declares 64 bits and its SGL carries the same kind of ranges whole', () => {
    expectDriverKitCapture(fixed, /^MegaRAID3108 dext 1\.4\.3 \(com\.example\.driver\.MegaRAID3108\), sctring-drain; scsitrace synth copy-dext-fixed seed=7/);
    expect(constraintsOf(fixed)).toMatchObject({ IOMaximumSegmentAddressableBitCount: 64, 'HBA Data Alignment': '0xFFFFFFFFFFFFFFFC', dmaNumAddressBits: 64 });
    const big = large(fixed);
    expect(big.filter((s) => Number(s.buffer!.address) >= FOUR_GIB).length).toBeGreaterThan(20);
    for (const s of fixed.tasks.map((t) => t.submit)) if (s.buffer) for (const e of expectedElements(s)) expect(e.actual).toBe(e.expected);
  });

  it('diff kext → port: the DriverKit findings appear, buffers above 4 GiB appear, SYNCHRONIZE CACHE collapses from milliseconds to microseconds', async () => {
    const d = await diffEvents(kext.events, dext.events);
    const added = d.findings!.filter((f) => f.status === 'new' && f.severity === 'error').map((f) => f.ruleId);
    expect(added).toEqual(expect.arrayContaining(['buffer-above-address-limit', 'sgl-address-truncated', 'read-back-mismatch']));
    // The truncated SGL lies below 4 GiB: only the buffers show where the data really is.
    expect(added).not.toContain('segment-above-address-limit');
    const write = d.commands.find((c) => c.name === 'WRITE(16)')!;
    expect(write.baseline!.buffer.tasks).toBe(0);
    expect(write.candidate!.buffer.above4GiB).toBeGreaterThan(0);
    expect(write.candidate!.sgl.tasksAbove4GiB).toBe(0);
    expect(d.changes).toContainEqual(
      expect.objectContaining({ area: 'buffers', id: 'above-4gib-appeared', subject: 'WRITE(16) buffers above 4 GiB', baseline: null }),
    );
    const sync = d.commands.find((c) => c.name === 'SYNCHRONIZE CACHE(10)')!;
    expect(sync.latency!.verdict).toBe('faster');
    expect(sync.baseline!.latencyNs.p50).toBeGreaterThan(1_000_000);
    expect(sync.candidate!.latencyNs.p50).toBeLessThan(20_000);
    expect(sync.candidate!.flush).toMatchObject({ beforeAnswer: 0 });
    expect(d.findings!.find((f) => f.ruleId === 'sync-cache-without-flush')?.status).toBe('new');
    expect(d.alignment.writes.outcome).toBe('same');
  });

  it('diff port → fixed port: those findings fixed, nothing new, the same buffers above 4 GiB now reached by 64-bit segments', async () => {
    const d = await diffEvents(dext.events, fixed.events);
    const fixedRules = d.findings!.filter((f) => f.status === 'fixed').map((f) => f.ruleId);
    expect(fixedRules.sort()).toEqual([
      'buffer-above-address-limit',
      'read-back-mismatch',
      'sgl-address-truncated',
      'sync-cache-without-flush',
      'unflushed-writes',
    ]);
    expect(d.verdict.newFindings).toEqual({ error: 0, warning: 0, info: 0 });
    expect(d.changes.filter((c) => c.area === 'buffers')).toEqual([]);
    const write = d.commands.find((c) => c.name === 'WRITE(16)')!;
    expect(write.baseline!.sgl.tasksAbove4GiB).toBe(0);
    expect(write.candidate!.sgl.tasksAbove4GiB).toBe(write.candidate!.buffer.above4GiB);
    const sync = d.commands.find((c) => c.name === 'SYNCHRONIZE CACHE(10)')!;
    expect(sync.latency!.verdict).toBe('slower');
    expect(sync.candidate!.flush).toEqual({ beforeAnswer: sync.candidate!.completed, afterAnswer: 0, none: 0 });
    expect(d.constraints).toContainEqual({ key: 'IOMaximumSegmentAddressableBitCount', baseline: 32, candidate: 64 });
  });
});

describe('vendor-cdb-rejected', () => {
  const d = sample('vendor-cdb-rejected');

  it('is a DriverKit capture of the SAS HBA dext', () => {
    expectDriverKitCapture(d, /^SAS3008 IT dext 2\.0\.1 \(com\.example\.driver\.SAS3008\), sctring-drain; scsitrace synth vendor-cdb-rejected seed=1/);
  });

  it('passes every vendor-specific CDB to the drive, which answers 0xE0 and 0xD8 and rejects the rest with ILLEGAL REQUEST', () => {
    const vendor = d.tasks.filter((t) => t.submit.cdb[0]! >= 0xc0);
    expect(new Set(vendor.map((t) => t.submit.cdb[0]))).toEqual(new Set([0xe0, 0xe4, 0xc0, 0xd8, 0xff]));
    for (const t of vendor) {
      const s = t.submit;
      const c = t.complete!;
      expect(s.cdb.length).toBe(16);
      expect(c.serviceResponse).toBe(ServiceResponse.TaskComplete);
      if (s.requestedBytes > 0) expect(s.buffer?.length).toBe(s.requestedBytes);
      const op = s.cdb[0]!;
      if (op === 0xe0 || op === 0xd8) {
        expect(c).toMatchObject({ status: SamStatus.Good, bytesTransferred: s.requestedBytes });
        continue;
      }
      expect(c.status).toBe(SamStatus.CheckCondition);
      const sense = decodeSense(c.sense);
      expect(sense.problems).toEqual([]);
      expect(Array.from(c.sense.subarray(12, 14))).toEqual(op === 0xe4 ? [0x24, 0x00] : [0x20, 0x00]);
    }
    // Rejected commands are retried twice; the ones answered are sent once.
    expect(vendor.filter((t) => t.submit.cdb[0] === 0xc0)).toHaveLength(3);
    expect(vendor.filter((t) => t.submit.cdb[0] === 0xe0)).toHaveLength(1);
    // No note claims a framework refused the CDB: it reached the driver.
    expect(d.events.filter((e) => e.kind === 'note' && /refuse|never reached|NotPrivileged/i.test(e.text))).toEqual([]);
  });

  it('answers INQUIRY and TEST UNIT READY normally', () => {
    const standard = d.tasks.filter((t) => t.submit.cdb[0] === 0x12 || t.submit.cdb[0] === 0x00);
    expect(standard.length).toBeGreaterThanOrEqual(5);
    for (const t of standard) expect(t.complete).toMatchObject({ serviceResponse: ServiceResponse.TaskComplete, status: SamStatus.Good });
  });
});

describe('dma-over-2gib', () => {
  const d = sample('dma-over-2gib');

  it('maps more than 2 GiB in flight, then fails mappings with a note, and retries them', () => {
    let inFlight = 0;
    let peak = 0;
    const open = new Map<bigint, number>();
    let failuresAfterPeak = 0;
    for (const e of d.events) {
      if (e.kind === 'submit') {
        open.set(e.taskId, e.requestedBytes);
        inFlight += e.requestedBytes;
        peak = Math.max(peak, inFlight);
      } else if (e.kind === 'complete') {
        inFlight -= open.get(e.taskId)!;
        open.delete(e.taskId);
        if (e.serviceResponse === ServiceResponse.ServiceDeliveryOrTargetFailure) {
          expect(peak).toBeGreaterThan(2 * 1024 ** 3);
          failuresAfterPeak++;
        }
      }
    }
    expect(peak).toBeGreaterThan(2 * 1024 ** 3);
    expect(failuresAfterPeak).toBeGreaterThan(0);
    // The 2 GiB is the driver's own window (no Apple source sets such a limit: docs/constraints.md), and its notes say so.
    const failedNotes = d.events.filter((e) => e.kind === 'note' && /^driver DMA window full: 0xe00002bd \(kIOReturnNoMemory\)/.test(e.text));
    expect(failedNotes.length).toBe(failuresAfterPeak);
    expect(d.events.some((e) => e.kind === 'note' && /PrepareForDMA/.test(e.text))).toBe(false);
    // Every LBA range written ends up written GOOD once.
    const good = new Set<string>();
    const all = new Set<string>();
    for (const s of d.submits.values()) {
      if (s.direction !== DataDirection.ToDevice) continue;
      const lba = decodeCdb(s.cdb).lba!.toString();
      all.add(lba);
      if (d.completions.get(s.taskId)!.status === SamStatus.Good && d.completions.get(s.taskId)!.serviceResponse === ServiceResponse.TaskComplete)
        good.add(lba);
    }
    expect(good).toEqual(all);
  });
});

describe('slow-power-transition', () => {
  const d = sample('slow-power-transition');

  it('is a DriverKit capture of the MegaRAID dext', () => {
    expectDriverKitCapture(d, /^MegaRAID3108 dext 1\.5\.0 \(com\.example\.driver\.MegaRAID3108\), sctring-drain; scsitrace synth slow-power-transition seed=1/);
  });

  const power = d.hba.filter((h) => h.hbaKind === HbaEventKind.PowerStateChange);

  // A dext that acknowledges SetPowerState after 20 s panics release macOS (docs/rules/slow-power-transition.md):
  // a capture that goes on after the wake shows a transition inside that limit.
  it('takes about 17.5 s from power state 0 to 2 (slow, but inside the 20 s a dext survives), and goes 2 to 0 quickly before', () => {
    const done = power.filter((h) => h.phase === HbaEventPhase.Completed);
    expect(done.map((h) => [Number(h.arg0), Number(h.arg1)])).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect(done[0]!.durationNs).toBeLessThan(1e9);
    expect(done[1]!.durationNs).toBeGreaterThan(17e9);
    expect(done[1]!.durationNs).toBeLessThan(18e9);
  });

  it('submits commands while powered down, and the first answer after the wake is UNIT ATTENTION 29/00', () => {
    const offAt = power.find((h) => h.phase === HbaEventPhase.Completed && h.arg1 === 0n)!.timeNs;
    const onAt = power.find((h) => h.phase === HbaEventPhase.Completed && h.arg1 === 2n)!.timeNs;
    const whileOff = d.tasks.filter((t) => t.submit.timeNs > offAt && t.submit.timeNs < onAt);
    expect(whileOff.length).toBeGreaterThanOrEqual(3);
    const firstAfter = d.events.find((e) => e.kind === 'complete' && e.timeNs > onAt);
    expect(firstAfter?.kind === 'complete' && Array.from(firstAfter.sense.subarray(12, 14))).toEqual([0x29, 0x00]);
    // A flush linked to a SYNCHRONIZE CACHE preceded the power-down.
    const syncBefore = d.tasks.filter((t) => isSync(t.submit) && t.submit.timeNs < offAt);
    expect(syncBefore.length).toBe(1);
    expect(flushEvents(d, syncBefore[0]!).length).toBe(2);
  });
});

describe('mixed-workload', () => {
  const d = sample('mixed-workload');
  const completions = [...d.completions.values()];
  const senseOf = (asc: number, ascq: number) => completions.filter((c) => c.sense[12] === asc && c.sense[13] === ascq);

  it('has UNIT ATTENTION 29/00 and 2A/09, ILLEGAL REQUEST 20/00 and 24/00 with a CDB field pointer', () => {
    expect(senseOf(0x29, 0x00).map((c) => c.sense[2])).toEqual([0x06]);
    expect(senseOf(0x2a, 0x09).map((c) => c.sense[2])).toEqual([0x06]);
    const invalidOpcode = senseOf(0x20, 0x00);
    expect(invalidOpcode.map((c) => d.submits.get(c.taskId)!.cdb[0])).toEqual([0xa3]);
    const [field] = senseOf(0x24, 0x00);
    expect(field!.sense[2]).toBe(0x05);
    expect(field!.sense[15]! & 0xc0).toBe(0xc0); // SKSV, C/D = CDB
    expect((field!.sense[16]! << 8) | field!.sense[17]!).toBe(2); // the VPD page code byte
  });

  it('has RESERVATION CONFLICT, TASK SET FULL and BUSY completions, each retried', () => {
    const by = (status: number) => completions.filter((c) => c.serviceResponse === ServiceResponse.TaskComplete && c.status === status);
    expect(by(SamStatus.ReservationConflict).length).toBe(3);
    expect(by(SamStatus.TaskSetFull).length).toBeGreaterThan(0);
    expect(by(SamStatus.Busy).length).toBe(2);
    for (const c of [...by(SamStatus.TaskSetFull), ...by(SamStatus.Busy)]) {
      const cdb = Buffer.from(d.submits.get(c.taskId)!.cdb).toString('hex');
      const retried = [...d.submits.values()].some(
        (s) => s.taskId > c.taskId && Buffer.from(s.cdb).toString('hex') === cdb && d.completions.get(s.taskId)?.status === SamStatus.Good,
      );
      expect(retried).toBe(true);
    }
  });

  it('times a task out after 30 s with DriverTimeout and a TaskAbort pair linked to it', () => {
    const [timedOut, ...more] = completions.filter(
      (c) => c.serviceResponse === ServiceResponse.ServiceDeliveryOrTargetFailure && c.status === DeliveryStatus.TaskTimeoutOccurred,
    );
    expect(more).toEqual([]);
    const s = d.submits.get(timedOut!.taskId)!;
    const kinds = d.hba.filter((h) => h.taskId === s.taskId).map((h) => [h.hbaKind, h.phase]);
    expect(kinds).toEqual([
      [HbaEventKind.DriverTimeout, HbaEventPhase.Instant],
      [HbaEventKind.TaskAbort, HbaEventPhase.Issued],
      [HbaEventKind.TaskAbort, HbaEventPhase.Completed],
    ]);
    expect(timedOut!.timeNs - s.timeNs).toBeGreaterThan(s.timeoutMs * 1e6);
  });

  it('leaves exactly one task never completed', () => {
    const never = [...d.submits.values()].filter((s) => !d.completions.has(s.taskId));
    expect(never.length).toBe(1);
    expect(never[0]!.cdb[0]).toBe(0x28);
  });
});
