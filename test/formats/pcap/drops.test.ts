/**
 * pcapng drop counts (epb_dropcount, isb_ifdrop/isb_osdrop) become capture gaps on USB
 * interfaces, where nothing else says what was lost, and a note on IP ones, where TCP holes
 * place every lost byte per connection.
 */
import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { GapAffects, GapUnit } from '../../../src/model/events.js';
import { Conversation, cbw, concat, csw, pcapngFile, scsiCommand, usbmon } from '../../helpers/pcap.js';
import { FCP_CDB, FcpLink, INITIATOR, TARGET, fcpCmnd } from '../../helpers/fcoe.js';

const USB_MMAPPED = 220;

function block(type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const b = new Uint8Array(12 + padded);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, b.length, true);
  b.set(body, 8);
  v.setUint32(b.length - 4, b.length, true);
  return b;
}

function option(code: number, value: bigint): Uint8Array {
  const o = new Uint8Array(12);
  const v = new DataView(o.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, 8, true);
  v.setBigUint64(4, value, true);
  return o;
}

/** Interface statistics block (pcapng 4.6) with the given options, at tick `ticks` (µs). */
function isb(ticks: bigint, ...options: Uint8Array[]): Uint8Array {
  const head = new Uint8Array(12);
  const v = new DataView(head.buffer);
  v.setUint32(0, 0, true);
  v.setUint32(4, Number(ticks >> 32n), true);
  v.setUint32(8, Number(ticks & 0xffffffffn), true);
  return block(5, concat([head, ...options, new Uint8Array(4)]));
}

/** Enhanced packet block (pcapng 4.3) with an epb_dropcount option. */
function epbWithDrops(ticks: bigint, data: Uint8Array, drops: bigint): Uint8Array {
  const head = new Uint8Array(20);
  const v = new DataView(head.buffer);
  v.setUint32(4, Number(ticks >> 32n), true);
  v.setUint32(8, Number(ticks & 0xffffffffn), true);
  v.setUint32(12, data.length, true);
  v.setUint32(16, data.length, true);
  const padded = new Uint8Array((data.length + 3) & ~3);
  padded.set(data);
  return block(6, concat([head, padded, option(4, drops), new Uint8Array(4)]));
}

const START_US = 1_700_000_000n * 1_000_000n;

describe('pcapng drop counts', () => {
  it('on a USB interface: interface statistics and per-packet drop counts are capture gaps', () => {
    const packets = [
      { timeNs: 0, data: usbmon({ id: 1n, submit: true, endpoint: 0x02, length: 31, data: cbw(1, 0, false, [0, 0, 0, 0, 0, 0]) }) },
      { timeNs: 1000, data: usbmon({ id: 2n, submit: false, endpoint: 0x81, length: 13, data: csw(1, 0, 0) }) },
    ];
    const file = concat([
      pcapngFile(packets, { interfaces: [{ linkType: USB_MMAPPED }] }),
      epbWithDrops(START_US + 5000n, usbmon({ id: 3n, submit: true, endpoint: 0x02, length: 31, data: cbw(2, 0, false, [0, 0, 0, 0, 0, 0]) }), 4n),
      isb(START_US + 9000n, option(5, 3n), option(7, 4n)),
      isb(START_US + 12000n, option(5, 3n), option(7, 4n)), // no rise: nothing new lost
    ]);
    const events = decodeCapture(file);
    const gaps = events.filter((e) => e.kind === 'gap');
    expect(gaps.map((g) => (g.kind === 'gap' ? [g.lost, g.unit, g.affects, g.targetId] : []))).toEqual([
      [4, GapUnit.Packets, GapAffects.All, undefined],
      [7, GapUnit.Packets, GapAffects.All, undefined],
    ]);
    expect(gaps[0]).toMatchObject({ timeNs: 1000, endNs: 5_000_000 }); // between the packets either side
    expect(gaps[1]!.kind === 'gap' && gaps[1]!.detail).toMatch(/dropped 7 packets \(isb_ifdrop \+ isb_osdrop\)/);
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
  });

  it('on an IP interface: a note, since TCP holes say what each connection lost', () => {
    const c = new Conversation().handshake();
    c.send(true, scsiCommand({ itt: 1, cdb: [0, 0, 0, 0, 0, 0] }));
    const file = concat([pcapngFile(c.packets), isb(START_US + 9000n, option(5, 2n))]);
    const events = decodeCapture(file);
    expect(events.filter((e) => e.kind === 'gap')).toEqual([]);
    expect(events.some((e) => e.kind === 'note' && /interface 0 dropped 2 packets/.test(e.text))).toBe(true);
  });

  it('on an Ethernet interface that carried FCoE: a capture gap, since FC frames carry no stream to place the loss', () => {
    const l = new FcpLink(INITIATOR, TARGET);
    l.command(1, fcpCmnd({ cdb: FCP_CDB.testUnitReady, dl: 0 }));
    const file = concat([pcapngFile(l.packets), isb(START_US + 9000n, option(5, 2n))]);
    const events = decodeCapture(file);
    expect(events.filter((e) => e.kind === 'gap').map((g) => g.kind === 'gap' && [g.lost, g.unit, g.affects, g.detail])).toEqual([
      [2, GapUnit.Packets, GapAffects.All, 'FCoE capture interface 0 dropped 2 packets (isb_ifdrop + isb_osdrop)'],
    ]);
  });
});
