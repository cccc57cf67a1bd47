import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeNative, NativeDecoder } from '../../src/formats/native/reader.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { RECORD_HEADER, SUBMIT_FIXED, MAGIC } from '../../src/formats/native/layout.js';
import { DataDirection, HbaEventKind, HbaEventPhase, type TaskSubmitted, type TraceEvent } from '../../src/model/events.js';
import { newReadStats } from '../../src/model/stats.js';
import { buildTraceBytes, rw10 } from '../helpers/trace.js';

const withoutDiagnostics = (evs: TraceEvent[]) => evs.filter((e) => e.kind !== 'diagnostic');

function sampleTrace(): Uint8Array {
  return writeTraceToBytes({ producer: 'lsi3108-dext 1.2 on testhost', startWallNs: 1_700_000_000_000_000_000n }, (w) => {
    w.constraints(0, {
      IOMaximumSegmentCountWrite: 129,
      IOMaximumByteCountWrite: 0x80000,
      'HBA Data Alignment': 'none',
      'SCSI Hierarchical Logical Unit Support': false,
    });
    w.submit({
      timeNs: 1000,
      taskId: 7n,
      targetId: 2,
      lun: 1,
      tag: 0x55,
      direction: DataDirection.ToDevice,
      requestedBytes: 8192,
      timeoutMs: 30000,
      cdb: rw10(true, 4096, 16),
      segments: [
        { address: 0x1_2345_6000n, length: 4096 },
        { address: 0x8000, length: 4096 },
      ],
    });
    w.hba({ timeNs: 1500, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: 7n, durationNs: 400, detail: 'flush' });
    w.complete({ timeNs: 2000, taskId: 7n, bytesTransferred: 8192 });
    w.digest({
      timeNs: 2001,
      taskId: 7n,
      lba: 4096,
      byteCount: 8192,
      direction: DataDirection.ToDevice,
      crc32c: 0xdeadbeef,
      chunkBytes: 4096,
      chunkDigests: [1, 2],
    });
    w.submit({ timeNs: 3000, taskId: 8n, lun: 300, cdb: [0x12, 0, 0, 0, 0x24, 0], direction: DataDirection.FromDevice, requestedBytes: 36 });
    w.complete({ timeNs: 3500, taskId: 8n, status: 2, sense: [0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0] });
    w.note(4000, 'end of test', 8n);
  });
}

describe('native format round trip', () => {
  it('reads back every field the writer wrote', () => {
    const evs = decodeNative(sampleTrace());
    expect(evs.map((e) => e.kind)).toEqual(['header', 'constraints', 'submit', 'hba', 'complete', 'digest', 'submit', 'complete', 'note']);
    const [header, constraints, submit, hba, complete, digest, inquiry, check, note] = evs as any[];
    expect(header).toMatchObject({ producer: 'lsi3108-dext 1.2 on testhost', version: '1.1', startWallNs: 1_700_000_000_000_000_000n });
    expect(constraints.entries).toEqual({
      IOMaximumSegmentCountWrite: 129,
      IOMaximumByteCountWrite: 0x80000,
      'HBA Data Alignment': 'none',
      'SCSI Hierarchical Logical Unit Support': false,
    });
    expect(submit).toMatchObject({
      timeNs: 1000,
      taskId: 7n,
      targetId: 2n,
      lun: 1,
      tag: 0x55n,
      direction: DataDirection.ToDevice,
      requestedBytes: 8192,
      timeoutMs: 30000,
      bundleSlot: undefined,
    });
    expect(Array.from(submit.cdb)).toEqual(rw10(true, 4096, 16));
    expect(submit.segments.count).toBe(2);
    expect(submit.segments.address(0)).toBe(0x1_2345_6000n);
    expect(submit.segments.addressHigh(0)).toBe(1);
    expect(submit.segments.length(1)).toBe(4096);
    expect(hba).toMatchObject({ hbaKind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: 7n, durationNs: 400, detail: 'flush' });
    expect(complete).toMatchObject({ taskId: 7n, bytesTransferred: 8192, serviceResponse: 2, status: 0 });
    expect(digest).toMatchObject({ lba: 4096n, crc32c: 0xdeadbeef, chunkBytes: 4096 });
    expect(Array.from(digest.chunkDigests)).toEqual([1, 2]);
    expect(inquiry.lun).toBe(300);
    expect(Array.from(check.sense)).toEqual([0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0]);
    expect(note).toMatchObject({ text: 'end of test', taskId: 8n });
    // Byte offsets point at the record's sync word.
    const bytes = sampleTrace();
    for (const e of evs.slice(1)) expect(Array.from(bytes.subarray(e.offset, e.offset + 4))).toEqual([0xa5, 0x5a, 0xc3, 0x3c]);
  });

  it('gives the same events whatever the chunking', () => {
    const bytes = sampleTrace();
    const whole = decodeNative(bytes);
    for (const size of [1, 3, 7, 16, 100]) {
      const dec = new NativeDecoder();
      const out: TraceEvent[] = [];
      for (let i = 0; i < bytes.length; i += size) dec.push(bytes.subarray(i, i + size), out);
      dec.end(out);
      expect(out).toEqual(whole);
    }
  });

  it('skips and counts unknown record types', () => {
    const bytes = writeTraceToBytes({}, (w) => {
      w.raw(0x7777, new Uint8Array([1, 2, 3]));
      w.note(5, 'after');
    });
    const stats = newReadStats();
    const evs = decodeNative(bytes, stats);
    expect(evs.map((e) => e.kind)).toEqual(['header', 'note']);
    expect(stats.unknownRecords).toBe(1);
    expect(stats.unknownTypes.get(0x7777)).toBe(1);
  });

  it('round-trips random tasks (property)', () => {
    const task = fc.record({
      taskId: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_fffen }),
      targetId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      lun: fc.integer({ min: 0, max: 16383 }),
      tag: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      attribute: fc.constantFrom(0, 1, 2, 3),
      direction: fc.constantFrom(0, 1, 2),
      requestedBytes: fc.integer({ min: 0, max: 2 ** 40 }),
      timeoutMs: fc.integer({ min: 0, max: 0xffffffff }),
      cdb: fc.uint8Array({ minLength: 1, maxLength: 260 }),
      segments: fc.array(fc.record({ address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), length: fc.integer({ min: 0, max: 2 ** 32 }) }), {
        maxLength: 40,
      }),
      timeNs: fc.integer({ min: 0, max: 2 ** 50 }),
      status: fc.integer({ min: 0, max: 255 }),
      serviceResponse: fc.integer({ min: 0, max: 5 }),
      sense: fc.uint8Array({ maxLength: 255 }),
      bytesTransferred: fc.integer({ min: 0, max: 2 ** 40 }),
    });
    fc.assert(
      fc.property(fc.array(task, { maxLength: 8 }), (tasks) => {
        const bytes = writeTraceToBytes({}, (w) => {
          for (const t of tasks) {
            w.submit(t);
            w.complete({
              timeNs: t.timeNs + 1,
              taskId: t.taskId,
              status: t.status,
              serviceResponse: t.serviceResponse,
              sense: t.sense,
              bytesTransferred: t.bytesTransferred,
            });
          }
        });
        const evs = decodeNative(bytes).slice(1);
        expect(evs).toHaveLength(tasks.length * 2);
        tasks.forEach((t, i) => {
          const s = evs[2 * i] as TaskSubmitted;
          expect(s).toMatchObject({
            taskId: t.taskId,
            targetId: t.targetId,
            lun: t.lun,
            tag: t.tag,
            attribute: t.attribute,
            direction: t.direction,
            requestedBytes: t.requestedBytes,
            timeoutMs: t.timeoutMs,
            timeNs: t.timeNs,
          });
          expect(Array.from(s.cdb)).toEqual(Array.from(t.cdb));
          expect(Array.from({ length: s.segments.count }, (_, j) => ({ address: s.segments.address(j), length: s.segments.length(j) }))).toEqual(t.segments);
          expect(evs[2 * i + 1]).toMatchObject({
            kind: 'complete',
            taskId: t.taskId,
            status: t.status,
            serviceResponse: t.serviceResponse,
            bytesTransferred: t.bytesTransferred,
            sense: t.sense,
          });
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('damaged input', () => {
  const tasks = (n: number) =>
    buildTraceBytes((b) => {
      for (let i = 0; i < n; i++) b.task({ cdb: rw10(i % 2 === 0, i * 8, 8), requestedBytes: 4096, segments: [{ address: 0x1000 * i, length: 4096 }] });
    });

  it('says a non-trace is not a trace, at byte 0', () => {
    const evs = decodeNative(new TextEncoder().encode('hello, this is text'));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ kind: 'diagnostic', fatal: true, offset: 0 });
    expect((evs[0] as any).message).toMatch(/^at byte 0x0: not a scsitrace native trace/);
  });

  it('reads every intact record of a truncated file and names the offset of the cut record', () => {
    const bytes = tasks(10);
    const whole = decodeNative(bytes);
    const cutRecord = whole[whole.length - 1]!;
    const evs = decodeNative(bytes.subarray(0, bytes.length - 5));
    expect(withoutDiagnostics(evs)).toEqual(whole.slice(0, -1));
    const d = evs.find((e) => e.kind === 'diagnostic')!;
    expect(d.offset).toBe(cutRecord.offset);
    expect((d as any).message).toMatch(new RegExp(`^at byte 0x${cutRecord.offset.toString(16)} .*truncated record`));
  });

  it('resynchronises after a damaged record and reports the bytes it skipped', () => {
    const bytes = tasks(10).slice();
    const whole = decodeNative(bytes);
    const victim = whole[5]!;
    bytes[victim.offset + RECORD_HEADER + SUBMIT_FIXED - 2]! ^= 0xff; // inside the body: CRC fails
    const stats = newReadStats();
    const evs = decodeNative(bytes, stats);
    // Records keep their numbers: the damaged record still takes its own (docs/FORMAT.md, "Record numbers").
    expect(withoutDiagnostics(evs)).toEqual(whole.filter((e) => e !== victim));
    expect(evs.find((e) => e.kind === 'diagnostic')).toMatchObject({ index: victim.index, message: expect.stringContaining(`(record ${victim.index})`) });
    const d = evs.filter((e) => e.kind === 'diagnostic');
    expect(d).toHaveLength(1);
    expect(d[0]!.offset).toBe(victim.offset);
    expect((d[0] as any).message).toMatch(/CRC32C mismatch.*skipped \d+ bytes, resynchronised at byte 0x/);
    expect(stats.skippedBytes).toBe(whole[6]!.offset - victim.offset);
  });

  it('reads damaged input the same whatever the chunking (records straddling chunk ends)', () => {
    const bytes = tasks(30);
    let rng = 777;
    const rand = (n: number) => ((rng = (rng * 1103515245 + 12345) & 0x7fffffff), rng % n);
    for (let iter = 0; iter < 300; iter++) {
      const damaged = bytes.slice(0, MAGIC.length + rand(bytes.length));
      for (let f = rand(4); f > 0; f--) damaged[rand(damaged.length)]! ^= 1 << rand(8);
      const whole = decodeNative(damaged);
      const dec = new NativeDecoder();
      const out: TraceEvent[] = [];
      for (let i = 0; i < damaged.length;) {
        const size = 1 + rand(300);
        dec.push(damaged.subarray(i, i + size), out);
        i += size;
      }
      dec.end(out);
      expect(out).toEqual(whole);
    }
  });

  it('bounds a huge length field instead of allocating it', () => {
    const bytes = tasks(2).slice();
    const first = decodeNative(bytes)[1]!;
    new DataView(bytes.buffer).setUint32(first.offset + 8, 0xfffffff0, true);
    const evs = decodeNative(bytes);
    expect((evs.find((e) => e.kind === 'diagnostic') as any).message).toMatch(/record length 4294967280 exceeds/);
    expect(withoutDiagnostics(evs).length).toBe(1 + 3); // header + the 3 records after the damaged one
  });

  it('survives thousands of random truncations and byte flips: only correct records plus diagnostics', () => {
    const bytes = tasks(40);
    const whole = decodeNative(bytes);
    const key = ({ index: _index, ...e }: TraceEvent) =>
      JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v));
    const known = new Set(whole.map(key));
    let rng = 12345;
    const rand = (n: number) => ((rng = (rng * 1103515245 + 12345) & 0x7fffffff), rng % n);
    const firstRecord = whole[1]!.offset;
    const boundaries = new Set([...whole.slice(1).map((e) => e.offset), bytes.length]);
    for (let iter = 0; iter < 3000; iter++) {
      const damaged = bytes.slice(0, MAGIC.length + rand(bytes.length));
      const flips = [...new Set(Array.from({ length: rand(4) }, () => rand(damaged.length)))];
      for (const at of flips) damaged[at]! ^= 1 << rand(8);
      const evs = decodeNative(damaged);
      const headerHit = flips.some((at) => at < firstRecord);
      for (const e of evs) {
        if (e.kind === 'diagnostic') {
          expect(e.message).toMatch(/^at byte 0x[0-9a-f]+/);
          continue;
        }
        // A flipped header byte (e.g. the tick unit) legitimately changes every record.
        if (e.kind !== 'header' && !headerHit) expect(known.has(key(e))).toBe(true);
      }
      const recordHit = flips.some((at) => at >= firstRecord);
      const cutMidRecord = damaged.length > firstRecord && !boundaries.has(damaged.length);
      if (recordHit || cutMidRecord) expect(evs.some((e) => e.kind === 'diagnostic')).toBe(true);
    }
  });
});

describe('long segment lists and CDBs (copied outside the shared slab)', () => {
  it('reads back 3000 segments and a 40-byte CDB exactly, next to small tasks', () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ address: 0x1_0000_0000n + BigInt(i) * 0x2000n, length: 4096 + (i % 3) * 512 }));
    const cdb = Array.from({ length: 40 }, (_, i) => (i === 0 ? 0x7f : i));
    const events = decodeNative(
      writeTraceToBytes({}, (w) => {
        w.submit({ timeNs: 1, taskId: 1, cdb: rw10(false, 8, 8), segments: [{ address: 0x1000, length: 4096 }] });
        w.submit({ timeNs: 2, taskId: 2, cdb, segments: many });
        w.submit({ timeNs: 3, taskId: 3, cdb: rw10(true, 16, 8), segments: [{ address: 0x9000, length: 4096 }] });
      }),
    ).filter((e) => e.kind === 'submit');
    expect(events.map((e) => e.segments.count)).toEqual([1, 3000, 1]);
    const big = events[1]!;
    expect([...big.cdb]).toEqual(cdb);
    expect(Array.from({ length: 3000 }, (_, i) => [big.segments.address(i), big.segments.length(i)])).toEqual(many.map((s) => [s.address, s.length]));
    expect(events[0]!.segments.address(0)).toBe(0x1000n);
    expect(events[2]!.segments.address(0)).toBe(0x9000n);
    expect([...events[2]!.cdb]).toEqual(rw10(true, 16, 8));
  });
});
