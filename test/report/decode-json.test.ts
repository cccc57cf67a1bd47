import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pairer } from '../../src/analysis/pairer.js';
import { LineOutput } from '../../src/cli/output.js';
import { BatchBuilder } from '../../src/model/batch-builder.js';
import { RowKind, type TaskBatch } from '../../src/model/batch.js';
import { EMPTY_SEGMENTS } from '../../src/model/segments.js';
import { jsonLine, writeTaskJson } from '../../src/report/decode.js';
import type { DataDirection, TaskAttribute } from '../../src/model/events.js';

/** Pairs one task (submitted, maybe completed) and returns its row as decode gets it. */
function row(t: Task): { b: TaskBatch; r: number } {
  const w = new BatchBuilder(false);
  w.submit({
    offset: t.offset,
    index: 0,
    timeNs: t.timeNs,
    taskId: t.taskId,
    targetId: t.targetId,
    ...(t.label !== undefined ? { targetLabel: t.label } : {}),
    lun: t.lun,
    tag: t.tag,
    attribute: t.attribute as TaskAttribute,
    direction: t.direction as DataDirection,
    requestedBytes: t.requestedBytes,
    timeoutMs: t.timeoutMs,
    cdb: t.cdb,
    segments: EMPTY_SEGMENTS,
  });
  if (t.completed) {
    w.complete({
      offset: t.offset + 100,
      index: 1,
      timeNs: t.timeNs + t.latency,
      taskId: t.taskId,
      serviceResponse: t.serviceResponse,
      status: t.status,
      bytesTransferred: t.bytesTransferred,
      residual: t.residual,
      residualFlags: t.residualFlags,
      sense: t.sense,
    });
  }
  const b = w.take();
  const pairer = new Pairer();
  pairer.pair(b);
  if (t.completed) return { b, r: 1 };
  const left = pairer.left().next().value!;
  expect(left.kind[0]).toBe(RowKind.NeverCompleted);
  return { b: left, r: 0 };
}

interface Task {
  offset: number;
  timeNs: number;
  latency: number;
  taskId: bigint;
  targetId: bigint;
  label: string | undefined;
  lun: number;
  tag: bigint;
  attribute: number;
  direction: number;
  requestedBytes: number;
  timeoutMs: number;
  cdb: Uint8Array;
  completed: boolean;
  serviceResponse: number;
  status: number;
  bytesTransferred: number;
  residual: number;
  residualFlags: number;
  sense: Uint8Array;
}

const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 0xffffn }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constant((1n << 53n) - 1n),
  fc.constant(1n << 53n),
);
const cdb = fc.oneof(
  fc.constantFrom(
    Uint8Array.of(0x28, 0, 0, 0, 0x10, 0, 0, 0, 8, 0),
    Uint8Array.of(0x2a, 0, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0),
    Uint8Array.of(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    Uint8Array.of(0x12, 0, 0, 0, 36, 0),
  ),
  fc.uint8Array({ minLength: 6, maxLength: 16 }).map((b) => ((b[0] = [0x88, 0x8a, 0x9e, 0xa3, 0xc5, 0x00][b[0]! % 6]!), b)),
  fc.uint8Array({ minLength: 1, maxLength: 32 }),
);
const sense = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.constant(Uint8Array.of(0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0)),
  fc.constant(Uint8Array.of(0x72, 0, 6, 0x29, 0, 0, 0, 0)),
  fc.uint8Array({ minLength: 1, maxLength: 40 }),
);
const task: fc.Arbitrary<Task> = fc.record({
  offset: fc.nat(),
  timeNs: fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  latency: fc.nat({ max: 1e12 }),
  taskId: u64,
  targetId: u64,
  label: fc.option(fc.oneof(fc.string(), fc.constantFrom('0:0:1', 'host "a"\\b', 'ünï\u0001', '\ud83d\ude00')), { nil: undefined }),
  lun: fc.nat({ max: 0xffff }),
  tag: u64,
  attribute: fc.nat({ max: 7 }),
  direction: fc.nat({ max: 5 }),
  requestedBytes: fc.nat(),
  timeoutMs: fc.nat(),
  cdb,
  completed: fc.boolean(),
  serviceResponse: fc.nat({ max: 5 }),
  status: fc.nat({ max: 255 }),
  bytesTransferred: fc.nat(),
  residual: fc.nat(),
  residualFlags: fc.nat({ max: 3 }),
  sense,
});

function capture() {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c, _e, done) => (chunks.push(Buffer.from(c)), done()) });
  const out = new LineOutput(sink, 4096);
  return {
    out,
    async text(): Promise<string> {
      await out.flush();
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

describe('writeTaskJson', () => {
  it('writes the bytes JSON.stringify writes for the task (jsonLine), for any task', async () => {
    await fc.assert(
      fc.asyncProperty(task, fc.boolean(), fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1n << 62n })), async (t, notCaptured, originNs) => {
        const { b, r } = row(t);
        const o = { originNs, completionNotCaptured: notCaptured };
        const c = capture();
        await writeTaskJson(c.out, b, r, o);
        expect(await c.text()).toBe(`${jsonLine(b, r, o)}\n`);
      }),
      { numRuns: 500 },
    );
  });

  it('fills the output buffer line after line and hands it on when full', async () => {
    const c = capture();
    const expected: string[] = [];
    const sample = fc.sample(task, { numRuns: 300, seed: 7 });
    for (const t of sample) {
      const { b, r } = row(t);
      await writeTaskJson(c.out, b, r);
      expected.push(jsonLine(b, r));
    }
    expect(await c.text()).toBe(expected.map((l) => `${l}\n`).join(''));
  });
});
