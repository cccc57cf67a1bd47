import { HbaEventKind, HbaEventPhase, DataDirection } from '../model/events.js';
import * as cdb from './cdb.js';
import { Timeout } from './device.js';
import type { Sim } from './sim.js';

/**
 * The MegaRAID (SAS3108) firmware interface the HBA events name: DCMD opcodes as the
 * MegaRAID MFI interface defines them.
 */
export const Dcmd = {
  CtrlGetInfo: 0x0101_0000,
  LdGetList: 0x0301_0000,
  CtrlCacheFlush: 0x0110_1000,
} as const;
/** MR_FLUSH_CTRL_CACHE | MR_FLUSH_DISK_CACHE: the mailbox byte of a full flush. */
export const FLUSH_CTRL_AND_DISK = 0x03;

/** Firmware commands a driver sends while it starts the controller. */
export function controllerInit(sim: Sim): void {
  for (const [opcode, name, ns] of [
    [Dcmd.CtrlGetInfo, 'MR_DCMD_CTRL_GET_INFO', 180_000],
    [Dcmd.LdGetList, 'MR_DCMD_LD_GET_LIST', 95_000],
  ] as const) {
    const duration = Math.round(sim.rng.lognormal(ns, 0.2));
    sim.hba(HbaEventKind.HardwareCommand, { phase: HbaEventPhase.Issued, arg0: opcode, detail: name });
    sim.wait(duration);
    sim.hba(HbaEventKind.HardwareCommand, { phase: HbaEventPhase.Completed, arg0: opcode, durationNs: duration, detail: name });
    sim.wait(sim.rng.int(20_000, 60_000));
  }
}

/**
 * SYNCHRONIZE CACHE(10) answered the way a correct driver does: the driver sends the
 * controller a cache flush DCMD linked to the task (HBA event ControllerCacheFlush, phase
 * Issued then Completed, taskId = the SYNCHRONIZE CACHE task), and completes the task GOOD
 * only after the firmware reports the flush done. Flush time grows with the dirty data.
 */
export function syncWithControllerFlush(sim: Sim, dirtyBytes: number, c: Uint8Array = cdb.synchronizeCache10()): number {
  const rng = sim.rng;
  const issueDelay = rng.int(8_000, 20_000);
  const flushNs = Math.round(rng.lognormal(1_500_000, 0.25) + dirtyBytes / 1.1);
  const replyDelay = rng.int(10_000, 25_000);
  const detail = 'MR_DCMD_CTRL_CACHE_FLUSH (controller + disk caches)';
  const id = sim.submit({
    cdb: c,
    direction: DataDirection.None,
    timeoutMs: Timeout.sync,
    latencyNs: issueDelay + flushNs + replyDelay,
    onSubmit: (taskId, t0) => {
      sim.at(t0 + issueDelay, () =>
        sim.hba(HbaEventKind.ControllerCacheFlush, { phase: HbaEventPhase.Issued, taskId, arg0: Dcmd.CtrlCacheFlush, arg1: FLUSH_CTRL_AND_DISK, detail }),
      );
      sim.at(t0 + issueDelay + flushNs, () =>
        sim.hba(HbaEventKind.ControllerCacheFlush, {
          phase: HbaEventPhase.Completed,
          taskId,
          arg0: Dcmd.CtrlCacheFlush,
          arg1: FLUSH_CTRL_AND_DISK,
          durationNs: flushNs,
          detail,
        }),
      );
    },
  });
  sim.waitIdle();
  return id;
}

/**
 * The seed case's bug: the driver answers SYNCHRONIZE CACHE itself, without
 * MR_DCMD_CTRL_CACHE_FLUSH, in ~15-40 us. The command is the one macOS sends,
 * SYNCHRONIZE CACHE(10) of LBA 0 and 0 blocks (IOSCSIBlockCommandsDevice::SynchronizeCache).
 */
export function syncWithoutFlush(sim: Sim): void {
  sim.submit({
    cdb: cdb.synchronizeCache10(),
    direction: DataDirection.None,
    timeoutMs: Timeout.sync,
    latencyNs: sim.rng.int(14_000, 40_000),
  });
  sim.waitIdle();
}
