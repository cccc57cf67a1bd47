import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { sniffFormat } from '../../../src/formats/index.js';
import { newReadStats } from '../../../src/model/stats.js';
import type { TraceEvent } from '../../../src/model/events.js';
import {
  Conversation,
  concat,
  dataIn,
  ethernet,
  loginRequest,
  loginResponse,
  pcapFile,
  pcapngFile,
  scsiCommand,
  scsiResponse,
  tasksOf,
  type Packet,
} from '../../helpers/pcap.js';

const READ10 = [0x28, 0, 0, 0, 0, 9, 0, 0, 1, 0];

function session(link?: (ip: Uint8Array) => Uint8Array, ipv6 = false): Conversation {
  const c = new Conversation({ ...(link ? { link } : {}), ipv6 }).handshake();
  c.send(true, loginRequest({ keys: { InitiatorName: 'iqn.x' } }));
  c.send(false, loginResponse({ keys: { HeaderDigest: 'None' } }));
  c.send(true, scsiCommand({ itt: 1, cdb: READ10, edtl: 512, read: true }));
  c.send(false, dataIn({ itt: 1, data: new Uint8Array(512), status: 0 }));
  c.send(true, scsiCommand({ itt: 2, cdb: [0, 0, 0, 0, 0, 0] }));
  c.send(false, scsiResponse({ itt: 2, status: 0 }));
  return c;
}

function expectTwoTasks(events: TraceEvent[]): void {
  expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
  const t = tasksOf(events);
  expect(t.map((x) => [x.submit.cdb[0], x.complete?.status, x.latencyNs])).toEqual([
    [0x28, 0, 1_000_000],
    [0x00, 0, 1_000_000],
  ]);
}

describe('pcap and pcapng containers', () => {
  it('reads pcap in both byte orders, microsecond and nanosecond', () => {
    const c = session();
    for (const o of [{}, { bigEndian: true }, { nanos: true }, { nanos: true, bigEndian: true }]) {
      const bytes = pcapFile(c.packets, o);
      expect(sniffFormat(bytes)?.id).toBe('pcap');
      const events = decodeCapture(bytes);
      expect(events[0]).toMatchObject({ kind: 'header', format: 'pcap', startWallNs: 1_700_000_000n * 1_000_000_000n + 1_000_000n });
      expectTwoTasks(events);
    }
  });

  it('reads pcapng with several interfaces of different timestamp resolutions, both byte orders', () => {
    const a = session();
    const b = new Conversation({ iport: 41000 }).handshake();
    b.send(true, scsiCommand({ itt: 9, cdb: [0, 0, 0, 0, 0, 0] }));
    b.timeNs += 1234; // sub-microsecond detail survives on the nanosecond interface
    b.send(false, scsiResponse({ itt: 9, status: 0x08 }));
    const packets: Packet[] = [...a.packets, ...b.packets.map((p) => ({ ...p, timeNs: p.timeNs + 100, interfaceId: 1 }))].sort((x, y) => x.timeNs - y.timeNs);
    for (const bigEndian of [false, true]) {
      const custom = new Uint8Array(16);
      new DataView(custom.buffer).setUint32(0, 0xbad, !bigEndian);
      new DataView(custom.buffer).setUint32(4, 16, !bigEndian);
      new DataView(custom.buffer).setUint32(12, 16, !bigEndian);
      const bytes = pcapngFile(packets, { interfaces: [{ linkType: 1 }, { linkType: 1, tsresol: 9 }], bigEndian, extraBlocks: [custom] });
      expect(sniffFormat(bytes)?.id).toBe('pcapng');
      const stats = newReadStats();
      const events = decodeCapture(bytes, {}, stats);
      const tasks = tasksOf(events);
      expect(tasks).toHaveLength(3);
      const busy = tasks.find((t) => t.complete?.status === 0x08)!;
      expect(busy.latencyNs).toBe(1_001_234);
      expect(stats.unknownRecords).toBe(0); // custom blocks are known and skipped
    }
  });

  it('reads simple packet blocks and skips statistics and name-resolution blocks', () => {
    const c = session();
    const block = (type: number, body: Uint8Array) => {
      const b = new Uint8Array(12 + body.length);
      const v = new DataView(b.buffer);
      v.setUint32(0, type, true);
      v.setUint32(4, b.length, true);
      b.set(body, 8);
      v.setUint32(b.length - 4, b.length, true);
      return b;
    };
    const spbs = c.packets.map((p) => {
      const body = new Uint8Array(4 + ((p.data.length + 3) & ~3));
      new DataView(body.buffer).setUint32(0, p.data.length, true);
      body.set(p.data, 4);
      return block(3, body);
    });
    const isb = block(5, new Uint8Array(12));
    const nrb = block(4, new Uint8Array(4));
    const bytes = pcapngFile([], { extraBlocks: [nrb, ...spbs, isb] });
    const stats = newReadStats();
    const events = decodeCapture(bytes, {}, stats);
    expect(events.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    // Simple packet blocks carry no time: both commands are found, with zero latency.
    expect(tasksOf(events).map((t) => [t.submit.cdb[0], t.complete?.status, t.latencyNs])).toEqual([
      [0x28, 0, 0],
      [0x00, 0, 0],
    ]);
    expect(stats.unknownRecords).toBe(0);
  });

  it.each([
    ['Ethernet with stacked VLAN tags', (ip: Uint8Array) => ethernet(ip, { vlan: [100, 200] }), 1],
    ['Linux cooked (SLL)', (ip: Uint8Array) => concat([new Uint8Array(14), Uint8Array.of(0x08, 0x00), ip]), 113],
    ['Linux cooked v2 (SLL2)', (ip: Uint8Array) => concat([Uint8Array.of(0x08, 0x00), new Uint8Array(18), ip]), 276],
    ['raw IP', (ip: Uint8Array) => ip, 101],
    ['null/loopback (host order)', (ip: Uint8Array) => concat([Uint8Array.of(2, 0, 0, 0), ip]), 0],
    ['OpenBSD loopback (network order)', (ip: Uint8Array) => concat([Uint8Array.of(0, 0, 0, 2), ip]), 108],
  ])('decodes iSCSI over %s', (_name, link, linkType) => {
    expectTwoTasks(decodeCapture(pcapFile(session(link).packets, { linkType })));
  });

  it('decodes iSCSI over IPv6 (Ethernet and raw)', () => {
    expectTwoTasks(decodeCapture(pcapFile(session(undefined, true).packets)));
    expectTwoTasks(decodeCapture(pcapFile(session((ip) => ip, true).packets, { linkType: 101 })));
  });

  it('reports a truncated capture at its byte offset after reading every whole packet', () => {
    const bytes = pcapFile(session().packets);
    const cut = bytes.subarray(0, bytes.length - 10);
    const events = decodeCapture(cut);
    const d = events.filter((e) => e.kind === 'diagnostic');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ fatal: true });
    expect(d[0]!.kind === 'diagnostic' && d[0]!.message).toMatch(/^at byte 0x[0-9a-f]+: truncated packet/);
    expect(tasksOf(events).filter((t) => t.complete)).toHaveLength(1);
  });

  it('skips garbage between pcap records, says where, and reads on', () => {
    const c = session();
    const head = pcapFile(c.packets.slice(0, 8));
    const tail = pcapFile(c.packets.slice(8)).subarray(24);
    const junk = new Uint8Array(333).fill(0xee);
    const stats = newReadStats();
    const events = decodeCapture(concat([head, junk, tail]), {}, stats);
    const d = events.filter((e) => e.kind === 'diagnostic');
    expect(d.map((x) => x.kind === 'diagnostic' && x.message)).toEqual([
      `at byte 0x${head.length.toString(16)}: implausible packet record header (length ${0xeeeeeeee}, original ${0xeeeeeeee}); skipped 333 bytes, resynchronised at byte 0x${(head.length + 333).toString(16)}`,
    ]);
    expect(stats.skippedBytes).toBe(333);
    expect(tasksOf(events).filter((t) => t.complete)).toHaveLength(2);
  });

  it('skips a pcapng block whose lengths disagree and reads on', () => {
    const bytes = pcapngFile(session().packets).slice();
    // Find the 9th enhanced packet block and break its trailing length.
    const v = new DataView(bytes.buffer);
    let o = 0;
    let epb = 0;
    while (o < bytes.length) {
      const type = v.getUint32(o, true);
      const len = v.getUint32(o + 4, true);
      if (type === 6 && ++epb === 9) {
        v.setUint32(o + len - 4, 7, true);
        break;
      }
      o += len;
    }
    const events = decodeCapture(bytes);
    const d = events.filter((e) => e.kind === 'diagnostic');
    expect(d.length).toBeGreaterThanOrEqual(1);
    expect(d[0]!.kind === 'diagnostic' && d[0]!.message).toMatch(new RegExp(`^at byte 0x${o.toString(16)}: block type 0x6: trailing length 7`));
  });

  it('survives random truncations and byte flips with events or diagnostics only', () => {
    const base = pcapngFile(session().packets);
    const basePcap = pcapFile(session().packets);
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 400; i++) {
      const src = i % 2 ? base : basePcap;
      const b = src.slice(0, src.length - rnd(40));
      for (let k = 0; k < 1 + rnd(6); k++) b[rnd(b.length)] = rnd(256);
      const events = decodeCapture(b);
      for (const e of events) expect(['header', 'submit', 'complete', 'diagnostic', 'note', 'hba', 'gap']).toContain(e.kind);
    }
  });

  it('says in one line when a file is not a capture', () => {
    const events = decodeCapture(new TextEncoder().encode('this is not a pcap file at all........'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'diagnostic', fatal: true, message: 'at byte 0x0: not a pcap or pcapng capture (bad magic)' });
  });
});

describe('captures through the CLI', () => {
  it('decodes a capture by content, by --input-format, and on the port given by --iscsi-port', async () => {
    const { runScsitrace } = await import('../../helpers/cli.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path'); // eslint-disable-line @typescript-eslint/unbound-method -- path.join uses no `this`
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-pcap-'));
    const c = new Conversation({ tport: 5000 }).handshake();
    c.send(true, scsiCommand({ itt: 1, cdb: READ10, edtl: 512, read: true }));
    c.send(false, dataIn({ itt: 1, data: new Uint8Array(512), status: 0 }));
    const path = join(dir, 'capture.bin');
    writeFileSync(path, pcapngFile(c.packets));
    const auto = await runScsitrace('decode', path);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toMatch(/READ\(10\) LBA 9/);
    const forced = await runScsitrace('decode', '--input-format', 'pcapng', '--iscsi-port', '5000', '--format', 'json', path);
    expect(JSON.parse(forced.stdout.trim())).toMatchObject({ opcode: 0x28, lba: 9, statusCode: 0, bytesTransferred: 512 });
    const wrongPort = await runScsitrace('decode', '--iscsi-port', '3260', path);
    expect(wrongPort.stdout).toBe('');
  });
});
