// Bundles the CLI into dist/ with esbuild. One bundle with split chunks starts far faster than
// hundreds of small ESM files (drctl must start fast: see bench/startup.sh); each command and each
// heavy dependency (AWS SDK, pg, prompts) still loads only when it is used.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm(new URL('../dist/', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  sourcemap: false,
  logLevel: 'warning',
  external: ['@aws-sdk/*', '@smithy/*', 'pg', 'pg-*', 'ora', '@inquirer/*', 'execa'],
  // Bundled CommonJS dependencies (yaml) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __drctlRequire } from 'node:module'; const require = __drctlRequire(import.meta.url);" },
});
