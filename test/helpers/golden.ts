/**
 * Golden files: output a test must reproduce byte for byte (decode and check output of the
 * sample traces, summaries, generated capture fixtures). After an intended change, rewrite them
 * from the current output and read the diff before committing:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/cli/decode-samples.test.ts
 *
 * UPDATE_FIXTURES=1 is an older spelling of the same switch, still honoured.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** Whether this run rewrites golden files instead of comparing with them. */
export const UPDATE_GOLDEN = process.env['UPDATE_GOLDEN'] === '1' || process.env['UPDATE_FIXTURES'] === '1';

/**
 * Expects `actual` to equal the golden file `file` (a path from the repository root, or a URL);
 * with UPDATE_GOLDEN=1, writes it first. A missing file fails, naming the command that writes it.
 */
export function expectGolden(file: string | URL, actual: string | Uint8Array): void {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  if (UPDATE_GOLDEN) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  const test = expect.getState().testPath ?? 'the test';
  if (!existsSync(path)) throw new Error(`golden file ${path} is missing: UPDATE_GOLDEN=1 npx vitest run ${test} writes it`);
  const message = `${path} differs from the output (UPDATE_GOLDEN=1 rewrites it; read the diff)`;
  if (typeof actual === 'string') expect(actual, message).toBe(readFileSync(path, 'utf8'));
  else expect(Buffer.compare(readFileSync(path), Buffer.from(actual)), message).toBe(0);
}
