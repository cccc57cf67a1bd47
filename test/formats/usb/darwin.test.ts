import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../../src/formats/index.js';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { UsbTransfer } from '../../../src/formats/pcap/link.js';
import { parseUsbDarwin } from '../../../src/formats/usb/darwin.js';
import { HbaEventKind, ServiceResponse } from '../../../src/model/events.js';
import { taskJson } from '../../../src/report/task-view.js';
import { runScsitrace } from '../../helpers/cli.js';
import { cbw, csw, fixedSense, pcapFile, pcapngFile, tasksOf, uasCommand, uasSense, type Packet } from '../../helpers/pcap.js';
import { CDB, DarwinEndpoint, DarwinHost, IOReturn, darwinBotCapture, darwinPacket, darwinUasCapture, setup } from '../../helpers/usb-darwin.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DARWIN = 266;

function urbOf(bytes: Uint8Array) {
  const r = parseUsbDarwin(bytes, bytes.length);
  if (!('urb' in r)) throw new Error(r.problem);
  return r.urb;
}

describe('the Darwin USB header', () => {
  it('is read at the offsets Wireshark reads (little-endian, bus from the locationID)', () => {
    const bytes = darwinPacket({
      id: 0x1122334455667788n,
      submit: false,
      location: 0x1a110000,
      speed: 3,
      device: 7,
      endpoint: 0x81,
      type: DarwinEndpoint.Bulk,
      status: 0,
      length: 13,
      data: csw(9, 0, 0),
    });
    // hex: version | len | type | ioLength | status | frames | ioID | location | speed dev ep type
    expect(Buffer.from(bytes.subarray(0, 32)).toString('hex')).toBe(
      '0001' + '20' + '01' + '0d000000' + '00000000' + '00000000' + '8877665544332211' + '0000111a' + '03' + '07' + '81' + '02',
    );
    expect(urbOf(bytes)).toMatchObject({
      urbId: 0x1122334455667788n,
      submit: false,
      bus: 0x1a,
      device: 7,
      endpoint: 0x81,
      transfer: UsbTransfer.Bulk,
      status: 0,
      length: 13,
    });
    expect(urbOf(bytes).data).toEqual(csw(9, 0, 0));
  });

  it('splits the setup packet off a control submission, and maps every endpoint type', () => {
    const s = setup(0x80, 6, 0x0200, 0, 64);
    const u = urbOf(darwinPacket({ id: 1n, submit: true, endpoint: 0x80, type: DarwinEndpoint.Control, length: 64, data: s }));
    expect(u.transfer).toBe(UsbTransfer.Control);
    expect(u.setup).toEqual(s);
    expect(u.data.length).toBe(0);
    expect([0, 1, 2, 3].map((type) => urbOf(darwinPacket({ id: 1n, submit: true, endpoint: 1, type, length: 0 })).transfer)).toEqual([
      UsbTransfer.Control,
      UsbTransfer.Isochronous,
      UsbTransfer.Bulk,
      UsbTransfer.Interrupt,
    ]);
  });

  it('finds the data at the header length a later version declares, and never past ioLength', () => {
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const longer = darwinPacket({ id: 1n, submit: false, endpoint: 0x81, type: DarwinEndpoint.Bulk, length: 4, data, headerLength: 40, version: 0x0110 });
    expect(urbOf(longer).data).toEqual(Uint8Array.of(1, 2, 3, 4));
  });

  it('counts a short transfer (kIOReturnUnderrun) as success, keeps other statuses', () => {
    expect(urbOf(darwinPacket({ id: 1n, submit: false, endpoint: 0x81, type: 2, length: 5, status: IOReturn.Underrun })).status).toBe(0);
    expect(urbOf(darwinPacket({ id: 1n, submit: false, endpoint: 0x81, type: 2, length: 0, status: IOReturn.PipeStalled })).status).toBe(IOReturn.PipeStalled);
  });

  it.each([
    ['a header cut short', darwinPacket({ id: 1n, submit: true, endpoint: 2, type: 2, length: 0 }).subarray(0, 20), /cut short: 20 of 32/],
    ['an unknown major version', darwinPacket({ id: 1n, submit: true, endpoint: 2, type: 2, length: 0, version: 0x0200 }), /version 0x0200/],
    ['a header length below 32', darwinPacket({ id: 1n, submit: true, endpoint: 2, type: 2, length: 0, headerLength: 28 }), /length 28 is below/],
    [
      'a header length past the packet',
      (() => {
        const b = darwinPacket({ id: 1n, submit: true, endpoint: 2, type: 2, length: 0 });
        b[2] = 200;
        return b;
      })(),
      /length 200 exceeds the 32-byte packet/,
    ],
    [
      'an unknown request type',
      (() => {
        const b = darwinPacket({ id: 1n, submit: true, endpoint: 2, type: 2, length: 0 });
        b[3] = 7;
        return b;
      })(),
      /request type 7/,
    ],
    ['an unknown endpoint type', darwinPacket({ id: 1n, submit: true, endpoint: 2, type: 9, length: 0 }), /endpoint type 9/],
  ])('names what is wrong with %s', (_, bytes, message) => {
    const r = parseUsbDarwin(bytes, bytes.length);
    expect('problem' in r && r.problem).toMatch(message);
  });

  it('takes a header longer than what the snap length kept as capture loss, not damage', () => {
    const b = darwinPacket({ id: 1n, submit: false, endpoint: 0x81, type: 2, length: 512, data: new Uint8Array(512), headerLength: 48 });
    expect('urb' in parseUsbDarwin(b.subarray(0, 40), b.length)).toBe(true);
    expect('problem' in parseUsbDarwin(b.subarray(0, 40), 40)).toBe(true);
  });
});

describe('USB mass storage in LINKTYPE_USB_DARWIN captures', () => {
  it('is detected from content in pcap and pcapng', () => {
    expect(sniffFormat(pcapFile(darwinUasCapture(), { linkType: DARWIN }))?.id).toBe('pcap');
    expect(sniffFormat(pcapngFile(darwinBotCapture(), { interfaces: [{ linkType: DARWIN }] }))?.id).toBe('pcapng');
  });

  it('reads Bulk-Only commands with data, residue, REQUEST SENSE, a stalled data phase, a phase error and an aborted read', () => {
    const events = decodeCapture(pcapngFile(darwinBotCapture(), { interfaces: [{ linkType: DARWIN }] }));
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const tasks = tasksOf(events).map((t) => taskJson(t));
    const byTag = new Map(tasks.map((t) => [t.tag, t]));
    expect(tasks).toHaveLength(27);
    // The keyboard's interrupt transfers are not a storage device.
    expect(new Set(tasks.map((t) => t.target))).toEqual(new Set([0]));
    expect(byTag.get(0x1002)).toMatchObject({ command: 'TEST UNIT READY', statusCode: 2, sense: { key: 6, asc: 0x29, ascq: 0 } });
    expect(byTag.get(0x1005)).toMatchObject({ lun: 1, statusCode: 2, sense: { key: 2, asc: 0x3a } });
    expect(byTag.get(0x1009)).toMatchObject({ command: 'MODE SENSE(6)', bytesTransferred: 4, residual: 188 });
    // The INQUIRY whose data phase stalled: no data, all of it residue, sense from the next command.
    expect(byTag.get(0x100a)).toMatchObject({ bytesTransferred: 0, statusCode: 2, sense: { key: 5, asc: 0x24 } });
    expect(byTag.get(0x100d)).toMatchObject({ command: 'READ(10)', lba: 0, bytesTransferred: 4096, statusCode: 0 });
    expect(byTag.get(0x1012)).toMatchObject({ command: 'WRITE(10)', bytesTransferred: 1024, statusCode: 0 });
    expect(byTag.get(0x1016)).toMatchObject({ command: 'WRITE(10)', serviceResponse: 'SERVICE DELIVERY OR TARGET FAILURE' });
    expect(byTag.get(0x1018)).toMatchObject({ command: 'READ(10)', completed: false });
    expect(byTag.get(0x1017)).toMatchObject({ lun: 1, bytesTransferred: 512, latencyNs: 290_000 });
  });

  it('reads UAS with READ/WRITE READY, Sense IUs, a stalled data-in pipe, a Response IU and ABORT TASK', () => {
    const events = decodeCapture(pcapFile(darwinUasCapture(), { linkType: DARWIN }));
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const tasks = tasksOf(events).map((t) => taskJson(t));
    const byTag = new Map(tasks.map((t) => [t.tag, t]));
    expect(byTag.get(3)).toMatchObject({ statusCode: 2, sense: { key: 6, asc: 0x29 } });
    expect(byTag.get(8)).toMatchObject({ command: 'READ(10)', bytesTransferred: 8192 });
    expect(byTag.get(11)).toMatchObject({ command: 'WRITE(10)', bytesTransferred: 2048 });
    // Two in flight, served out of order: each gets its own data.
    expect(byTag.get(12)).toMatchObject({ command: 'READ(10)', bytesTransferred: 1024 });
    expect(byTag.get(13)).toMatchObject({ command: 'READ(16)', bytesTransferred: 512 });
    expect(byTag.get(14)).toMatchObject({ statusCode: 2, bytesTransferred: 0, sense: { key: 3, asc: 0x11 } });
    expect(byTag.get(15)).toMatchObject({ serviceResponse: 'SERVICE DELIVERY OR TARGET FAILURE' });
    expect(byTag.get(16)).toMatchObject({ completed: false });
    const aborts = events.filter((e) => e.kind === 'hba' && e.hbaKind === HbaEventKind.TaskAbort);
    expect(
      aborts.map(
        (e) => e.kind === 'hba' && [e.phase, e.taskId === (byTag.get(16)!.taskId as unknown as bigint) || Number(e.taskId) === byTag.get(16)!.taskId, e.status],
      ),
    ).toEqual([
      [1, true, 0],
      [2, true, 0],
    ]);
  });

  it('keeps devices on two controllers apart by the bus in their locationID', () => {
    const a = new DarwinHost({ address: 3, location: 0x14200000, speed: 3 });
    const b = new DarwinHost({ address: 3, location: 0x00100000, speed: 3 }, 0x5000n);
    for (const h of [a, b]) {
      h.bulkOut(0x02, cbw(1, 0, false, CDB.testUnitReady));
      h.bulkIn(0x81, 13, csw(1, 0, h === b ? 1 : 0));
    }
    b.timeNs += 1;
    const packets: Packet[] = [...a.packets, ...b.packets].sort((x, y) => x.timeNs - y.timeNs);
    const tasks = tasksOf(decodeCapture(pcapFile(packets, { linkType: DARWIN })));
    expect(tasks.map((t) => [t.submit.targetId, t.complete?.status])).toEqual([
      [0n, 0],
      [1n, 2],
    ]);
  });

  it('reads UAS with streams (data submitted before the Command IU), as a SuperSpeed UAS host does', () => {
    const h = new DarwinHost({ address: 4, location: 0x01100000, speed: 3 });
    const status = h.newId();
    const data = h.newId();
    h.submit(status, 0x82, DarwinEndpoint.Bulk, 112);
    h.submit(data, 0x83, DarwinEndpoint.Bulk, 4096);
    h.bulkOut(0x01, uasCommand(1, CDB.read10(0, 8)));
    h.complete(data, 0x83, DarwinEndpoint.Bulk, 4096, { data: new Uint8Array(4096) });
    h.complete(status, 0x82, DarwinEndpoint.Bulk, 16, { data: uasSense(1, 0) });
    const [t] = tasksOf(decodeCapture(pcapFile(h.packets, { linkType: DARWIN })));
    expect(t?.complete).toMatchObject({ serviceResponse: ServiceResponse.TaskComplete, status: 0, bytesTransferred: 4096 });
  });

  it('reports a damaged header at its byte offset, reads the packets around it, and exits 2', async () => {
    const packets = darwinBotCapture().slice(0, 40);
    const bad = Uint8Array.from(packets[20]!.data);
    bad[2] = 12; // header length
    packets[20] = { ...packets[20]!, data: bad };
    const bytes = pcapFile(packets, { linkType: DARWIN });
    const events = decodeCapture(bytes);
    const diagnostics = events.filter((e) => e.kind === 'diagnostic');
    const offset = 24 + packets.slice(0, 20).reduce((n, p) => n + 16 + p.data.length, 0);
    expect(diagnostics.map((e) => e.kind === 'diagnostic' && e.message)).toEqual([
      `at byte 0x${offset.toString(16)} (packet 21): Darwin USB header length 12 is below the 32 bytes of version 1.0; packet skipped`,
    ]);
    expect(tasksOf(events).filter((t) => t.complete).length).toBeGreaterThan(3);
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-darwin-'));
    writeFileSync(join(dir, 'bad.pcap'), bytes);
    const r = await runScsitrace('decode', join(dir, 'bad.pcap'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`at byte 0x${offset.toString(16)} (packet 21): Darwin USB header length 12`);
  });

  it('sees the sense a REQUEST SENSE returns through the Darwin adapter (BOT)', () => {
    const h = new DarwinHost({ address: 3, location: 0x14200000, speed: 3 });
    h.bulkOut(0x02, cbw(1, 0, false, CDB.testUnitReady));
    h.bulkIn(0x81, 13, csw(1, 0, 1));
    h.bulkOut(0x02, cbw(2, 18, true, CDB.requestSense(18)));
    h.bulkIn(0x81, 18, Uint8Array.from(fixedSense(2, 0x04, 0x01)));
    h.bulkIn(0x81, 13, csw(2, 0, 0));
    const [failed] = tasksOf(decodeCapture(pcapFile(h.packets, { linkType: DARWIN })))
      .map((t) => taskJson(t))
      .filter((t) => t.tag === 1);
    expect(failed).toMatchObject({ statusCode: 2, sense: { key: 2, asc: 4, ascq: 1 } });
  });
});
