import { DataDirection, SamStatus } from '../../model/events.js';
import * as cdb from '../cdb.js';
import { dextModel, HEALTHY_DEXT } from '../dext.js';
import { dataNote, runOne, Timeout } from '../device.js';
import { PageScatter } from '../memory.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Asc, fixedSense, SenseKey } from '../sense.js';
import { randomIo } from '../workload.js';

/** The producer of the SAS HBA dext's capture. */
export const SAS_HBA_DEXT_PRODUCER = 'SAS3008 IT dext 2.0.1 (com.example.driver.SAS3008), sctring-drain';

/** What a vendor's SSD tool sends: 16-byte vendor CDBs, and what this drive's firmware makes of each. */
const VENDOR_COMMANDS: ReadonlyArray<{
  opcode: number;
  what: string;
  direction: DataDirection;
  bytes: number;
  payload: number[];
  answer: 'data' | 'invalid-opcode' | 'invalid-field';
}> = [
  { opcode: 0xe0, what: 'read firmware version', direction: DataDirection.FromDevice, bytes: 512, payload: [0x01, 0x00, 0x00, 0x00, 0x02], answer: 'data' },
  { opcode: 0xe4, what: 'read controller register', direction: DataDirection.FromDevice, bytes: 4, payload: [0x00, 0x00, 0x07, 0x10], answer: 'invalid-field' },
  { opcode: 0xc0, what: 'enter firmware update mode', direction: DataDirection.None, bytes: 0, payload: [0x5a, 0xa5], answer: 'invalid-opcode' },
  { opcode: 0xd8, what: 'read flash ID', direction: DataDirection.FromDevice, bytes: 8, payload: [0x9f], answer: 'data' },
  {
    opcode: 0xff,
    what: 'vendor diagnostic',
    direction: DataDirection.FromDevice,
    bytes: 64,
    payload: [0x26, 0x00, 0x00, 0x00, 0x40],
    answer: 'invalid-opcode',
  },
];

export const vendorCdbRejected: Scenario = {
  name: 'vendor-cdb-rejected',
  summary: 'vendor-specific CDBs (0xC0-0xFF) reach a SAS HBA dext; the drive answers some and rejects others with ILLEGAL REQUEST',
  producer: SAS_HBA_DEXT_PRODUCER,
  details: [
    'A DriverKit capture of a SAS HBA dext (IT mode: CDBs pass through to the drive), with a SAS',
    "SSD behind it. An SSD vendor's tool sends 16-byte vendor-specific CDBs, as its",
    'SCSIPeripheralsDriverKit peripheral driver can with UserSendCDB; every one reaches the HBA',
    "dext's UserProcessParallelTask, which passes it on like any other task (its IOVM range and",
    "SGL recorded). The drive's firmware answers: 0xE0 (read firmware version) and 0xD8 (read",
    "flash ID) complete GOOD with data; 0xC0 and 0xFF are not this product's opcodes: CHECK",
    'CONDITION, ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20/00); 0xE4 names a register',
    'this drive lacks: INVALID FIELD IN CDB (24/00) with a field pointer at CDB byte 2. The tool',
    'retries a rejected command twice. INQUIRY / VPD 0x80 / TEST UNIT READY and ordinary reads and',
    'writes of the volume carry on around them.',
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
    const blockBytes = 512;
    const capacityBlocks = 3_750_748_848; // 1.92 TB
    const ssdLatency = (bytes: number, write: boolean) => rng.lognormal(write ? 30_000 : 80_000, 0.3) + bytes / 1.1;
    const background = (count: number) =>
      randomIo(sim, scatter, {
        dma,
        count,
        queueDepth: 8,
        blockBytes,
        lbaRange: [0x800, capacityBlocks - 0x800],
        readFraction: 0.8,
        limits: { maxSegments: d.IOMaximumSegmentCountWrite, maxSegmentBytes: d.IOMaximumSegmentByteCountWrite },
        policy: { highProbability: 0, straddleProbability: 0, memoryTop: 0 },
        think: [50_000, 2_000_000],
        latency: ssdLatency,
      });
    const inquiryNote = (id: number) => sim.note('INQUIRY data: type=0x00 vendor="EXAMPLE" product="SAS SSD 1.92TB" revision="E120"', id);

    w.constraints(sim.now, { ...d });
    sim.wait(rng.int(200_000, 800_000));
    // The system's own view of the drive, at attach.
    runOne(sim, cdb.reportLuns(0x208), 0x208, 16);
    runOne(sim, cdb.inquiry(36), 36, 36, { onComplete: inquiryNote });
    runOne(sim, cdb.testUnitReady(), 0, 0);
    runOne(sim, cdb.readCapacity10(), 8, 8, {
      onComplete: (id) => dataNote(sim, id, 'READ CAPACITY(10)', { 'returned-lba': capacityBlocks - 1, 'block-length': blockBytes }),
    });
    runOne(sim, cdb.modeSense10(0x08, 0x00, 255), 255, 28, { onComplete: (id) => sim.note('MODE SENSE(10) caching page: WCE=0 RCD=0', id) });
    background(12);
    sim.waitIdle();
    sim.wait(rng.int(800_000_000, 1_500_000_000));

    // The vendor tool, through its peripheral driver: the CDBs reach this dext like any other.
    runOne(sim, cdb.inquiry(96), 96, 96, { onComplete: inquiryNote });
    runOne(sim, cdb.inquiry(255, 0x80), 255, 24);
    runOne(sim, cdb.testUnitReady(), 0, 0);
    for (const v of VENDOR_COMMANDS) {
      const attempts = v.answer === 'data' ? 1 : 3;
      for (let attempt = 0; attempt < attempts; attempt++) {
        const outcome =
          v.answer === 'data'
            ? { bytesTransferred: v.bytes }
            : {
                status: SamStatus.CheckCondition,
                bytesTransferred: 0,
                sense:
                  v.answer === 'invalid-opcode'
                    ? fixedSense(SenseKey.IllegalRequest, Asc.InvalidOpcode)
                    : fixedSense(SenseKey.IllegalRequest, Asc.InvalidFieldInCdb, { fieldPointer: { cdb: true, byte: 2 } }),
              };
        sim.submit({
          cdb: cdb.vendorSpecific(v.opcode, 16, v.payload),
          direction: v.direction,
          requestedBytes: v.bytes,
          timeoutMs: Timeout.inquiry,
          latencyNs: rng.lognormal(v.answer === 'data' ? 180_000 : 40_000, 0.3),
          outcome,
        });
        sim.waitIdle();
        sim.wait(rng.int(90_000_000, 130_000_000) * (attempt + 1));
      }
      background(rng.int(1, 4));
      sim.waitIdle();
    }
    sim.wait(rng.int(200_000_000, 500_000_000));
    background(10);
    sim.finish();
  },
};
