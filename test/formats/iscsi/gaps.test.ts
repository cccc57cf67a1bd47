/**
 * Lossy and damaged iSCSI streams: capture gaps become CaptureGap events, bytes are never joined
 * across a gap, resynchronisation keeps looking past header-like bytes it cannot confirm, and a
 * PDU whose data segment length is wrong is reported and read past.
 */
import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { GapAffects, GapUnit, type CaptureGap, type TraceEvent } from '../../../src/model/events.js';
import {
  Conversation,
  concat,
  dataIn,
  ethernet,
  ipTcp,
  loginRequest,
  loginResponse,
  nopOut,
  pcapFile,
  scsiCommand,
  scsiResponse,
  tasksOf,
  TCP,
  type Packet,
} from '../../helpers/pcap.js';

const READ10 = (lba: number, n: number) => [0x28, 0, lba >>> 24, (lba >> 16) & 255, (lba >> 8) & 255, lba & 255, 0, n >> 8, n & 255, 0];
const TUR = [0, 0, 0, 0, 0, 0];

function login(c: Conversation, maxRecv?: { initiator?: number; target?: number }): void {
  c.send(true, loginRequest({ keys: { InitiatorName: 'iqn.test:i', ...(maxRecv?.initiator ? { MaxRecvDataSegmentLength: String(maxRecv.initiator) } : {}) } }));
  c.send(
    false,
    loginResponse({ keys: { HeaderDigest: 'None', DataDigest: 'None', ...(maxRecv?.target ? { MaxRecvDataSegmentLength: String(maxRecv.target) } : {}) } }),
  );
}

/** n READ(10)s, each answered by one Data-In with status, and a CHECK CONDITION at the end. */
function reads(c: Conversation, first: number, n: number, mss?: number): void {
  for (let i = 0; i < n; i++) {
    c.send(true, scsiCommand({ itt: first + i, cdb: READ10(first + i, 1), edtl: 512, read: true }), mss);
    c.send(false, dataIn({ itt: first + i, data: new Uint8Array(512).fill(i), status: 0 }), mss);
  }
}

const diagnostics = (events: TraceEvent[]) => events.filter((e) => e.kind === 'diagnostic').map((e) => (e.kind === 'diagnostic' ? e.message : ''));
const gapsOf = (events: TraceEvent[]) => events.filter((e): e is CaptureGap => e.kind === 'gap');
const completedItts = (events: TraceEvent[]) =>
  tasksOf(events)
    .filter((t) => t.complete)
    .map((t) => Number(t.submit.tag))
    .sort((a, b) => a - b);

/** Raw TCP segment from one side with an explicit sequence number (for holes and odd bytes). */
function rawSegment(c: Conversation, fromInitiator: boolean, seq: number, payload: Uint8Array): Packet {
  const ip = ipTcp({
    src: fromInitiator ? '10.0.0.1' : '10.0.0.2',
    dst: fromInitiator ? '10.0.0.2' : '10.0.0.1',
    sport: fromInitiator ? 40000 : 3260,
    dport: fromInitiator ? 3260 : 40000,
    seq,
    flags: TCP.ACK | TCP.PSH,
    payload,
  });
  return { timeNs: (c.timeNs += 1_000_000), data: ethernet(ip) };
}

describe('iSCSI capture gaps', () => {
  it('turns each TCP hole into a CaptureGap: direction, target, byte count and sequence range', () => {
    const c = new Conversation().handshake();
    login(c);
    reads(c, 1, 3);
    const lostCommand = c.packets.length + 0; // the next command's only segment
    reads(c, 4, 1);
    const lostResponse = c.packets.length + 1; // the next Data-In's segment
    reads(c, 5, 3);
    const packets = c.packets.filter((_, i) => i !== lostCommand && i !== lostResponse);
    const events = decodeCapture(pcapFile(packets));
    expect(diagnostics(events)).toEqual([]);
    const gaps = gapsOf(events);
    expect(gaps.map((g) => [g.affects, g.unit, g.lost, g.targetId])).toEqual([
      [GapAffects.Submissions, GapUnit.Bytes, 48, 0n],
      [GapAffects.Completions, GapUnit.Bytes, 48 + 512, 0n],
    ]);
    // The gap lies between the last packet before it and the first after it.
    const cmdGap = gaps[0]!;
    // (in its own direction: the command before it; the Data-In between ran the other way)
    expect(cmdGap.timeNs).toBe(packets[lostCommand - 2]!.timeNs - packets[0]!.timeNs);
    expect(cmdGap.endNs).toBeGreaterThan(cmdGap.timeNs);
    expect(cmdGap.detail).toMatch(
      /^iSCSI connection 0 10\.0\.0\.1:40000 → 10\.0\.0\.2:3260: TCP sequence (\d+)\.\.(\d+) \(48 bytes\) (acknowledged by the peer but missing from the capture|never filled before the end of the capture)$/,
    );
    const [, from, to] = /sequence (\d+)\.\.(\d+)/.exec(cmdGap.detail)!;
    expect(Number(to) - Number(from) + 1).toBe(48);
    // Everything else is read: ITT 4's command and ITT 5's Data-In were lost.
    expect(completedItts(events)).toEqual([1, 2, 3, 6, 7]);
  });

  it('a snap length that cuts a segment is a gap too', () => {
    const c = new Conversation().handshake();
    login(c);
    reads(c, 1, 2);
    const cut = c.packets.length + 1;
    reads(c, 3, 2);
    const packets = c.packets.map((p, i) => (i === cut ? { ...p, data: p.data.subarray(0, p.data.length - 100), originalLength: p.data.length } : p));
    const events = decodeCapture(pcapFile(packets));
    const gaps = gapsOf(events);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ affects: GapAffects.Completions, lost: 100, unit: GapUnit.Bytes });
    expect(gaps[0]!.detail).toMatch(/cut by the capture's snap length/);
    expect(diagnostics(events)).toEqual([]);
  });

  it('never stitches a header together from bytes on both sides of a hole', () => {
    // A capture that starts mid-stream (so the framer is searching), whose bytes before a hole
    // end like the start of a SCSI Command header and whose bytes after it complete one: CDB
    // opcode 0x02, 6,252,749 bytes, as seen in a real lossy capture.
    const c = new Conversation();
    const before = new Uint8Array(2000);
    before.set([0x01, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5], 2000 - 20);
    const after = new Uint8Array(28);
    new DataView(after.buffer).setUint32(0, 6_252_749); // EDTL (header bytes 20..23)
    after[12] = 0x02; // CDB byte 0 (header byte 32)
    const seq = 1000;
    const packets: Packet[] = [
      rawSegment(c, true, seq, before),
      rawSegment(c, true, seq + 2000 + 700, concat([after, nopOut(0x50), scsiCommand({ itt: 9, cdb: TUR })])),
    ];
    const t = new Conversation();
    t.timeNs = c.timeNs;
    packets.push(rawSegment(t, false, 9000, scsiResponse({ itt: 9, status: 0 })));
    // The target acknowledges everything, so the hole is given up at once.
    const events = decodeCapture(pcapFile(packets));
    const submits = events.filter((e) => e.kind === 'submit');
    expect(submits.map((e) => (e.kind === 'submit' ? e.cdb[0] : -1))).not.toContain(0x02);
    expect(gapsOf(events).map((g) => g.lost)).toEqual([700]);
  });

  it('keeps searching past header-like bytes it cannot confirm (a NOP-Out pattern in disk data claiming 64 KiB)', () => {
    const c = new Conversation().handshake();
    login(c, { initiator: 262144, target: 262144 });
    reads(c, 1, 2);
    // A READ whose data holds, near its start, bytes that look like a NOP-In header with a
    // 64 KiB data segment. The capture loses this Data-In's header, so the search starts in it.
    const fake = new Uint8Array(48);
    fake[0] = 0x20;
    fake[1] = 0x80;
    fake[5] = 0x01; // data segment length 0x010000
    const data = new Uint8Array(8192);
    data.set(fake, 100);
    c.send(true, scsiCommand({ itt: 3, cdb: READ10(3, 16), edtl: 8192, read: true }));
    const lost = c.packets.length;
    c.send(false, dataIn({ itt: 3, data, status: 0 }));
    reads(c, 4, 6);
    const packets = c.packets.filter((_, i) => i !== lost);
    const events = decodeCapture(pcapFile(packets));
    expect(gapsOf(events)).toHaveLength(1);
    // Every later response is found: none of ITT 4..9 is left without its completion.
    expect(completedItts(events)).toEqual([1, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('bounds the lengths it believes while searching by the MaxRecvDataSegmentLength declared at login', () => {
    // Disk data holding a Data-In header (status CHECK CONDITION) whose claimed 10,452 bytes end
    // exactly where the next real PDU starts: without a bound it would be confirmed and complete
    // ITT 2 with a status the target never sent. The initiator declared 8192 at login.
    const c = new Conversation().handshake();
    login(c, { initiator: 8192, target: 8192 });
    reads(c, 1, 1);
    const D = 12000;
    const X = 1500;
    const fake = new Uint8Array(48);
    fake[0] = 0x25;
    fake[1] = 0x81; // F and S
    fake[3] = 0x02; // CHECK CONDITION
    const L = D - X - 48;
    fake[5] = (L >> 16) & 0xff;
    fake[6] = (L >> 8) & 0xff;
    fake[7] = L & 0xff;
    new DataView(fake.buffer).setUint32(16, 2); // ITT 2
    const data = new Uint8Array(D);
    data.set(fake, X);
    c.send(true, scsiCommand({ itt: 2, cdb: READ10(2, 24), edtl: D, read: true }));
    const lost = c.packets.length;
    c.send(false, dataIn({ itt: 2, data, status: 0 }));
    c.send(true, scsiCommand({ itt: 3, cdb: TUR }));
    c.send(false, scsiResponse({ itt: 3, status: 0 }));
    const events = decodeCapture(pcapFile(c.packets.filter((_, i) => i !== lost)));
    expect(events.some((e) => e.kind === 'complete' && e.status === 2)).toBe(false);
    expect(completedItts(events)).toEqual([1, 3]);
    // Bytes inside data are not damage: only the gap is reported.
    expect(diagnostics(events)).toEqual([]);
    expect(gapsOf(events)).toHaveLength(1);
  });
});

describe('iSCSI PDU with a wrong data segment length', () => {
  /** A session whose PDU number `victim` (counting initiator PDUs after login) gets DSL 0x10000. */
  function corrupted(maxRecv: number, fin: boolean, immediate = 0): { bytes: Uint8Array; victimOffset: number } {
    const c = new Conversation().handshake();
    login(c, { initiator: maxRecv, target: maxRecv });
    const pdus: Uint8Array[] = [];
    for (let i = 1; i <= 12; i++)
      pdus.push(
        scsiCommand(
          immediate && i > 4
            ? { itt: i, cdb: [0x2a, 0, 0, 0, 0, i, 0, 0, immediate / 512, 0], edtl: immediate, write: true, immediate: new Uint8Array(immediate).fill(i) }
            : { itt: i, cdb: TUR },
        ),
      );
    const victim = pdus[3]!;
    victim[5] = 0x01;
    victim[6] = 0;
    victim[7] = 0; // 0x010000
    for (let i = 0; i < pdus.length; i++) {
      c.send(true, pdus[i]!);
      c.send(false, scsiResponse({ itt: i + 1, status: 0 }));
    }
    if (fin) {
      for (const fromInitiator of [true, false]) c.packets.push(rawSegment(c, fromInitiator, 0, new Uint8Array(0)));
    }
    void victim;
    const bytes = pcapFile(c.packets);
    // The victim is the 4th command: find its packet's offset in the file.
    let o = 24;
    let victimOffset = -1;
    for (let i = 0, cmd = 0; i < c.packets.length; i++) {
      const p = c.packets[i]!;
      if (p.data.length > 54 && p.data[54] === 0x01 && p.data[54 + 5] === 0x01) victimOffset = o;
      o += 16 + p.data.length;
      void cmd;
    }
    return { bytes, victimOffset };
  }

  it('reports a length above the declared MaxRecvDataSegmentLength at its offset and reads on', () => {
    const { bytes, victimOffset } = corrupted(8192, false);
    const events = decodeCapture(bytes);
    const d = diagnostics(events);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(
      new RegExp(`^at byte 0x${victimOffset.toString(16)} \\(packet \\d+\\): iSCSI connection 0 .*claims a data segment of 65536 bytes, more than the 8192`),
    );
    // Every command but the damaged one is read, and answered.
    expect(completedItts(events)).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it.each([
    ['the stream ends inside it', 0],
    ['no header follows where it ends', 8192],
  ])('reports a plausible but wrong length when %s, and reads on', (_, immediate) => {
    const { bytes, victimOffset } = corrupted(262144, false, immediate);
    const events = decodeCapture(bytes);
    const d = diagnostics(events);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(new RegExp(`^at byte 0x${victimOffset.toString(16)} \\(packet \\d+\\): iSCSI connection 0 .*data segment (length |of )65536`));
    // Every command after the damaged one is found again and answered (their answers were read
    // first, the commands only once the damage showed).
    expect(completedItts(events)).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});

describe('a Data-In whose data segment length is corrupted to 0x10000, no login captured (issue 11)', () => {
  it('is one diagnostic; the search that follows keeps every byte, so no later PDU is misframed', () => {
    const c = new Conversation().handshake();
    for (let i = 1; i <= 30; i++) {
      c.send(true, scsiCommand({ itt: i, cdb: READ10(i, 8), edtl: 4096, read: true, cmdSn: i }));
      const pdu = dataIn({ itt: i, data: new Uint8Array(4096).fill(i), status: 0 });
      if (i === 3) pdu.set([0x01, 0x00, 0x00], 5); // DataSegmentLength 0x010000
      c.send(false, pdu);
    }
    const events = decodeCapture(pcapFile(c.packets));
    // Without the login the reader first tries the four bytes after the claimed data as a data
    // digest; when no header follows them either, they must go back into the search.
    const d = diagnostics(events);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(
      /no PDU header where the data segment of the PDU before it ends \(that PDU: opcode 0x25, data segment length 65536; found bytes with opcode 0x12\)/,
    );
    const tasks = tasksOf(events);
    expect(completedItts(events)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Every answer after the damage keeps its own time: 3 ms (the command, then three Data-In segments).
    for (const t of tasks) if (Number(t.submit.tag) > 3) expect(t.complete!.timeNs - t.submit.timeNs, `task ${t.submit.tag}`).toBe(3_000_000);
  });
});
