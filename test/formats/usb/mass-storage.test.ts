import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { DataDirection, HbaEventKind, HbaEventPhase, ServiceResponse } from '../../../src/model/events.js';
import { taskJson } from '../../../src/report/task-view.js';
import { cbw, csw, fixedSense, pcapFile, tasksOf, uasCommand, uasReady, uasSense, usbmon, usbpcap, type Packet, type Urb } from '../../helpers/pcap.js';

const READ10 = (lba: number, n: number) => [0x28, 0, 0, 0, (lba >> 8) & 255, lba & 255, 0, 0, n, 0];
const WRITE10 = (lba: number, n: number) => [0x2a, 0, 0, 0, (lba >> 8) & 255, lba & 255, 0, 0, n, 0];
const TUR = [0, 0, 0, 0, 0, 0];
const REQUEST_SENSE = [3, 0, 0, 0, 18, 0];

/** URB events in order, 100 µs apart, as one link type. */
function capture(urbs: Urb[], linkType: 189 | 220 | 249 = 220): Uint8Array {
  const packets: Packet[] = urbs.map((u, i) => ({ timeNs: i * 100_000, data: linkType === 249 ? usbpcap(u) : usbmon(u, linkType === 220) }));
  return pcapFile(packets, { linkType });
}

let nextId = 1n;
/** A bulk transfer: submission then completion. Data rides on the submit (OUT) or completion (IN). */
function bulk(endpoint: number, data: Uint8Array, o: { device?: number; status?: number } = {}): Urb[] {
  const id = nextId++;
  const dev = o.device ?? 2;
  if (endpoint & 0x80)
    return [
      { id, submit: true, endpoint, device: dev, length: data.length },
      { id, submit: false, endpoint, device: dev, length: data.length, data, status: o.status ?? 0 },
    ];
  return [
    { id, submit: true, endpoint, device: dev, length: data.length, data },
    { id, submit: false, endpoint, device: dev, length: data.length, status: o.status ?? 0 },
  ];
}

/** One BOT command: CBW on 0x02, data, CSW on 0x81. */
function bot(
  tag: number,
  cdb: number[],
  o: { inData?: Uint8Array; outData?: Uint8Array; expected?: number; residue?: number; status?: number; device?: number } = {},
): Urb[] {
  const expected = o.expected ?? o.inData?.length ?? o.outData?.length ?? 0;
  const dev = o.device !== undefined ? { device: o.device } : {};
  return [
    ...bulk(0x02, cbw(tag, expected, o.inData !== undefined, cdb), dev),
    ...(o.inData ? bulk(0x81, o.inData, dev) : []),
    ...(o.outData ? bulk(0x02, o.outData, dev) : []),
    ...bulk(0x81, csw(tag, o.residue ?? 0, o.status ?? 0), dev),
  ];
}

describe('USB Bulk-Only Transport', () => {
  it.each([189, 220, 249] as const)('decodes CBW → data → CSW on link type %i', (linkType) => {
    const urbs = [...bot(1, READ10(8, 2), { inData: new Uint8Array(1024) }), ...bot(2, WRITE10(9, 1), { outData: new Uint8Array(512) }), ...bot(3, TUR)];
    const events = decodeCapture(capture(urbs, linkType));
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const j = tasksOf(events).map((t) => taskJson(t));
    expect(j.map((t) => [t.command, t.lba, t.transferLength, t.statusCode, t.bytesTransferred, t.direction, t.tag])).toEqual([
      ['READ(10)', 8, 2, 0, 1024, 'from-device', 1],
      ['WRITE(10)', 9, 1, 0, 512, 'to-device', 2],
      ['TEST UNIT READY', null, null, 0, 0, 'none', 3],
    ]);
    expect(j[0]!.latencyNs).toBe(500_000);
  });

  it('attaches the sense of the following REQUEST SENSE to a failed command', () => {
    const sense = Uint8Array.from(fixedSense(2, 0x3a, 0x00));
    const urbs = [...bot(7, TUR, { status: 1 }), ...bot(8, REQUEST_SENSE, { inData: sense, expected: 18 }), ...bot(9, TUR)];
    const tasks = tasksOf(decodeCapture(capture(urbs)));
    const failed = tasks.find((t) => t.submit.tag === 7n)!;
    expect(failed.complete).toMatchObject({ serviceResponse: ServiceResponse.TaskComplete, status: 2 });
    expect(taskJson(failed).sense).toMatchObject({ key: 2, asc: 0x3a, ascq: 0 });
    // Its latency is the device's: CBW to CSW, not to the REQUEST SENSE.
    expect(failed.latencyNs).toBe(300_000);
    const rs = tasks.find((t) => t.submit.tag === 8n)!;
    expect(rs.complete).toMatchObject({ status: 0, sense: new Uint8Array(0), bytesTransferred: 18 });
  });

  it('completes a failed command without sense when no REQUEST SENSE follows', () => {
    const tasks = tasksOf(decodeCapture(capture([...bot(1, TUR, { status: 1 }), ...bot(2, TUR)])));
    expect(tasks.map((t) => [Number(t.submit.tag), t.complete?.status, t.complete?.sense.length])).toEqual([
      [1, 2, 0],
      [2, 0, 0],
    ]);
  });

  it('keeps commands apart when the host reuses one tag (as SeaBIOS does)', () => {
    const urbs = [
      ...bot(999, TUR, { status: 1 }),
      ...bot(999, REQUEST_SENSE, { inData: Uint8Array.from(fixedSense(6, 0x29, 0)), expected: 18 }),
      ...bot(999, TUR),
    ];
    const tasks = tasksOf(decodeCapture(capture(urbs)));
    expect(tasks).toHaveLength(3);
    expect(tasks.every((t) => t.complete)).toBe(true);
    expect(new Set(tasks.map((t) => t.submit.taskId)).size).toBe(3);
  });

  it('reports data residue and phase error', () => {
    const urbs = [...bot(1, [0x12, 0, 0, 0, 96, 0], { inData: new Uint8Array(36), expected: 96, residue: 60 }), ...bot(2, TUR, { status: 2 })];
    const [inq, phase] = tasksOf(decodeCapture(capture(urbs)));
    expect(inq!.complete).toMatchObject({ bytesTransferred: 36, residual: 60, residualFlags: 1 });
    expect(phase!.complete!.serviceResponse).toBe(ServiceResponse.ServiceDeliveryOrTargetFailure);
  });

  it('tells devices on the same bus apart', () => {
    const urbs = [...bot(1, TUR, { device: 2 }), ...bot(1, TUR, { device: 3, status: 1 })];
    const tasks = tasksOf(decodeCapture(capture(urbs)));
    expect(tasks.map((t) => [t.submit.targetId, t.complete?.status])).toEqual([
      [0n, 0],
      [1n, 2],
    ]);
  });
});

describe('USB Attached SCSI', () => {
  // Pipes as the UAS interface lays them out: command OUT 0x01, status IN 0x82, data-in IN
  // 0x83, data-out OUT 0x04.
  it('matches Command IUs to Sense IUs by tag, with data tied by submission order (streams)', () => {
    const sense = fixedSense(5, 0x24, 0);
    const urbs: Urb[] = [
      // Linux uas with streams: status URB, data URB, then the Command IU, for each command.
      { id: 1n, submit: true, endpoint: 0x82, length: 112 },
      { id: 2n, submit: true, endpoint: 0x83, length: 4096 },
      { id: 3n, submit: true, endpoint: 0x01, length: 32, data: uasCommand(1, READ10(0, 8)) },
      { id: 4n, submit: true, endpoint: 0x82, length: 112 },
      { id: 5n, submit: true, endpoint: 0x04, length: 512, data: new Uint8Array(512) },
      { id: 6n, submit: true, endpoint: 0x01, length: 32, data: uasCommand(2, WRITE10(4, 1)) },
      { id: 7n, submit: true, endpoint: 0x82, length: 112 },
      { id: 8n, submit: true, endpoint: 0x01, length: 32, data: uasCommand(3, [0x1a, 0, 0x3f, 0, 4, 0]) },
      { id: 3n, submit: false, endpoint: 0x01, length: 32 },
      { id: 6n, submit: false, endpoint: 0x01, length: 32 },
      { id: 8n, submit: false, endpoint: 0x01, length: 32 },
      { id: 5n, submit: false, endpoint: 0x04, length: 512 },
      { id: 2n, submit: false, endpoint: 0x83, length: 4096, data: new Uint8Array(4096) },
      { id: 4n, submit: false, endpoint: 0x82, length: 16, data: uasSense(2, 0) },
      { id: 1n, submit: false, endpoint: 0x82, length: 16, data: uasSense(1, 0) },
      { id: 7n, submit: false, endpoint: 0x82, length: 16 + sense.length, data: uasSense(3, 2, sense) },
    ];
    const events = decodeCapture(capture(urbs));
    const j = tasksOf(events).map((t) => taskJson(t));
    expect(j.map((t) => [t.tag, t.command, t.statusCode, t.bytesTransferred, t.direction])).toEqual([
      [2, 'WRITE(10)', 0, 512, 'to-device'],
      [1, 'READ(10)', 0, 4096, 'from-device'],
      [3, 'MODE SENSE(6)', 2, 0, 'from-device'],
    ]);
    expect(j[2]!.sense).toMatchObject({ key: 5, asc: 0x24, ascq: 0 });
  });

  it('ties data to the tag of the Read/Write Ready IU (no streams)', () => {
    const urbs: Urb[] = [
      { id: 1n, submit: true, endpoint: 0x82, length: 112 },
      { id: 2n, submit: true, endpoint: 0x01, length: 32, data: uasCommand(5, READ10(0, 1)) },
      { id: 3n, submit: true, endpoint: 0x01, length: 32, data: uasCommand(6, READ10(1, 2)) },
      { id: 1n, submit: false, endpoint: 0x82, length: 4, data: uasReady(6, true) },
      { id: 4n, submit: true, endpoint: 0x83, length: 1024 },
      { id: 4n, submit: false, endpoint: 0x83, length: 1024, data: new Uint8Array(1024) },
      { id: 5n, submit: true, endpoint: 0x82, length: 112 },
      { id: 5n, submit: false, endpoint: 0x82, length: 16, data: uasSense(6, 0) },
      { id: 6n, submit: true, endpoint: 0x82, length: 112 },
      { id: 6n, submit: false, endpoint: 0x82, length: 4, data: uasReady(5, true) },
      { id: 7n, submit: true, endpoint: 0x83, length: 512 },
      { id: 7n, submit: false, endpoint: 0x83, length: 512, data: new Uint8Array(512) },
      { id: 8n, submit: true, endpoint: 0x82, length: 112 },
      { id: 8n, submit: false, endpoint: 0x82, length: 16, data: uasSense(5, 0) },
    ];
    const tasks = tasksOf(decodeCapture(capture(urbs)));
    expect(tasks.map((t) => [Number(t.submit.tag), t.complete?.bytesTransferred])).toEqual([
      [6, 1024],
      [5, 512],
    ]);
    expect(tasks[0]!.submit.direction).toBe(DataDirection.FromDevice);
  });

  it('turns a Task Management IU and its Response IU into HBA events', () => {
    const tmf = new Uint8Array(16);
    tmf[0] = 0x05;
    tmf[3] = 9;
    tmf[4] = 0x01; // ABORT TASK
    tmf[7] = 4; // task tag 4
    const urbs: Urb[] = [
      { id: 1n, submit: true, endpoint: 0x01, length: 32, data: uasCommand(4, READ10(0, 1)) },
      { id: 2n, submit: true, endpoint: 0x01, length: 16, data: tmf },
      { id: 3n, submit: true, endpoint: 0x82, length: 112 },
      { id: 3n, submit: false, endpoint: 0x82, length: 8, data: Uint8Array.of(0x04, 0, 0, 9, 0, 0, 0, 0x00) },
    ];
    const events = decodeCapture(capture(urbs));
    const hba = events.filter((e) => e.kind === 'hba');
    const submit = events.find((e) => e.kind === 'submit');
    expect(hba.map((e) => e.kind === 'hba' && [e.hbaKind, e.phase, e.status, e.taskId])).toEqual([
      [HbaEventKind.TaskAbort, HbaEventPhase.Issued, 0, submit?.kind === 'submit' && submit.taskId],
      [HbaEventKind.TaskAbort, HbaEventPhase.Completed, 0, submit?.kind === 'submit' && submit.taskId],
    ]);
  });
});
