import { describe, expect, it } from 'vitest';
import { buildTraceEvents, rw10, DataDirection } from '../helpers/trace.js';
import { summarizeTrace, createSummarizer } from '../../src/report/summary/summarizer.js';
import { HbaEventKind, HbaEventPhase, ServiceResponse } from '../../src/model/events.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTrace } from '../../src/formats/open.js';
import { buildTraceBytes } from '../helpers/trace.js';

const MS = 1_000_000;
/** Fixed-format sense: ILLEGAL REQUEST, INVALID FIELD IN CDB (24/00). */
const SENSE_24_00 = [0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0x00, 0, 0, 0, 0];

describe('summarizeTrace', () => {
  it('counts tasks, outcomes, bytes and per-command latency', () => {
    const events = buildTraceEvents((b) => {
      for (let i = 0; i < 10; i++) {
        b.task({ cdb: rw10(false, i * 8, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }, {}, (i + 1) * 100_000);
        b.wait(MS);
      }
      for (let i = 0; i < 4; i++) b.task({ cdb: rw10(true, i * 8, 8), direction: DataDirection.ToDevice, requestedBytes: 4096 }, {}, 1 * MS);
      b.task({ cdb: [0x12, 0, 0, 0, 36, 0] }, { status: 2, sense: SENSE_24_00 });
      b.task({ cdb: [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0] }, { serviceResponse: ServiceResponse.ServiceDeliveryOrTargetFailure, status: 0x01 });
      b.submit({ cdb: rw10(true, 100, 8), direction: DataDirection.ToDevice, requestedBytes: 4096 });
    });
    const s = summarizeTrace(events);
    expect(s.overview.tasks).toEqual({
      submitted: 17,
      completed: 16,
      good: 14,
      failed: 2,
      checkCondition: 1,
      neverCompleted: 1,
      orphanCompletions: 0,
      reusedTaskIds: 0,
    });
    expect(s.overview.bytes).toEqual({ read: 40960, written: 16384 });
    const read = s.commands.find((c) => c.name === 'READ(10)')!;
    expect(read.submitted).toBe(10);
    expect(read.latency.minNs).toBe(100_000);
    expect(read.latency.maxNs).toBe(1_000_000);
    expect(read.latency.p50Ns! / 500_000).toBeCloseTo(1, 2);
    expect(read.class).toBe('read');
    const write = s.commands.find((c) => c.name === 'WRITE(10)')!;
    expect(write.neverCompleted).toBe(1);
    expect(write.submitted).toBe(5);
    // Time share: reads 5.5 ms, writes 4 ms, inquiry and flush 10 µs each.
    expect(read.timeShare + write.timeShare).toBeGreaterThan(0.99);
    expect(s.completions.checkConditions).toEqual([
      expect.objectContaining({ senseKey: 5, senseKeyName: 'ILLEGAL REQUEST', asc: 0x24, ascq: 0, count: 1, commands: [{ name: 'INQUIRY', count: 1 }] }),
    ]);
    expect(s.completions.statuses.map((x) => [x.status, x.count])).toEqual([
      ['GOOD', 14],
      // Ties in count go by service response, then status code.
      ['TASK TIMEOUT', 1],
      ['CHECK CONDITION', 1],
    ]);
    expect(s.commands.find((c) => c.name.startsWith('SYNCHRONIZE CACHE'))!.errors).toBe(1);
  });

  it('tracks queue depth and peaks, and marks the HBA limits from the constraints record', () => {
    const events = buildTraceEvents((b) => {
      b.w.constraints(0, { IOMaximumSegmentCountWrite: 129, IOMaximumByteCountWrite: '0x80000' });
      // Four writes in flight at once, each 1 ms; the 129-segment one is at the limit, 200 over.
      const ids = [1, 129, 200, 8].map((segs) =>
        b.submit({
          cdb: rw10(true, 0, 8),
          direction: DataDirection.ToDevice,
          requestedBytes: segs * 4096,
          segments: Array.from({ length: segs }, (_, k) => ({ address: 0x1000 * k, length: 4096 })),
        }),
      );
      b.wait(MS);
      for (const id of ids) b.complete(id, { bytesTransferred: 4096 });
      b.wait(MS);
    });
    const s = summarizeTrace(events);
    expect(s.overview.queueDepth.max).toBe(4);
    expect(s.overview.queueDepth.mean).toBeCloseTo(4, 1); // 4 deep for the whole 1 ms span
    expect(s.limits).toEqual({ IOMaximumByteCountWrite: 0x80000, IOMaximumSegmentCountWrite: 129 });
    const segs = s.transfers.writeSegments;
    expect(segs.limit).toBe(129);
    expect(segs.overLimit).toBe(1);
    expect(segs.bins.find((b) => b.atMost === 129)).toEqual({ moreThan: 128, atMost: 129, count: 1, overLimit: false });
    expect(segs.bins.find((b) => b.moreThan === 129)).toEqual({ moreThan: 129, atMost: 256, count: 1, overLimit: true });
    expect(s.transfers.writeBytes.overLimit).toBe(2); // 129 and 200 pages are over 512 KiB
    expect(s.overview.iops.peak).toBeGreaterThanOrEqual(s.overview.iops.mean);
  });

  it('summarises HBA events and power transitions with durations', () => {
    const events = buildTraceEvents((b) => {
      b.w.hba({ timeNs: 0, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued });
      b.w.hba({ timeNs: 2 * MS, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, durationNs: 2 * MS });
      b.w.hba({ timeNs: 3 * MS, kind: HbaEventKind.PowerStateChange, arg0: 0, arg1: 2, durationNs: 12_000 * MS });
      b.w.hba({ timeNs: 4 * MS, kind: HbaEventKind.BusReset, status: 5 });
    });
    const s = summarizeTrace(events);
    expect(s.hbaEvents.map((e) => [e.name, e.count, e.failed])).toEqual([
      ['controller cache flush', 1, 0],
      ['power state change', 1, 0],
      ['bus reset', 1, 1],
    ]);
    expect(s.hbaEvents[0]!.duration.maxNs).toBe(2 * MS);
    expect(s.powerTransitions).toEqual([expect.objectContaining({ from: 0, to: 2, count: 1 })]);
    expect(s.powerTransitions[0]!.duration.maxNs).toBe(12_000 * MS);
  });

  it('times an issued/completed pair by its timestamps, an instant event by its own duration (issue 11)', () => {
    const events = buildTraceEvents((b) => {
      // A flush pair whose completed event carries no duration, linked to task 9.
      b.w.hba({ timeNs: 0, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Issued, taskId: 9 });
      b.w.hba({ timeNs: 5 * MS, kind: HbaEventKind.ControllerCacheFlush, phase: HbaEventPhase.Completed, taskId: 9 });
      // A power pair 21.5 s apart whose duration field says 21.5 ms (ticks read as ns).
      b.w.hba({ timeNs: 10 * MS, kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Issued, arg0: 2, arg1: 0 });
      b.w.hba({ timeNs: 10 * MS + 21_500 * MS, kind: HbaEventKind.PowerStateChange, phase: HbaEventPhase.Completed, arg0: 2, arg1: 0, durationNs: 21.5 * MS });
      b.w.hba({ timeNs: 22_000 * MS, kind: HbaEventKind.ControllerCacheFlush, durationNs: 7 * MS });
    });
    const s = summarizeTrace(events);
    const flush = s.hbaEvents.find((e) => e.name === 'controller cache flush')!;
    expect(flush.count).toBe(2);
    expect(flush.duration.count).toBe(2);
    expect(flush.duration.minNs).toBeCloseTo(5 * MS, -5);
    expect(flush.duration.maxNs).toBeCloseTo(7 * MS, -5);
    expect(s.powerTransitions).toEqual([expect.objectContaining({ from: 2, to: 0, count: 1 })]);
    expect(s.powerTransitions[0]!.duration.maxNs! / 1e9).toBeCloseTo(21.5, 1);
  });

  it("lays several traces end to end and counts each trace's leftovers as never completed", () => {
    const one = buildTraceEvents((b) => {
      b.task({ cdb: rw10(false, 0, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }, {}, 5 * MS);
      b.submit({ cdb: [0, 0, 0, 0, 0, 0] });
    });
    const s2 = createSummarizer();
    s2.push(one);
    s2.push(one); // the second header starts a second trace
    const s = s2.finish();
    expect(s.traces).toHaveLength(2);
    expect(s.traces[1]!.timeBaseNs).toBe(5 * MS);
    expect(s.overview.spanNs).toBe(10 * MS);
    expect(s.overview.tasks.neverCompleted).toBe(2);
    expect(s.overview.tasks.completed).toBe(2);
  });

  it('counts reused task ids and orphan completions', () => {
    const events = buildTraceEvents((b) => {
      b.submit({ cdb: [0, 0, 0, 0, 0, 0], taskId: 7 });
      b.submit({ cdb: [0, 0, 0, 0, 0, 0], taskId: 7 });
      b.complete(7);
      b.complete(7);
      b.complete(99);
    });
    const s = summarizeTrace(events);
    expect(s.overview.tasks).toMatchObject({ submitted: 2, completed: 1, neverCompleted: 1, reusedTaskIds: 1, orphanCompletions: 2 });
    expect(s.overview.queueDepth.max).toBe(1);
  });

  it('folds LUNs beyond the maximum into one row', () => {
    const events = buildTraceEvents((b) => {
      for (let lun = 0; lun < 6; lun++) b.task({ cdb: [0, 0, 0, 0, 0, 0], lun });
    });
    const s = summarizeTrace(events, { maxLuns: 4 });
    expect(s.luns.map((l) => `${l.target}:${l.lun}`)).toEqual(['0:0', '0:1', '0:2', '0:3', 'other:0']);
    expect(s.luns[4]!.submitted).toBe(2);
  });
});

describe('library use', () => {
  it('summarises the event stream of an opened trace file (async batches)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-lib-'));
    try {
      const path = join(dir, 't.sct');
      writeFileSync(
        path,
        buildTraceBytes((b) => {
          for (let i = 0; i < 100; i++) b.task({ cdb: rw10(false, i, 8), direction: DataDirection.FromDevice, requestedBytes: 4096 }, {}, 50_000);
        }),
      );
      const trace = await openTrace(path);
      const s = await summarizeTrace(trace.events, { files: [{ path, sizeBytes: trace.sizeBytes }] });
      expect(s.overview.tasks.completed).toBe(100);
      expect(s.overview.bytes.read).toBe(409_600);
      expect(s.traces[0]).toMatchObject({ path, format: 'native' });
      expect(s.commands[0]!.latency.p50Ns).toBe(50_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('percentiles of a whole trace', () => {
  it('are within 1% of the exact latencies of each command', () => {
    const latencies = new Map<string, number[]>();
    const events = buildTraceEvents((b) => {
      let x = 12345;
      for (let i = 0; i < 20_000; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const write = i % 3 === 0;
        // Heavy-tailed: mostly ~100 µs, sometimes tens of ms.
        const latency = 20_000 + Math.floor((x / 2 ** 31) ** 4 * 50_000_000);
        b.task({ cdb: rw10(write, i, 8), direction: write ? DataDirection.ToDevice : DataDirection.FromDevice, requestedBytes: 4096 }, {}, latency);
        const name = write ? 'WRITE(10)' : 'READ(10)';
        if (!latencies.has(name)) latencies.set(name, []);
        latencies.get(name)!.push(latency);
      }
    });
    const s = summarizeTrace(events);
    for (const [name, values] of latencies) {
      const sorted = values.sort((a, b) => a - b);
      const exact = (p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
      const l = s.commands.find((c) => c.name === name)!.latency;
      for (const [p, got] of [
        [50, l.p50Ns],
        [90, l.p90Ns],
        [99, l.p99Ns],
        [99.9, l.p999Ns],
      ] as const) {
        expect(Math.abs(got! - exact(p)) / exact(p), `${name} p${p}: ${got} vs ${exact(p)}`).toBeLessThanOrEqual(0.01);
      }
      expect(l.minNs).toBe(sorted[0]);
      expect(l.maxNs).toBe(sorted[sorted.length - 1]);
    }
  });
});

describe('bounded by caps on distinct keys', () => {
  it('folds command kinds, sense codes and HBA event kinds beyond the caps into "other" rows', () => {
    const events = buildTraceEvents((b) => {
      for (let sa = 0; sa < 4200; sa++) {
        // Variable-length CDBs (0x7F) with 4,200 distinct service actions, each rejected with its own ASC/ASCQ.
        const cdb = [0x7f, 0, 0, 0, 0, 0, 0, 0x18, sa >> 8, sa & 0xff, ...new Array(22).fill(0)];
        const sense = [0x72, 0x05, 0x80 + (sa >> 8), sa & 0xff, 0, 0, 0, 0];
        b.task({ cdb }, { status: 2, sense }, 1000);
        b.w.hba({ timeNs: b.timeNs, kind: 100 + (sa % 300) });
      }
    });
    const s = summarizeTrace(events);
    expect(s.commands).toHaveLength(1025);
    const other = s.commands.find((c) => c.opcode === -1)!;
    expect(other.name).toBe('other commands (beyond 1024 kinds)');
    expect(other.submitted).toBe(4200 - 1024);
    expect(s.completions.checkConditions).toHaveLength(4097);
    expect(s.completions.checkConditions.find((x) => x.senseKey === -1)!.count).toBe(4200 - 4096);
    expect(s.hbaEvents).toHaveLength(257);
    expect(s.hbaEvents.reduce((n, e) => n + e.count, 0)).toBe(4200);
    expect(s.overview.tasks.checkCondition).toBe(4200);
  });
});
