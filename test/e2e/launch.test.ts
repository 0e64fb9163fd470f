import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from './drctl.js';
import { drctl, requireBuild, ROOT } from './drctl.js';

/** A copy of the installed package (bin, dist, package.json), sharing node_modules and runbooks. */
function installedCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drctl-launch-'));
  for (const entry of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  for (const entry of ['node_modules', 'runbooks']) symlinkSync(join(ROOT, entry), join(dir, entry));
  return dir;
}

/** drctl as started from that copy. */
const fromCopy = (dir: string): readonly string[] => [process.execPath, join(dir, 'bin', 'drctl.cjs')];

function validate(dir: string): CliResult {
  return drctl(['validate', join(dir, 'runbooks')], { command: fromCopy(dir) });
}

const buildOf = (dir: string): string =>
  /^\/\* drctl build ([0-9a-f]{32}) \*\//.exec(readFileSync(join(dir, 'dist', 'drctl.cjs'), 'latin1'))![1]!;
const cacheHeader = (dir: string): string => readFileSync(join(dir, 'dist', 'drctl.cache')).toString('latin1', 0, 32);

describe('starting from the bundle and its code cache', () => {
  beforeAll(requireBuild);

  it('the build ships a code cache made for its own bundle', () => {
    expect(cacheHeader(ROOT)).toBe(buildOf(ROOT));
  });

  it('runs without a code cache, and leaves one for the next start', () => {
    const dir = installedCopy();
    writeFileSync(join(dir, 'dist', 'drctl.cache'), '');
    const result = validate(dir);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('5 files valid');
    expect(cacheHeader(dir)).toBe(buildOf(dir));
    expect(readFileSync(join(dir, 'dist', 'drctl.cache')).length).toBeGreaterThan(10_000);
  });

  it('ignores a cache made for another build, and replaces it', () => {
    const dir = installedCopy();
    const stale = Buffer.concat([Buffer.from('0'.repeat(32), 'latin1'), readFileSync(join(ROOT, 'dist', 'drctl.cache')).subarray(32)]);
    writeFileSync(join(dir, 'dist', 'drctl.cache'), stale);
    const result = validate(dir);
    expect(result.status, result.stderr).toBe(0);
    expect(cacheHeader(dir)).toBe(buildOf(dir));
  });

  it('leaves a cache that fits alone, and writes no stray files beside it', () => {
    const dir = installedCopy();
    const before = readFileSync(join(dir, 'dist', 'drctl.cache'));
    expect(validate(dir).status).toBe(0);
    expect(readFileSync(join(dir, 'dist', 'drctl.cache')).equals(before)).toBe(true);
    expect(existsSync(join(dir, 'dist', `drctl.cache.${process.pid}`))).toBe(false);
  });

  it('a cache left by a start without one is taken by the next start as it is (made with the flags V8 loads it with)', () => {
    const dir = installedCopy();
    writeFileSync(join(dir, 'dist', 'drctl.cache'), '');
    expect(validate(dir).status).toBe(0);
    const left = readFileSync(join(dir, 'dist', 'drctl.cache'));
    expect(left.length).toBeGreaterThan(10_000);
    expect(validate(dir).status).toBe(0);
    expect(readFileSync(join(dir, 'dist', 'drctl.cache')).equals(left)).toBe(true);
  });

  it("keeps V8's young generation at its first size while garbage streams through, unless NODE_OPTIONS sizes it", () => {
    // drctl started as bin/drctl.cjs starts it, then garbage made as a restore makes it. From a copy:
    // other flags make V8 refuse the code cache, and drctl then writes its own.
    const dir = installedCopy();
    const script = `
      const v8 = require('node:v8');
      require(${JSON.stringify(join(dir, 'dist', 'launch.cjs'))}).launch([process.execPath, 'drctl', '--version']).then(() => {
        let keep = [];
        for (let i = 0; i < 400000; i++) {
          keep.push({ i, text: 'row ' + i, bytes: Buffer.alloc(64) });
          if (keep.length > 5000) keep = [];
        }
        const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
        process.stderr.write(String(young.space_size));
      });`;
    const youngSize = (env: NodeJS.ProcessEnv): number => {
      const result = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      return Number(result.stderr);
    };
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    expect(youngSize(env)).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(youngSize({ ...env, NODE_OPTIONS: '--max-semi-space-size=32' })).toBeGreaterThan(4 * 1024 * 1024);
  });

  it('says what to do, with no stack trace, when the bundle is missing', () => {
    const dir = installedCopy();
    rmSync(join(dir, 'dist', 'drctl.cjs'));
    const result = drctl(['--version'], { command: fromCopy(dir) });
    expect(result.status).toBe(70);
    expect(result.stderr).toMatch(/^drctl: cannot start: .*no such file.*\n {2}reinstall drctl, or run npm run build in its folder\n$/);
  });
});
