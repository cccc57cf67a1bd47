import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';

function terminal(isTTY = true) {
  const writes: string[] = [];
  return { writes, stderr: { isTTY, columns: 100, write: (s: string) => writes.push(s) } };
}

describe('progress bar', () => {
  it('stays quiet for the first second, then shows bytes, records/s and ETA, then erases itself', () => {
    const t = terminal();
    let now = 0;
    const p = createProgress({ stderr: t.stderr, progress: true }, { totalBytes: 100 << 20, now: () => now });
    let records = 0;
    p.file(() => records);
    now = 500;
    records = 10_000;
    p.bytes(10 << 20);
    expect(t.writes).toEqual([]);
    now = 2000;
    records = 40_000;
    p.bytes(25 << 20);
    expect(t.writes).toHaveLength(1);
    const line = t.writes[0]!;
    expect(line.startsWith('\r[')).toBe(true);
    expect(line).toContain('25%');
    expect(line).toContain('25 MiB/100 MiB');
    expect(line).toContain('20.0k rec/s');
    expect(line).toContain('ETA 0:06'); // 75 MiB left at 12.5 MiB/s
    expect([...line.replace('\x1b[K', '')].length).toBeLessThanOrEqual(100);
    now = 2050;
    p.bytes(26 << 20); // within 100 ms of the last draw: not redrawn
    expect(t.writes).toHaveLength(1);
    p.done();
    expect(t.writes[t.writes.length - 1]).toBe('\r\x1b[K');
  });

  it('counts bytes and records across files', () => {
    const t = terminal();
    let now = 0;
    const p = createProgress({ stderr: t.stderr, progress: true }, { totalBytes: 4 << 20, now: () => now });
    p.file(() => 100);
    p.bytes(2 << 20);
    p.file(() => 50);
    now = 1500;
    p.bytes(1 << 20);
    expect(t.writes[0]).toContain('3 MiB/4 MiB');
    expect(t.writes[0]).toContain('75%');
  });

  it('never draws when stderr is not a terminal or with --no-progress', () => {
    for (const [tty, allowed] of [
      [false, true],
      [true, false],
    ] as const) {
      const t = terminal(tty);
      let now = 0;
      const p = createProgress({ stderr: t.stderr, progress: allowed }, { totalBytes: 1000, now: () => now });
      expect(p.enabled).toBe(false);
      p.file(() => 1);
      now = 5000;
      p.bytes(500);
      p.done();
      expect(t.writes).toEqual([]);
    }
  });

  it('shows nothing to erase when the run ended within the first second', () => {
    const t = terminal();
    const p = createProgress({ stderr: t.stderr, progress: true }, { totalBytes: 1000, now: () => 10 });
    p.file(() => 1);
    p.bytes(1000);
    p.done();
    expect(t.writes).toEqual([]);
  });
});
