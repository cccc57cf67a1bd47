import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCapture } from '../../src/formats/pcap/index.js';
import { DataDirection, ServiceResponse, type TaskCompleted, type TaskSubmitted } from '../../src/model/events.js';
import { writeBenchShape, writeIscsiCapture } from '../../src/synth/index.js';
import { decode } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-bench-shapes-'));

describe('writeBenchShape', () => {
  it('deep-queue: every task is in flight at once, then each completes once', () => {
    const path = join(dir, 'deep.sct');
    writeBenchShape(path, 'deep-queue', 3000, 1);
    const d = decode(new Uint8Array(readFileSync(path)));
    expect(d.events.some((e) => e.kind === 'diagnostic')).toBe(false);
    let inFlight = 0;
    let max = 0;
    for (const e of d.events) {
      if (e.kind === 'submit') max = Math.max(max, ++inFlight);
      else if (e.kind === 'complete') inFlight--;
    }
    expect(max).toBe(3000);
    expect(d.completions.size).toBe(3000);
  });

  it('long-sgl: 65,535 segments per task, out of address order, none overlapping, adding up to the transfer', () => {
    const path = join(dir, 'long.sct');
    writeBenchShape(path, 'long-sgl', 2, 1);
    const d = decode(new Uint8Array(readFileSync(path)));
    expect(d.submits.size).toBe(2);
    for (const s of d.submits.values()) {
      const n = s.segments.count;
      expect(n).toBe(65_535);
      expect(s.segments.totalBytes()).toBe(s.requestedBytes);
      const starts = Array.from({ length: n }, (_, i) => Number(s.segments.address(i)));
      let descents = 0;
      for (let i = 1; i < n; i++) if (starts[i]! < starts[i - 1]!) descents++;
      expect(descents).toBeGreaterThan(n / 4);
      const sorted = [...starts].sort((a, b) => a - b);
      for (let i = 1; i < n; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(512);
    }
  });

  it('many-luns: each task addresses a target:LUN pair no other task does', () => {
    const path = join(dir, 'luns.sct');
    writeBenchShape(path, 'many-luns', 5000, 1);
    const d = decode(new Uint8Array(readFileSync(path)));
    const pairs = new Set([...d.submits.values()].map((s) => `${s.targetId}:${s.lun}`));
    expect(pairs.size).toBe(5000);
    expect(d.completions.size).toBe(5000);
  });
});

describe('writeIscsiCapture', () => {
  it('writes a capture scsitrace reads back as exactly the commands issued, each completed GOOD with its data', () => {
    const path = join(dir, 'cap.pcap');
    const stats = writeIscsiCapture(path, { commands: 300, seed: 5 });
    expect(stats.commands).toBe(300);
    const events = decodeCapture(new Uint8Array(readFileSync(path)));
    expect(events.filter((e) => e.kind === 'diagnostic' || e.kind === 'gap')).toEqual([]);
    const submits = events.filter((e): e is TaskSubmitted => e.kind === 'submit');
    const completes = new Map(events.filter((e): e is TaskCompleted => e.kind === 'complete').map((c) => [c.taskId, c]));
    expect(submits.length).toBe(300);
    const sizes = new Set<number>();
    for (const s of submits) {
      const c = completes.get(s.taskId)!;
      expect(c.serviceResponse).toBe(ServiceResponse.TaskComplete);
      expect(c.status).toBe(0);
      expect(c.bytesTransferred).toBe(s.requestedBytes);
      expect([DataDirection.FromDevice, DataDirection.ToDevice]).toContain(s.direction);
      expect([0x28, 0x2a]).toContain(s.cdb[0]);
      sizes.add(s.requestedBytes);
    }
    expect(Math.min(...sizes)).toBe(4096);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(256 * 1024);
  });

  it('takes the transfer sizes as an option', () => {
    const path = join(dir, 'small.pcap');
    writeIscsiCapture(path, { commands: 50, seed: 5, sizesKiB: [[4, 1]] });
    const submits = decodeCapture(new Uint8Array(readFileSync(path))).filter((e): e is TaskSubmitted => e.kind === 'submit');
    expect(submits.length).toBe(50);
    expect(new Set(submits.map((s) => s.requestedBytes))).toEqual(new Set([4096]));
  });
});
