import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../../src/formats/index.js';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { UsbTransfer } from '../../../src/formats/pcap/link.js';
import { DarwinUsbHeader, parseUsbDarwin, readDarwinIsoFrames, type DarwinIsoFrameHeader } from '../../../src/formats/usb/darwin.js';
import { HbaEventKind, ServiceResponse } from '../../../src/model/events.js';
import { taskJson } from '../../../src/report/task-view.js';
import { runScsitrace } from '../../helpers/cli.js';
import { cbw, csw, fixedSense, pcapFile, pcapngFile, tasksOf, uasCommand, uasSense, type Packet } from '../../helpers/pcap.js';
import { CDB, DarwinEndpoint, DarwinHost, IOReturn, darwinBotCapture, darwinPacket, darwinUasCapture, setup } from '../../helpers/usb-darwin.js';
import { packetsByFrame, tsharkAvailable } from '../pcap/oracle.js';
import { execFileSync } from 'node:child_process';
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

describe('isochronous frames in the Darwin header', () => {
  const iso = (submit: boolean, frames: Parameters<typeof darwinPacket>[0]['isoFrames'], frameCount?: number) =>
    darwinPacket({
      id: 9n,
      submit,
      endpoint: 0x83,
      type: DarwinEndpoint.Isochronous,
      length: 0,
      isoFrames: frames!,
      ...(frameCount !== undefined ? { frameCount } : {}),
    });
  const frames = (b: Uint8Array, submit: boolean) => readDarwinIsoFrames(b, 32, new DataView(b.buffer, b.byteOffset).getUint32(12, true), !submit, false);

  it('reads the frame headers of a submission and, with each frame data and 4-byte padding, of a completion', () => {
    expect(
      frames(
        iso(true, [
          { length: 192, frameNumber: 0x10n },
          { length: 192, frameNumber: 0x11n },
        ]),
        true,
      ),
    ).toEqual([
      { at: 32, headerLength: 28, frameLength: 192, frameNumber: 0x10n },
      { at: 60, headerLength: 28, frameLength: 192, frameNumber: 0x11n },
    ]);
    const done = iso(false, [
      { length: 3, frameNumber: 0x10n, timestamp: 7n, data: Uint8Array.of(1, 2, 3) },
      { length: 0, frameNumber: 0x11n, status: IOReturn.Underrun, timestamp: 8n, data: new Uint8Array(0) },
    ]);
    expect(frames(done, false)).toEqual([
      { at: 32, headerLength: 28, frameLength: 3, frameNumber: 0x10n, status: 0, timestamp: 7n },
      { at: 64, headerLength: 28, frameLength: 0, frameNumber: 0x11n, status: IOReturn.Underrun, timestamp: 8n },
    ]);
    // Read, checked, and not handed on: no mass-storage protocol uses isochronous endpoints.
    expect(urbOf(done)).toMatchObject({ transfer: UsbTransfer.Isochronous, data: new Uint8Array(0) });
  });

  it.each([
    [
      'a frame count more than the packet holds',
      iso(true, [{ length: 192, frameNumber: 1n }], 3),
      /frame 1 of 3: its header at packet byte 60 needs 20 bytes, the 60-byte packet has 0/,
    ],
    [
      'a frame header length below 20',
      iso(true, [{ length: 192, frameNumber: 1n, headerLength: 12 }]),
      /frame 0 at packet byte 32: header length 12 is below 20/,
    ],
    [
      'a frame header length past the packet',
      iso(true, [{ length: 192, frameNumber: 1n, headerLength: 0x1000 }]),
      /frame 0 at packet byte 32: its 4096-byte header run past the 60-byte packet/,
    ],
    [
      'frame data past the packet',
      iso(false, [{ length: 500, frameNumber: 1n, data: new Uint8Array(100) }]),
      /frame 0 at packet byte 32: its 28-byte header and 500 bytes of data run past the 160-byte packet/,
    ],
  ])('names %s', (_, bytes, message) => {
    const r = parseUsbDarwin(bytes, bytes.length);
    expect('problem' in r && r.problem).toMatch(message);
  });

  it('reads no frame the snap length cut as damage', () => {
    const b = iso(false, [
      { length: 192, frameNumber: 1n, data: new Uint8Array(192) },
      { length: 192, frameNumber: 2n, data: new Uint8Array(192) },
    ]);
    const cut = b.subarray(0, 100);
    expect('urb' in parseUsbDarwin(cut, b.length)).toBe(true);
    expect('problem' in parseUsbDarwin(cut, cut.length)).toBe(true);
  });

  it('reports a damaged isochronous packet at its byte offset and reads on', () => {
    const packets = darwinBotCapture();
    const i = packets.findIndex((p) => p.data[DarwinUsbHeader.endpointType] === DarwinEndpoint.Isochronous && p.data[DarwinUsbHeader.requestType] === 1);
    const bad = Uint8Array.from(packets[i]!.data);
    bad[DarwinUsbHeader.ioFrameCount] = 200; // 200 frames in a 4-frame packet
    packets[i] = { ...packets[i]!, data: bad };
    const events = decodeCapture(pcapFile(packets, { linkType: DARWIN }));
    const offset = 24 + packets.slice(0, i).reduce((n, p) => n + 16 + p.data.length, 0);
    expect(events.filter((e) => e.kind === 'diagnostic').map((e) => e.kind === 'diagnostic' && e.message)).toEqual([
      `at byte 0x${offset.toString(16)} (packet ${i + 1}): Darwin USB isochronous frame 4 of 200: its header at packet byte ${bad.length} needs 20 bytes, the ${bad.length}-byte packet has 0; packet skipped`,
    ]);
    expect(tasksOf(events)).toHaveLength(27);
  });

  it('agrees with tshark on the frame count, device speed and every frame header of traces/usb-darwin-bot.pcapng', () => {
    if (!tsharkAvailable()) return; // CI=true makes a missing tshark an error
    const path = 'traces/usb-darwin-bot.pcapng';
    const fields = [
      'frame.number',
      'usb.darwin.io_frame_count',
      'usb.darwin_device_speed',
      'usb.darwin.iso.frame_number',
      'usb.iso.iso_len',
      'usb.darwin.iso.status',
      'usb.darwin.iso.timestamp',
    ];
    const text = execFileSync(
      'tshark',
      ['-r', path, '-Y', 'usb.darwin.endpoint_type == 1', '-T', 'fields', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const theirs = text.trim().split('\n');
    const packets = packetsByFrame(path);
    const hex = (n: bigint | number | undefined, width: number) => (n === undefined ? '' : `0x${n.toString(16).padStart(width, '0')}`);
    const ours = [...packets]
      .filter(([, p]) => p.data[DarwinUsbHeader.endpointType] === DarwinEndpoint.Isochronous)
      .map(([frame, p]) => {
        const count = new DataView(p.data.buffer, p.data.byteOffset).getUint32(DarwinUsbHeader.ioFrameCount, true);
        const complete = p.data[DarwinUsbHeader.requestType] === 1;
        const f = readDarwinIsoFrames(p.data, p.data[DarwinUsbHeader.headerLength]!, count, complete, false);
        if (typeof f === 'string') throw new Error(f);
        const list = (pick: (x: DarwinIsoFrameHeader) => string) => f.map(pick).join(',');
        return [
          frame,
          count,
          p.data[DarwinUsbHeader.speed],
          list((x) => hex(x.frameNumber, 16)),
          list((x) => String(x.frameLength)),
          complete ? list((x) => hex(x.status, 8)) : '',
          complete ? list((x) => hex(x.timestamp, 16)) : '',
        ].join('\t');
      });
    expect(ours).toHaveLength(4);
    expect(ours).toEqual(theirs);
    console.log(
      `usb-darwin-bot isochronous packets vs live tshark: ${ours.length} of ${theirs.length} agree (frame count, device speed, ${ours.length * 4} frame headers)`,
    );
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
