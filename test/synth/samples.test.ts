import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SAMPLE_TRACES, scenarios } from '../../src/synth/index.js';
import { isSync, sample } from './helpers.js';

const traces = fileURLToPath(new URL('../../traces', import.meta.url));

describe('committed sample traces', () => {
  it('cover every scenario once', () => {
    expect(SAMPLE_TRACES.map((s) => s.scenario).sort()).toEqual(scenarios.map((s) => s.name).sort());
  });

  it.each(SAMPLE_TRACES.map((s) => [s.file, s] as const))(
    '%s is byte-identical to what synth gives for its seed (run scripts/gen-traces.mjs after changing a generator)',
    (file, s) => {
      const committed = readFileSync(join(traces, file));
      expect(committed.length).toBeLessThanOrEqual(1024 * 1024);
      const fresh = sample(s.scenario).bytes;
      expect(committed.length).toBe(fresh.length);
      expect(Buffer.compare(committed, Buffer.from(fresh))).toBe(0);
    },
  );

  // IOSCSIBlockCommandsDevice::SynchronizeCache (IOSCSIArchitectureModelFamily-139.0.2) is macOS's only
  // sender: SYNCHRONIZE_CACHE(request, 0, 0, 0, 0, 0), a SYNCHRONIZE CACHE(10) of LBA 0 and 0 blocks, IMMED clear.
  const macOS = SAMPLE_TRACES.filter((s) => s.scenario !== 'mixed-workload');
  it.each(macOS.map((s) => [s.file, s.scenario] as const))('%s, a macOS capture, carries only the SYNCHRONIZE CACHE macOS sends', (_file, scenario) => {
    const syncs = sample(scenario).tasks.filter((t) => isSync(t.submit));
    for (const t of syncs) expect(Array.from(t.submit.cdb)).toEqual([0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('each have their line in traces/README.md', () => {
    const readme = readFileSync(join(traces, 'README.md'), 'utf8');
    for (const s of SAMPLE_TRACES) expect(readme).toContain(`- \`${s.file}\` — ${s.shows}`);
  });
});
