#!/usr/bin/env node
// Runs the built CLI in dist/. A published package ships dist/. A fresh clone has none until
// it is built, and `npm install` runs no build script (install-time scripts make npm warn
// everyone who installs the package), so here the first run builds it, once, with the
// TypeScript compiler from the dev dependencies, and says so on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const main = new URL('../dist/cli/main.js', import.meta.url);

if (!existsSync(main) && existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    process.stderr.write('scsitrace: dist/ is not built and TypeScript is not installed: run `npm install` (with dev dependencies), then `npm run build`\n');
    process.exit(2);
  }
  process.stderr.write('scsitrace: building dist/ from src/ (first run in this checkout)...\n');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write('scsitrace: building dist/ failed (see above); `npm run build` shows the same\n');
    process.exit(2);
  }
}
await import(main.href);
