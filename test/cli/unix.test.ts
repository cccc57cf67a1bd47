/**
 * Unix habits, through the real executable (bin/scsitrace.js and dist/, which `npm test`
 * builds first): `-o -` is standard output, --color/FORCE_COLOR/NO_COLOR, usage errors in one
 * voice, truncated CDB and sense input exit 2.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/scsitrace.js', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;
const lsi = join(root, 'traces/lsi3108-buffered-copy.sct');
const healthy = join(root, 'traces/healthy-copy.sct');

/** Environment without the colour variables of whoever runs the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NO_COLOR'];
  delete env['FORCE_COLOR'];
  delete env['NODE_DISABLE_COLORS'];
  return { ...env, ...extra };
}

function run(args: string[], options: { cwd?: string; env?: Record<string, string>; input?: Buffer } = {}): SpawnSyncReturns<Buffer> {
  return spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? root,
    env: cleanEnv(options.env),
    ...(options.input ? { input: options.input } : {}),
    maxBuffer: 256 * 1024 * 1024,
  });
}

const text = (b: Buffer) => b.toString('utf8');

describe('-o - means standard output', () => {
  it('summary -o - prints the report and creates no file named "-"', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'scsitrace-o-'));
    const r = run(['summary', '-o', '-', healthy], { cwd });
    expect(r.status).toBe(0);
    expect(text(r.stdout)).toMatch(/^scsitrace summary of /);
    expect(existsSync(join(cwd, '-'))).toBe(false);
  });

  it('synth -o - writes the trace to standard output and its note to stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-o-'));
    const r = run(['synth', 'healthy-copy', '--size', '1MiB', '-o', '-'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout.subarray(0, 8)).toEqual(readFileSync(healthy).subarray(0, 8)); // the native magic
    expect(text(r.stderr)).toMatch(new RegExp(`^wrote standard output: healthy-copy, seed 1, ${r.stdout.length} bytes \\([\\d.]+ KiB\\)\n$`));
    run(['synth', 'healthy-copy', '--size', '1MiB', '-o', join(dir, 'h.sct')]);
    expect(Buffer.compare(r.stdout, readFileSync(join(dir, 'h.sct')))).toBe(0);
  });

  it('convert -o - writes JSON Lines to standard output', () => {
    const r = run(['convert', '--format', 'jsonl', '-o', '-', healthy]);
    expect(r.status).toBe(0);
    const lines = text(r.stdout).trim().split('\n');
    expect(JSON.parse(lines[0]!).kind).toBe('header');
    expect(lines.filter((l) => l.includes('"kind":"submit"')).length).toBeGreaterThan(10);
  });
});

describe('- means standard input for constraints too', () => {
  const constraintsFile = join(root, 'traces/lsi3108.constraints.json');
  const constraints = readFileSync(constraintsFile);

  it('check -c - reads the constraints from standard input, as check -c FILE does', () => {
    const piped = run(['check', '--format', 'json', '-c', '-', lsi], { input: constraints });
    const named = run(['check', '--format', 'json', '-c', constraintsFile, lsi]);
    expect(piped.status).toBe(1);
    expect(text(piped.stderr)).toBe(text(named.stderr));
    const strip = (b: Buffer) => text(b).replaceAll(constraintsFile, '-');
    expect(strip(piped.stdout)).toBe(strip(named.stdout));
    expect(text(piped.stdout)).toContain('129');
  });

  it('constraints - validates standard input', () => {
    const r = run(['constraints', '-'], { input: constraints });
    expect(r.status).toBe(0);
    expect(text(r.stdout)).toMatch(/^-: valid \(3 keys\)\n/);
  });

  it('standard input cannot be both the constraints and the trace, nor two constraints', () => {
    const both = run(['check', '-c', '-', '-'], { input: readFileSync(lsi) });
    expect(both.status).toBe(2);
    expect(text(both.stderr)).toBe("scsitrace: check: -c -: standard input is already a trace's input; give the constraints as a file\n");
    const twice = run(['constraints', '-', '-'], { input: constraints });
    expect(twice.status).toBe(2);
    expect(text(twice.stderr)).toBe('scsitrace: constraints: - (standard input) can be given only once\n');
  });
});

describe('--color, FORCE_COLOR and NO_COLOR', () => {
  const colored = (args: string[], env: Record<string, string> = {}) => /\x1b\[/.test(text(run(['check', '--exit-zero', ...args, lsi], { env }).stdout));

  it('auto (the default) is plain into a pipe', () => {
    expect(colored([])).toBe(false);
    expect(colored(['--color=auto'])).toBe(false);
  });
  it('--color=always and --color=never win over the environment', () => {
    expect(colored(['--color=always'])).toBe(true);
    expect(colored(['--color=always'], { NO_COLOR: '1' })).toBe(true);
    expect(colored(['--color=never'], { FORCE_COLOR: '1' })).toBe(false);
    expect(colored(['--no-color'], { FORCE_COLOR: '1' })).toBe(false);
  });
  it('FORCE_COLOR forces colour into a pipe, over NO_COLOR; 0 or false turns it off (Node.js semantics)', () => {
    expect(colored([], { FORCE_COLOR: '1' })).toBe(true);
    expect(colored([], { FORCE_COLOR: '' })).toBe(true);
    expect(colored([], { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(colored([], { FORCE_COLOR: '0' })).toBe(false);
    expect(colored([], { FORCE_COLOR: 'false' })).toBe(false);
  });
  it('an unknown --color value lists the valid ones', () => {
    const r = run(['--color=sometimes', 'check', lsi]);
    expect(r.status).toBe(2);
    expect(text(r.stderr)).toBe('scsitrace: --color: "sometimes" is not one of auto, always, never\n');
  });
});

describe('usage errors in one voice', () => {
  const cases: Array<[string[], string]> = [
    [['check', '--fail-on', 'fatal', healthy], 'scsitrace: check: --fail-on: "fatal" is not one of error, warning, info'],
    [['decode', '--format', 'xml', healthy], 'scsitrace: decode: --format: "xml" is not one of text, json'],
    [['summary', '--format', 'pdf', healthy], 'scsitrace: summary: --format: "pdf" is not one of text, json, html'],
    [
      ['decode', '--status', 'bogus', healthy],
      'scsitrace: decode: --status: "bogus" is not one of good, check, failed, incomplete, or a SAM status code 0-255',
    ],
    [['decode', '--since', '5', '--until', '1', healthy], 'scsitrace: decode: --since 5 is after --until 1: no task can match'],
    [['decode', '--no-such-option', healthy], 'scsitrace: decode: unknown option --no-such-option'],
    [['check', '--formt', 'json', healthy], 'scsitrace: check: unknown option --formt; did you mean --format?'],
    [['decode'], 'scsitrace: decode: missing <trace>'],
    [['nosuch'], 'scsitrace: unknown command "nosuch"'],
    [['convert', healthy], 'scsitrace: convert: -o/--output <path> is required'],
    [['rules', 'a', 'b'], 'scsitrace: rules: too many arguments: expected at most 1, got 2'],
    [['check', '--max-examples', 'lots', healthy], 'scsitrace: check: --max-examples: "lots" is not a whole number or "all"'],
    [
      ['summary', '-o', '/nonexistent-dir/sub/report.txt', healthy],
      'scsitrace: summary: cannot write /nonexistent-dir/sub/report.txt: directory /nonexistent-dir does not exist',
    ],
    [['decode', '--input-format', 'pcap', healthy], `scsitrace: decode: ${healthy}: not pcap (--input-format pcap): its content is native`],
  ];
  for (const [args, start] of cases) {
    it(`${args.filter((a) => a !== healthy).join(' ')}`, () => {
      const r = run(args);
      expect(r.status).toBe(2);
      const err = text(r.stderr);
      expect(err.startsWith(start), err).toBe(true);
      // One line, and nothing of commander's own wording.
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).not.toMatch(/^error:|Allowed choices|\(run with --help/m);
      expect(text(r.stdout)).toBe('');
    });
  }

  it('a file named by -o that is also the input is refused before anything is truncated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-o-'));
    const copy = join(dir, 't.sct');
    run(['synth', 'healthy-copy', '--size', '1MiB', '-o', copy]);
    const before = readFileSync(copy);
    const r = run(['convert', copy, '-o', copy]);
    expect(r.status).toBe(2);
    expect(text(r.stderr)).toMatch(/that is the input/);
    expect(Buffer.compare(readFileSync(copy), before)).toBe(0);
  });
});

describe('truncated CDB and sense data', () => {
  it('sense 70 00 05 says ASC/ASCQ are missing, never 00/00, and exits 2', () => {
    const r = run(['sense', '70', '00', '05']);
    expect(r.status).toBe(2);
    expect(text(r.stdout).split('\n')[0]).toBe('ILLEGAL REQUEST, no ASC/ASCQ (truncated sense data, 3 bytes)');
    expect(text(r.stdout)).not.toMatch(/NO ADDITIONAL SENSE INFORMATION|00\/00/);
    expect(text(r.stderr)).toBe(
      'scsitrace: sense: truncated input: fixed format sense data is 3 bytes; its header needs 8 (ASC and ASCQ are bytes 12 and 13)\n',
    );
  });
  it('cdb 28 00 00 names the missing bytes and exits 2; a whole CDB exits 0', () => {
    const r = run(['cdb', '28', '00', '00']);
    expect(r.status).toBe(2);
    expect(text(r.stdout)).toMatch(/^READ\(10\)\n/);
    expect(text(r.stderr)).toBe('scsitrace: cdb: truncated input: READ(10) needs 10 bytes; bytes 3-9 are missing\n');
    expect(run(['cdb', '28', '00', '00', '00', '10', '00', '00', '00', '08', '00']).status).toBe(0);
    expect(run(['sense', '70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 00 00 00']).status).toBe(0);
  });
  it('JSON output of a truncated CDB carries what is missing', () => {
    const r = run(['cdb', '--format', 'json', '2a', '00', '00', '00']);
    expect(r.status).toBe(2);
    expect(JSON.parse(text(r.stdout)).truncated).toEqual({ length: 4, needs: 10, missing: 'WRITE(10) needs 10 bytes; bytes 4-9 are missing' });
  });
});
