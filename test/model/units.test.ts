/**
 * Numbers a person reads: one spacing rule (a space before every unit), three significant
 * digits, binary units for bytes, words that agree with their number — and table cells that
 * wrap at words instead of being cut.
 */
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatRate, plural } from '../../src/model/units.js';
import { clip, renderTable, wrapCell } from '../../src/report/summary/table.js';
import { checkEvents } from '../../src/checks/engine.js';
import { buildTraceEvents } from '../helpers/trace.js';

describe('units', () => {
  it('durations: three significant digits, a space before the unit', () => {
    expect(formatDuration(850)).toBe('850 ns');
    expect(formatDuration(26_215)).toBe('26.2 µs');
    expect(formatDuration(452_000)).toBe('452 µs');
    expect(formatDuration(3_100_000)).toBe('3.1 ms');
    expect(formatDuration(54_711_242_000)).toBe('54.7 s'); // not "54711.242 ms"
    expect(formatDuration(12e9)).toBe('12 s');
    expect(formatDuration(999_700)).toBe('1 ms');
    expect(formatDuration(1_000e9)).toBe('16 min 40 s');
    expect(formatDuration(7_500e9)).toBe('2 h 05 min');
  });
  it('sizes and rates in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4096)).toBe('4 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(67_207_168)).toBe('64.1 MiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1 MiB');
    expect(formatRate(744_488_960)).toBe('710 MiB/s');
  });
  it('counts and plurals', () => {
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(plural(1, 'warning')).toBe('1 warning');
    expect(plural(2, 'warning')).toBe('2 warnings');
    expect(plural(0, 'error')).toBe('0 errors');
  });
  it('checker messages use them', () => {
    const events = buildTraceEvents((b) => {
      b.submit({ cdb: [0, 0, 0, 0, 0, 0] });
      b.wait(54_711_242_000);
      b.task({ cdb: [0, 0, 0, 0, 0, 0] });
    });
    const pending = checkEvents(events).groups.find((g) => g.ruleId === 'task-never-completed')!;
    expect(pending.examples[0]!.message).toContain('54.7 s');
  });
});

describe('table cells', () => {
  it('wrap at spaces and after hyphens, keep a number with its unit, and lose nothing', () => {
    expect(wrapCell('segment-above-address-limit', 10)).toBe('segment-\nabove-\naddress-\nlimit');
    expect(wrapCell('min 17.5 µs · p50 3.56 ms · max 9.75 ms', 20)).toBe('min 17.5 µs ·\np50 3.56 ms ·\nmax 9.75 ms');
    expect(wrapCell('abcdefghijklmnopqrstuvwxyz', 10)).toBe('abcdefghij\nklmnopqrst\nuvwxyz');
  });
  it('clipped to a length at a space, or after a hyphen or slash, never inside a word that fits', () => {
    expect(clip('short enough', 20)).toBe('short enough');
    expect(clip('12.5 s: segment 4 at 0xfffff000 crosses the limit', 30)).toBe('12.5 s: segment 4 at…');
    expect(clip('1 s: /very/long/path/without/any/spaces/at/all', 24)).toBe('1 s: /very/long/path/…');
    expect(clip('1 s: segment-above-address-limit-again', 24)).toBe('1 s: segment-above-…');
    expect(clip('0123456789abcdefghij', 10)).toBe('012345678…');
    for (const t of ['a bc-def/ghi jkl', 'x'.repeat(30), 'aa bb cc dd ee ff gg'])
      for (let n = 2; n < t.length; n++) expect(clip(t, n).length).toBeLessThanOrEqual(n);
  });
  it('are never cut mid-word, however narrow the terminal', () => {
    const text = renderTable({
      head: ['rule', 'severity', 'count', 'first example'],
      rows: [['segment-above-address-limit', 'error', '105', 'segment 4 at 0xfffff000 (+12288 bytes) crosses the 32-bit DMA limit 0x100000000']],
      align: ['left', 'left', 'right', 'left'],
      flex: [0, 3],
      width: 50,
    });
    expect(text).not.toContain('…');
    const cells = text
      .split('\n')
      .flatMap((l) => l.split('│').map((c) => c.trim()))
      .join(' ');
    for (const word of ['segment-', 'above-', 'address-', 'limit', '0x100000000', '(+12288', 'bytes)']) expect(cells).toContain(word);
  });
});
