import { DataDirection, DeliveryStatus, HbaEventKind, HbaEventPhase, SamStatus, ServiceResponse } from '../../model/events.js';
import * as cdb from '../cdb.js';
import { dataNote, readCapacity, runOne, Timeout, type DiskModel } from '../device.js';
import { PageScatter, PAGE_BYTES, type AddressPolicy } from '../memory.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Asc, fixedSense, SenseKey } from '../sense.js';
import { Sim, type Outcome } from '../sim.js';
import { randomIo } from '../workload.js';
import { HEALTHY_CONSTRAINTS } from './healthy-copy.js';

/** A shared LUN on a SAS disk array, write cache off (clustered hosts). */
const ARRAY_LUN: DiskModel = {
  blockBytes: 512,
  capacityBlocks: 0xe400_0000,
  vendor: 'HPE',
  product: 'MSA 2050 SAS',
  revision: 'V270',
  writeCache: false,
};
/** The same LUN after the storage administrator grew it. */
const GROWN_LUN: DiskModel = { ...ARRAY_LUN, capacityBlocks: 0x1_5600_0000 };
/** The array accepts this many commands per LUN; more get TASK SET FULL. */
const ARRAY_QUEUE = 32;

export const mixedWorkload: Scenario = {
  name: 'mixed-workload',
  summary: 'a shared array LUN: UNIT ATTENTIONs, reservation conflicts, rejected commands, TASK SET FULL/BUSY, a timeout with abort, a lost command',
  details: [
    'A SAS HBA (bus reset at start) and a clustered disk-array LUN with the write cache off.',
    'TEST UNIT READY answers UNIT ATTENTION 29/00 (power on, reset) after the bus reset.',
    'INQUIRY VPD page 0xB2 is refused with ILLEGAL REQUEST 24/00 INVALID FIELD IN CDB (field',
    'pointer: CDB byte 2); REPORT SUPPORTED OPERATION CODES with 20/00 INVALID COMMAND',
    'OPERATION CODE. The LUN is grown on the array: a READ gets UNIT ATTENTION 2A/09',
    '(capacity data has changed), READ CAPACITY is re-read, the READ retried.',
    'Another node holds a persistent reservation: WRITEs end in RESERVATION CONFLICT.',
    "A burst beyond the array's 32-command queue gets TASK SET FULL, and BUSY during a",
    'controller failover; both are retried. One WRITE times out after 30 s: DriverTimeout,',
    'TaskAbort issued and completed, then TASK_TIMEOUT_OCCURRED; it is retried. A READ',
    'submitted near the end never completes before the capture stops.',
  ],
  generate(w, o) {
    const rng = new Prng(o.seed);
    const sim = new Sim(w, rng, { startNs: 1_000_000 });
    const scatter = new PageScatter(rng.fork(0x5ca7));
    const limits = { maxSegments: 257, maxSegmentBytes: 0x10000 };
    const policy: AddressPolicy = { highProbability: 0.7, straddleProbability: 0, memoryTop: 32 * 2 ** 30 };
    const bs = ARRAY_LUN.blockBytes;
    const latency = (bytes: number, write: boolean) => (write ? rng.lognormal(180_000, 0.3) : rng.lognormal(650_000, 0.6)) + bytes / 1.2;
    const io = (count: number, think: readonly [number, number], outcome?: (n: number, write: boolean) => Outcome | undefined, readFraction = 0.65) =>
      randomIo(sim, scatter, {
        count,
        queueDepth: 8,
        blockBytes: bs,
        lbaRange: [0x0010_0000, 0xe000_0000],
        readFraction,
        limits,
        policy,
        think,
        latency,
        ...(outcome ? { outcome } : {}),
      });
    const rwTask = (write: boolean, pages: number, extra: Partial<Parameters<Sim['submit']>[0]> = {}) => {
      const sg = scatter.build(pages * PAGE_BYTES, limits, policy);
      const lba = 0x0010_0000 + rng.below(0x1b00_0000) * 8;
      return {
        cdb: cdb.rw(write, lba, sg.bytes / bs),
        direction: write ? DataDirection.ToDevice : DataDirection.FromDevice,
        requestedBytes: sg.bytes,
        segments: sg.packed,
        timeoutMs: Timeout.io,
        latencyNs: latency(sg.bytes, write),
        ...extra,
      };
    };
    const check = (key: number, asc: number, fieldPointer?: { cdb: boolean; byte: number; bit?: number }): Outcome => ({
      status: SamStatus.CheckCondition,
      sense: fixedSense(key, asc, fieldPointer ? { fieldPointer } : {}),
    });

    // Driver start: the HBA resets the SAS links; the LUN reports the reset once.
    w.constraints(sim.now, HEALTHY_CONSTRAINTS);
    sim.hba(HbaEventKind.BusReset, { detail: 'host reset at driver start' });
    sim.wait(rng.int(40_000_000, 80_000_000));
    runOne(sim, cdb.testUnitReady(), 0, 0, { outcome: check(SenseKey.UnitAttention, Asc.PowerOnReset) });
    runOne(sim, cdb.testUnitReady(), 0, 0);
    runOne(sim, cdb.inquiry(36), 36, 36, {
      onComplete: (id) => sim.note(`INQUIRY data: type=0x00 vendor="${ARRAY_LUN.vendor}" product="${ARRAY_LUN.product}" revision="${ARRAY_LUN.revision}"`, id),
    });
    runOne(sim, cdb.inquiry(255, 0x00), 255, 11);
    // VPD 0xB2 (logical block provisioning) is not implemented: field pointer at the page code.
    runOne(sim, cdb.inquiry(255, 0xb2), 255, 0, { outcome: check(SenseKey.IllegalRequest, Asc.InvalidFieldInCdb, { cdb: true, byte: 2 }) });
    readCapacity(sim, ARRAY_LUN);
    runOne(sim, cdb.reportSupportedOpcodes(0x2000), 0x2000, 0, { outcome: check(SenseKey.IllegalRequest, Asc.InvalidOpcode) });
    runOne(sim, cdb.modeSense10(0x08, 0x00, 255), 255, 28, {
      onComplete: (id) => sim.note('MODE SENSE(10) caching page: WCE=0 RCD=0', id),
    });
    io(80, [50_000, 3_000_000]);
    sim.waitIdle();

    // The administrator grows the LUN: the next command reports it, capacity is re-read.
    sim.wait(rng.int(200_000_000, 600_000_000));
    const grownRead = rwTask(false, 8);
    sim.submit({ ...grownRead, latencyNs: rng.int(60_000, 120_000), outcome: check(SenseKey.UnitAttention, Asc.CapacityChanged) });
    sim.waitIdle();
    readCapacity(sim, GROWN_LUN);
    sim.submit({ ...grownRead, latencyNs: latency(grownRead.requestedBytes, false) });
    io(30, [50_000, 3_000_000]);
    sim.waitIdle();

    // The other cluster node takes a WRITE EXCLUSIVE reservation: writes conflict, reads pass.
    sim.wait(rng.int(100_000_000, 300_000_000));
    for (let i = 0; i < 3; i++) {
      sim.submit(rwTask(true, rng.pick([1, 2, 4]), { latencyNs: rng.int(40_000, 90_000), outcome: { status: SamStatus.ReservationConflict } }));
      sim.waitIdle();
      sim.wait(rng.int(5_000_000, 40_000_000));
    }
    runOne(sim, cdb.persistentReserveIn(0x01, 0x200), 0x200, 24, {
      onComplete: (id) => dataNote(sim, id, 'PERSISTENT RESERVE IN READ RESERVATION', { 'reservation-key': 0x4e4f44453201, type: 0x1 }),
    });
    io(25, [100_000, 5_000_000], undefined, 1);
    sim.waitIdle();

    // A burst deeper than the array's queue: the excess is refused with TASK SET FULL.
    sim.wait(rng.int(100_000_000, 300_000_000));
    const refused: Array<ReturnType<typeof rwTask>> = [];
    for (let i = 0; i < 48; i++) {
      sim.wait(rng.int(3_000, 12_000));
      const t = rwTask(false, rng.pick([1, 2, 4, 8]), { latencyNs: rng.lognormal(2_500_000, 0.4) });
      if (sim.inFlight >= ARRAY_QUEUE) {
        sim.submit({ ...t, latencyNs: rng.int(20_000, 45_000), outcome: { status: SamStatus.TaskSetFull } });
        refused.push(t);
      } else sim.submit(t);
    }
    for (const t of refused) {
      sim.waitForSlot(ARRAY_QUEUE);
      sim.wait(rng.int(5_000, 20_000));
      sim.submit({ ...t, latencyNs: rng.lognormal(1_500_000, 0.4) });
    }
    sim.waitIdle();
    // Controller failover on the array: two commands answered BUSY, retried after a pause.
    for (let i = 0; i < 2; i++) {
      const t = rwTask(i === 0, 2);
      sim.submit({ ...t, latencyNs: rng.int(40_000, 80_000), outcome: { status: SamStatus.Busy } });
      sim.waitIdle();
      sim.wait(rng.int(50_000_000, 150_000_000));
      sim.submit(t);
      sim.waitIdle();
    }

    // A WRITE the array never answers: after its 30 s timeout the driver aborts it.
    sim.wait(rng.int(100_000_000, 300_000_000));
    const lost = rwTask(true, 16);
    const timeoutNs = lost.timeoutMs * 1_000_000;
    const abortNs = rng.int(1_500_000, 3_000_000);
    sim.submit({
      ...lost,
      latencyNs: timeoutNs + abortNs + rng.int(20_000, 60_000),
      outcome: { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.TaskTimeoutOccurred, bytesTransferred: 0 },
      onSubmit: (taskId, t0) => {
        sim.at(t0 + timeoutNs, () => sim.hba(HbaEventKind.DriverTimeout, { taskId, detail: `no response in ${lost.timeoutMs} ms` }));
        sim.at(t0 + timeoutNs + 15_000, () => sim.hba(HbaEventKind.TaskAbort, { phase: HbaEventPhase.Issued, taskId, detail: 'ABORT TASK' }));
        sim.at(t0 + timeoutNs + 15_000 + abortNs, () =>
          sim.hba(HbaEventKind.TaskAbort, { phase: HbaEventPhase.Completed, taskId, durationNs: abortNs, detail: 'ABORT TASK: FUNCTION COMPLETE' }),
        );
      },
    });
    // Other I/O goes on meanwhile.
    io(90, [200_000_000, 400_000_000]);
    sim.waitIdle();
    sim.submit({ ...lost, latencyNs: latency(lost.requestedBytes, true) });
    sim.waitIdle();

    // Near the end a READ goes out and is never answered before the capture stops.
    io(20, [20_000_000, 80_000_000]);
    sim.submit({ ...rwTask(false, 4), neverCompletes: true });
    io(40, [50_000_000, 150_000_000]);
    sim.finish();
  },
};
