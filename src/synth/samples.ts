/**
 * The sample traces committed in traces/: which scenario, seed and size make each file.
 * scripts/gen-traces.mjs regenerates them from this list, and a test checks that the
 * committed bytes are exactly what synthesis gives.
 */
export interface SampleTrace {
  file: string;
  scenario: string;
  seed: number;
  size?: number;
  /** The traces/README.md line's description. */
  shows: string;
}

const MiB = 1024 * 1024;

export const SAMPLE_TRACES: readonly SampleTrace[] = [
  {
    file: 'healthy-copy.sct',
    scenario: 'healthy-copy',
    seed: 1,
    shows: 'a 32 MiB buffered file copy through a correct RAID driver: scattered 4 KiB pages, flushes answered after a controller cache flush, verified read-back; `check` finds nothing',
  },
  {
    file: 'lsi3108-buffered-copy.sct',
    scenario: 'lsi3108-buffered-copy',
    seed: 1,
    size: 64 * MiB,
    shows: 'LSI 3108 DEXT copying 64 MiB: write pages above 4 GiB (and straddling it) on a 32-bit HBA, SYNCHRONIZE CACHE(10/16) GOOD without a controller flush, read-back digests that differ for those pages',
  },
  {
    file: 'vendor-cdb-rejected.sct',
    scenario: 'vendor-cdb-rejected',
    seed: 1,
    shows: 'vendor-specific CDBs (0xC0-0xFF) refused by DriverKit UserSendCDB (delivery failure + kIOReturnNotPrivileged note) while INQUIRY and TEST UNIT READY work',
  },
  {
    file: 'dma-over-2gib.sct',
    scenario: 'dma-over-2gib',
    seed: 1,
    shows: 'a burst of 32 MiB writes with more than 2 GiB mapped for DMA in flight, then PrepareForDMA failures (kIOReturnNoMemory) and retries',
  },
  {
    file: 'slow-power-transition.sct',
    scenario: 'slow-power-transition',
    seed: 1,
    shows: 'sleep/wake where the HBA takes over 21 s from power state 0 to 2, with commands submitted while it is powered down',
  },
  {
    file: 'mixed-workload.sct',
    scenario: 'mixed-workload',
    seed: 1,
    shows: 'shared array LUN: UNIT ATTENTION 29/00 and 2A/09, RESERVATION CONFLICT, ILLEGAL REQUEST 20/00 and 24/00 (field pointer), TASK SET FULL, BUSY, a timeout with task abort, a command never completed',
  },
  {
    file: 'copy-kext.sct',
    scenario: 'copy-kext',
    seed: 7,
    shows: 'a 4 MiB copy through the original KEXT (128 KiB transfers, 64-bit SGEs, SYNCHRONIZE CACHE after a controller flush, a vendor CDB answered): the baseline for `diff`',
  },
  {
    file: 'copy-dext.sct',
    scenario: 'copy-dext',
    seed: 7,
    shows: 'the same copy through the DriverKit port (512 KiB transfers, 32-bit SGEs given pages above 4 GiB, SYNCHRONIZE CACHE answered in ~9 µs with no flush, the vendor CDB refused); `diff traces/copy-kext.sct traces/copy-dext.sct`',
  },
  {
    file: 'copy-dext-fixed.sct',
    scenario: 'copy-dext-fixed',
    seed: 7,
    shows: 'the port after its flush fix (SYNCHRONIZE CACHE answered after a controller flush again); `diff traces/copy-dext.sct traces/copy-dext-fixed.sct` is the before/after pair',
  },
];
