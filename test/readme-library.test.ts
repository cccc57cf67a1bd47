/**
 * README.md's library section is real use, run as a user runs it: the ```ts block is
 * type-checked against the published types (dist/index.d.ts, through the package's own name),
 * compiled, run, and what it prints is compared with the ```text block after it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('\n## Library'), readme.indexOf('\n## ', readme.indexOf('\n## Library') + 1));
const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
const expected = /```text\n([\s\S]*?)```/.exec(section)![1]!;
// Inside the package, so that `import ... from 'scsitrace'` resolves to it (Node's self-reference).
const dir = join(root, 'test-artifacts', 'readme');
mkdirSync(dir, { recursive: true });

describe('README.md library section', () => {
  it('type-checks against the published types', () => {
    const file = join(dir, 'library.ts');
    writeFileSync(file, `${code}\nexport {};\n`);
    const program = ts.createProgram([file], {
      strict: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('runs and prints what the README says', () => {
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const file = join(dir, 'library.mjs');
    writeFileSync(file, js);
    const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });
});
