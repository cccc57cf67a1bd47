import { describe, expect, it } from 'vitest';
import { runScsitrace } from '../helpers/cli.js';

/** `check` and `summary` over several files: the merged report, then one line per file. */
const FILES = ['traces/healthy-copy.sct', 'traces/lsi3108-buffered-copy.sct', 'traces/dma-over-2gib.sct'];

async function alone(path: string) {
  const r = await runScsitrace('check', '--format', 'json', '--exit-zero', '--jobs', '1', path);
  return JSON.parse(r.stdout) as { tasks: number; counts: { error: number; warning: number; info: number } };
}

describe('many files', () => {
  it('check JSON: one perFile entry per file, each what checking that file alone finds', async () => {
    const r = await runScsitrace('check', '--format', 'json', '--exit-zero', ...FILES);
    const doc = JSON.parse(r.stdout) as {
      tasks: number;
      counts: Record<string, number>;
      perFile: Array<{ file: string; tasks: number; findings: Record<string, number>; format: string }>;
    };
    expect(doc.perFile.map((f) => f.file)).toEqual(FILES);
    for (const [i, path] of FILES.entries()) {
      const single = await alone(path);
      expect(doc.perFile[i]!.tasks).toBe(single.tasks);
      expect(doc.perFile[i]!.findings).toEqual(single.counts);
      expect(doc.perFile[i]!.format).toBe('native');
    }
    expect(doc.perFile.reduce((n, f) => n + f.tasks, 0)).toBe(doc.tasks);
    expect(doc.perFile.reduce((n, f) => n + f.findings['error']!, 0)).toBe(doc.counts['error']);
  });

  it('check text ends with a line per file; one file has no such section', async () => {
    const r = await runScsitrace('check', '--exit-zero', ...FILES);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-4)).toBe('Files:');
    expect(lines.at(-2)).toMatch(/^ {2}traces\/lsi3108-buffered-copy\.sct \(native\): 1075 tasks · 137 errors, 1 warning, 0 info$/);
    const one = await runScsitrace('check', '--exit-zero', FILES[0]!);
    expect(one.stdout).not.toContain('Files:');
  });

  it('summary JSON: perFile tasks are each file alone', async () => {
    const r = await runScsitrace('summary', '--format', 'json', '--no-check', ...FILES);
    const doc = JSON.parse(r.stdout) as { perFile: Array<{ tasks: number; findings?: unknown }>; overview: { tasks: { submitted: number } } };
    for (const [i, path] of FILES.entries()) {
      const single = JSON.parse((await runScsitrace('summary', '--format', 'json', '--no-check', path)).stdout) as {
        overview: { tasks: { submitted: number } };
      };
      expect(doc.perFile[i]!.tasks).toBe(single.overview.tasks.submitted);
      expect(doc.perFile[i]!.findings).toBeUndefined();
    }
    expect(doc.perFile.reduce((n, f) => n + f.tasks, 0)).toBe(doc.overview.tasks.submitted);
  });
});
