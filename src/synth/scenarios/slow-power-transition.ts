import { DataDirection, HbaEventKind, HbaEventPhase, SamStatus } from '../../model/events.js';
import * as cdb from '../cdb.js';
import { controlLatency, enumerate, ioLatency, RAID_VOLUME, runOne, Timeout } from '../device.js';
import { dextModel, HEALTHY_DEXT } from '../dext.js';
import { controllerInit, syncWithControllerFlush } from '../megaraid.js';
import { PageScatter, PAGE_BYTES } from '../memory.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Asc, fixedSense, SenseKey } from '../sense.js';
import { randomIo } from '../workload.js';
import { HEALTHY_DEXT_PRODUCER } from './healthy-copy.js';

const SECOND = 1_000_000_000;
/** IOService power states the dext's SetPowerState sees here: 0 off, 2 on. */
const POWER_OFF = 0;
const POWER_ON = 2;
/** MR_DCMD_CTRL_SHUTDOWN: the firmware command a controller driver sends before power-off. */
const DCMD_CTRL_SHUTDOWN = 0x0105_0000;

export const slowPowerTransition: Scenario = {
  name: 'slow-power-transition',
  summary: 'system sleep and wake: the HBA dext takes ~17.5 s to go from power state 0 to 2, commands arrive while it is off',
  producer: HEALTHY_DEXT_PRODUCER,
  details: [
    'A DriverKit capture (IOVM range and SGL per task, pooled task ids, platform dext) of the',
    'MegaRAID dext with a volume doing ordinary I/O; at sleep the cache is flushed (controller flush',
    'linked to the SYNCHRONIZE CACHE), MR_DCMD_CTRL_SHUTDOWN is sent and the dext goes from',
    'power state 2 to 0 in ~0.3 s (HBA event PowerStateChange, arg0 = from, arg1 = to, phase',
    'Issued then Completed with durationNs).',
    'On wake the 0 -> 2 transition takes ~17.5 s (firmware re-initialisation): past the 10 s',
    'warning limit and within 2.5 s of the 20 s IOUserServer gives a dext to acknowledge',
    'SetPowerState, after which release macOS panics (so a capture that goes on is inside it). A TEST UNIT',
    'READY and reads submitted while the HBA is still at state 0 (before and during the wake)',
    'are held and complete after it; the first answers UNIT ATTENTION 29/00 (power on, reset)',
    'and is retried. Normal I/O resumes afterwards.',
  ],
  generate(w, o) {
    const rng = new Prng(o.seed);
    const d = HEALTHY_DEXT;
    const { sim, path, othersAtRest } = dextModel(w, rng, {
      declarations: d,
      sgl: { elementBytes: d.IOMaximumSegmentByteCountWrite, truncateTo32: false },
      lowFreeBytes: 8 * 1024 * 1024,
    });
    const dma = path(() => othersAtRest);
    const scatter = new PageScatter(rng.fork(0x5ca7));
    const disk = RAID_VOLUME;
    const limits = { maxSegments: d.IOMaximumSegmentCountWrite, maxSegmentBytes: d.IOMaximumSegmentByteCountWrite };
    const policy = { highProbability: 0.7, straddleProbability: 0, memoryTop: 32 * 2 ** 30 };
    const io = (count: number) =>
      randomIo(sim, scatter, {
        dma,
        count,
        queueDepth: 8,
        blockBytes: disk.blockBytes,
        lbaRange: [0x0010_0000, 0x1_0000_0000],
        readFraction: 0.6,
        limits,
        policy,
        think: [20_000, 400_000],
        latency: (bytes, write) => ioLatency(rng, bytes, write, sim.inFlight),
      });
    const powerChange = (from: number, to: number, durationNs: number, during: () => void) => {
      const start = sim.now;
      const detail = `SetPowerState(${to})`;
      sim.hba(HbaEventKind.PowerStateChange, { phase: HbaEventPhase.Issued, arg0: from, arg1: to, detail });
      during();
      sim.advanceTo(start + durationNs);
      sim.hba(HbaEventKind.PowerStateChange, { phase: HbaEventPhase.Completed, arg0: from, arg1: to, durationNs, detail });
    };

    controllerInit(sim);
    sim.note('lun-info target=0 lun=0 write-cache=on write-cache-volatile=yes');
    w.constraints(sim.now, { ...d });
    sim.wait(rng.int(200_000, 800_000));
    enumerate(sim, disk);
    io(60);
    sim.waitIdle();

    // System sleep: flush, firmware shutdown, power off.
    sim.wait(rng.int(50_000_000, 150_000_000));
    syncWithControllerFlush(sim, 6 * 1024 * 1024);
    sim.wait(rng.int(1_000_000, 3_000_000));
    powerChange(POWER_ON, POWER_OFF, Math.round(rng.uniform(0.25, 0.35) * SECOND), () => {
      sim.wait(rng.int(2_000_000, 5_000_000));
      const d = Math.round(rng.lognormal(120_000_000, 0.2));
      sim.hba(HbaEventKind.HardwareCommand, { phase: HbaEventPhase.Issued, arg0: DCMD_CTRL_SHUTDOWN, detail: 'MR_DCMD_CTRL_SHUTDOWN' });
      sim.wait(d);
      sim.hba(HbaEventKind.HardwareCommand, { phase: HbaEventPhase.Completed, arg0: DCMD_CTRL_SHUTDOWN, durationNs: d, detail: 'MR_DCMD_CTRL_SHUTDOWN' });
    });

    // Asleep. Shortly before the wake the system already sends a TEST UNIT READY: the HBA
    // is off, the dext holds it until it is powered again. The first command the firmware
    // answers after its reset reports UNIT ATTENTION 29/00.
    sim.wait(Math.round(rng.uniform(38, 46) * SECOND));
    const wakeStart = sim.now + Math.round(rng.uniform(1.5, 3) * SECOND);
    const wakeDuration = Math.round(rng.uniform(17.2, 17.8) * SECOND);
    const wakeEnd = wakeStart + wakeDuration;
    sim.submit({
      cdb: cdb.testUnitReady(),
      timeoutMs: Timeout.io,
      latencyNs: wakeEnd - sim.now + rng.int(120_000, 200_000),
      outcome: { status: SamStatus.CheckCondition, sense: fixedSense(SenseKey.UnitAttention, Asc.PowerOnReset) },
    });
    sim.advanceTo(wakeStart);
    powerChange(POWER_OFF, POWER_ON, wakeDuration, () => {
      // Reads from processes that woke first, while the controller is still initialising.
      sim.wait(rng.int(300_000_000, 900_000_000));
      for (let i = 0; i < 4; i++) {
        const pages = rng.pick([1, 4, 8, 16]);
        const sg = dma.map(pages * PAGE_BYTES, 0);
        const lba = 0x0010_0000 + rng.below(0x0800_0000) * 8;
        sim.submit({
          cdb: cdb.rw(false, lba, sg.bytes / disk.blockBytes),
          direction: DataDirection.FromDevice,
          requestedBytes: sg.bytes,
          dma: sg,
          timeoutMs: Timeout.io,
          latencyNs: wakeEnd - sim.now + rng.int(400_000, 2_000_000),
        });
        sim.wait(Math.round(rng.uniform(0.5, 4) * SECOND));
      }
    });
    sim.waitIdle();
    // The framework retries the TEST UNIT READY that reported the reset.
    sim.wait(rng.int(1_000_000, 3_000_000));
    runOne(sim, cdb.testUnitReady(), 0, 0, { latencyNs: controlLatency(rng) });
    sim.waitIdle();
    io(60);
    sim.waitIdle();
    syncWithControllerFlush(sim, 2 * 1024 * 1024);
    sim.finish();
  },
};
