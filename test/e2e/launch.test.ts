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

  it('says what to do, with no stack trace, when the bundle is missing', () => {
    const dir = installedCopy();
    rmSync(join(dir, 'dist', 'drctl.cjs'));
    const result = drctl(['--version'], { command: fromCopy(dir) });
    expect(result.status).toBe(70);
    expect(result.stderr).toMatch(/^drctl: cannot start: .*no such file.*\n {2}reinstall drctl, or run npm run build in its folder\n$/);
  });
});
