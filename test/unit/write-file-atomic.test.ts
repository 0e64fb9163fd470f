import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/util/errors.js';
import { DiskFullError, makeFolder, writeFileAtomic } from '../../src/util/write-file-atomic.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drctl-atomic-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every entry of the folder but the ones named: temporary files left behind show up here. */
const others = (folder: string, ...expected: string[]): string[] => readdirSync(folder).filter((name) => !expected.includes(name));

function errorOf(action: () => void): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('writeFileAtomic', () => {
  it('writes a new file, readable by its owner only, and leaves nothing else behind', () => {
    const file = join(dir, 'report.json');
    writeFileAtomic(file, '{"ok":true}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"ok":true}\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(others(dir, 'report.json')).toEqual([]);
  });

  it('takes another mode when told', () => {
    const file = join(dir, 'report.md');
    writeFileAtomic(file, '# Report\n', { mode: 0o644 });
    expect(statSync(file).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('replaces an existing file whole', () => {
    const file = join(dir, 'report.json');
    writeFileSync(file, 'old and much longer text than the new one');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(others(dir, 'report.json')).toEqual([]);
  });

  it('replaces a symlink planted at the path instead of writing through it: the link target is untouched', () => {
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'do not overwrite me\n', { mode: 0o644 });
    const link = join(dir, 'report.json');
    symlinkSync(target, link);
    writeFileAtomic(link, '{"report":1}\n');
    expect(readFileSync(target, 'utf8')).toBe('do not overwrite me\n');
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(lstatSync(link).isFile()).toBe(true);
    expect(readFileSync(link, 'utf8')).toBe('{"report":1}\n');
  });

  it('replaces a dangling symlink too, creating nothing where it pointed', () => {
    const link = join(dir, 'report.json');
    symlinkSync(join(dir, 'elsewhere', 'made-by-link.json'), link);
    writeFileAtomic(link, 'x');
    expect(lstatSync(link).isFile()).toBe(true);
    expect(others(dir, 'report.json')).toEqual([]);
  });

  it('refuses a directory at the path, with one line naming it', () => {
    const target = join(dir, 'out');
    mkdirSync(target);
    const error = errorOf(() => writeFileAtomic(target, 'x'));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(`cannot write ${target}: it is a directory`);
    expect(others(dir, 'out')).toEqual([]);
  });

  it('refuses a folder that does not exist, with the reason', () => {
    const file = join(dir, 'missing', 'report.json');
    const error = errorOf(() => writeFileAtomic(file, 'x'));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(`cannot write ${file}: ENOENT`);
  });
});

/** A 64 KiB file system of its own, when this machine lets us mount one (root with mount rights). */
function mountTinyTmpfs(at: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', at], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('writeFileAtomic on a full disk', () => {
  const folder = join(tmpdir(), `drctl-full-${process.pid}`);
  mkdirSync(folder, { recursive: true });
  const mounted = mountTinyTmpfs(folder);
  if (!mounted)
    console.warn(
      `writeFileAtomic on a full disk: cannot mount a tmpfs at ${folder} here (needs root with mount rights); write-file-atomic-enospc.test.ts injects the error instead`,
    );

  afterAll(() => {
    if (mounted) execFileSync('umount', [folder]);
    rmSync(folder, { recursive: true, force: true });
  });

  it.skipIf(!mounted)('says which file and how many bytes it needed, removes its temporary file and keeps the old file', () => {
    const file = join(folder, 'report.json');
    writeFileAtomic(file, 'the previous report\n');
    const text = 'x'.repeat(200 * 1024);
    const error = errorOf(() => writeFileAtomic(file, text));
    expect(error).toBeInstanceOf(DiskFullError);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(`cannot write ${file}: no space left on the device (ENOSPC); it needs ${200 * 1024} bytes`);
    expect((error as DiskFullError).neededBytes).toBe(200 * 1024);
    expect((error as UserError).exitCode).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('the previous report\n');
    expect(readdirSync(folder)).toEqual(['report.json']);
  });
});

describe('makeFolder', () => {
  it('makes the missing folders of a path', () => {
    const deep = join(dir, 'a', 'b', 'c');
    makeFolder(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(statSync(deep).mode & 0o777).toBe(0o700);
  });

  it('gives up at once where a parent takes no new entries (/proc), instead of retrying for ever', () => {
    const error = errorOf(() => makeFolder('/proc/drctl-nope/runs'));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe('cannot create /proc/drctl-nope (ENOENT)');
  });

  it('says when a file stands where a folder should be', () => {
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(errorOf(() => makeFolder(join(file, 'runs', 'x'))).message).toBe(`${file} is not a directory`);
  });
});
