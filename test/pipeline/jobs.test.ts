import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runScsitrace } from '../helpers/cli.js';
import { damage, randomTrace } from './random-trace.js';

/**
 * --jobs N reads and pairs on worker threads while this thread runs the printer, the rules and
 * the summary: every output must be what --jobs 1 (everything on one thread) prints, byte for
 * byte, stdout and stderr and exit code, for damaged traces and for several files at once.
 * (The read worker runs from dist/: `npm test` builds first.)
 */
const dir = mkdtempSync(join(tmpdir(), 'scsitrace-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS: string[][] = [
  ['decode'],
  ['decode', '--format', 'json', '--segments', '--with-events'],
  ['check', '--format', 'json', '--exit-zero'],
  ['summary', '--format', 'json'],
  // The HTML report's timeline is a consumer of the same rows (src/report/timeline/collect.ts).
  ['summary', '--format', 'html'],
];

async function sameForAllJobs(paths: string[]): Promise<void> {
  for (const command of COMMANDS) {
    const one = await runScsitrace(...command, '--jobs', '1', ...paths);
    expect(one.stdout.length).toBeGreaterThan(0);
    for (const jobs of ['2', '3']) {
      const many = await runScsitrace(...command, '--jobs', jobs, ...paths);
      expect({ command: command.join(' '), jobs, ...many }).toEqual({ command: command.join(' '), jobs, ...one });
    }
  }
}

describe('--jobs', () => {
  it('prints what one thread prints, for random damaged traces, alone and among other files', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 500, max: 6000 }), async (seed, tasks) => {
        const a = join(dir, `a-${seed}.sct`);
        const b = join(dir, `b-${seed}.sct`);
        writeFileSync(a, damage(randomTrace(seed, tasks), seed));
        writeFileSync(b, randomTrace(seed + 1, 300));
        await sameForAllJobs([a]);
        await sameForAllJobs([a, b, 'traces/healthy-copy.sct', a]);
      }),
      { numRuns: 3 },
    );
  }, 600_000);

  it('reports an unreadable file after the files before it, as one thread does', async () => {
    const missing = join(dir, 'missing.sct');
    const one = await runScsitrace('check', '--jobs', '1', 'traces/healthy-copy.sct', missing);
    const two = await runScsitrace('check', '--jobs', '2', 'traces/healthy-copy.sct', missing);
    expect(one.code).toBe(2);
    expect(two).toEqual(one);
  });

  it('rejects a --jobs that is not a whole number from 1', async () => {
    for (const bad of ['0', '-1', '1.5', 'x']) {
      const r = await runScsitrace('check', '--jobs', bad, 'traces/healthy-copy.sct');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--jobs');
    }
  });
});
