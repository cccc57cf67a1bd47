/**
 * The import-layer check (run by test/architecture.test.ts, so `npm test` includes it).
 *
 * Layers, lowest first; a folder may import from its own layer and the layers below it, never
 * from a layer above (ARCHITECTURE.md draws them):
 *
 *   model → scsi → formats → synth → analysis → checks → report → cli
 *
 * src/index.ts (the library's entry) may import any layer but cli; nothing imports it.
 * No import cycles anywhere, within a layer either.
 */
const LAYERS = ['model', 'scsi', 'formats', 'synth', 'analysis', 'checks', 'report', 'cli'];

/** One rule per layer: it may not import any layer above it. */
const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  comment: `src/${layer}/ is below ${LAYERS.slice(i + 1).join(', ')}: it may not import from them (layers: ${LAYERS.join(' → ')})`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: "Import cycles make a module's meaning depend on load order; break them by moving the shared part down a layer.",
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'no-library-entry-inside',
      comment: 'src/index.ts is the public entry: code inside the package imports the module it needs, not the entry.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'library-without-cli',
      comment: 'The library is importable without the CLI (STYLE.md): src/index.ts may not import src/cli/.',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
