// Bundles the CLI into dist/ with esbuild. One bundle with split chunks starts far faster than
// hundreds of small ESM files (drctl must start fast: see bench/startup.sh); each command and each
// heavy dependency (AWS SDK, pg, prompts) still loads only when it is used.
import { build } from 'esbuild';
import { rename, rm } from 'node:fs/promises';

// Build beside dist/ and swap it in, so a drctl already running never sees a half-built folder.
const next = new URL('../dist.next/', import.meta.url);
await rm(next, { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist.next',
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
await rm(new URL('../dist/', import.meta.url), { recursive: true, force: true });
await rename(next, new URL('../dist/', import.meta.url));
