/**
 * Random native traces for the --jobs tests: many tasks over several reader chunks (256 KiB),
 * deep and shallow queues, task ids reused while in flight, completions of unknown tasks, long
 * CDBs, sense data, segment lists, target labels, capture gaps, HBA events, digests and notes
 * naming tasks, sync words inside payloads; then damage: flipped bytes, records cut short,
 * bytes cut out, a truncated end.
 */
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { RECORD_SYNC } from '../../src/formats/native/layout.js';
import type { DataDirection, GapAffects, GapUnit } from '../../src/model/events.js';

/** xorshift32: the trace is a function of the seed. */
export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return { next, below: (n: number) => next() % n, chance: (p: number) => next() / 0x1_0000_0000 < p };
}

export function randomTrace(seed: number, tasks: number): Uint8Array {
  const r = rng(seed);
  const depth = 1 + r.below(r.chance(0.3) ? 300 : 32);
  const idSpace = r.chance(0.3) ? depth + 3 : 1_000_000;
  return writeTraceToBytes({ producer: `random seed=${seed}` }, (w) => {
    let now = 1000;
    const inFlight: number[] = [];
    w.constraints(now, { IOMaximumSegmentCountRead: 64, IOMaximumSegmentAddressableBitCount: 32 });
    for (let t = 0; t < tasks; t++) {
      now += 1 + r.below(5000);
      const id = r.below(idSpace) + (r.chance(0.01) ? 2 ** 60 : 0);
      const long = r.chance(0.05);
      const op = [0x28, 0x2a, 0x35, 0x88, 0x8a, 0x12, 0x00][r.below(7)]!;
      const cdb = long
        ? Array.from({ length: 17 + r.below(20) }, (_, i) => (i === 0 ? 0x7f : r.below(256)))
        : [op, 0, 0, r.below(256), r.below(256), r.below(256), 0, 0, 8, 0];
      const segments = Array.from({ length: r.below(5) }, () => ({
        // Now and then an address that is a sync word.
        address: r.chance(0.2) ? RECORD_SYNC : r.next() * 4096,
        length: 512 * (1 + r.below(16)),
      }));
      w.submit({
        timeNs: now,
        taskId: id,
        targetId: r.below(3),
        lun: r.below(4),
        tag: r.below(1000),
        direction: r.below(3) as DataDirection,
        requestedBytes: 512 * r.below(2048),
        cdb,
        segments,
        ...(r.chance(0.3) ? { buffer: { address: r.next() * 4096, length: 4096 } } : {}),
        ...(r.chance(0.05) ? { targetLabel: `${r.below(3)}:0:${r.below(3)}` } : {}),
      });
      inFlight.push(id);
      if (r.chance(0.02)) w.note(now, `note ${t}`, r.chance(0.5) ? id : undefined);
      if (r.chance(0.02)) w.hba({ timeNs: now, kind: 1 + r.below(4), phase: r.below(3), taskId: r.chance(0.5) ? id : undefined, detail: 'x' });
      if (r.chance(0.005))
        w.gap({
          timeNs: now,
          endNs: now + r.below(10_000),
          lost: r.below(5),
          unit: r.below(5) as GapUnit,
          affects: r.below(3) as GapAffects,
          ...(r.chance(0.5) ? { targetId: r.below(3) } : {}),
        });
      while (inFlight.length > depth || (inFlight.length && r.chance(0.4))) {
        const done = inFlight.splice(r.below(inFlight.length), 1)[0]!;
        now += r.below(3000);
        w.complete({
          timeNs: now,
          taskId: r.chance(0.01) ? r.below(idSpace) : done,
          status: r.chance(0.05) ? 2 : 0,
          bytesTransferred: 4096,
          ...(r.chance(0.05) ? { sense: [0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0] } : {}),
        });
        if (r.chance(0.02)) {
          w.digest({
            timeNs: now,
            taskId: done,
            lba: r.below(1 << 20),
            byteCount: 8192,
            direction: 1,
            crc32c: RECORD_SYNC,
            chunkBytes: 4096,
            chunkDigests: [RECORD_SYNC, r.next()],
          });
        }
      }
    }
  });
}

/** The trace with damage: flipped bytes, stretches cut out, bytes spliced in, maybe a cut end. */
export function damage(bytes: Uint8Array, seed: number): Uint8Array {
  const r = rng(seed ^ 0x5bd1e995);
  let out: Uint8Array = Uint8Array.from(bytes);
  const flips = r.below(6);
  for (let i = 0; i < flips; i++) out[256 + r.below(out.length - 256)]! ^= 1 << r.below(8);
  const cuts = r.below(3);
  for (let i = 0; i < cuts; i++) {
    const at = 256 + r.below(out.length - 600);
    const n = 1 + r.below(300);
    out = concat(out.subarray(0, at), out.subarray(at + n));
  }
  if (r.chance(0.5)) {
    // A stray sync word with a plausible header and nothing valid behind it.
    const at = 256 + r.below(out.length - 256);
    const junk = Uint8Array.of(0xa5, 0x5a, 0xc3, 0x3c, 1, 0, 0, 0, 40, 0, 0, 0, ...Array.from({ length: 20 }, () => r.below(256)));
    out = concat(out.subarray(0, at), junk, out.subarray(at));
  }
  if (r.chance(0.3)) out = out.subarray(0, out.length - 1 - r.below(200));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
