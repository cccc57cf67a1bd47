import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSize } from '../../src/cli/commands/synth.js';
import { scenarios, synthesize } from '../../src/synth/index.js';
import { runScsitrace } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scsitrace-synth-'));

describe('scsitrace synth', () => {
  it('--list describes every scenario', async () => {
    const r = await runScsitrace('synth', '--list');
    expect(r.code).toBe(0);
    for (const s of scenarios) {
      expect(r.stdout).toContain(s.name);
      expect(r.stdout).toContain(s.summary);
    }
    expect(r.stdout).toContain('--size: bytes copied');
  });

  it('writes the same bytes as the library for a seed and size', async () => {
    const out = join(dir, 'lsi.sct');
    const r = await runScsitrace('synth', 'lsi3108-buffered-copy', '-o', out, '--seed', '9', '--size', '2MiB');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*lsi\.sct: lsi3108-buffered-copy, seed 9, \d+ bytes \([\d.]+ [KM]iB\)\n$/);
    expect(Buffer.compare(readFileSync(out), Buffer.from(synthesize('lsi3108-buffered-copy', { seed: 9, size: 2 * 1024 * 1024 })))).toBe(0);
  });

  it('produces a trace that decode reads without complaint', async () => {
    const out = join(dir, 'vendor.sct');
    expect((await runScsitrace('synth', 'vendor-cdb-rejected', '-o', out)).code).toBe(0);
    const r = await runScsitrace('decode', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('VENDOR SPECIFIC 0xE0');
  });

  it.each([
    [['synth', 'no-such-scenario', '-o', join(dir, 'x.sct')], /unknown scenario "no-such-scenario" \(known: healthy-copy,/],
    [['synth', 'healthy-copy'], /-o <file> is required/],
    [['synth', 'mixed-workload', '-o', join(dir, 'x.sct'), '--size', '1MiB'], /mixed-workload has a fixed shape and takes no --size/],
    [['synth', 'healthy-copy', '-o', join(dir, 'x.sct'), '--size', 'lots'], /--size: "lots" is not a size/],
    [['synth', 'healthy-copy', '-o', join(dir, 'x.sct'), '--size', '100'], /--size: 100 is outside/],
    [['synth', 'healthy-copy', '-o', join(dir, 'x.sct'), '--seed', '-3'], /--seed: "-3" is not a whole number/],
    [['synth', 'vendor-cdb-rejected', '-o', join(dir, 'no-such-dir', 'x.sct')], /cannot write .*x\.sct: directory .*no-such-dir does not exist/],
  ])('%j is a usage error (exit 2, one line)', async (argv, message) => {
    const r = await runScsitrace(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('parses sizes in bytes, hex and binary units', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('0x80000')).toBe(0x80000);
    expect(parseSize('256MiB')).toBe(256 * 1024 * 1024);
    expect(parseSize('64m')).toBe(64 * 1024 * 1024);
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(() => parseSize('12 parsecs')).toThrow(/not a size/);
  });
});
