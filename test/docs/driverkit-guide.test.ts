/**
 * docs/driverkit.md walks a dext developer from the emitter to `scsitrace check`. Every
 * scsitrace command it shows is run here on the committed stand-ins for the files it names
 * (an ioreg dump of the LSI 3108 dext, its DMA-specification companion, the seed-case capture,
 * an os_log export), so a renamed option, a refused file form or a changed explanation breaks
 * this test instead of the reader's first try.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScsitrace } from '../helpers/cli.js';

const guide = readFileSync('docs/driverkit.md', 'utf8');
const out = mkdtempSync(join(tmpdir(), 'scsitrace-guide-'));

/** The files the guide names, and what stands in for each. */
const STAND_INS: Record<string, string> = {
  'hba.plist': 'traces/lsi3108-dext.ioreg.plist',
  'dma.json': 'traces/lsi3108-dext-dma.constraints.json',
  'capture.sct': 'traces/lsi3108-buffered-copy.sct',
  'capture.log': 'traces/emitter-log-show-compact.log',
  'small.sct': join(out, 'small.sct'),
};

/** Every `scsitrace …` line of the guide's sh blocks, and the one in its prose (step 7's synth). */
function guideCommands(): string[][] {
  const lines: string[] = [];
  for (const block of guide.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) if (line.startsWith('scsitrace ')) lines.push(line);
  }
  for (const m of guide.matchAll(/`(scsitrace synth [^`]+)`/g)) lines.push(m[1]!);
  return lines.map((line) =>
    line
      .replace(/#.*$/, '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map((word) => STAND_INS[word] ?? word),
  );
}

describe('docs/driverkit.md, run as written', () => {
  const commands = guideCommands();

  it('shows the steps a dext developer runs: constraints from ioreg, check, summary, synth', () => {
    expect(commands.map((c) => c[0])).toEqual(['constraints', 'constraints', 'check', 'check', 'summary', 'synth']);
  });

  it.each(commands.map((c) => [c.join(' '), c] as const))('scsitrace %s', async (_line, argv) => {
    const r = await runScsitrace(...argv);
    // 0 clean, 1 findings or contradictions; 2 would mean the guide's command line is wrong.
    expect(r.code, r.stderr).toBeLessThan(2);
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('the ioreg dump alone lacks what the registry never shows; with the JSON file the seed-case contradiction appears', async () => {
    const dump = await runScsitrace('constraints', STAND_INS['hba.plist']!);
    expect(dump.stdout).toContain('not in this config: HBA Data Alignment');
    const both = await runScsitrace('constraints', STAND_INS['hba.plist']!, STAND_INS['dma.json']!);
    expect(both.code).toBe(1);
    expect(both.stdout).toMatch(/Contradiction: IOMaximumSegmentAddressableBitCount 32 but the DMA specification's numAddressBits 64/);
  });

  it('the 128 MiB copy step 7 makes reads back intact: no read-back mismatch, no truncated SGL', async () => {
    const synth = commands.find((c) => c[0] === 'synth')!;
    expect((await runScsitrace(...synth)).code).toBe(0);
    const r = await runScsitrace('check', '--format', 'json', STAND_INS['small.sct']!);
    const rules = (JSON.parse(r.stdout) as { findings: Array<{ ruleId: string }> }).findings.map((f) => f.ruleId);
    expect(rules).not.toContain('read-back-mismatch');
    expect(rules).not.toContain('sgl-address-truncated');
    expect(rules).toContain('sync-cache-without-flush');
  });
});
