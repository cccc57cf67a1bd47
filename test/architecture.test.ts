/**
 * The import-layer check: dependency-cruiser over src/ with .dependency-cruiser.cjs, which
 * forbids import cycles and imports from a higher layer (model → scsi → formats → synth →
 * analysis → checks → report → cli; ARCHITECTURE.md). Also checks that the rules can fail: a
 * throwaway tree with a cycle and an upward import must be reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(depcruise, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd, encoding: 'utf8', maxBuffer: 1 << 24 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('architecture', () => {
  it('src/ has no import cycle and no import from a higher layer', () => {
    const r = cruise(root);
    expect(r.out).not.toMatch(/error/i);
    expect(r.status).toBe(0);
  }, 120_000);

  it('the check fails on a cycle and on an upward import (it can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-layers-'));
    try {
      copyFileSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
      for (const d of ['model', 'cli']) mkdirSync(join(dir, 'src', d), { recursive: true });
      writeFileSync(join(dir, 'src/model/a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
      writeFileSync(join(dir, 'src/model/b.ts'), "import { a } from './a.js';\nimport { c } from '../cli/c.js';\nexport const b = () => [a, c];\n");
      writeFileSync(join(dir, 'src/cli/c.ts'), 'export const c = 1;\n');
      const r = cruise(dir);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain('no-circular');
      expect(r.out).toContain('no-upward-from-model');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
