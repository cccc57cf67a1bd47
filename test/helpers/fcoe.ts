/**
 * FCoE captures built from the standards (FC-BB-5 encapsulation, FC-FS-3 frames, FCP-4 IUs,
 * FC-LS-3 link services): a frame writer, an initiator/target pair that runs FCP exchanges the
 * way a Linux fcoe initiator and an FCoE target do, and the capture the tests and the tshark
 * comparison read (traces/fcoe-fcp.pcapng).
 */
import { crc32 } from '../../src/formats/fcoe/frame.js';
import { concat, fixedSense, type Packet } from './pcap.js';

/** FC-BB-5 Table 50. */
export const Sof = { i3: 0x2e, n3: 0x36 } as const;
export const Eof = { n: 0x41, t: 0x42, a: 0x50 } as const;

export interface FcFrameSpec {
  rCtl: number;
  dId: number;
  sId: number;
  type: number;
  fCtl: number;
  seqId?: number;
  dfCtl?: number;
  seqCnt?: number;
  oxId: number;
  rxId: number;
  parameter?: number;
  payload: Uint8Array;
  sof?: number;
  eof?: number;
  /** 'offload': all-ones CRC, as a host leaving the CRC to its NIC sends it. */
  crc?: 'good' | 'offload' | number;
}

const u24 = (n: number) => [(n >> 16) & 255, (n >> 8) & 255, n & 255];
const be16 = (n: number) => [(n >> 8) & 255, n & 255];
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** The FCoE PDU (after the EtherType): header, FC frame, CRC, EOF. Payloads are padded with fill bytes. */
export function fcoePdu(f: FcFrameSpec): Uint8Array {
  const fill = (4 - (f.payload.length % 4)) % 4;
  const header = Uint8Array.from([
    f.rCtl,
    ...u24(f.dId),
    0,
    ...u24(f.sId),
    f.type,
    ...u24(f.fCtl | fill),
    f.seqId ?? 0,
    f.dfCtl ?? 0,
    ...be16(f.seqCnt ?? 0),
    ...be16(f.oxId),
    ...be16(f.rxId),
    ...be32(f.parameter ?? 0),
  ]);
  const frame = concat([header, f.payload, new Uint8Array(fill)]);
  const crc = f.crc === 'offload' ? 0xffffffff : typeof f.crc === 'number' ? f.crc : crc32(frame);
  const crcBytes = Uint8Array.of(crc & 255, (crc >>> 8) & 255, (crc >>> 16) & 255, crc >>> 24);
  const fcoeHeader = new Uint8Array(14);
  fcoeHeader[13] = f.sof ?? Sof.i3;
  return concat([fcoeHeader, frame, crcBytes, Uint8Array.of(f.eof ?? Eof.t, 0, 0, 0)]);
}

function mac(s: string): number[] {
  return s.split(':').map((x) => parseInt(x, 16));
}

/** An Ethernet frame (optionally 802.1Q-tagged) carrying `payload` under `etherType`. */
export function etherFrame(dst: string, src: string, etherType: number, payload: Uint8Array, vlan?: number): Uint8Array {
  const tag = vlan === undefined ? [] : [0x81, 0x00, 0x60 | ((vlan >> 8) & 0x0f), vlan & 0xff];
  return concat([Uint8Array.from([...mac(dst), ...mac(src), ...tag, ...be16(etherType)]), payload]);
}

/** FC-BB-5 Fabric Provided MAC Address: FC-MAP 0E-FC-00 and the N_Port ID. */
export function fpma(fcId: number): string {
  return ['0e', 'fc', '00', ...u24(fcId).map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

// ---- FCP-4 information units -------------------------------------------------------------

/** FCP-4 9.2 FCP_CMND. */
export function fcpCmnd(c: {
  lun?: number;
  cdb: ArrayLike<number>;
  dl: number;
  read?: boolean;
  write?: boolean;
  attribute?: number;
  tmf?: number;
}): Uint8Array {
  const cdb = Array.from(c.cdb);
  const padded =
    cdb.length <= 16 ? [...cdb, ...new Array<number>(16 - cdb.length).fill(0)] : [...cdb, ...new Array<number>((4 - (cdb.length % 4)) % 4).fill(0)];
  const additionalWords = (padded.length - 16) / 4;
  const lun = c.lun ?? 0;
  const lunBytes = lun < 256 ? [0, lun, 0, 0, 0, 0, 0, 0] : [0x40 | (lun >> 8), lun & 255, 0, 0, 0, 0, 0, 0];
  return Uint8Array.from([
    ...lunBytes,
    0,
    c.attribute ?? 0,
    c.tmf ?? 0,
    (additionalWords << 2) | (c.read ? 2 : 0) | (c.write ? 1 : 0),
    ...padded,
    ...be32(c.dl),
  ]);
}

/** FCP-4 9.5 FCP_RSP. */
export function fcpRsp(r: {
  status?: number;
  under?: number;
  over?: number;
  sense?: ArrayLike<number>;
  rspCode?: number;
  senseLengthOverride?: number;
}): Uint8Array {
  const flags = (r.rspCode !== undefined ? 0x01 : 0) | (r.sense ? 0x02 : 0) | (r.over !== undefined ? 0x04 : 0) | (r.under !== undefined ? 0x08 : 0);
  const info = r.rspCode !== undefined ? [0, 0, 0, r.rspCode, 0, 0, 0, 0] : [];
  const sense = r.sense ? Array.from(r.sense) : [];
  return Uint8Array.from([
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    flags,
    r.status ?? 0,
    ...be32(r.under ?? r.over ?? 0),
    ...be32(r.senseLengthOverride ?? sense.length),
    ...be32(info.length),
    ...info,
    ...sense,
  ]);
}

/** FCP-4 9.4 FCP_XFER_RDY. */
export function xferRdy(offset: number, burst: number): Uint8Array {
  return Uint8Array.from([...be32(offset), ...be32(burst), 0, 0, 0, 0]);
}

// ---- An initiator and a target ----------------------------------------------------------------

/** F_CTL values (FC-FS-3 Table 37). */
export const F = { responder: 0x800000, firstSeq: 0x200000, lastSeq: 0x100000, endSeq: 0x080000, si: 0x010000, ro: 0x000008 } as const;

export interface Port {
  fcId: number;
  wwpn: number[];
}

/**
 * FCP exchanges between one initiator and one target port: keeps OX_IDs, RX_IDs, SEQ_IDs and
 * time, so a test says what each side sends and gets Ethernet frames back.
 */
export class FcpLink {
  readonly packets: Packet[] = [];
  timeNs = 0;
  private seqId = 1;
  private rxId = 0x0200;

  constructor(
    readonly initiator: Port,
    readonly target: Port,
    readonly o: { vlan?: number; crcFromInitiator?: 'good' | 'offload' } = {},
  ) {}

  /** One frame from either side (`fromTarget`: the exchange's responder sends it). */
  frame(fromTarget: boolean, f: Omit<FcFrameSpec, 'sId' | 'dId'>, stepNs = 10_000): void {
    this.timeNs += stepNs;
    const s = fromTarget ? this.target : this.initiator;
    const d = fromTarget ? this.initiator : this.target;
    const crc = !fromTarget && this.o.crcFromInitiator === 'offload' ? { crc: 'offload' as const } : {};
    const pdu = fcoePdu({ ...crc, ...f, sId: s.fcId, dId: d.fcId });
    this.packets.push({ timeNs: this.timeNs, data: etherFrame(fpma(d.fcId), fpma(s.fcId), 0x8906, pdu, this.o.vlan) });
  }

  /** A sequence of FCP_DATA frames (at most 2048 bytes each, relative offsets in Parameter). */
  data(fromTarget: boolean, oxId: number, rxId: number, bytes: Uint8Array, offset = 0, stepNs = 20_000): void {
    const seqId = this.seqId++ & 0xff;
    for (let o = 0, n = 0; o < bytes.length; o += 2048, n++) {
      const last = o + 2048 >= bytes.length;
      this.frame(
        fromTarget,
        {
          rCtl: 0x01,
          type: 0x08,
          fCtl: (fromTarget ? F.responder : 0) | F.ro | (last ? F.endSeq | (fromTarget ? 0 : F.si) : 0),
          seqId,
          seqCnt: n,
          oxId,
          rxId,
          parameter: offset + o,
          payload: bytes.subarray(o, Math.min(bytes.length, o + 2048)),
          sof: n === 0 ? Sof.i3 : Sof.n3,
          eof: last ? Eof.t : Eof.n,
        },
        stepNs,
      );
    }
  }

  newRxId(): number {
    return this.rxId++;
  }

  command(oxId: number, cmnd: Uint8Array, stepNs = 30_000): void {
    this.frame(false, { rCtl: 0x06, type: 0x08, fCtl: F.firstSeq | F.endSeq | F.si, seqId: this.seqId++ & 0xff, oxId, rxId: 0xffff, payload: cmnd }, stepNs);
  }

  xferRdy(oxId: number, rxId: number, offset: number, burst: number, stepNs = 40_000): void {
    this.frame(
      true,
      { rCtl: 0x05, type: 0x08, fCtl: F.responder | F.endSeq | F.si, seqId: this.seqId++ & 0xff, oxId, rxId, payload: xferRdy(offset, burst) },
      stepNs,
    );
  }

  response(oxId: number, rxId: number, rsp: Uint8Array, stepNs = 30_000): void {
    this.frame(true, { rCtl: 0x07, type: 0x08, fCtl: F.responder | F.lastSeq | F.endSeq | F.si, seqId: this.seqId++ & 0xff, oxId, rxId, payload: rsp }, stepNs);
  }

  /** FC-FS-3 15.3.2 ABTS from the originator, and the target's BA_ACC or BA_RJT. */
  abort(oxId: number, rxId: number, answer: 'acc' | 'rjt', stepNs = 50_000): void {
    this.frame(false, { rCtl: 0x81, type: 0x00, fCtl: F.endSeq | F.si, oxId, rxId, payload: new Uint8Array(0) }, stepNs);
    const acc = Uint8Array.from([0, 0, 0, 0, ...be16(oxId), ...be16(rxId), 0, 0, 0xff, 0xff]);
    const rjt = Uint8Array.of(0, 0x03, 0x03, 0); // logical error, invalid OX_ID-RX_ID combination
    this.frame(
      true,
      { rCtl: answer === 'acc' ? 0x84 : 0x85, type: 0x00, fCtl: F.responder | F.lastSeq | F.endSeq, oxId, rxId, payload: answer === 'acc' ? acc : rjt },
      40_000,
    );
  }

  /** An ELS request from `fromTarget ? target : initiator` and its LS_ACC. */
  els(fromTarget: boolean, oxId: number, request: Uint8Array, accept: Uint8Array): void {
    const rxId = this.newRxId();
    this.frame(fromTarget, { rCtl: 0x22, type: 0x01, fCtl: F.firstSeq | F.endSeq | F.si, oxId, rxId: 0xffff, payload: request }, 200_000);
    this.frame(!fromTarget, { rCtl: 0x23, type: 0x01, fCtl: F.responder | F.lastSeq | F.endSeq, oxId, rxId, payload: accept }, 150_000);
  }
}

/** FC-LS-3 PLOGI / FLOGI payload (116 bytes) naming a port; `code` 0x02 makes it an LS_ACC. */
export function loginPayload(code: number, wwpn: number[], wwnn: number[]): Uint8Array {
  const b = new Uint8Array(116);
  b[0] = code;
  b.set([0x20, 0x20, 0x00, 0x0a, 0x88, 0x00, 0x08, 0x00], 4); // common service parameters
  b.set(wwpn, 20);
  b.set(wwnn, 28);
  return b;
}

/** FC-LS-3 PRLI for FCP (service parameter page type 08h); `accept` makes it the LS_ACC. */
export function prliPayload(accept: boolean, target: boolean): Uint8Array {
  return Uint8Array.from([accept ? 0x02 : 0x20, 0x10, 0x00, 0x14, 0x08, 0x00, accept ? 0x21 : 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, target ? 0x12 : 0x22]);
}

// ---- The capture ------------------------------------------------------------------------------

const be = (n: number, bytes: number) => Array.from({ length: bytes }, (_, i) => (n / 2 ** (8 * (bytes - 1 - i))) & 255);
export const FCP_CDB = {
  testUnitReady: [0x00, 0, 0, 0, 0, 0],
  inquiry: (n: number) => [0x12, 0, 0, 0, n, 0],
  readCapacity16: [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0],
  reportLuns: [0xa0, 0, 0, 0, 0, 0, ...be(4096, 4), 0, 0],
  read10: (lba: number, n: number) => [0x28, 0, ...be(lba, 4), 0, ...be(n, 2), 0],
  write10: (lba: number, n: number) => [0x2a, 0, ...be(lba, 4), 0, ...be(n, 2), 0],
  read16: (lba: number, n: number) => [0x88, 0, ...be(lba, 8), ...be(n, 4), 0, 0],
  synchronizeCache10: [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  /** SBC-4 READ(32): variable length CDB, service action 0009h. */
  read32: (lba: number, n: number) => [0x7f, 0, 0, 0, 0, 0, 0, 0x18, 0x00, 0x09, 0, 0, ...be(lba, 8), 0, 0, 0, 0, 0, 0, 0, 0, ...be(n, 4)],
};

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function inquiry(product: string): Uint8Array {
  const b = new Uint8Array(36);
  b[2] = 6;
  b[3] = 2;
  b[4] = 31;
  b[7] = 0x02; // CMDQUE
  const text = `LIO-ORG ${product.padEnd(16).slice(0, 16)}4.0 `;
  for (let i = 0; i < text.length; i++) b[8 + i] = text.charCodeAt(i);
  return b;
}

export const INITIATOR: Port = { fcId: 0x010101, wwpn: [0x20, 0x00, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56] };
export const TARGET: Port = { fcId: 0x010201, wwpn: [0x20, 0x00, 0x52, 0x54, 0x00, 0x12, 0x34, 0x57] };
const FCF_MAC = '00:05:73:aa:bb:cc';
const FCOE_VLAN = 1002;

/**
 * A Linux-style FCoE initiator on VLAN 1002 of an FCF: FIP discovery and FLOGI (fabric login,
 * noise to the reader), name server and target PLOGI, PRLI, then SCSI over FCP: REPORT LUNS,
 * INQUIRY (residual under), a unit attention with sense, READ CAPACITY(16), multi-frame reads,
 * writes with one and with two XFER_RDY bursts, a READ(32) (additional CDB length), three
 * commands in flight, TASK SET FULL, a read past the end (ILLEGAL REQUEST), a residual over,
 * a hung read ended by ABTS / BA_ACC, an ABTS the target rejects, a LOGICAL UNIT RESET, and a
 * command still in flight at the end.
 */
export function fcoeCapture(): Packet[] {
  const l = new FcpLink(INITIATOR, TARGET, { vlan: FCOE_VLAN });
  // FIP VLAN discovery and solicitation (EtherType 0x8914), untagged: not FCoE, ignored.
  const fip = (src: string, dst: string, op: number) =>
    l.packets.push({
      timeNs: (l.timeNs += 100_000),
      data: etherFrame(dst, src, 0x8914, Uint8Array.from([0x10, 0, ...be16(op), 0, 0, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 0])),
    });
  fip('52:54:00:12:34:56', '01:10:18:01:00:02', 4);
  fip(FCF_MAC, '52:54:00:12:34:56', 4);
  fip('52:54:00:12:34:56', '01:10:18:01:00:02', 1);
  fip(FCF_MAC, '52:54:00:12:34:56', 1);
  // FLOGI to the fabric (from S_ID 0) and its LS_ACC from 0xFFFFFE, on the FCF's MAC.
  const fabric: Port = { fcId: 0xfffffe, wwpn: [0x20, 0x01, 0x00, 0x05, 0x73, 0xaa, 0xbb, 0xcc] };
  const login = new FcpLink({ fcId: 0, wwpn: INITIATOR.wwpn }, fabric, { vlan: FCOE_VLAN });
  login.timeNs = l.timeNs;
  login.els(
    false,
    0x0001,
    loginPayload(0x04, INITIATOR.wwpn, [0x10, 0, 0x52, 0x54, 0, 0x12, 0x34, 0x56]),
    loginPayload(0x02, fabric.wwpn, [0x10, 0x01, 0, 5, 0x73, 0xaa, 0xbb, 0xcc]),
  );
  l.packets.push(...login.packets);
  l.timeNs = login.timeNs;
  // PLOGI and PRLI with the target.
  l.els(
    false,
    0x0002,
    loginPayload(0x03, INITIATOR.wwpn, [0x10, 0, 0x52, 0x54, 0, 0x12, 0x34, 0x56]),
    loginPayload(0x02, TARGET.wwpn, [0x10, 0, 0x52, 0x54, 0, 0x12, 0x34, 0x57]),
  );
  l.els(false, 0x0003, prliPayload(false, false), prliPayload(true, true));

  let ox = 0x0010;
  const run = (c: {
    lun?: number;
    cdb: number[];
    dl: number;
    dataIn?: Uint8Array;
    dataOut?: Uint8Array;
    bursts?: number;
    rsp: Uint8Array;
    busyNs?: number;
  }) => {
    const oxId = ox++;
    const rxId = l.newRxId();
    l.command(
      oxId,
      fcpCmnd({ ...(c.lun !== undefined ? { lun: c.lun } : {}), cdb: c.cdb, dl: c.dl, read: c.dataIn !== undefined, write: c.dataOut !== undefined }),
    );
    if (c.dataOut) {
      const bursts = c.bursts ?? 1;
      const size = Math.ceil(c.dataOut.length / bursts);
      for (let o = 0; o < c.dataOut.length; o += size) {
        l.xferRdy(oxId, rxId, o, Math.min(size, c.dataOut.length - o));
        l.data(false, oxId, rxId, c.dataOut.subarray(o, o + size), o);
      }
    }
    if (c.dataIn) l.data(true, oxId, rxId, c.dataIn, 0, c.busyNs ?? 20_000);
    l.response(oxId, rxId, c.rsp, c.dataIn ? 10_000 : (c.busyNs ?? 60_000));
    return oxId;
  };
  run({
    cdb: FCP_CDB.reportLuns,
    dl: 4096,
    dataIn: Uint8Array.of(0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
    rsp: fcpRsp({ under: 4096 - 24 }),
  });
  run({ cdb: FCP_CDB.inquiry(255), dl: 255, dataIn: inquiry('fileio disk'), rsp: fcpRsp({ under: 255 - 36 }) });
  run({ lun: 1, cdb: FCP_CDB.inquiry(255), dl: 255, dataIn: inquiry('ramdisk'), rsp: fcpRsp({ under: 255 - 36 }) });
  run({ cdb: FCP_CDB.testUnitReady, dl: 0, rsp: fcpRsp({ status: 2, sense: fixedSense(6, 0x29, 0x00) }) });
  run({ cdb: FCP_CDB.testUnitReady, dl: 0, rsp: fcpRsp({}) });
  run({
    cdb: FCP_CDB.readCapacity16,
    dl: 32,
    dataIn: Uint8Array.from([0, 0, 0, 0, 0, 0x01, 0xff, 0xff, 0, 0, 2, 0, ...new Array<number>(20).fill(0)]),
    rsp: fcpRsp({}),
  });
  run({ lun: 1, cdb: FCP_CDB.read10(0, 16), dl: 8192, dataIn: pattern(8192, 1), rsp: fcpRsp({}) });
  run({ cdb: FCP_CDB.write10(0x100, 16), dl: 8192, dataOut: pattern(8192, 2), rsp: fcpRsp({}), busyNs: 400_000 });
  run({ cdb: FCP_CDB.write10(0x200, 32), dl: 16384, dataOut: pattern(16384, 3), bursts: 2, rsp: fcpRsp({}) });
  run({ cdb: FCP_CDB.read32(0x300, 4), dl: 2048, dataIn: pattern(2048, 4), rsp: fcpRsp({}) });
  // Three commands in flight; the target answers the last first.
  const inFlight = [ox, ox + 1, ox + 2];
  ox += 3;
  const rx = inFlight.map(() => l.newRxId());
  inFlight.forEach((o, i) => l.command(o, fcpCmnd({ cdb: FCP_CDB.read10(0x1000 + i * 8, 8), dl: 4096, read: true, attribute: i === 2 ? 2 : 0 })));
  for (const i of [2, 0, 1]) {
    l.data(true, inFlight[i]!, rx[i]!, pattern(4096, 10 + i));
    l.response(inFlight[i]!, rx[i]!, fcpRsp({}), 5_000);
  }
  run({ cdb: FCP_CDB.read10(0x2000, 8), dl: 4096, rsp: fcpRsp({ status: 0x28 }) }); // TASK SET FULL
  run({ cdb: FCP_CDB.read16(0x20000, 8), dl: 4096, rsp: fcpRsp({ status: 2, under: 4096, sense: fixedSense(5, 0x21, 0x00) }) });
  // The CDB asks for 4 blocks, FCP_DL allows 1024 bytes: the target sends what fits (FCP-4 9.4.2).
  run({ cdb: FCP_CDB.read10(0x10, 4), dl: 1024, dataIn: pattern(1024, 5), rsp: fcpRsp({ over: 1024 }) });
  run({ cdb: FCP_CDB.synchronizeCache10, dl: 0, rsp: fcpRsp({}), busyNs: 3_000_000 });
  // A read the target never answers: after the SCSI timeout the initiator aborts the exchange.
  const hung = ox++;
  const hungRx = l.newRxId();
  l.command(hung, fcpCmnd({ cdb: FCP_CDB.read10(0x5000, 8), dl: 4096, read: true }));
  l.timeNs += 30_000_000_000;
  l.abort(hung, hungRx, 'acc');
  // An ABTS for an exchange the target no longer knows: BA_RJT.
  l.abort(0x0fff, 0xffff, 'rjt');
  // LOGICAL UNIT RESET (task management flags 10h), answered with RSP_CODE 00h.
  const reset = ox++;
  l.command(reset, fcpCmnd({ cdb: [], dl: 0, tmf: 0x10 }));
  l.response(reset, l.newRxId(), fcpRsp({ rspCode: 0 }), 800_000);
  run({ cdb: FCP_CDB.testUnitReady, dl: 0, rsp: fcpRsp({ status: 2, sense: fixedSense(6, 0x29, 0x03) }) });
  run({ cdb: FCP_CDB.read10(0x5000, 8), dl: 4096, dataIn: pattern(4096, 6), rsp: fcpRsp({}) });
  // Still in flight when the capture stops.
  l.command(ox++, fcpCmnd({ cdb: FCP_CDB.read10(0x6000, 8), dl: 4096, read: true }));
  return l.packets.sort((a, b) => a.timeNs - b.timeNs);
}
