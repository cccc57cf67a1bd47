import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InFlightTable, TaskMatcher } from '../../src/analysis/tasks.js';
import { buildTraceEvents, rw10 } from '../helpers/trace.js';

function events() {
  return buildTraceEvents((b) => {
    b.submit({ cdb: rw10(false, 0, 8), taskId: 1, requestedBytes: 4096 });
    b.submit({ cdb: rw10(false, 8, 8), taskId: 2, requestedBytes: 4096 });
    b.wait(500);
    b.complete(2);
    b.complete(1);
    b.complete(1); // second completion
    b.complete(99); // never submitted
    b.submit({ cdb: rw10(true, 0, 8), taskId: 3, requestedBytes: 8192 });
    b.submit({ cdb: rw10(true, 0, 8), taskId: 3, requestedBytes: 512 }); // reused while in flight
    b.submit({ cdb: [0, 0, 0, 0, 0, 0], taskId: 0xffff_ffff_ffff_fff0n }); // past 2^53
  });
}

describe('TaskMatcher', () => {
  it('pairs completions with submissions by task id and measures latency', () => {
    const m = new TaskMatcher();
    const results = [];
    for (const e of events()) {
      if (e.kind === 'submit') results.push(m.submit(e));
      else if (e.kind === 'complete') results.push(m.complete(e));
    }
    const kinds = results.map((r) => r?.kind);
    expect(kinds).toEqual([undefined, undefined, 'task', 'task', 'orphan', 'orphan', undefined, 'reused', undefined]);
    expect(results[2]).toMatchObject({ task: { latencyNs: 500 } });
    expect(results[4]).toMatchObject({ alreadyCompleted: true });
    expect(results[5]).toMatchObject({ alreadyCompleted: false });
    expect(m.inFlight.size).toBe(2);
    expect(m.inFlightBytes).toBe(512);
    const left = m.drain();
    expect(left.map((t) => t.submit.taskId)).toEqual([3n, 0xffff_ffff_ffff_fff0n]);
    expect(m.inFlight.size).toBe(0);
  });
});

describe('InFlightTable', () => {
  // A reference model: a Map (insertion order kept on re-set) and the last 1024 completed ids.
  type Op = { op: 'add' | 'take' | 'get' | 'drain'; key: number | bigint };
  const key = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 200 }) },
    { weight: 2, arbitrary: fc.maxSafeNat() },
    { weight: 1, arbitrary: fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }).map((b) => (b % 7n === 0n ? 2n ** 60n : b)) },
  );
  const ops = fc.array(fc.record({ op: fc.constantFrom<Op['op']>('add', 'add', 'add', 'take', 'take', 'get', 'drain'), key }), { maxLength: 600 });

  it('behaves as a Map in submission order, under random adds, takes, lookups and drains', () => {
    fc.assert(
      fc.property(ops, (list) => {
        const table = new InFlightTable<number>(16);
        const model = new Map<number | bigint, number>();
        const recent: Array<number | bigint> = [];
        list.forEach(({ op, key: k }, i) => {
          if (op === 'add') {
            const previous = model.get(k);
            model.set(k, i);
            expect(table.add(k, i)).toBe(previous);
          } else if (op === 'take') {
            const had = model.get(k);
            expect(table.recentlyCompleted(k)).toBe(recent.includes(k));
            expect(table.take(k)).toBe(had);
            if (had !== undefined) {
              model.delete(k);
              recent.push(k);
              if (recent.length > 16) recent.shift();
            }
          } else if (op === 'get') {
            expect(table.get(k)).toBe(model.get(k));
          } else {
            expect(table.drain()).toEqual([...model.values()]);
            model.clear();
          }
          expect(table.size).toBe(model.size);
        });
        expect(table.drain()).toEqual([...model.values()]);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps up with a deep queue: 100,000 ids in flight at once, then taken in a shuffled order', () => {
    const table = new InFlightTable<number>();
    const n = 100_000;
    for (let i = 0; i < n; i++) table.add(i * 4096 + 0x1_0000_0000, i);
    expect(table.size).toBe(n);
    const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
    for (const i of order.slice(0, n / 2)) expect(table.take(i * 4096 + 0x1_0000_0000)).toBe(i);
    const left = new Set(order.slice(n / 2));
    expect(table.drain()).toEqual([...left].sort((a, b) => a - b));
  });
});
