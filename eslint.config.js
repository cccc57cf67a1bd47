// @ts-check
/**
 * ESLint flat config: typescript-eslint's type-checked recommended rules over src/ and test/.
 * Formatting is Prettier's job (npm run format), not ESLint's. Every rule turned off or
 * loosened below says why.
 */
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'emit/', 'coverage/', 'test-artifacts/', 'scripts/', 'bin/', '**/*.mjs', '**/*.cjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: './tsconfig.test.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a parameter or destructured member that is deliberately unused.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Async functions without `await` are deliberate: they satisfy Promise-returning interfaces
      // (close()) and async generators that yield what is already in memory.
      '@typescript-eslint/require-await': 'off',
      // `HbaEventKind | number` documents the known values of an open enum (a trace may carry
      // kinds this version does not know); the union is for the reader, not the compiler.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests parse the CLI's JSON output (JSON.parse gives `any`) and poke at it; typing every
      // assertion's path would add noise and catch nothing the assertion itself does not.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Tests look for terminal escape sequences (\x1b[) in what the CLI prints.
      'no-control-regex': 'off',
      // Partial doubles of large interfaces (`{ ... } as any`) are how tests build odd input.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
