import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Js, parseFcoe } from '../../../src/formats/fcoe/frame.js';
import { sniffFormat } from '../../../src/formats/index.js';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { DataDirection, GapAffects, HbaEventKind, HbaEventPhase, ServiceResponse, TaskAttribute, type TraceEvent } from '../../../src/model/events.js';
import { taskJson } from '../../../src/report/task-view.js';
import { runScsitrace } from '../../helpers/cli.js';
import { Eof, FCP_CDB, F, FcpLink, INITIATOR, TARGET, etherFrame, fcoeCapture, fcoePdu, fcpCmnd, fcpRsp, fpma, loginPayload } from '../../helpers/fcoe.js';
import { concat, fixedSense, pcapFile, pcapngFile, tasksOf, type Packet } from '../../helpers/pcap.js';

const read = (packets: Packet[], o: { linkType?: number; snaplen?: number } = {}) => decodeCapture(pcapFile(packets, { linkType: o.linkType ?? 1 }));
const diagnostics = (events: TraceEvent[]) => events.filter((e) => e.kind === 'diagnostic').map((e) => (e.kind === 'diagnostic' ? e.message : ''));
const notes = (events: TraceEvent[]) => events.filter((e) => e.kind === 'note').map((e) => (e.kind === 'note' ? e.text : ''));

/** One read of `bytes` bytes: command, data-in frames, response. */
function readExchange(l: FcpLink, oxId: number, data: Uint8Array, rsp = fcpRsp({})): void {
  const rx = l.newRxId();
  l.command(oxId, fcpCmnd({ cdb: FCP_CDB.read10(0, Math.ceil(data.length / 512)), dl: data.length, read: true }));
  l.data(true, oxId, rx, data);
  l.response(oxId, rx, rsp);
}

describe('FCoE frames (FC-BB-5) and FC frame headers', () => {
  const pdu = (o: Partial<Parameters<typeof fcoePdu>[0]> = {}) =>
    fcoePdu({
      rCtl: 0x06,
      dId: 0x010201,
      sId: 0x010101,
      type: 0x08,
      fCtl: F.firstSeq | F.endSeq | F.si,
      oxId: 0x1234,
      rxId: 0xffff,
      payload: fcpCmnd({ cdb: FCP_CDB.testUnitReady, dl: 0 }),
      ...o,
    });

  it('computes CRC-32 as Ethernet does, natively and in JavaScript alike', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Js(check)).toBe(0xcbf43926);
    const b = Uint8Array.from({ length: 2200 }, (_, i) => (i * 31 + 7) & 0xff);
    for (const [from, to] of [
      [0, 0],
      [3, 4],
      [5, 2117],
      [0, 2200],
    ] as const)
      expect(crc32(b, from, to)).toBe(crc32Js(b, from, to));
  });

  it('reads the frame header fields and checks the CRC', () => {
    const r = parseFcoe(pdu(), 0, pdu().length);
    expect('frame' in r && r.frame).toMatchObject({
      rCtl: 0x06,
      dId: 0x010201,
      sId: 0x010101,
      type: 0x08,
      oxId: 0x1234,
      rxId: 0xffff,
      payloadLength: 32,
      sof: 0x2e,
      eof: 0x42,
      crc: 0,
    });
  });

  it.each([
    ['a damaged CRC', (b: Uint8Array) => void (b[40]! ^= 0x10), /FC CRC 0x[0-9a-f]{8} does not match/],
    ['a version other than 0', (b: Uint8Array) => void (b[0] = 0x10), /FCoE version 1/],
    ['a non-zero reserved byte', (b: Uint8Array) => void (b[5] = 1), /reserved byte 5 is 0x1/],
    ['an unknown SOF', (b: Uint8Array) => void (b[13] = 0x99), /SOF 0x99/],
    ['an unknown EOF', (b: Uint8Array) => void (b[b.length - 4] = 0x99), /EOF 0x99/],
  ])('names %s', (_, damage, message) => {
    const b = pdu();
    damage(b);
    const r = parseFcoe(b, 0, b.length);
    expect('problem' in r && r.problem).toMatch(message);
  });

  it('refuses a frame whose length is not a whole number of words, or too short for a header', () => {
    const b = pdu();
    expect('problem' in parseFcoe(b.subarray(0, b.length - 2), 0, b.length - 2)).toBe(true);
    expect('problem' in parseFcoe(b.subarray(0, 30), 0, 30)).toBe(true);
  });

  it('reads the header of a frame the snap length cut, with the true payload length', () => {
    const b = pdu({ payload: new Uint8Array(2048), rCtl: 0x01 });
    const r = parseFcoe(b.subarray(0, 100), 0, b.length);
    expect('frame' in r && [r.frame.payloadLength, r.frame.payload.length, r.frame.crc, r.frame.eof]).toEqual([2048, 100 - 38, 2, -1]);
  });

  it('skips optional headers named by DF_CTL and a VFT extended header, and drops fill bytes', () => {
    const payload = concat([new Uint8Array(16).fill(0xee), Uint8Array.of(1, 2, 3, 4, 5)]); // network header, then 5 bytes
    const r = parseFcoe(pdu({ dfCtl: 0x20, payload }), 0, 0);
    expect('frame' in r && Array.from(r.frame.payload)).toEqual([1, 2, 3, 4, 5]);
    const vft = pdu();
    const withVft = concat([vft.subarray(0, 14), Uint8Array.of(0x50, 0, 0, 0, 0, 0x02, 0, 0), vft.subarray(14, vft.length - 8)]);
    // Recompute the CRC over the VFT header and the frame.
    const c = crc32(withVft.subarray(14));
    const full = concat([withVft, Uint8Array.of(c & 255, (c >>> 8) & 255, (c >>> 16) & 255, c >>> 24, 0x42, 0, 0, 0)]);
    const v = parseFcoe(full, 0, full.length);
    expect('frame' in v && [v.frame.rCtl, v.frame.oxId]).toEqual([0x06, 0x1234]);
    const esp = parseFcoe(pdu({ dfCtl: 0x40 }), 0, 0);
    expect('problem' in esp && esp.problem).toMatch(/ESP header/);
  });
});

describe('FCP exchanges over FCoE', () => {
  it('is detected from content: Ethernet pcapng with VLAN-tagged FCoE', () => {
    expect(sniffFormat(pcapngFile(fcoeCapture()))?.id).toBe('pcapng');
  });

  it('turns the generated session into tasks: LUNs, tags, directions, data, residuals, sense, latency', () => {
    const events = decodeCapture(pcapngFile(fcoeCapture(), { interfaces: [{ linkType: 1, tsresol: 9 }] }));
    expect(diagnostics(events)).toEqual([]);
    const tasks = tasksOf(events).map((t) => taskJson(t));
    const byTag = new Map(tasks.map((t) => [t.tag, t]));
    expect(tasks).toHaveLength(21);
    expect(new Set(tasks.map((t) => t.targetLabel))).toEqual(new Set(['20:00:52:54:00:12:34:57']));
    expect(byTag.get(0x10)).toMatchObject({
      command: 'REPORT LUNS',
      requestedBytes: 4096,
      bytesTransferred: 24,
      residual: 4072,
      residualKind: 'underflow',
      direction: 'from-device',
    });
    expect(byTag.get(0x12)).toMatchObject({ lun: 1, command: 'INQUIRY', bytesTransferred: 36 });
    expect(byTag.get(0x13)).toMatchObject({ statusCode: 2, sense: { key: 6, asc: 0x29, ascq: 0 }, latencyNs: 60_000 });
    expect(byTag.get(0x16)).toMatchObject({ lun: 1, command: 'READ(10)', bytesTransferred: 8192 });
    expect(byTag.get(0x17)).toMatchObject({ command: 'WRITE(10)', direction: 'to-device', bytesTransferred: 8192 });
    expect(byTag.get(0x18)).toMatchObject({ command: 'WRITE(10)', bytesTransferred: 16384 }); // two XFER_RDY bursts
    expect(byTag.get(0x19)).toMatchObject({ command: 'READ(32)', lba: 0x300, requestedBytes: 2048, bytesTransferred: 2048 });
    expect(byTag.get(0x1c)).toMatchObject({ attribute: 'ORDERED', bytesTransferred: 4096 });
    expect(byTag.get(0x1d)).toMatchObject({ status: 'TASK SET FULL', bytesTransferred: 0 });
    expect(byTag.get(0x1f)).toMatchObject({ residual: 1024, residualKind: 'overflow', bytesTransferred: 1024 });
    expect(byTag.get(0x21)).toMatchObject({ completed: false }); // aborted by ABTS
    expect(byTag.get(0x25)).toMatchObject({ completed: false }); // in flight at the end
  });

  it('makes ABTS / BA_ACC / BA_RJT and a LUN reset TMF into HBA events tied to the task', () => {
    const events = decodeCapture(pcapngFile(fcoeCapture()));
    const hba = events.filter((e) => e.kind === 'hba');
    const aborted = events.find((e) => e.kind === 'submit' && e.tag === 0x21n);
    expect(
      hba.map((e) => e.kind === 'hba' && [e.hbaKind, e.phase, e.status, e.taskId === (aborted?.kind === 'submit' ? aborted.taskId : -1n), e.arg1]),
    ).toEqual([
      [HbaEventKind.TaskAbort, HbaEventPhase.Issued, 0, true, 0n],
      [HbaEventKind.TaskAbort, HbaEventPhase.Completed, 0, true, 0n],
      [HbaEventKind.TaskAbort, HbaEventPhase.Issued, 0, false, 0n],
      [HbaEventKind.TaskAbort, HbaEventPhase.Completed, 3, false, 0n],
      [HbaEventKind.LogicalUnitReset, HbaEventPhase.Issued, 0, false, 0n],
      [HbaEventKind.LogicalUnitReset, HbaEventPhase.Completed, 0, false, 0n],
    ]);
    expect(hba.map((e) => e.kind === 'hba' && e.detail)).toContain('FCP LOGICAL UNIT RESET LUN 0: task management function complete');
  });

  it.each([
    [0x02, HbaEventKind.TaskAbort, 'ABORT TASK SET'],
    [0x04, HbaEventKind.TaskAbort, 'CLEAR TASK SET'],
    [0x20, HbaEventKind.TargetReset, 'TARGET RESET'],
    [0x40, HbaEventKind.HardwareCommand, 'CLEAR ACA'],
  ])('maps task management flags 0x%s to an HBA event kind, its failure RSP_CODE to a status', (flags, kind, name) => {
    const l = new FcpLink(INITIATOR, TARGET);
    l.command(9, fcpCmnd({ lun: 2, cdb: [], dl: 0, tmf: flags }));
    l.response(9, l.newRxId(), fcpRsp({ rspCode: 0x05 }));
    const hba = read(l.packets).filter((e) => e.kind === 'hba');
    expect(hba.map((e) => e.kind === 'hba' && [e.hbaKind, e.phase, e.status, e.arg1, e.detail])).toEqual([
      [kind, HbaEventPhase.Issued, 0, 2n, `FCP ${name} LUN 2 (OX_ID 0x9)`],
      [kind, HbaEventPhase.Completed, 5, 2n, `FCP ${name} LUN 2: task management function failed`],
    ]);
  });

  it('reads untagged FCoE, Linux cooked captures (SLL) and big-endian pcapng alike', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    readExchange(l, 1, new Uint8Array(4096));
    for (const bytes of [pcapFile(l.packets), pcapngFile(l.packets, { bigEndian: true })]) {
      expect(tasksOf(decodeCapture(bytes))[0]?.complete).toMatchObject({ status: 0, bytesTransferred: 4096 });
    }
    // SLL: 16-byte header whose protocol field is the EtherType.
    const sll = l.packets.map((p) => ({ ...p, data: concat([Uint8Array.of(0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x89, 0x06), p.data.subarray(14)]) }));
    expect(tasksOf(read(sll, { linkType: 113 }))[0]?.complete).toMatchObject({ bytesTransferred: 4096 });
  });

  it('keeps port pairs apart and reuses no task id when two initiators use the same OX_ID', () => {
    const a = new FcpLink(INITIATOR, TARGET);
    const b = new FcpLink({ fcId: 0x010301, wwpn: [0x21, 0, 0, 0, 0, 0, 0, 1] }, TARGET);
    readExchange(a, 7, new Uint8Array(512));
    b.timeNs = 5;
    readExchange(b, 7, new Uint8Array(1024), fcpRsp({ status: 2, sense: fixedSense(3, 0x11, 0) }));
    const tasks = tasksOf(read([...a.packets, ...b.packets].sort((x, y) => x.timeNs - y.timeNs)));
    expect(tasks.map((t) => [Number(t.submit.tag), t.submit.targetId, t.complete?.status, t.complete?.bytesTransferred])).toEqual([
      [7, 0n, 0, 512],
      [7, 0n, 2, 1024],
    ]);
    expect(new Set(tasks.map((t) => t.submit.taskId)).size).toBe(2);
  });

  it('gives an OX_ID used again after an exchange that got no FCP_RSP (ended by a LUN reset) a task id of its own', () => {
    // As Linux's libfc does: the lowest free OX_ID, again and again.
    const l = new FcpLink(INITIATOR, TARGET);
    l.command(1, fcpCmnd({ lun: 1, cdb: FCP_CDB.read10(0, 8), dl: 4096, read: true }));
    l.command(2, fcpCmnd({ lun: 1, cdb: [], dl: 0, tmf: 0x10 }));
    l.response(2, l.newRxId(), fcpRsp({ rspCode: 0 }));
    l.command(1, fcpCmnd({ lun: 1, cdb: FCP_CDB.testUnitReady, dl: 0 }));
    l.response(1, l.newRxId(), fcpRsp({ status: 2, sense: fixedSense(6, 0x29, 0x03) }));
    l.command(1, fcpCmnd({ lun: 1, cdb: FCP_CDB.testUnitReady, dl: 0 }));
    l.response(1, l.newRxId(), fcpRsp({}));
    const events = read(l.packets);
    const submits = events.filter((e) => e.kind === 'submit');
    expect(submits.map((e) => e.kind === 'submit' && Number(e.tag))).toEqual([1, 1, 1]);
    // The READ that never got an answer keeps its id; the later exchanges (one after the other) share another.
    const ids = submits.map((e) => (e.kind === 'submit' ? e.taskId : -1n));
    expect(ids[1]).not.toBe(ids[0]);
    expect(ids[2]).toBe(ids[1]);
    const tasks = tasksOf(events);
    expect(tasks.map((t) => [t.submit.cdb[0], t.complete?.status ?? null])).toEqual([
      [0x00, 2],
      [0x00, 0],
      [0x28, null],
    ]);
  });

  it('completes nothing with an FCP_RSP that comes after BA_ACC aborted its exchange', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    const rx = l.newRxId();
    l.command(1, fcpCmnd({ cdb: FCP_CDB.read10(0, 8), dl: 4096, read: true }));
    l.abort(1, rx, 'acc');
    l.response(1, rx, fcpRsp({}));
    const events = read(l.packets);
    expect(tasksOf(events)[0]?.complete).toBeUndefined();
    expect(notes(events).some((n) => n.includes('after its exchange was aborted (BA_ACC)'))).toBe(true);
  });

  describe('exchanges are named by OX_ID and RX_ID together (FC-FS-3 9.10)', () => {
    const offsetOf = (packets: Packet[], i: number) => 24 + packets.slice(0, i).reduce((n, p) => n + 16 + p.data.length, 0);

    it('uses no data frame whose RX_ID is not the one the responder assigned, and says where it is', () => {
      const l = new FcpLink(INITIATOR, TARGET);
      l.command(1, fcpCmnd({ cdb: FCP_CDB.read10(0, 8), dl: 4096, read: true }));
      l.data(true, 1, 0x0200, new Uint8Array(2048)); // the target's first frame assigns RX_ID 0x200
      l.data(true, 1, 0x0201, new Uint8Array(2048), 2048); // another exchange's RX_ID
      l.data(true, 1, 0x0200, new Uint8Array(2048), 2048);
      l.response(1, 0x0200, fcpRsp({}));
      const events = read(l.packets);
      expect(diagnostics(events)).toEqual([
        `at byte 0x${offsetOf(l.packets, 2).toString(16)} (packet 3): FCP: FCP_DATA for OX_ID 0x1 from 0x010201 carries RX_ID 0x201, but the responder assigned RX_ID 0x200 to that exchange; frame not used`,
      ]);
      expect(tasksOf(events)[0]?.complete).toMatchObject({ status: 0, bytesTransferred: 4096 });
    });

    it("completes nothing with an FCP_RSP whose RX_ID is not the exchange's; the right one completes it", () => {
      const l = new FcpLink(INITIATOR, TARGET);
      l.command(1, fcpCmnd({ cdb: FCP_CDB.write10(0, 2), dl: 1024, write: true }));
      l.xferRdy(1, 0x0300, 0, 1024); // the responder's first frame: RX_ID 0x300
      l.data(false, 1, 0x0301, new Uint8Array(1024)); // the initiator names another RX_ID
      l.data(false, 1, 0x0300, new Uint8Array(1024));
      l.response(1, 0x0302, fcpRsp({ status: 2, sense: fixedSense(3, 0x0c, 0) }));
      l.response(1, 0x0300, fcpRsp({}));
      const events = read(l.packets);
      const found = diagnostics(events);
      expect(found).toHaveLength(2);
      expect(found[0]).toBe(
        `at byte 0x${offsetOf(l.packets, 2).toString(16)} (packet 3): FCP: FCP_DATA for OX_ID 0x1 from 0x010101 carries RX_ID 0x301, but the responder assigned RX_ID 0x300 to that exchange; frame not used`,
      );
      expect(found[1]).toBe(
        `at byte 0x${offsetOf(l.packets, 4).toString(16)} (packet 5): FCP: FCP_RSP for OX_ID 0x1 from 0x010201 carries RX_ID 0x302, but the responder assigned RX_ID 0x300 to that exchange; frame not used`,
      );
      const tasks = tasksOf(events);
      expect(tasks).toHaveLength(1);
      expect(tasks[0]?.complete).toMatchObject({ status: 0, bytesTransferred: 1024 });
    });

    it('accepts RX_ID 0xFFFF (unassigned) on either side, and a new exchange on the same OX_ID gets its own RX_ID', () => {
      const l = new FcpLink(INITIATOR, TARGET);
      l.command(1, fcpCmnd({ cdb: FCP_CDB.read10(0, 2), dl: 1024, read: true }));
      l.data(true, 1, 0xffff, new Uint8Array(512)); // a responder that has not assigned one yet
      l.data(true, 1, 0x0400, new Uint8Array(512), 512);
      l.response(1, 0x0400, fcpRsp({}));
      l.command(1, fcpCmnd({ cdb: FCP_CDB.testUnitReady, dl: 0 }));
      l.response(1, 0x0401, fcpRsp({}));
      const events = read(l.packets);
      expect(diagnostics(events)).toEqual([]);
      expect(tasksOf(events).map((t) => t.complete?.bytesTransferred)).toEqual([1024, 0]);
    });

    it('exits 2 on a capture with a frame of a mismatched RX_ID', async () => {
      const l = new FcpLink(INITIATOR, TARGET);
      l.command(1, fcpCmnd({ cdb: FCP_CDB.testUnitReady, dl: 0 }));
      l.xferRdy(1, 0x0500, 0, 0);
      l.response(1, 0x0501, fcpRsp({}));
      const dir = mkdtempSync(join(tmpdir(), 'scsitrace-fcoe-'));
      writeFileSync(join(dir, 'rxid.pcap'), pcapFile(l.packets));
      const r = await runScsitrace('decode', join(dir, 'rxid.pcap'));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`at byte 0x${offsetOf(l.packets, 2).toString(16)} (packet 3): FCP: FCP_RSP for OX_ID 0x1 from 0x010201 carries RX_ID 0x501`);
    });
  });

  it('maps FCP_CMND fields: task attribute, bidirectional data, flat-space LUNs', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    l.command(1, fcpCmnd({ lun: 300, cdb: FCP_CDB.write10(0, 1), dl: 512, read: true, write: true, attribute: 1 }));
    const [t] = tasksOf(read(l.packets));
    expect(t?.submit).toMatchObject({ lun: 300, attribute: TaskAttribute.HeadOfQueue, direction: DataDirection.Bidirectional, requestedBytes: 512 });
  });

  it('reports a response whose RSP_CODE says the command was not run as a delivery failure', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    l.command(1, fcpCmnd({ cdb: FCP_CDB.testUnitReady, dl: 0 }));
    l.response(1, l.newRxId(), fcpRsp({ rspCode: 0x02 }));
    expect(tasksOf(read(l.packets))[0]?.complete).toMatchObject({ serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure });
  });

  it('labels targets with the port name from PLOGI, else their N_Port ID', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    readExchange(l, 1, new Uint8Array(512));
    expect(tasksOf(read(l.packets))[0]?.submit.targetLabel).toBe('FC_ID 0x010201');
    const m = new FcpLink(INITIATOR, TARGET);
    m.els(false, 9, loginPayload(0x03, INITIATOR.wwpn, INITIATOR.wwpn), loginPayload(0x02, TARGET.wwpn, TARGET.wwpn));
    readExchange(m, 1, new Uint8Array(512));
    expect(tasksOf(read(m.packets))[0]?.submit.targetLabel).toBe('20:00:52:54:00:12:34:57');
  });

  it('reads frames whose CRC the capturing host left to its NIC (all ones), with one note', () => {
    const l = new FcpLink(INITIATOR, TARGET, { crcFromInitiator: 'offload' });
    readExchange(l, 1, new Uint8Array(1024));
    readExchange(l, 2, new Uint8Array(1024));
    const events = read(l.packets);
    expect(diagnostics(events)).toEqual([]);
    expect(notes(events).filter((n) => n.includes('all-ones FC CRC'))).toHaveLength(1);
    expect(tasksOf(events).map((t) => t.complete?.bytesTransferred)).toEqual([1024, 1024]);
  });

  it('ignores frames ended by EOFa, as their recipient does', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    const rx = l.newRxId();
    l.command(1, fcpCmnd({ cdb: FCP_CDB.read10(0, 2), dl: 1024, read: true }));
    l.frame(true, { rCtl: 0x01, type: 0x08, fCtl: F.responder | F.ro, oxId: 1, rxId: rx, payload: new Uint8Array(512), eof: Eof.a });
    l.data(true, 1, rx, new Uint8Array(1024));
    l.response(1, rx, fcpRsp({}));
    const events = read(l.packets);
    expect(tasksOf(events)[0]?.complete?.bytesTransferred).toBe(1024);
    expect(notes(events).some((n) => n.includes('EOFa'))).toBe(true);
  });

  it('keeps no sense the snap length cut, and says so with a capture gap', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    l.command(1, fcpCmnd({ cdb: FCP_CDB.testUnitReady, dl: 0 }));
    l.response(1, l.newRxId(), fcpRsp({ status: 2, sense: fixedSense(6, 0x29, 0) }));
    const last = l.packets[l.packets.length - 1]!;
    const cut = last.data.subarray(0, last.data.length - 20);
    const events = read([l.packets[0]!, { ...last, data: cut, originalLength: last.data.length }]);
    expect(diagnostics(events)).toEqual([]);
    const [t] = tasksOf(events);
    expect(t?.complete).toMatchObject({ status: 2, sense: new Uint8Array(0) });
    expect(events.find((e) => e.kind === 'gap')).toMatchObject({ affects: GapAffects.Completions, targetId: 0n, lost: 10 }); // 20 bytes cut: 8 of trailer, 2 fill, 10 of sense
  });

  it('reports damaged frames and malformed IUs at their byte offsets, reads the rest, and exits 2', async () => {
    const l = new FcpLink(INITIATOR, TARGET);
    readExchange(l, 1, new Uint8Array(512));
    l.command(2, fcpCmnd({ cdb: FCP_CDB.testUnitReady, dl: 0 }));
    l.response(2, l.newRxId(), fcpRsp({ status: 2, sense: fixedSense(6, 0x29, 0), senseLengthOverride: 4000 }));
    readExchange(l, 3, new Uint8Array(512));
    const packets = l.packets.map((p) => ({ ...p, data: Uint8Array.from(p.data) }));
    packets[1]!.data[60]! ^= 0x01; // a bit flip in the data frame of OX_ID 1
    const bytes = pcapFile(packets);
    const events = decodeCapture(bytes);
    const offsetOf = (i: number) => 24 + packets.slice(0, i).reduce((n, p) => n + 16 + p.data.length, 0);
    const [crc, rsp] = diagnostics(events);
    expect(crc).toMatch(
      new RegExp(`^at byte 0x${offsetOf(1).toString(16)} \\(packet 2\\): FCoE: FC CRC 0x[0-9a-f]{8} does not match the frame's 0x[0-9a-f]{8}; frame skipped$`),
    );
    expect(rsp).toBe(
      `at byte 0x${offsetOf(4).toString(16)} (packet 5): FCP: FCP_RSP declares 0 bytes of response info and 4000 of sense; the 42-byte IU holds 18 (OX_ID 0x2); response skipped`,
    );
    const tasks = tasksOf(events);
    expect(tasks.map((t) => [Number(t.submit.tag), t.complete?.bytesTransferred ?? null])).toEqual([
      [1, 0],
      [3, 512],
      [2, null],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-fcoe-'));
    writeFileSync(join(dir, 'bad.pcap'), bytes);
    const r = await runScsitrace('decode', join(dir, 'bad.pcap'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`at byte 0x${offsetOf(4).toString(16)} (packet 5): FCP: FCP_RSP declares`);
  });

  it('calls an FCP_CMND shorter than its ADDITIONAL FCP_CDB LENGTH damage', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    const cmnd = fcpCmnd({ cdb: FCP_CDB.testUnitReady, dl: 0 });
    cmnd[11] = 16 << 2; // 16 additional CDB words that are not there
    l.command(1, cmnd);
    expect(diagnostics(read(l.packets))[0]).toMatch(/FCP_CMND with 80 CDB bytes needs 96 bytes, the IU has 32/);
  });

  it('notes an FCP_RSP whose command the capture does not have, once', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    l.response(5, 0x300, fcpRsp({}));
    l.response(6, 0x301, fcpRsp({}));
    const events = read(l.packets);
    expect(notes(events).filter((n) => n.includes('whose FCP_CMND is not in the capture'))).toHaveLength(1);
  });

  it('ignores FIP and Ethernet frames of other EtherTypes', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    l.packets.push({ timeNs: 1, data: etherFrame('01:10:18:01:00:02', fpma(0x010101), 0x8914, new Uint8Array(40)) });
    readExchange(l, 1, new Uint8Array(512));
    const events = read(l.packets);
    expect(diagnostics(events)).toEqual([]);
    expect(tasksOf(events)).toHaveLength(1);
  });
});
