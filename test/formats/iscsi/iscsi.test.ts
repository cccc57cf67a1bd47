import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../../src/analysis/tasks.js';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { HbaEventKind, HbaEventPhase } from '../../../src/model/events.js';
import { taskJson } from '../../../src/report/task-view.js';
import {
  Conversation,
  concat,
  dataIn,
  dataOut,
  fixedSense,
  loginRequest,
  loginResponse,
  nopOut,
  pcapFile,
  r2t,
  scsiCommand,
  scsiResponse,
  tmfRequest,
  tmfResponse,
  tasksOf,
  type PduOptions,
} from '../../helpers/pcap.js';

const READ10 = (lba: number, n: number) => [0x28, 0, lba >>> 24, (lba >> 16) & 255, (lba >> 8) & 255, lba & 255, 0, n >> 8, n & 255, 0];
const WRITE10 = (lba: number, n: number) => [0x2a, 0, lba >>> 24, (lba >> 16) & 255, (lba >> 8) & 255, lba & 255, 0, n >> 8, n & 255, 0];
const TUR = [0, 0, 0, 0, 0, 0];

function login(c: Conversation, digests?: { header?: boolean; data?: boolean }): void {
  c.send(true, loginRequest({ keys: { InitiatorName: 'iqn.test:i', HeaderDigest: 'CRC32C,None', DataDigest: 'CRC32C,None' } }));
  c.send(false, loginResponse({ keys: { HeaderDigest: digests?.header ? 'CRC32C' : 'None', DataDigest: digests?.data ? 'CRC32C' : 'None' } }));
}

/** A small session: READ (status in Data-In), WRITE via R2T, a CHECK CONDITION. */
function session(c: Conversation, o: PduOptions = {}, mss?: number): void {
  c.send(true, scsiCommand({ itt: 1, lun: 1, cdb: READ10(100, 8), edtl: 4096, read: true }, o), mss);
  c.send(false, concat([dataIn({ itt: 1, data: new Uint8Array(2048) }, o), dataIn({ itt: 1, data: new Uint8Array(2048), offset: 2048, status: 0 }, o)]), mss);
  c.send(true, scsiCommand({ itt: 2, lun: 1, cdb: WRITE10(7, 2), edtl: 1024, write: true }, o), mss);
  c.send(false, r2t({ itt: 2, ttt: 9, offset: 0, length: 1024 }, o), mss);
  c.send(true, dataOut({ itt: 2, ttt: 9, data: new Uint8Array(1024).fill(0xab) }, o), mss);
  c.send(false, scsiResponse({ itt: 2, status: 0 }, o), mss);
  c.send(true, scsiCommand({ itt: 3, lun: 1, cdb: TUR }, o), mss);
  c.send(false, scsiResponse({ itt: 3, status: 2, sense: fixedSense(6, 0x29, 0) }, o), mss);
}

function expectSession(tasks: TaskRecord[]): void {
  const j = tasks.map((t) => taskJson(t));
  expect(j.map((t) => [t.command, t.lba, t.transferLength, t.statusCode, t.bytesTransferred, t.lun])).toEqual([
    ['READ(10)', 100, 8, 0, 4096, 1],
    ['WRITE(10)', 7, 2, 0, 1024, 1],
    ['TEST UNIT READY', null, null, 2, 0, 1],
  ]);
  expect(j[2]!.sense).toMatchObject({ key: 6, asc: 0x29, ascq: 0 });
  expect(j[0]!.latencyNs).toBeGreaterThan(0);
}

describe('iSCSI over TCP', () => {
  it('decodes commands, Data-In with status, R2T/Data-Out and CHECK CONDITION with sense', () => {
    const c = new Conversation().handshake();
    login(c);
    session(c);
    const events = decodeCapture(pcapFile(c.packets));
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const tasks = tasksOf(events);
    expectSession(tasks);
    expect(tasks[0]!.submit.cdb.length).toBe(10);
    expect(tasks[0]!.submit.direction).toBe(2);
    expect(tasks[1]!.submit.direction).toBe(1);
    // The response time is that of the frames, as tshark measures it.
    expect(tasks[0]!.latencyNs).toBe(3_000_000); // the final Data-In ends in the third segment
  });

  it('handles PDUs cut across many segments and many PDUs in one segment', () => {
    const small = new Conversation().handshake();
    login(small);
    session(small, {}, 7);
    expectSession(tasksOf(decodeCapture(pcapFile(small.packets))));
    const big = new Conversation().handshake();
    login(big);
    session(big, {}, 65536);
    expectSession(tasksOf(decodeCapture(pcapFile(big.packets))));
  });

  it('tolerates retransmissions and out-of-order segments', () => {
    const c = new Conversation().handshake();
    login(c);
    session(c, {}, 100);
    const p = c.packets;
    // Swap neighbours in a few places and duplicate some segments.
    const shuffled = [...p];
    for (let i = 6; i + 1 < shuffled.length; i += 5) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1]!, shuffled[i]!];
    const withDupes = shuffled.flatMap((x, i) => (i % 4 === 0 ? [x, x] : [x]));
    const events = decodeCapture(pcapFile(withDupes));
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    expectSession(tasksOf(events));
  });

  it('joins a capture that starts mid-stream', () => {
    const c = new Conversation().handshake();
    login(c);
    c.send(true, scsiCommand({ itt: 7, cdb: READ10(1, 64), edtl: 32768, read: true }));
    c.send(false, dataIn({ itt: 7, data: new Uint8Array(32768), status: 0 }), 1000);
    const skip = c.packets.length - 20; // start inside the Data-In
    session(c);
    const tasks = tasksOf(decodeCapture(pcapFile(c.packets.slice(skip))));
    expectSession(tasks);
  });

  it('reads header and data digests negotiated at login', () => {
    const c = new Conversation().handshake();
    login(c, { header: true, data: true });
    session(c, { headerDigest: true, dataDigest: true }, 333);
    expectSession(tasksOf(decodeCapture(pcapFile(c.packets))));
  });

  it('finds header and data digests by themselves when the login is not in the capture', () => {
    const c = new Conversation().handshake();
    login(c, { header: true, data: true });
    const o = { headerDigest: true, dataDigest: true };
    c.send(true, nopOut(1, o));
    c.send(false, dataIn({ itt: 99, data: new Uint8Array(3000) }, o), 1000);
    const skip = c.packets.length - 2; // inside the Data-In, after the login
    session(c, o);
    const events = decodeCapture(pcapFile(c.packets.slice(skip)));
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    expectSession(tasksOf(events));
  });

  it('switches digests on per direction, even when the login response is captured before the request', () => {
    const c = new Conversation().handshake();
    login(c, { header: true, data: false });
    const o = { headerDigest: true };
    session(c, o);
    const p = [...c.packets];
    [p[3], p[4]] = [p[4]!, p[3]!];
    expectSession(tasksOf(decodeCapture(pcapFile(p))));
  });

  it('reads a 32-byte CDB from the Extended CDB AHS', () => {
    const c = new Conversation().handshake();
    login(c);
    const read32 = new Array(32).fill(0);
    read32[0] = 0x7f;
    read32[7] = 0x18;
    read32[8] = 0x00;
    read32[9] = 0x09;
    read32[19] = 0x20; // LBA 0x20
    read32[31] = 1; // one block
    c.send(true, scsiCommand({ itt: 5, cdb: read32, edtl: 512, read: true }));
    c.send(false, dataIn({ itt: 5, data: new Uint8Array(512), status: 0 }));
    const [t] = tasksOf(decodeCapture(pcapFile(c.packets)));
    expect(t!.submit.cdb.length).toBe(32);
    expect(taskJson(t!)).toMatchObject({ command: 'READ(32)', lba: 0x20, transferLength: 1, statusCode: 0 });
  });

  it('reports residual underflow and bytes actually moved', () => {
    const c = new Conversation().handshake();
    login(c);
    c.send(true, scsiCommand({ itt: 1, cdb: [0x12, 0, 0, 0, 255, 0], edtl: 255, read: true }));
    c.send(false, dataIn({ itt: 1, data: new Uint8Array(36), status: 0, residual: 219, underflow: true }));
    const [t] = tasksOf(decodeCapture(pcapFile(c.packets)));
    expect(t!.complete).toMatchObject({ bytesTransferred: 36, residual: 219, residualFlags: 1 });
  });

  it('turns task management into HBA events linked to the aborted task', () => {
    const c = new Conversation().handshake();
    login(c);
    c.send(true, scsiCommand({ itt: 0x10, cdb: READ10(0, 1), edtl: 512, read: true }));
    c.send(true, tmfRequest({ itt: 0x11, fn: 1, rtt: 0x10 }));
    c.send(false, tmfResponse({ itt: 0x11, response: 0 }));
    c.send(true, tmfRequest({ itt: 0x12, fn: 5, lun: 3 }));
    c.send(false, tmfResponse({ itt: 0x12, response: 0 }));
    const events = decodeCapture(pcapFile(c.packets));
    const hba = events.filter((e) => e.kind === 'hba');
    const submit = events.find((e) => e.kind === 'submit')!;
    expect(hba.map((e) => [e.hbaKind, e.phase, e.status])).toEqual([
      [HbaEventKind.TaskAbort, HbaEventPhase.Issued, 0],
      [HbaEventKind.TaskAbort, HbaEventPhase.Completed, 0],
      [HbaEventKind.LogicalUnitReset, HbaEventPhase.Issued, 0],
      [HbaEventKind.LogicalUnitReset, HbaEventPhase.Completed, 0],
    ]);
    expect(hba[0]!.taskId).toBe(submit.kind === 'submit' ? submit.taskId : -1);
    expect(hba[2]!.arg1).toBe(3n);
    expect(hba[1]!.durationNs).toBe(1_000_000);
  });

  it('finds iSCSI on another port by content, or on the port it is told', () => {
    const c = new Conversation({ tport: 13260 }).handshake();
    login(c);
    session(c);
    expectSession(tasksOf(decodeCapture(pcapFile(c.packets))));
    expectSession(tasksOf(decodeCapture(pcapFile(c.packets), { iscsiPort: 13260 })));
    expect(tasksOf(decodeCapture(pcapFile(c.packets), { iscsiPort: 3260 }))).toEqual([]);
  });

  it('ignores non-iSCSI TCP traffic', () => {
    const c = new Conversation({ tport: 80 }).handshake();
    c.send(true, new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(400)));
    c.send(
      false,
      new Uint8Array(100_000).map((_, i) => (i * 7919) & 0xff),
    );
    const events = decodeCapture(pcapFile(c.packets));
    expect(events.filter((e) => e.kind === 'submit' || e.kind === 'diagnostic')).toEqual([]);
  });

  it('keeps ITTs on different connections apart', () => {
    const a = new Conversation({ iport: 40001 }).handshake();
    const b = new Conversation({ iport: 40002 });
    b.timeNs = 500_000;
    b.handshake();
    login(a);
    login(b);
    a.send(true, scsiCommand({ itt: 1, cdb: TUR }));
    b.send(true, scsiCommand({ itt: 1, cdb: TUR }));
    a.send(false, scsiResponse({ itt: 1, status: 0 }));
    b.send(false, scsiResponse({ itt: 1, status: 0x18 }));
    const packets = [...a.packets, ...b.packets].sort((x, y) => x.timeNs - y.timeNs);
    const tasks = tasksOf(decodeCapture(pcapFile(packets)));
    expect(tasks.map((t) => t.complete?.status).sort()).toEqual([0, 0x18]);
    expect(new Set(tasks.map((t) => t.submit.taskId)).size).toBe(2);
  });

  it('reports a hole in the stream as a capture gap and resynchronises', () => {
    const c = new Conversation().handshake();
    login(c);
    c.send(true, nopOut(0x99));
    session(c, {}, 200);
    const lostAt = 12;
    const packets = c.packets.filter((_, i) => i !== lostAt);
    const bytes = pcapFile(packets);
    const events = decodeCapture(bytes);
    // The input is intact: the capture lost bytes, which is a gap, not damage.
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    const gaps = events.filter((e) => e.kind === 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.kind === 'gap' && gaps[0]!.detail).toMatch(
      /^iSCSI connection 0 10\.0\.0\.\d:\d+ → 10\.0\.0\.\d:\d+: TCP sequence \d+\.\.\d+ \(\d+ bytes\)/,
    );
    const tasks = tasksOf(events).filter((t) => t.complete);
    // Everything after the hole is decoded again.
    expect(tasks.some((t) => t.submit.cdb[0] === 0 && t.complete!.status === 2)).toBe(true);
  });
});
