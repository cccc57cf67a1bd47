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
    shows:
      'a DriverKit capture of a 32 MiB buffered file copy through a correct RAID dext: one IOVM range per task (above 4 GiB too) and its 64-bit SGL, flushes answered after a controller cache flush, verified read-back; `check` finds nothing',
  },
  {
    file: 'lsi3108-buffered-copy.sct',
    scenario: 'lsi3108-buffered-copy',
    seed: 1,
    size: 256 * MiB,
    shows:
      'the seed case as a DriverKit capture: an LSI 3108 dext (32 addressable bits declared, numAddressBits 64 returned) copying 256 MiB; past ~190 MiB the framework hands IOVM ranges above 4 GiB that the dext cuts into 32-bit SGL elements, the read-back differs for exactly those writes (`check` names each as the likely cause), SYNCHRONIZE CACHE is answered GOOD without a controller flush on a volatile cache; a 128 MiB copy (`synth --size 134217728`) reads back intact',
  },
  {
    file: 'lsi3108-kext-buffered-copy.sct',
    scenario: 'lsi3108-kext-buffered-copy',
    seed: 1,
    size: 64 * MiB,
    shows:
      'the same LSI 3108 copy (64 MiB) through a kext, for comparison: page-scattered physical lists with pages above 4 GiB (and straddling it) on a 32-bit HBA, no IOVM range; the same flush defect and corrupt read-back',
  },
  {
    file: 'vendor-cdb-rejected.sct',
    scenario: 'vendor-cdb-rejected',
    seed: 1,
    shows:
      'a DriverKit capture of a SAS HBA dext passing vendor-specific CDBs (0xC0-0xFF) from an SSD tool to the drive: 0xE0 and 0xD8 complete GOOD, 0xC0 and 0xFF are rejected with ILLEGAL REQUEST 20/00, 0xE4 with 24/00 and a field pointer, while INQUIRY and TEST UNIT READY work',
  },
  {
    file: 'dma-over-2gib.sct',
    scenario: 'dma-over-2gib',
    seed: 1,
    shows:
      "a burst of 32 MiB writes with more than 2 GiB mapped for DMA in flight, past the driver's own 2 GiB DMA window (its hardware's ceiling), then refused tasks (kIOReturnNoMemory) and retries",
  },
  {
    file: 'slow-power-transition.sct',
    scenario: 'slow-power-transition',
    seed: 1,
    shows:
      'a DriverKit capture of sleep/wake where the HBA dext takes ~17.5 s from power state 0 to 2 (a warning: past 20 s macOS would panic), with commands submitted while it is powered down',
  },
  {
    file: 'mixed-workload.sct',
    scenario: 'mixed-workload',
    seed: 1,
    shows:
      'shared array LUN: UNIT ATTENTION 29/00 and 2A/09, RESERVATION CONFLICT, ILLEGAL REQUEST 20/00 and 24/00 (field pointer), TASK SET FULL, BUSY, a timeout with task abort, a command never completed',
  },
  {
    file: 'copy-kext.sct',
    scenario: 'copy-kext',
    seed: 7,
    shows:
      'a 4 MiB copy through the original KEXT (128 KiB transfers, 64-bit SGEs, SYNCHRONIZE CACHE after a controller flush, a vendor CDB answered): the baseline for `diff`',
  },
  {
    file: 'copy-dext.sct',
    scenario: 'copy-dext',
    seed: 7,
    shows:
      "the same copy through the DriverKit port, as a DriverKit capture (each task's IOVM range and the SGL the dext built): 512 KiB transfers mapped above 4 GiB and cut into 32-bit SGL elements, SYNCHRONIZE CACHE answered in ~9 µs with no flush, the vendor CDB refused; `diff traces/copy-kext.sct traces/copy-dext.sct`",
  },
  {
    file: 'copy-dext-fixed.sct',
    scenario: 'copy-dext-fixed',
    seed: 7,
    shows:
      'the port after its fixes (64-bit SGL addresses for the same IOVM ranges above 4 GiB, SYNCHRONIZE CACHE answered after a controller flush again); `diff traces/copy-dext.sct traces/copy-dext-fixed.sct` is the before/after pair',
  },
];
