import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeItem } from '../../../src/lifecycle/cleanup.js';

/** A ledger entry is removed only while it is still what drctl made, reached without a symbolic link. */

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function scratch(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'drctl-cleanup-')));
  dirs.push(dir);
  return dir;
}

function entry(path: string, kind: 'file' | 'dir') {
  const info = lstatSync(path);
  return { path, kind, dev: info.dev, ino: info.ino };
}

describe('removing a cleanup ledger entry', () => {
  it('removes the file and then the empty folder drctl made', () => {
    const root = scratch();
    mkdirSync(join(root, 'run'));
    writeFileSync(join(root, 'run', 'backup.gz'), 'x');
    const folder = entry(join(root, 'run'), 'dir');
    const file = entry(join(root, 'run', 'backup.gz'), 'file');
    expect(removeItem(file)).toEqual({ result: 'removed', error: null });
    expect(removeItem(folder)).toEqual({ result: 'removed', error: null });
    expect(existsSync(join(root, 'run'))).toBe(false);
  });

  it('says "gone" for what is no longer there', () => {
    const root = scratch();
    writeFileSync(join(root, 'backup.gz'), 'x');
    const file = entry(join(root, 'backup.gz'), 'file');
    unlinkSync(join(root, 'backup.gz'));
    expect(removeItem(file)).toEqual({ result: 'gone', error: null });
  });

  it('leaves alone a file replaced since (another inode) and a folder holding files drctl did not make', () => {
    const root = scratch();
    mkdirSync(join(root, 'run'));
    writeFileSync(join(root, 'run', 'backup.gz'), 'x');
    const file = entry(join(root, 'run', 'backup.gz'), 'file');
    const folder = entry(join(root, 'run'), 'dir');
    // Moved away (its inode stays taken), and a new file of the same name put in its place.
    renameSync(join(root, 'run', 'backup.gz'), join(root, 'moved.gz'));
    writeFileSync(join(root, 'run', 'other.txt'), 'someone else');
    writeFileSync(join(root, 'run', 'backup.gz'), 'someone else');
    expect(removeItem(file)).toEqual({ result: 'failed', error: 'it was replaced since drctl made it: left alone' });
    expect(existsSync(join(root, 'run', 'backup.gz'))).toBe(true);
    expect(removeItem(folder)).toEqual({ result: 'failed', error: 'the folder holds files drctl did not make: left in place' });
    expect(existsSync(join(root, 'run', 'other.txt'))).toBe(true);
  });

  it('never follows a symbolic link: not in place of the file, not in place of its folder', () => {
    const root = scratch();
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'backup.gz'), 'precious');
    mkdirSync(join(root, 'run'));
    writeFileSync(join(root, 'run', 'backup.gz'), 'x');
    const file = entry(join(root, 'run', 'backup.gz'), 'file');
    // The file swapped for a link to another.
    unlinkSync(file.path);
    symlinkSync(join(elsewhere, 'backup.gz'), file.path);
    expect(removeItem(file)).toEqual({ result: 'failed', error: 'it is a symbolic link now, not what drctl made: left alone' });
    // The folder swapped for a link to a folder holding a file of the same name and inode.
    unlinkSync(file.path);
    rmSync(join(root, 'run'), { recursive: true });
    symlinkSync(elsewhere, join(root, 'run'));
    const target = lstatSync(join(elsewhere, 'backup.gz'));
    const lured = { path: join(root, 'run', 'backup.gz'), kind: 'file' as const, dev: target.dev, ino: target.ino };
    expect(removeItem(lured)).toEqual({ result: 'failed', error: `its folder now leads to ${elsewhere} (a symbolic link): left alone` });
    expect(existsSync(join(elsewhere, 'backup.gz'))).toBe(true);
  });

  it('removes a throw-away PostgreSQL folder with all it holds, following no link inside it, when no server runs there', () => {
    const root = scratch();
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'precious.txt'), "not drctl's");
    const folder = join(root, 'drctl-scratch-pg-1');
    mkdirSync(join(folder, 'data', 'base'), { recursive: true });
    writeFileSync(join(folder, 'data', 'base', '1'), 'x');
    symlinkSync(elsewhere, join(folder, 'data', 'pg_wal'));
    // A pid file of a server long gone, whose pid another process may hold now: that process is left alone.
    writeFileSync(join(folder, 'data', 'postmaster.pid'), `${process.pid}\n${join(folder, 'data')}\n`);
    const item = entry(folder, 'dir');
    expect(removeItem({ ...item, kind: 'postgres-server' })).toEqual({ result: 'removed', error: null });
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(join(elsewhere, 'precious.txt'))).toBe(true);
    expect(removeItem({ ...item, kind: 'postgres-server' })).toEqual({ result: 'gone', error: null });
  });

  it('leaves alone a throw-away PostgreSQL folder replaced by a link or another folder', () => {
    const root = scratch();
    const folder = join(root, 'drctl-scratch-pg-2');
    mkdirSync(folder);
    const item = { ...entry(folder, 'dir'), kind: 'postgres-server' as const };
    renameSync(folder, join(root, 'moved'));
    mkdirSync(folder);
    writeFileSync(join(folder, 'theirs.txt'), 'x');
    expect(removeItem(item)).toEqual({ result: 'failed', error: 'it was replaced since drctl made it: left alone' });
    rmSync(folder, { recursive: true });
    symlinkSync(join(root, 'moved'), folder);
    expect(removeItem(item)).toEqual({ result: 'failed', error: 'it is a symbolic link now, not what drctl made: left alone' });
    expect(existsSync(join(root, 'moved'))).toBe(true);
  });

  it('refuses a path that is not absolute and plain', () => {
    expect(removeItem({ path: 'relative/backup.gz', kind: 'file', dev: 1, ino: 1 }).result).toBe('failed');
    expect(removeItem({ path: '/tmp/../etc/passwd', kind: 'file', dev: 1, ino: 1 }).result).toBe('failed');
  });
});
