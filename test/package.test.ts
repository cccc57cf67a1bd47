/**
 * The package as people get it: the tarball `npm pack` makes (LICENSE matching package.json,
 * built output, no source maps to sources it does not ship, no install-time script npm warns
 * consumers about), installed into an empty project and used from its bin and as a library;
 * and a fresh clone, where `npx scsitrace ...` builds dist/ on its first run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });

describe('the package', () => {
  it('has a LICENSE matching package.json', () => {
    expect(pkg.license).toBe('MIT');
    const license = readFileSync(join(root, 'LICENSE'), 'utf8');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toContain('Permission is hereby granted, free of charge');
  });

  it('runs no script when installed (npm warns consumers about install-time scripts)', () => {
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts[s], s).toBeUndefined();
    expect(pkg.scripts.prepack).toMatch(/npm run build/);
  });

  it('packs LICENSE and built output, and no source map or source', () => {
    // dist/ is already built (npm test builds first); --ignore-scripts skips prepack's rebuild.
    const r = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root);
    expect(r.status, r.stderr).toBe(0);
    const files: string[] = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('LICENSE');
    expect(files).toContain('bin/scsitrace.js');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/'))).toEqual([]);
    for (const f of files.filter((x) => x.endsWith('.js'))) expect(readFileSync(join(root, f), 'utf8'), f).not.toMatch(/sourceMappingURL/);
  });

  it('installs from its tarball into an empty project, quietly, and works as a command and a library', { timeout: 240_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'scsitrace-pack-'));
    const packed = npm(['pack', '--ignore-scripts', '--pack-destination', dir], root);
    expect(packed.status, packed.stderr).toBe(0);
    const tarball = join(dir, packed.stdout.trim().split('\n').at(-1)!);
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    const installed = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stderr).not.toMatch(/install-scripts|prepare/);
    const bin = join(project, 'node_modules', '.bin', 'scsitrace');
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
    const check = spawnSync(bin, ['check', '--format', 'json', join(root, 'traces/lsi3108-buffered-copy.sct')], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(JSON.parse(check.stdout).counts.error).toBeGreaterThan(0);
    writeFileSync(
      join(project, 'use.js'),
      "import { decodeCdb, parseHexBytes } from 'scsitrace';\nconsole.log(JSON.stringify(decodeCdb(parseHexBytes('28 00 00 00 10 00 00 00 08 00'))).includes('\"lba\":4096'));\n",
    );
    expect(execFileSync(process.execPath, ['use.js'], { cwd: project, encoding: 'utf8' })).toBe('true\n');
    // The published JSON Schemas are importable by the ids' file names.
    writeFileSync(
      join(project, 'schema.js'),
      "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nconsole.log(require('scsitrace/schemas/check.schema.json').$id);\n",
    );
    expect(execFileSync(process.execPath, ['schema.js'], { cwd: project, encoding: 'utf8' }).trim()).toBe(
      JSON.parse(readFileSync(join(root, 'docs/schemas/check.schema.json'), 'utf8')).$id,
    );
  });

  it('in a fresh clone, the first run builds dist/ and then runs the command', { timeout: 240_000 }, () => {
    // The tracked files as a clone has them (no dist/), with this checkout's dependencies.
    const clone = mkdtempSync(join(tmpdir(), 'scsitrace-clone-'));
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
    for (const f of tracked) {
      if (!existsSync(join(root, f))) continue;
      mkdirSync(dirname(join(clone, f)), { recursive: true });
      cpSync(join(root, f), join(clone, f));
    }
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    // README's first command: the dext's trace carries its own constraints record.
    const args = ['bin/scsitrace.js', 'check', '--exit-zero', 'traces/lsi3108-buffered-copy.sct'];
    const first = spawnSync(process.execPath, args, { cwd: clone, encoding: 'utf8' });
    expect(first.stderr).toBe('scsitrace: building dist/ from src/ (first run in this checkout)...\n');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/sgl-address-truncated/);
    expect(first.stdout).toMatch(/read-back-mismatch/);
    const second = spawnSync(process.execPath, args, { cwd: clone, encoding: 'utf8' });
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe(first.stdout);
  });
});
