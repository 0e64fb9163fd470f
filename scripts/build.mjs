// Builds dist/: drctl as one CommonJS bundle (drctl.cjs), the launcher that starts it (launch.cjs),
// and V8's code cache for the bundle (drctl.cache), warmed by validating the shipped runbooks.
// One file compiled from a code cache starts far faster than many ES modules compiled afresh
// (drctl must start fast: see bench/startup.sh and src/cli/launch.ts). The heavy dependencies
// (AWS SDK, pg, execa, the prompt and spinner libraries) and the native file lock of the journal
// (fs-native-extensions) stay outside, loaded only when used.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// commander loads child_process for subcommands that are separate programs, which drctl has none
// of; it costs every start a few modules of Node's. Hand commander a stand-in that loads the real
// module only if one is ever spawned.
const lazyChildProcess = {
  name: 'lazy-child-process-for-commander',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, name) => require('node:child_process')[name] });",
      loader: 'js',
    }));
  },
};

// drctl decides colour itself (src/io/style.ts: NO_COLOR, CI, FORCE_COLOR, a terminal) and always
// tells chalk the level. chalk's own detection would load Node's tty module, and with it net, on
// every start only to be overruled: give chalk the detection it ships for runtimes without a
// terminal, which loads nothing.
const chalkWithoutDetection = {
  name: 'chalk-without-colour-detection',
  setup(build) {
    build.onResolve({ filter: /^#supports-color$/ }, (args) =>
      /[\\/]node_modules[\\/]chalk[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), 'vendor', 'supports-color', 'browser.js') }
        : undefined,
    );
  },
};

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: false,
  logLevel: 'warning',
};
const next = new URL('../dist.next/', import.meta.url);
const buildId = randomBytes(16).toString('hex');

// Build beside dist/ and swap it in, so a drctl already running never sees a half-built folder.
await rm(next, { recursive: true, force: true });
await build({
  ...shared,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist.next/drctl.cjs',
  format: 'cjs',
  plugins: [lazyChildProcess, chalkWithoutDetection],
  external: ['@aws-sdk/*', '@smithy/*', 'pg', 'pg-*', 'ora', '@inquirer/*', 'execa', 'fs-native-extensions'],
  // The bundle is CommonJS: give its modules the import.meta.url they were written with.
  define: { 'import.meta.url': '__drctlModuleUrl' },
  banner: { js: `/* drctl build ${buildId} */\nconst __drctlModuleUrl = require('node:url').pathToFileURL(__filename).href;` },
});
// The bundle runs as a vm script (to use the code cache), where Node 20 does not honour import()
// once the code comes from a cache. So each import() of a package outside the bundle goes through
// the launcher's own import(), handed to the bundle as __drctlImport.
const bundleFile = new URL('drctl.cjs', next);
const bundled = (await readFile(bundleFile, 'utf8')).replace(/\bimport\((?="[^"]+"\))/g, '__drctlImport(');
const leftover = /\bimport\(/.exec(bundled);
if (leftover)
  throw new Error(`dist/drctl.cjs still has an import() the launcher cannot serve: ${bundled.slice(leftover.index, leftover.index + 80)}`);
// The launcher reads the bundle as latin1, the fastest decoding, which is exact for ASCII only.
if (/[^\t\n\r\x20-\x7e]/.test(bundled)) throw new Error("dist/drctl.cjs is not ASCII: keep esbuild's default charset");
await writeFile(bundleFile, bundled);

await build({
  ...shared,
  entryPoints: ['src/cli/launch.ts'],
  outfile: 'dist.next/launch.cjs',
  format: 'cjs',
  define: { 'import.meta.url': '__drctlModuleUrl' },
  banner: { js: "const __drctlModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The commands whose compiled code the cache keeps: the quick ones, where compiling is most of the time.
const WARM_UP = [['--help'], ['list'], ['show', 'database-loss'], ['validate', 'runbooks', 'examples']];
const warm = spawnSync(
  process.execPath,
  [
    '-e',
    `require('./dist.next/launch.cjs').warmCodeCache(${JSON.stringify(WARM_UP)}).catch((error) => { console.error(error); process.exitCode = 1; });`,
  ],
  { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit'] },
);
if (warm.status !== 0) throw new Error(`warming the code cache failed (exit ${warm.status ?? warm.signal})`);

await rm(new URL('../dist/', import.meta.url), { recursive: true, force: true });
await rename(next, new URL('../dist/', import.meta.url));
