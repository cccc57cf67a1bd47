import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// End to end through bin/scsitrace.js and dist/ (npm test builds first), as a user runs it.
const bin = new URL('../../bin/scsitrace.js', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('the scsitrace executable', () => {
  it('prints the package version', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(run('--version').stdout.trim()).toBe(version);
  });

  it('lists every command in --help', () => {
    const help = run('--help').stdout;
    for (const c of ['decode', 'check', 'summary', 'constraints', 'rules', 'cdb', 'sense', 'synth', 'convert'])
      expect(help).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('runs README.md first command without error and finds the LSI 3108 problems', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const first = /```sh\n(.*)\n/.exec(readme)![1]!;
    const args = first.replace(/^npm install && npx scsitrace /, '').split(' ');
    const r = run(...args);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/sgl-address-truncated/);
    expect(r.stdout).toMatch(/likely cause: task \d+/);
    expect(r.stdout).toMatch(/sync-cache-without-flush/);
  });

  it('stops quietly when the reader of its output goes away (| head)', () => {
    const out = execFileSync('bash', ['-c', `node ${bin} decode traces/lsi3108-buffered-copy.sct | head -3; echo "status \${PIPESTATUS[0]}"`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('status 0');
  });

  it('gives exit 2 and one line for an unknown command option', () => {
    const r = run('decode', '--no-such-option', 'x.sct');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('scsitrace: decode: unknown option --no-such-option (scsitrace decode --help lists the options)\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
