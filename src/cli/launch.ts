import { accessSync, constants, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';

/**
 * Starts drctl from its one-file bundle, compiled with V8's code cache for it.
 *
 * Node 20 keeps no compiled code between runs of a program, and compiling is much of what a short
 * command such as `drctl validate` spends. So the build runs drctl once over the shipped runbooks
 * and keeps V8's code cache for every function that run compiled; each start hands it back to V8.
 * The cache is only a shortcut: when it is missing, from another build, or refused by this V8
 * (another Node version), drctl compiles as usual and, where it may write, leaves a fresh cache
 * for the next start. This module loads nothing but Node's own.
 */

const here = dirname(fileURLToPath(import.meta.url));
export const BUNDLE = join(here, 'drctl.cjs');
export const CACHE = join(here, 'drctl.cache');

/** The bundle's first line names its build; a cache is used only with the build it was made from. */
const BUILD_LINE = /^\/\* drctl build ([0-9a-f]{32}) \*\//;

interface Drctl {
  main(argv: string[]): Promise<void>;
}

export async function launch(argv: string[]): Promise<void> {
  const drctl = loadBundle(false);
  keepYoungGenerationSmall();
  await drctl.main(argv);
}

/**
 * V8 doubles its young generation (up to 2 x 16 MiB) while a program allocates fast, and drctl's
 * restores and backups pass a gigabyte through short-lived buffers: the young generation then
 * holds some 20 MiB more than drctl needs, and compacting it at the end of a database-loss run
 * took its memory from 125 to 145 MiB. Kept at its first size it is collected more often, at no
 * measurable cost in time (bench/restore.sh). The flag is read each time the young generation would
 * grow, so setting it now is enough; it is set after the bundle is loaded (V8's code cache carries
 * the flags it was made with) and put back before a cache is made (keepCache). A user who sets
 * the young generation's size in NODE_OPTIONS keeps theirs.
 */
const YOUNG_GENERATION_FIXED = '--semi-space-growth-factor=1';
const YOUNG_GENERATION_DEFAULT = '--semi-space-growth-factor=2';
let youngGenerationFixed = false;

function keepYoungGenerationSmall(): void {
  if (/semi[-_]space/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)) return;
  setFlagsFromString(YOUNG_GENERATION_FIXED);
  youngGenerationFixed = true;
}

/** At build time: run these commands (their output discarded) and keep the code cache they warmed. */
export async function warmCodeCache(commands: string[][]): Promise<void> {
  const drctl = loadBundle(true);
  const write = process.stdout.write;
  process.stdout.write = () => true;
  try {
    for (const args of commands) await drctl.main([process.execPath, BUNDLE, ...args]);
  } finally {
    process.stdout.write = write;
    process.exitCode = 0;
  }
}

function loadBundle(rebuildCache: boolean): Drctl {
  const source = readFileSync(BUNDLE, 'latin1'); // esbuild writes ASCII
  const build = BUILD_LINE.exec(source)?.[1];
  const cached = rebuildCache || build === undefined ? undefined : readCache(build);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __drctlImport) {${source}\n})`, {
    filename: BUNDLE,
    cachedData: cached,
  });
  if (build !== undefined && (rebuildCache || cached === undefined || script.cachedDataRejected)) {
    process.once('exit', () => keepCache(script, build, rebuildCache));
  }
  const module = { exports: {} as Drctl };
  const load = script.runInThisContext() as (...args: unknown[]) => void;
  load(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE), importPackage);
  return module.exports;
}

/** import() for the bundle: packages outside it (AWS SDK, pg, execa...) load from here. */
function importPackage(specifier: string): Promise<unknown> {
  return import(specifier);
}

function readCache(build: string): Buffer | undefined {
  try {
    const file = readFileSync(CACHE);
    return file.toString('latin1', 0, 32) === build ? file.subarray(32) : undefined;
  } catch {
    return undefined;
  }
}

/** Write the cache beside the bundle, whole or not at all; never fails the command. */
function keepCache(script: vm.Script, build: string, required: boolean): void {
  const next = `${CACHE}.${process.pid}`;
  try {
    accessSync(here, constants.W_OK);
    if (youngGenerationFixed) setFlagsFromString(YOUNG_GENERATION_DEFAULT);
    writeFileSync(next, Buffer.concat([Buffer.from(build, 'latin1'), script.createCachedData()]));
    renameSync(next, CACHE);
  } catch (error) {
    rmSync(next, { force: true });
    if (required) throw error;
  }
}
