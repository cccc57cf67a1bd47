import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirection, HbaEventKind, HbaEventPhase } from '../../src/model/events.js';
import { decodeCdb } from '../../src/scsi/index.js';
import { writeBenchTrace } from '../../src/synth/index.js';
import { decode } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-bench-'));

describe('writeBenchTrace', () => {
  const path = join(dir, 'bench.sct');
  writeBenchTrace(path, 20_000, 3);
  const bytes = new Uint8Array(readFileSync(path));
  const d = decode(bytes);

  it('writes exactly the tasks asked for, each completed once, in time order, readable without diagnostics', () => {
    expect(d.submits.size).toBe(20_000);
    expect(d.completions.size).toBe(20_000);
    expect(d.events.some((e) => e.kind === 'diagnostic')).toBe(false);
    let last = 0;
    for (const e of d.events) {
      expect(e.timeNs).toBeGreaterThanOrEqual(last);
      last = e.timeNs;
    }
  });

  it('keeps about 32 tasks in flight and never more', () => {
    let inFlight = 0;
    let max = 0;
    let sum = 0;
    let samples = 0;
    for (const e of d.events) {
      if (e.kind === 'submit') {
        inFlight++;
        max = Math.max(max, inFlight);
        sum += inFlight;
        samples++;
      } else if (e.kind === 'complete') inFlight--;
    }
    expect(max).toBe(32);
    expect(sum / samples).toBeGreaterThan(16);
  });

  it('mixes reads and writes of 4 KiB-1 MiB with page-scattered lists averaging 8-16 segments', () => {
    let segments = 0;
    let rw = 0;
    let inconsistent = 0;
    let overlapping = 0;
    const sizes = new Set<number>();
    const dirs = new Set<number>();
    for (const s of d.submits.values()) {
      if (s.direction === DataDirection.None) continue;
      rw++;
      segments += s.segments.count;
      sizes.add(s.requestedBytes);
      dirs.add(s.direction);
      if (s.segments.totalBytes() !== s.requestedBytes || decodeCdb(s.cdb).transferLength! * 512 !== s.requestedBytes) inconsistent++;
      for (let i = 1; i < s.segments.count; i++) if (s.segments.address(i) < s.segments.address(i - 1) + BigInt(s.segments.length(i - 1))) overlapping++;
    }
    expect(inconsistent).toBe(0);
    expect(overlapping).toBe(0);
    expect(Math.min(...sizes)).toBe(4096);
    expect(Math.max(...sizes)).toBe(1024 * 1024);
    expect(dirs).toEqual(new Set([DataDirection.ToDevice, DataDirection.FromDevice]));
    const average = segments / rw;
    expect(average).toBeGreaterThanOrEqual(8);
    expect(average).toBeLessThanOrEqual(16);
  });

  it('issues occasional SYNCHRONIZE CACHE, each with a linked controller flush before its completion', () => {
    const syncs = [...d.submits.values()].filter((s) => s.cdb[0] === 0x35);
    expect(syncs.length).toBeGreaterThan(20);
    for (const s of syncs) {
      const flush = d.hba.filter((h) => h.hbaKind === HbaEventKind.ControllerCacheFlush && h.taskId === s.taskId);
      expect(flush.map((h) => h.phase)).toEqual([HbaEventPhase.Issued, HbaEventPhase.Completed]);
      expect(flush[1]!.timeNs).toBeLessThan(d.completions.get(s.taskId)!.timeNs);
    }
  });

  it('is deterministic for a seed', () => {
    const again = join(dir, 'again.sct');
    writeBenchTrace(again, 20_000, 3);
    expect(Buffer.compare(readFileSync(again), Buffer.from(bytes))).toBe(0);
  });
});
