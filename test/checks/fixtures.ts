/** CDBs, sense data and segment lists the checker tests share. */
import { DataDirection, HbaEventKind, HbaEventPhase } from '../../src/model/events.js';
import type { TraceBuilder } from '../helpers/trace.js';

export { DataDirection, HbaEventKind, HbaEventPhase };

/** READ(10)/WRITE(10): op | LBA | group | length | control. */
export function rw10(write: boolean, lba: number, blocks: number, flags = 0): number[] {
  return [write ? 0x2a : 0x28, flags, (lba >>> 24) & 0xff, (lba >>> 16) & 0xff, (lba >>> 8) & 0xff, lba & 0xff, 0, (blocks >> 8) & 0xff, blocks & 0xff, 0];
}

/** READ(16)/WRITE(16). */
export function rw16(write: boolean, lba: number, blocks: number): number[] {
  const hi = Math.floor(lba / 0x1_0000_0000);
  return [
    write ? 0x8a : 0x88,
    0,
    (hi >>> 24) & 0xff,
    (hi >>> 16) & 0xff,
    (hi >>> 8) & 0xff,
    hi & 0xff,
    (lba >>> 24) & 0xff,
    (lba >>> 16) & 0xff,
    (lba >>> 8) & 0xff,
    lba & 0xff,
    (blocks >>> 24) & 0xff,
    (blocks >>> 16) & 0xff,
    (blocks >>> 8) & 0xff,
    blocks & 0xff,
    0,
    0,
  ];
}

/** SYNCHRONIZE CACHE(10) of the whole medium (LBA 0, 0 blocks); IMMED in byte 1 bit 1. */
export const SYNC10 = [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0];
export const SYNC10_IMMED = [0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0];
export const SYNC16 = [0x91, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
export const TUR = [0, 0, 0, 0, 0, 0];
export const INQUIRY_36 = [0x12, 0, 0, 0, 36, 0];

/** Fixed-format sense (SPC-6 4.4.3): response 70h, key, ADDITIONAL SENSE LENGTH 10, ASC/ASCQ. */
export function sense(key: number, asc: number, ascq: number): number[] {
  return [0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0];
}

export const CHECK_CONDITION = 0x02;

/** A write of `blocks` 512-byte blocks at `lba`, with one page-sized segment per 4 KiB at `base`. */
export function writeTask(b: TraceBuilder, lba: number, blocks: number, base = 0x10_0000, latencyNs = 20_000): number {
  return b.task(
    { cdb: rw10(true, lba, blocks), direction: DataDirection.ToDevice, requestedBytes: blocks * 512, segments: pages(base, blocks * 512) },
    {},
    latencyNs,
  );
}

export function readTask(b: TraceBuilder, lba: number, blocks: number, base = 0x20_0000, latencyNs = 20_000): number {
  return b.task(
    { cdb: rw10(false, lba, blocks), direction: DataDirection.FromDevice, requestedBytes: blocks * 512, segments: pages(base, blocks * 512) },
    {},
    latencyNs,
  );
}

/** Contiguous 4 KiB segments covering `bytes` from `base`, spaced 8 KiB apart (page-scattered). */
export function pages(base: number, bytes: number): Array<{ address: number; length: number }> {
  const out: Array<{ address: number; length: number }> = [];
  for (let done = 0, i = 0; done < bytes; i++) {
    const length = Math.min(4096, bytes - done);
    out.push({ address: base + i * 8192, length });
    done += length;
  }
  return out;
}

/** A WRITE(10) task that moves exactly what its segments cover. */
export function segmentWrite(segments: Array<{ address: number | bigint; length: number }>) {
  const bytes = segments.reduce((a, s) => a + s.length, 0);
  return { cdb: rw10(true, 0, bytes / 512), direction: DataDirection.ToDevice, requestedBytes: bytes, segments };
}

/** An HBA event at the builder's current time. */
export function hba(
  b: TraceBuilder,
  e: { kind: number; taskId?: number; phase?: number; status?: number; durationNs?: number; arg0?: number; arg1?: number; detail?: string },
): void {
  b.w.hba({ timeNs: b.timeNs, ...e });
}

export function constraints(b: TraceBuilder, entries: Record<string, number | string | boolean>): void {
  b.w.constraints(b.timeNs, entries);
}

/**
 * The SGL a DriverKit driver builds from its one IOVM range: `bytes` from `address`, in elements
 * of at most `elementBytes`, in order. `map` rewrites each element's address (a truncation, say).
 */
export function splitRange(
  address: number | bigint,
  bytes: number,
  elementBytes = 0x10000,
  map: (a: bigint) => bigint = (a) => a,
): Array<{ address: bigint; length: number }> {
  const out: Array<{ address: bigint; length: number }> = [];
  for (let done = 0; done < bytes; done += elementBytes)
    out.push({ address: map(BigInt(address) + BigInt(done)), length: Math.min(elementBytes, bytes - done) });
  return out;
}

/** What a 32-bit descriptor field keeps of an address. */
export const low32 = (a: bigint): bigint => a & 0xffff_ffffn;

/**
 * A DriverKit-style task: the IOVM range the framework handed (buffer: fBufferIOVMAddr,
 * fRequestedTransferCount) and the SGL the driver recorded (by default the range split in 64 KiB
 * elements). Writes unless `read`; WRITE(10)/READ(10) of `blocks` 512-byte blocks at `lba`.
 */
export function dextTask(
  b: TraceBuilder,
  o: {
    lba?: number;
    blocks: number;
    iova: number | bigint;
    sgl?: Array<{ address: number | bigint; length: number }>;
    read?: boolean;
    requestedBytes?: number;
    bufferLength?: number;
  },
): number {
  const bytes = o.blocks * 512;
  return b.task({
    cdb: rw10(!o.read, o.lba ?? 0, o.blocks),
    direction: o.read ? DataDirection.FromDevice : DataDirection.ToDevice,
    requestedBytes: o.requestedBytes ?? bytes,
    buffer: { address: BigInt(o.iova), length: o.bufferLength ?? bytes },
    segments: o.sgl ?? splitRange(o.iova, bytes),
    sglRecorded: true,
  });
}
