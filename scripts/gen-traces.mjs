#!/usr/bin/env node
// Regenerates every sample trace in traces/ from the built library (run `npm run build`
// first), so the committed samples are reproducible: `node scripts/gen-traces.mjs`.
// test/synth checks that the committed files are byte-identical to what this produces.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statSync } from 'node:fs';
import { SAMPLE_TRACES, synthesizeToFile } from '../dist/synth/index.js';

const traces = join(dirname(fileURLToPath(import.meta.url)), '..', 'traces');
for (const s of SAMPLE_TRACES) {
  const path = join(traces, s.file);
  synthesizeToFile(s.scenario, path, { seed: s.seed, ...(s.size !== undefined ? { size: s.size } : {}) });
  console.log(`${s.file}: ${s.scenario} seed ${s.seed}${s.size !== undefined ? ` size ${s.size}` : ''}, ${statSync(path).size} bytes`);
}
console.log('\ntraces/README.md lines:');
for (const s of SAMPLE_TRACES) console.log(`- \`${s.file}\` — ${s.shows}`);
