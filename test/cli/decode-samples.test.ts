import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectGolden } from '../helpers/golden.js';
import { runScsitrace } from '../helpers/cli.js';

// Golden decode output of every generated sample in traces/ (text and JSON Lines).
const traces = new URL('../../traces/', import.meta.url);
const samples = readdirSync(traces).filter((f) => f.endsWith('.sct'));

describe.each(samples)('scsitrace decode traces/%s', (name) => {
  for (const [format, ext] of [
    ['text', 'txt'],
    ['json', 'jsonl'],
  ] as const) {
    it(`matches its ${format} golden file`, async () => {
      const r = await runScsitrace('decode', '--format', format, `traces/${name}`);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const golden = new URL(`./golden/samples/${name.replace(/\.sct$/, '')}.decode.${ext}`, import.meta.url);
      expectGolden(golden, r.stdout);
    });
  }
});
