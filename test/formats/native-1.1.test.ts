import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeNative, NativeDecoder } from '../../src/formats/native/reader.js';
import { writeTraceToBytes } from '../../src/formats/native/writer.js';
import { MAX_LABELLED_TARGETS, RECORD_HEADER, RecordType, Submit, SubmitExtension, TargetInfo, pad8 } from '../../src/formats/native/layout.js';
import { crc32c } from '../../src/model/crc32c.js';
import {
  GapAffects,
  GapUnit,
  HbaEventKind,
  HbaEventPhase,
  type CaptureGap,
  type HbaEvent,
  type TaskSubmitted,
  type TraceEvent,
  type TraceHeader,
} from '../../src/model/events.js';
import { NONE, RowKind } from '../../src/model/batch.js';
import { rw10 } from '../helpers/trace.js';

const submits = (evs: TraceEvent[]) => evs.filter((e): e is TaskSubmitted => e.kind === 'submit');

describe('native 1.1: the buffer beside the SGL', () => {
  it('reads back the buffer, an SGL recorded empty, and neither', () => {
    const evs = submits(
      decodeNative(
        writeTraceToBytes({}, (w) => {
          // DriverKit: one IOVM range, split by the driver into two SGL elements.
          w.submit({
            timeNs: 1,
            taskId: 1,
            cdb: rw10(true, 0, 16),
            requestedBytes: 8192,
            buffer: { address: 0x1_2345_6000n, length: 8192 },
            segments: [
              { address: 0x2345_6000, length: 4096 },
              { address: 0x2345_7000, length: 4096 },
            ],
          });
          // A task that moves no data, whose (empty) SGL was recorded.
          w.submit({ timeNs: 2, taskId: 2, cdb: [0, 0, 0, 0, 0, 0], sglRecorded: true });
          // A buffer and no SGL recorded.
          w.submit({ timeNs: 3, taskId: 3, cdb: rw10(false, 0, 8), requestedBytes: 4096, buffer: { address: 0xffff_ffff_ffff_f000n, length: 4096 } });
          // Neither (a pcap or ftrace source).
          w.submit({ timeNs: 4, taskId: 4, cdb: rw10(false, 0, 8), requestedBytes: 4096 });
        }),
      ),
    );
    expect(evs.map((e) => [e.buffer, e.sglRecorded, e.segments.count])).toEqual([
      [{ address: 0x1_2345_6000n, length: 8192 }, undefined, 2],
      [undefined, true, 0],
      [{ address: 0xffff_ffff_ffff_f000n, length: 4096 }, undefined, 0],
      [undefined, undefined, 0],
    ]);
  });

  it('writes the extension only when it says more than a 1.0 body (same tasks, 24 bytes less)', () => {
    const sizes = [undefined, { address: 0x1000n, length: 512 }].map(
      (buffer) =>
        writeTraceToBytes({}, (w) =>
          w.submit({ timeNs: 1, taskId: 1, cdb: rw10(false, 0, 1), segments: [{ address: 0x1000, length: 512 }], ...(buffer ? { buffer } : {}) }),
        ).length,
    );
    expect(sizes[1]! - sizes[0]!).toBe(SubmitExtension.FIXED);
  });

  it('reads a body with extension bytes past what it knows (a later minor version) and ignores them', () => {
    const body = new Uint8Array(Submit.FIXED + 8 + SubmitExtension.FIXED + 16);
    const v = new DataView(body.buffer);
    v.setUint16(Submit.cdbLength, 6, true);
    v.setUint16(Submit.bundleSlot, 0xffff, true);
    const ext = Submit.FIXED + 8;
    v.setBigUint64(ext + SubmitExtension.bufferAddress, 0xabc000n, true);
    v.setBigUint64(ext + SubmitExtension.bufferLength, 512n, true);
    v.setUint32(ext + SubmitExtension.taskFlags, 1 | 0x8000_0000, true); // an unknown flag bit: ignored
    body.fill(0xee, ext + SubmitExtension.FIXED);
    const evs = submits(decodeNative(writeTraceToBytes({}, (w) => w.raw(RecordType.TaskSubmitted, body))));
    expect(evs).toHaveLength(1);
    expect(evs[0]!.buffer).toEqual({ address: 0xabc000n, length: 512 });
  });

  it('refuses a buffer length past 2^53 as a contradictory record, and reads on', () => {
    const bytes = writeTraceToBytes({}, (w) => {
      w.submit({ timeNs: 1, taskId: 1, cdb: rw10(false, 0, 1), buffer: { address: 0, length: 512 } });
      w.submit({ timeNs: 2, taskId: 2, cdb: rw10(false, 0, 1) });
    });
    const first = decodeNative(bytes)[1]!;
    const ext = first.offset + RECORD_HEADER + Submit.FIXED + 16;
    const damaged = reCrc(bytes, first.offset, (v) => v.setBigUint64(ext + SubmitExtension.bufferLength, 1n << 60n, true));
    const evs = decodeNative(damaged);
    expect(evs.map((e) => e.kind)).toEqual(['header', 'diagnostic', 'submit']);
    expect((evs[1] as any).message).toMatch(/\(record 0\): buffer length 1152921504606846976 exceeds 2\^53/);
  });

  it('refuses every other count past 2^53 the same way, as JSON Lines does (issue 11: no inexact byte counts)', () => {
    const bytes = writeTraceToBytes({ tickNs: 1000 }, (w) => {
      w.submit({ timeNs: 1000, taskId: 1, cdb: rw10(false, 0, 8), direction: 2, requestedBytes: 4096 });
      w.complete({ timeNs: 2000, taskId: 1, bytesTransferred: 4096 });
      w.complete({ timeNs: 3000, taskId: 1, bytesTransferred: 4096 });
      w.complete({ timeNs: 4000, taskId: 1, bytesTransferred: 4096 });
      w.digest({ timeNs: 5000, taskId: 1, lba: 0, byteCount: 4096, direction: 2, crc32c: 7 });
      w.hba({ timeNs: 6000, kind: HbaEventKind.PowerStateChange, durationNs: 1000 });
      w.gap({ timeNs: 7000, lost: 3 });
      w.submit({ timeNs: 8000, taskId: 2, cdb: rw10(false, 0, 1) });
    });
    const clean = decodeNative(bytes);
    const at = (i: number) => clean[i]!.offset + RECORD_HEADER;
    const big = (1n << 53n) + 1n;
    const edits: Array<[number, number, string]> = [
      [1, 40, 'requested transfer count'], // TASK_SUBMITTED requested transfer count
      [2, 16, 'bytes transferred'], // TASK_COMPLETED bytes transferred
      [3, 24, 'residual'], // TASK_COMPLETED residual
      [5, 24, 'digest byte count'], // DATA_DIGEST byte count
      [6, 24, 'HBA_EVENT duration of'], // HBA_EVENT duration (ticks of 1 µs)
      [7, 16, "capture gap's lost count"], // CAPTURE_GAP lost
    ];
    let damaged = bytes;
    for (const [i, field] of edits) damaged = reCrc(damaged, clean[i]!.offset, (v) => v.setBigUint64(at(i) + field, i === 6 ? big / 1000n + 1n : big, true));
    const evs = decodeNative(damaged);
    // Each damaged record is one diagnostic at its own offset; the rest are read.
    expect(evs.map((e) => e.kind)).toEqual([
      'header',
      'diagnostic',
      'diagnostic',
      'diagnostic',
      'complete',
      'diagnostic',
      'diagnostic',
      'diagnostic',
      'submit',
    ]);
    const messages = evs.filter((e) => e.kind === 'diagnostic').map((e) => (e.kind === 'diagnostic' ? e.message : ''));
    edits.forEach(([i, , what], k) => {
      expect(evs.filter((e) => e.kind === 'diagnostic')[k]!.offset).toBe(clean[i]!.offset);
      expect(messages[k]).toMatch(new RegExp(`\\(record ${i - 1}\\): ${what} \\d+ (ticks )?exceeds 2\\^53`));
    });
  });
});

describe('native 1.1: target labels (TARGET_INFO)', () => {
  it('labels the tasks of a target from its TARGET_INFO on, in both the event and the batch paths', () => {
    const bytes = writeTraceToBytes({}, (w) => {
      w.submit({ timeNs: 1, taskId: 1, targetId: 131072, targetLabel: '0:2:0', cdb: rw10(false, 0, 1) });
      w.submit({ timeNs: 2, taskId: 2, targetId: 131072, targetLabel: '0:2:0', cdb: rw10(false, 0, 1) });
      w.submit({ timeNs: 3, taskId: 3, targetId: 7, cdb: rw10(false, 0, 1) });
      w.submit({ timeNs: 4, taskId: 4, targetId: 131072, targetLabel: '1:2:0', cdb: rw10(false, 0, 1) });
      w.submit({ timeNs: 5, taskId: 5, targetId: 131072, cdb: rw10(false, 0, 1) });
    });
    const evs = decodeNative(bytes);
    // One TARGET_INFO per change of label: for task 1, task 4 (new label) and task 5 (none).
    expect(recordTypes(bytes).filter((t) => t === RecordType.TargetInfo)).toHaveLength(3);
    expect(submits(evs).map((e) => e.targetLabel)).toEqual(['0:2:0', '0:2:0', undefined, '1:2:0', undefined]);
    const viaBatch: Array<string | undefined> = [];
    const dec = new NativeDecoder();
    // A batch is valid until the decoder is called again: read each before the next.
    const read = (b: ReturnType<typeof dec.pushBatch>) => {
      for (let r = 0; r < b.length; r++) if (b.kind[r] === RowKind.Submit) viaBatch.push(b.labelId[r] === NONE ? undefined : b.labels[b.labelId[r]!]);
    };
    read(dec.pushBatch(bytes));
    read(dec.endBatch());
    expect(viaBatch).toEqual(['0:2:0', '0:2:0', undefined, '1:2:0', undefined]);
  });

  it('bounds labels: a label past 1024 bytes, or for one target too many, is a contradictory record', () => {
    const long = writeTraceToBytes({}, (w) => w.raw(RecordType.TargetInfo, targetInfoBody(1n, 'x'.repeat(1025))));
    expect(decodeNative(long).find((e) => e.kind === 'diagnostic')).toMatchObject({
      message: expect.stringMatching(/target label of 1025 bytes exceeds 1024/),
    });
    const many = writeTraceToBytes({}, (w) => {
      for (let i = 0; i <= MAX_LABELLED_TARGETS; i++) w.raw(RecordType.TargetInfo, targetInfoBody(BigInt(i), `t${i}`));
    });
    const d = decodeNative(many).filter((e) => e.kind === 'diagnostic');
    expect(d).toHaveLength(1);
    expect((d[0] as any).message).toMatch(/a label for more than 16384 targets/);
  });
});

describe('native 1.1: capture gaps (CAPTURE_GAP)', () => {
  it('reads a gap back as a CaptureGap event, all targets as undefined', () => {
    const evs = decodeNative(
      writeTraceToBytes({ tickNs: 1000 }, (w) => {
        w.gap({ timeNs: 5_000, endNs: 9_000, lost: 12, unit: GapUnit.Records, affects: GapAffects.All, detail: 'ring overrun: 12 records' });
        w.gap({ timeNs: 10_000, affects: GapAffects.Completions, targetId: 3, unit: GapUnit.Packets });
      }),
    ).filter((e): e is CaptureGap => e.kind === 'gap');
    expect(evs).toMatchObject([
      { timeNs: 5_000, endNs: 9_000, lost: 12, unit: GapUnit.Records, affects: GapAffects.All, targetId: undefined, detail: 'ring overrun: 12 records' },
      { timeNs: 10_000, endNs: 10_000, lost: 0, unit: GapUnit.Packets, affects: GapAffects.Completions, targetId: 3n, detail: '' },
    ]);
  });

  it('reads unit and affects values it does not know as the cautious ones; an end before the start is contradictory', () => {
    const body = (start: bigint, end: bigint, unit: number, affects: number) => {
      const b = new Uint8Array(40);
      const v = new DataView(b.buffer);
      v.setBigUint64(0, start, true);
      v.setBigUint64(8, end, true);
      v.setBigUint64(24, 0xffff_ffff_ffff_ffffn, true);
      b[32] = unit;
      b[33] = affects;
      return b;
    };
    const evs = decodeNative(
      writeTraceToBytes({}, (w) => {
        w.raw(RecordType.CaptureGap, body(1n, 2n, 9, 7));
        w.raw(RecordType.CaptureGap, body(5n, 4n, 1, 0));
      }),
    );
    expect(evs[1]).toMatchObject({ kind: 'gap', unit: GapUnit.Unknown, affects: GapAffects.All });
    expect(evs[2]).toMatchObject({ kind: 'diagnostic', message: expect.stringMatching(/\(record 1\): capture gap ends \(4\) before it starts \(5\)/) });
  });
});

describe('version 1.0 files stay readable', () => {
  it('a committed 1.0 trace gives exactly the events of the same trace written as 1.1 (header version aside)', () => {
    const v10 = readFileSync(new URL('fixtures/slow-power-transition-1.0.sct', import.meta.url));
    // The same kext-style trace as traces/slow-power-transition.sct was before the samples became DriverKit captures.
    const v11 = readFileSync(new URL('fixtures/slow-power-transition-1.1.sct', import.meta.url));
    expect([v10[10], v11[10]]).toEqual([0, 1]); // minor versions
    const a = decodeNative(v10);
    const b = decodeNative(v11);
    expect((a[0] as TraceHeader).version).toBe('1.0');
    expect((b[0] as TraceHeader).version).toBe('1.1');
    expect(a.slice(1)).toEqual(b.slice(1));
    expect(a.filter((e) => e.kind === 'diagnostic')).toEqual([]);
    expect(submits(a).length).toBeGreaterThan(100);
  });
});

describe('HBA_EVENT durations', () => {
  it('are ticks like every time: with 1 µs ticks a 21.5 s power transition is 21.5 s', () => {
    const evs = decodeNative(
      writeTraceToBytes({ tickNs: 1000 }, (w) => {
        w.hba({ timeNs: 30e9, kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Instant, durationNs: 21.5e9, arg0: 0, arg1: 2 });
      }),
    );
    const hba = evs.find((e): e is HbaEvent => e.kind === 'hba')!;
    expect(hba.durationNs).toBe(21.5e9);
    expect(hba.timeNs).toBe(30e9);
  });

  it('read the duration field of a raw 1 µs-tick record as microseconds', () => {
    const body = new Uint8Array(56);
    const v = new DataView(body.buffer);
    v.setBigUint64(0, 30_000_000n, true); // 30 s in µs
    v.setBigUint64(8, 0xffff_ffff_ffff_ffffn, true);
    v.setUint16(16, HbaEventKind.PowerStateChange, true);
    v.setBigUint64(24, 21_500_000n, true); // 21.5 s in µs
    const evs = decodeNative(writeTraceToBytes({ tickNs: 1000 }, (w) => w.raw(RecordType.HbaEvent, body)));
    expect(evs[1]).toMatchObject({ kind: 'hba', timeNs: 30e9, durationNs: 21.5e9 });
  });

  it('take an issued→completed pair from its timestamps; a duration field that disagrees by more than a tick is reported', () => {
    const evs = decodeNative(
      writeTraceToBytes({ tickNs: 1000 }, (w) => {
        w.hba({ timeNs: 1e9, kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 0, arg1: 2 });
        w.hba({ timeNs: 22.5e9, kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Completed, arg0: 0, arg1: 2 });
        w.hba({ timeNs: 23e9, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued, taskId: 9 });
        w.hba({ timeNs: 23.001e9, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: 9, durationNs: 1_001_000 }); // 1 tick off: fine
        w.hba({ timeNs: 24e9, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued, taskId: 10 });
        w.hba({ timeNs: 24.002e9, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: 10, durationNs: 5e6 }); // disagrees
        w.hba({ timeNs: 25e9, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: 11, durationNs: 3e6 }); // no issued event
      }),
    );
    const hba = evs.filter((e): e is HbaEvent => e.kind === 'hba');
    expect(hba.filter((e) => e.phase === HbaEventPhase.Completed).map((e) => e.durationNs)).toEqual([21.5e9, 1e6, 2e6, 3e6]);
    const d = evs.filter((e) => e.kind === 'diagnostic');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      offset: hba[5]!.offset,
      message: expect.stringMatching(
        /\(record 5\): HBA_EVENT duration of 5000 ticks disagrees with its issued event \(record 4\) 2000 ticks earlier; the timestamps are used/,
      ),
    });
  });
});

describe('times past 2^53 ns', () => {
  it('are counted from a time origin, so that they and the latencies between them stay exact', () => {
    const base = 0x1234_5678_9abc_def0n; // ~1.3e18 ns
    const raw = writeTraceToBytes({ timeOriginNs: base }, (w) => {
      w.submit({ timeNs: 0, taskId: 1, cdb: rw10(false, 0, 1) });
      w.complete({ timeNs: 3, taskId: 1 });
    });
    const evs = decodeNative(raw);
    const header = evs[0] as TraceHeader;
    const origin = base - (base % 1_000_000_000n);
    expect(header.timeOriginNs).toBe(origin);
    expect(evs[1]!.timeNs).toBe(Number(base - origin));
    expect(evs[2]!.timeNs - evs[1]!.timeNs).toBe(3);
    // Written back with the origin, the same bytes.
    const again = writeTraceToBytes({ timeOriginNs: origin }, (w) => {
      w.submit({ timeNs: evs[1]!.timeNs, taskId: 1, cdb: rw10(false, 0, 1) });
      w.complete({ timeNs: evs[2]!.timeNs, taskId: 1 });
    });
    expect(Buffer.compare(Buffer.from(again), Buffer.from(raw))).toBe(0);
  });

  it('the header comes first, with its origin, whatever the chunking; small traces have none', () => {
    const bytes = writeTraceToBytes({ timeOriginNs: 1n << 60n }, (w) => {
      w.note(0, 'a');
      w.note(1, 'b');
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (size) => {
        const dec = new NativeDecoder(undefined, { exactTimes: true });
        const out: TraceEvent[] = [];
        for (let i = 0; i < bytes.length; i += size) dec.push(bytes.subarray(i, i + size), out);
        dec.end(out);
        expect(out.map((e) => e.kind)).toEqual(['header', 'note', 'note']);
        expect((out[0] as TraceHeader).timeOriginNs).toBe(1_152_921_504_000_000_000n); // 2^60 ns, to the whole second
        expect(out.map((e) => e.timeNs)).toEqual([0, 606_846_976, 606_846_977]);
      }),
    );
    const small = decodeNative(writeTraceToBytes({}, (w) => w.note(5, 'x')));
    expect((small[0] as TraceHeader).timeOriginNs).toBeUndefined();
  });
});

describe('record numbers', () => {
  it('count every record and damaged place by position: no two places share a number', () => {
    const bytes = writeTraceToBytes({}, (w) => {
      for (let i = 0; i < 8; i++) w.note(i, `note ${i}`);
    }).slice();
    const whole = decodeNative(bytes);
    expect(whole.slice(1).map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Records 2 and 3 fail their CRC (two damaged records in one stretch), record 5 is cut short of its sync word.
    bytes[whole[3]!.offset + 20]! ^= 1;
    bytes[whole[4]!.offset + 20]! ^= 1;
    bytes[whole[6]!.offset]! ^= 0xff;
    const evs = decodeNative(bytes);
    const read = evs.filter((e) => e.kind === 'note');
    expect(read.map((e) => e.index)).toEqual([0, 1, 4, 6, 7]);
    const diags = evs.filter((e) => e.kind === 'diagnostic');
    expect(diags.map((e) => e.index)).toEqual([2, 5]);
    const named = [...read, ...diags].map((e) => e.index);
    expect(new Set(named).size).toBe(named.length);
  });
});

/** A TARGET_INFO body for a raw record. */
function targetInfoBody(targetId: bigint, label: string): Uint8Array {
  const text = new TextEncoder().encode(label);
  const b = new Uint8Array(TargetInfo.FIXED + pad8(text.length));
  const v = new DataView(b.buffer);
  v.setBigUint64(TargetInfo.targetId, targetId, true);
  v.setUint16(TargetInfo.labelLength, text.length, true);
  b.set(text, TargetInfo.FIXED);
  return b;
}

/** The record types of a file, in order. */
function recordTypes(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const types: number[] = [];
  for (let p = v.getUint32(12, true); p < bytes.length; p += RECORD_HEADER + v.getUint32(p + 8, true) + 4) types.push(v.getUint16(p + 4, true));
  return types;
}

/** A copy of `bytes` with the record at `offset` changed by `edit` (absolute offsets) and its CRC fixed. */
function reCrc(bytes: Uint8Array, offset: number, edit: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  const v = new DataView(copy.buffer);
  edit(v);
  const len = v.getUint32(offset + 8, true);
  v.setUint32(offset + RECORD_HEADER + len, crc32c(copy, offset + 4, offset + RECORD_HEADER + len), true);
  return copy;
}
