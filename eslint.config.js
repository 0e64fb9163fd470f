import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const ZOD_THROUGH_SETUP = 'Build schemas with the zod of src/util/zod.ts, which sets zod up first.';

/**
 * The folders of src/, top to bottom: each may import only the folders below it, so imports point
 * one way and no two folders import each other (docs/ARCHITECTURE.md draws it).
 */
const LAYERS = ['cli', 'io', 'lifecycle', 'report', 'engine', 'journal', 'runbook', 'actions', 'adapters', 'ports', 'util'];
const layerZones = LAYERS.slice(1).map((layer, index) => ({
  target: `./src/${layer}`,
  from: LAYERS.slice(0, index + 1).map((above) => `./src/${above}`),
  message:
    index + 2 < LAYERS.length
      ? `src/${layer} may import only ${LAYERS.slice(index + 2).join(', ')} (see docs/ARCHITECTURE.md).`
      : `src/${layer} imports no other folder of src/ (see docs/ARCHITECTURE.md).`,
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The command's CommonJS entry point.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Terminal libraries belong to src/io only: the core never prints or prompts.
    files: ['src/**/*.ts'],
    ignores: ['src/io/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...['chalk', 'ora', '@inquirer/prompts', '@inquirer/core'].map((name) => ({
              name,
              message: 'Only src/io may talk to the terminal.',
            })),
            { name: 'zod', message: ZOD_THROUGH_SETUP, allowTypeImports: true },
          ],
          patterns: [{ group: ['zod/*'], message: ZOD_THROUGH_SETUP, allowTypeImports: true }],
        },
      ],
    },
  },
  {
    files: ['src/util/zod.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Imports point down the layers. Sources import each other as .js (ESM), so the resolver maps that to .ts.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } })] },
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }] },
  },
);
