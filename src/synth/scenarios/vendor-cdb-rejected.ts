import { DataDirection, DeliveryStatus, ServiceResponse } from '../../model/events.js';
import * as cdb from '../cdb.js';
import { dataNote, runOne, Timeout } from '../device.js';
import { PageScatter } from '../memory.js';
import { Prng } from '../prng.js';
import type { Scenario } from '../scenario.js';
import { Sim } from '../sim.js';
import { randomIo } from '../workload.js';

/** kIOReturnNotPrivileged: iokit_common_err(0x2c1). */
export const K_IO_RETURN_NOT_PRIVILEGED = 0xe00002c1;

/** What a vendor's update tool tries: 16-byte vendor CDBs, as UserSendCDB takes them. */
const VENDOR_COMMANDS: ReadonlyArray<{ opcode: number; what: string; direction: DataDirection; bytes: number; payload: number[] }> = [
  { opcode: 0xe0, what: 'read bridge firmware version', direction: DataDirection.FromDevice, bytes: 512, payload: [0x01, 0x00, 0x00, 0x00, 0x02] },
  { opcode: 0xe4, what: 'read bridge register', direction: DataDirection.FromDevice, bytes: 4, payload: [0x00, 0x00, 0x07, 0x10] },
  { opcode: 0xc0, what: 'enter firmware update mode', direction: DataDirection.None, bytes: 0, payload: [0x5a, 0xa5] },
  { opcode: 0xd8, what: 'read flash ID', direction: DataDirection.FromDevice, bytes: 8, payload: [0x9f] },
  { opcode: 0xff, what: 'vendor diagnostic', direction: DataDirection.FromDevice, bytes: 64, payload: [0x26, 0x00, 0x00, 0x00, 0x40] },
];

export const vendorCdbRejected: Scenario = {
  name: 'vendor-cdb-rejected',
  summary: 'vendor-specific CDBs (0xC0-0xFF) refused by DriverKit UserSendCDB while INQUIRY works',
  details: [
    'A USB SSD bridge driven by a SCSIPeripheralsDriverKit Type00 DEXT, which logs every CDB it',
    'passes to UserSendCDB. The vendor tool\'s INQUIRY / VPD 0x80 / TEST UNIT READY succeed.',
    'Its 16-byte vendor-specific CDBs (0xE0, 0xE4, 0xC0, 0xD8, 0xFF, each retried twice) are',
    'refused by the framework before reaching the device: modelled as a completion with',
    'SERVICE_DELIVERY_OR_TARGET_FAILURE / DELIVERY_FAILURE (0x05), no data, no sense, and a',
    'note on the task: "UserSendCDB returned 0xe00002c1 (kIOReturnNotPrivileged) ...".',
    'Ordinary macOS reads of the volume continue around them.',
  ],
  generate(w, o) {
    const rng = new Prng(o.seed);
    const sim = new Sim(w, rng, { startNs: 1_000_000 });
    const scatter = new PageScatter(rng.fork(0x5ca7));
    const blockBytes = 512;
    const capacityBlocks = 1_953_525_168; // 1 TB
    const usbLatency = (bytes: number, write: boolean) => rng.lognormal(write ? 140_000 : 180_000, 0.3) + bytes / 0.4;
    const background = (count: number) =>
      randomIo(sim, scatter, {
        count,
        queueDepth: 4,
        blockBytes,
        lbaRange: [0x800, capacityBlocks - 0x800],
        readFraction: 0.9,
        limits: { maxSegments: 256, maxSegmentBytes: 0x10000 },
        policy: { highProbability: 0.6, straddleProbability: 0, memoryTop: 16 * 2 ** 30 },
        think: [50_000, 2_000_000],
        latency: usbLatency,
      });

    // The system's own view of the disk, at attach.
    runOne(sim, cdb.inquiry(36), 36, 36, {
      onComplete: (id) => sim.note('INQUIRY data: type=0x00 vendor="JMicron" product="Tech" revision="0214"', id),
    });
    runOne(sim, cdb.testUnitReady(), 0, 0);
    runOne(sim, cdb.readCapacity10(), 8, 8, {
      onComplete: (id) => dataNote(sim, id, 'READ CAPACITY(10)', { 'returned-lba': capacityBlocks - 1, 'block-length': blockBytes }),
    });
    runOne(sim, cdb.modeSense6(0x08, 0xc0), 0xc0, 24, {
      onComplete: (id) => sim.note('MODE SENSE(6) caching page: WCE=0 RCD=0', id),
    });
    background(12);
    sim.waitIdle();
    sim.wait(rng.int(800_000_000, 1_500_000_000));

    // The vendor tool, through the DEXT's user client and UserSendCDB.
    runOne(sim, cdb.inquiry(96), 96, 96, {
      onComplete: (id) => sim.note('INQUIRY data: type=0x00 vendor="JMicron" product="Tech" revision="0214"', id),
    });
    runOne(sim, cdb.inquiry(255, 0x80), 255, 24);
    runOne(sim, cdb.testUnitReady(), 0, 0);
    for (const v of VENDOR_COMMANDS) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const c = cdb.vendorSpecific(v.opcode, 16, v.payload);
        sim.submit({
          cdb: c,
          direction: v.direction,
          requestedBytes: v.bytes,
          timeoutMs: Timeout.inquiry,
          latencyNs: rng.int(5_000, 14_000),
          outcome: { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: DeliveryStatus.DeliveryFailure, bytesTransferred: 0 },
          onComplete: (taskId) =>
            sim.note(
              `UserSendCDB returned 0x${K_IO_RETURN_NOT_PRIVILEGED.toString(16)} (kIOReturnNotPrivileged): SCSIPeripheralsDriverKit refuses vendor-specific operation code 0x${v.opcode.toString(16)} (${v.what}); the CDB never reached the device`,
              taskId,
            ),
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
