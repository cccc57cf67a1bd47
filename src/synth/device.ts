import { DataDirection } from '../model/events.js';
import * as cdb from './cdb.js';
import type { Prng } from './prng.js';
import type { Sim, Outcome } from './sim.js';

/** The logical unit a scenario talks to. */
export interface DiskModel {
  blockBytes: number;
  capacityBlocks: number;
  vendor: string;
  product: string;
  revision: string;
  /** Write cache enabled (caching mode page WCE). */
  writeCache: boolean;
}

/** A RAID volume on a MegaRAID SAS 9361-8i (SAS3108), 512-byte blocks, just under 4 TB. */
export const RAID_VOLUME: DiskModel = {
  blockBytes: 512,
  capacityBlocks: 0x1_d1c0_0000,
  vendor: 'AVAGO',
  product: 'MR9361-8i',
  revision: '4.68',
  writeCache: true,
};

/** Timeouts macOS's block storage layer gives tasks (ms). */
export const Timeout = {
  inquiry: 10_000,
  io: 30_000,
  sync: 60_000,
} as const;

/** Latency of a firmware-answered command (INQUIRY, MODE SENSE...). */
export function controlLatency(rng: Prng): number {
  return rng.lognormal(45_000, 0.4);
}

/**
 * Latency of a read or write through a RAID controller with write-back cache: a base of
 * ~60-90 µs, then the transfer at the controller's bandwidth — which the tasks in flight share:
 * with n of them already moving data, this one gets about 1/(n + 1) of it. However deep the
 * queue, the volume then moves no more than the controller's ~2 GB/s, as a real one does
 * (a MegaRAID 9361-8i sits on PCIe 3.0 x8, under 8 GB/s even for the bus alone).
 */
export function ioLatency(rng: Prng, bytes: number, write: boolean, inFlight: number): number {
  const base = rng.lognormal(write ? 60_000 : 85_000, 0.3);
  const bandwidth = write ? 2.6 : 2.1; // bytes per ns (GB/s)
  return base + (bytes / bandwidth) * (inFlight + 1);
}

/**
 * Parameter data is not part of a trace, so the generators record what the device answered
 * as a note linked to the task, in `<COMMAND> data: key=value ...` form.
 */
export function dataNote(sim: Sim, taskId: number, command: string, fields: Record<string, string | number>): void {
  const text = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'number' && k !== 'block-length' && !k.endsWith('blocks') ? `0x${v.toString(16)}` : v}`)
    .join(' ');
  sim.note(`${command} data: ${text}`, taskId);
}

/** Issues one task and waits until it completes (the enumeration path runs at depth 1). */
export function runOne(
  sim: Sim,
  c: Uint8Array,
  requestedBytes: number,
  returnedBytes: number,
  o: { direction?: DataDirection; timeoutMs?: number; outcome?: Outcome; onComplete?: (taskId: number) => void; latencyNs?: number } = {},
): number {
  const id = sim.submit({
    cdb: c,
    direction: o.direction ?? (requestedBytes > 0 ? DataDirection.FromDevice : DataDirection.None),
    requestedBytes,
    timeoutMs: o.timeoutMs ?? Timeout.inquiry,
    latencyNs: o.latencyNs ?? controlLatency(sim.rng),
    outcome: o.outcome ?? { bytesTransferred: returnedBytes },
    ...(o.onComplete ? { onComplete: o.onComplete } : {}),
  });
  sim.waitIdle();
  sim.wait(sim.rng.int(20_000, 120_000));
  return id;
}

/**
 * What macOS does when a logical unit appears: the controller's target probe (REPORT LUNS,
 * INQUIRY), then the block storage driver's characterisation (VPD pages, capacity, caching
 * mode page).
 */
export function enumerate(sim: Sim, disk: DiskModel): void {
  runOne(sim, cdb.reportLuns(0x208), 0x208, 16);
  runOne(sim, cdb.inquiry(36), 36, 36, {
    onComplete: (id) => sim.note(`INQUIRY data: type=0x00 vendor="${disk.vendor}" product="${disk.product}" revision="${disk.revision}"`, id),
  });
  runOne(sim, cdb.testUnitReady(), 0, 0);
  runOne(sim, cdb.inquiry(255, 0x00), 255, 10);
  runOne(sim, cdb.inquiry(255, 0x80), 255, 36);
  runOne(sim, cdb.inquiry(255, 0x83), 255, 24);
  runOne(sim, cdb.inquiry(64, 0xb0), 64, 64);
  readCapacity(sim, disk);
  runOne(sim, cdb.modeSense10(0x08, 0x00, 255), 255, 28, {
    onComplete: (id) => sim.note(`MODE SENSE(10) caching page: WCE=${disk.writeCache ? 1 : 0} RCD=0`, id),
  });
}

/** READ CAPACITY(10), then (16) when the volume has more than 2^32 blocks (SBC-5 5.20). */
export function readCapacity(sim: Sim, disk: DiskModel): void {
  const lastLba = disk.capacityBlocks - 1;
  runOne(sim, cdb.readCapacity10(), 8, 8, {
    onComplete: (id) => dataNote(sim, id, 'READ CAPACITY(10)', { 'returned-lba': Math.min(lastLba, 0xffff_ffff), 'block-length': disk.blockBytes }),
  });
  if (lastLba >= 0xffff_ffff) {
    runOne(sim, cdb.readCapacity16(32), 32, 32, {
      onComplete: (id) => dataNote(sim, id, 'READ CAPACITY(16)', { 'returned-lba': lastLba, 'block-length': disk.blockBytes }),
    });
  }
}
