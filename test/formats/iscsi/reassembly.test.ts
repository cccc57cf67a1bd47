import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../../src/formats/pcap/index.js';
import { parseTcp } from '../../../src/formats/pcap/link.js';
import {
  Conversation,
  dataIn,
  dataOut,
  fixedSense,
  loginRequest,
  loginResponse,
  pcapFile,
  r2t,
  scsiCommand,
  scsiResponse,
  tasksOf,
  type Packet,
} from '../../helpers/pcap.js';

/** What a user sees of a task, without times (which depend on packet order). */
function outcome(packets: Packet[]): string[] {
  return tasksOf(decodeCapture(pcapFile(packets)))
    .map(
      (t) =>
        `${t.submit.tag} ${Buffer.from(t.submit.cdb).toString('hex')} ${t.complete?.status} ${t.complete?.bytesTransferred} ${t.complete ? Buffer.from(t.complete.sense).toString('hex') : '-'}`,
    )
    .sort();
}

function build(mss: number, digests: boolean): Conversation {
  const o = { headerDigest: digests, dataDigest: digests };
  const c = new Conversation().handshake();
  c.send(true, loginRequest({ keys: { InitiatorName: 'iqn.x', HeaderDigest: 'CRC32C,None', DataDigest: 'CRC32C,None' } }));
  c.send(false, loginResponse({ keys: { HeaderDigest: digests ? 'CRC32C' : 'None', DataDigest: digests ? 'CRC32C' : 'None' } }));
  for (let i = 0; i < 6; i++) {
    const itt = 100 + i;
    if (i % 3 === 0) {
      c.send(true, scsiCommand({ itt, cdb: [0x28, 0, 0, 0, 0, i, 0, 0, 4, 0], edtl: 2048, read: true }, o), mss);
      c.send(false, dataIn({ itt, data: new Uint8Array(2048).fill(i), status: 0 }, o), mss);
    } else if (i % 3 === 1) {
      c.send(true, scsiCommand({ itt, cdb: [0x2a, 0, 0, 0, 0, i, 0, 0, 2, 0], edtl: 1024, write: true, immediate: new Uint8Array(512) }, o), mss);
      c.send(false, r2t({ itt, ttt: i, offset: 512, length: 512 }, o), mss);
      c.send(true, dataOut({ itt, ttt: i, offset: 512, data: new Uint8Array(512) }, o), mss);
      c.send(false, scsiResponse({ itt, status: 0 }, o), mss);
    } else {
      c.send(true, scsiCommand({ itt, cdb: [0, 0, 0, 0, 0, 0] }, o), mss);
      c.send(false, scsiResponse({ itt, status: 2, sense: fixedSense(6, 0x28, i) }, o), mss);
    }
  }
  return c;
}

describe('TCP reassembly', () => {
  it('gives the same tasks whatever the segmentation, reordering and duplication', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 6 }), fc.boolean()), { maxLength: 30 }),
        (mss, digests, moves) => {
          const base = build(mss, digests).packets;
          const expected = outcome(base);
          expect(expected).toHaveLength(6);
          const p = [...base];
          // Move a packet a few places later among packets going the same way (out of order)
          // and sometimes leave a copy behind (retransmission). Keep the handshake first. Moving
          // a segment past the other direction's packets could put a response before its own
          // command, which no capture of a real exchange shows.
          const sport = (q: Packet) => parseTcp(q.data, 14)!.srcPort;
          for (const [at, by, dup] of moves) {
            const i = 3 + (at % Math.max(1, p.length - 3));
            let j = i;
            while (j + 1 < p.length && j - i < by && sport(p[j + 1]!) === sport(p[i]!)) j++;
            const [x] = p.splice(i, 1);
            p.splice(j, 0, x!);
            if (dup) p.splice(i, 0, x!);
          }
          expect(outcome(p)).toEqual(expected);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });
});
