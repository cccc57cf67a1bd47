/**
 * Damaged input: every problem is reported on stderr, one line each with its byte offset,
 * unless --max-problems caps the list; the count of what was left out and the totals stay
 * exact, and the exit code is 2. Through the real commands (in-process) and the executable.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScsitrace } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-max-problems-'));
const SUBMIT = '{"kind":"submit","timeNs":0,"taskId":1,"cdb":"000000000000"}';
const BAD_LINES = 50;
/** One good task, then 50 lines that are JSON but not events. */
const damaged = join(dir, 'fifty-bad-lines.jsonl');
writeFileSync(damaged, [SUBMIT, ...Array.from({ length: BAD_LINES }, (_, i) => `{"kind":"note","timeNs":${i + 1},"text":{"n":${i}}}`), ''].join('\n'));

const problemLines = (stderr: string) => stderr.split('\n').filter((l) => / at byte 0x[0-9a-f]+ \(line \d+\): /.test(l));

describe('--max-problems', () => {
  it.each([['decode'], ['check'], ['summary'], ['convert', '-o', '-']])(
    '%s reports every problem by default, each once, then the totals, and exits 2',
    async (...cmd) => {
      const r = await runScsitrace(...cmd, damaged);
      expect(r.code).toBe(2);
      const lines = problemLines(r.stderr);
      expect(lines).toHaveLength(BAD_LINES);
      expect(new Set(lines).size).toBe(BAD_LINES);
      expect(lines[BAD_LINES - 1]).toContain('(line 51): "note" event, field "text": must be a string, got an object');
      expect(r.stderr).not.toMatch(/more problems/);
      expect(r.stderr).toContain(`and ${BAD_LINES} bad records`);
    },
  );

  it('caps the list and says exactly how many were left out', async () => {
    const r = await runScsitrace('decode', '--max-problems', '7', damaged);
    expect(r.code).toBe(2);
    expect(problemLines(r.stderr)).toHaveLength(7);
    expect(r.stderr).toContain(`scsitrace: ... and 43 more problems (50 in all; --max-problems 7)\n`);
    expect(r.stderr).toMatch(/read 1 record; skipped [\d,]+ bytes in 50 damaged regions and 50 bad records/);
  });

  it('0 lists none but still counts them and exits 2; "all" is the default', async () => {
    const none = await runScsitrace('check', '--max-problems', '0', damaged);
    expect(none.code).toBe(2);
    expect(problemLines(none.stderr)).toEqual([]);
    expect(none.stderr).toContain('... and 50 more problems (50 in all; --max-problems 0)');
    const all = await runScsitrace('check', '--max-problems', 'all', damaged);
    expect(problemLines(all.stderr)).toHaveLength(BAD_LINES);
  });

  it('the summary report lists the same problems and counts all of them', async () => {
    const r = await runScsitrace('summary', '--format', 'json', damaged);
    const s = JSON.parse(r.stdout) as { input: { diagnostics: number; messages: string[] } };
    expect(s.input.diagnostics).toBe(BAD_LINES);
    expect(s.input.messages).toHaveLength(BAD_LINES);
    expect(s.input.messages[0]).toBe(
      `${damaged}: at byte 0x${(SUBMIT.length + 1).toString(16)} (line 2): "note" event, field "text": must be a string, got an object`,
    );
    const capped = JSON.parse((await runScsitrace('summary', '--format', 'json', '--max-problems', '3', damaged)).stdout) as typeof s;
    expect(capped.input).toEqual({ diagnostics: BAD_LINES, messages: s.input.messages.slice(0, 3) });
    const text = await runScsitrace('summary', '--max-problems', '3', damaged);
    expect(text.stdout).toContain('... and 47 more');
  });

  it('SARIF notifications carry the listed problems and the exact count', async () => {
    const r = await runScsitrace('check', '--format', 'sarif', '--max-problems', '2', damaged);
    const sarif = JSON.parse(r.stdout) as {
      runs: Array<{ invocations: Array<{ executionSuccessful: boolean; toolExecutionNotifications: Array<{ message: { text: string } }> }> }>;
    };
    const inv = sarif.runs[0]!.invocations[0]!;
    expect(inv.executionSuccessful).toBe(false);
    const texts = inv.toolExecutionNotifications.map((n) => n.message.text);
    expect(texts.filter((t) => / at byte 0x/.test(t))).toHaveLength(2);
    expect(texts).toContain('... and 48 more problems (50 in all; --max-problems 2)');
  });

  it('a value that is not a count is a usage error before anything is read', async () => {
    const r = await runScsitrace('summary', '--max-problems', 'lots', damaged);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('scsitrace: summary: --max-problems: "lots" is not a whole number or "all"\n');
    expect(r.stdout).toBe('');
  });
});

describe('JSON Lines input through the executable: one line per bad line, with its byte offset, exit 2', () => {
  it('malformed lines, huge numbers, wrong types, missing fields, a truncated last line', () => {
    const lines = [
      SUBMIT,
      '{"kind":"complete","timeNs":1e20,"taskId":1}',
      '{"kind":"complete","timeNs":1,"taskId":1,"bytesTransferred":1e400}',
      '{"kind":"complete","timeNs":1,"taskId":9007199254740993}',
      '{"kind":"submit","timeNs":1,"taskId":2,"cdb":"00","lun":"1"}',
      '{"kind":"submit","timeNs":1,"cdb":"00"}',
      '{"kind":"complete","timeNs":1,"taskId":1,"sense":"0"}',
      '{"kind":"note","timeNs":1,"text":"x"',
      '{"kind":"complete","timeNs":5,"taskId":1}',
      '{"kind":"note","timeNs":6,"text":"cut off',
    ];
    const file = join(dir, 'assorted.jsonl');
    writeFileSync(file, lines.join('\n'));
    const bin = new URL('../../bin/scsitrace.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [bin, 'decode', '--format', 'json', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    // The good task and its completion are read.
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { endNs: number }).endNs),
    ).toEqual([5]);
    const err = r.stderr.trim().split('\n');
    let offset = SUBMIT.length + 1;
    const expected: string[] = [];
    for (const [i, line] of lines.entries()) {
      if (i === 0) continue;
      if (i !== 8) expected.push(`at byte 0x${offset.toString(16)} (line ${i + 1}): `);
      offset += line.length + 1;
    }
    expect(err.slice(0, -1).map((l) => /at byte 0x[0-9a-f]+ \(line \d+\): /.exec(l)?.[0])).toEqual(expected);
    expect(err.slice(0, -1).map((l) => l.replace(/^.*\(line \d+\): /, ''))).toEqual([
      '"complete" event, field "timeNs": must be an integer 0…9007199254740991, got 100000000000000000000',
      '"complete" event, field "bytesTransferred": must be an integer 0…9007199254740991, got Infinity',
      expect.stringMatching(/^"complete" event, field "taskId": must be an unsigned 64-bit integer/),
      '"submit" event, field "lun": must be an integer 0…16383, got "1"',
      '"submit" event, field "taskId": missing',
      '"complete" event, field "sense": must be an even-length hex string, got "0"',
      expect.stringMatching(/^not JSON: /),
      expect.stringMatching(/^not JSON: /),
    ]);
    expect(err.at(-1)).toMatch(/skipped [\d,]+ bytes in 8 damaged regions and 8 bad records$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
