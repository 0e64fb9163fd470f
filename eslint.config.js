import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ZOD_THROUGH_SETUP = 'Build schemas with the zod of src/util/zod.ts, which sets zod up first.';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The command's CommonJS entry point.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' } },
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
            ...['chalk', 'ora', '@inquirer/prompts'].map((name) => ({ name, message: 'Only src/io may talk to the terminal.' })),
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
);
