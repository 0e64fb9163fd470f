import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createProcessRunner, describeStopped, PROCESS_TAG_VARIABLE, tagAlive } from '../../src/adapters/process.js';
import type { ProcessResult } from '../../src/ports/process.js';

/** The process runner stops what a command started outside its process group, and names what it could not stop. */

afterEach(() => vi.restoreAllMocks());

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drctl-process-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function pidIn(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function living(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

async function runScript(script: string, cwd: string, timeoutMs?: number): Promise<{ result: ProcessResult; pgid: number; tag: string }> {
  let spawned: { pgid: number; tag: string } | undefined;
  const result = await createProcessRunner().run({
    file: 'sh',
    args: ['-c', script],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd,
    timeoutMs,
    signal: new AbortController().signal,
    onOutput: () => undefined,
    onSpawn: (pgid, tag) => (spawned = { pgid, tag }),
  });
  if (!spawned) throw new Error('onSpawn was not called');
  return { result, ...spawned };
}

describe('stopping a command that left its process group', () => {
  it('names the process it may not signal, with its command line, and the tag still finds it', async () => {
    const dir = folder();
    const seconds = 5_000_000 + Math.floor(Math.random() * 1_000_000);
    const pidFile = join(dir, 'daemon.pid');
    onTestFinished(() => {
      const pid = pidIn(pidFile);
      if (pid) process.kill(pid, 'SIGKILL');
    });
    // This process may not signal the daemon (as if it ran as another user).
    const kill = process.kill.bind(process);
    vi.spyOn(process, 'kill').mockImplementation((pid: number, signal?: string | number) => {
      if (pid === pidIn(pidFile) && signal !== 0) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
      return kill(pid, signal);
    });
    const { result, tag } = await runScript(
      `setsid sh -c 'echo $$ > daemon.pid; exec sleep ${seconds}' & while [ ! -s daemon.pid ]; do sleep 0.05; done; sleep 300`,
      dir,
      1_000,
    );
    const pid = pidIn(pidFile)!;
    expect(result.ended).toBe('timeout');
    expect(result.survivors).toEqual([{ pid, command: 'sleep' }]);
    expect(describeStopped(result.survivors)).toBe(`could not stop: pid ${pid} (sleep)`);
    expect(tagAlive(tag)).toBe(true);
    vi.restoreAllMocks();
    process.kill(pid, 'SIGKILL');
    await vi.waitFor(() => expect(living(pid)).toBe(false));
    expect(tagAlive(tag)).toBe(false);
  });

  it('reports no survivors when everything was stopped, and keeps a tag inherited from an outer drctl', async () => {
    const dir = folder();
    const seconds = 5_000_000 + Math.floor(Math.random() * 1_000_000);
    let spawned: { pgid: number; tag: string } | undefined;
    const result = await createProcessRunner().run({
      file: 'sh',
      args: ['-c', `echo "$${PROCESS_TAG_VARIABLE}" > tag.txt; setsid sh -c 'echo $$ > daemon.pid; exec sleep ${seconds}' & sleep 300`],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [PROCESS_TAG_VARIABLE]: 'outer' },
      cwd: dir,
      timeoutMs: 1_000,
      signal: new AbortController().signal,
      onOutput: () => undefined,
      onSpawn: (pgid, tag) => (spawned = { pgid, tag }),
    });
    const pid = pidIn(join(dir, 'daemon.pid'));
    onTestFinished(() => {
      if (pid && living(pid)) process.kill(pid, 'SIGKILL');
    });
    expect(result.ended).toBe('timeout');
    expect(result.survivors).toEqual([]);
    expect(describeStopped(result.survivors)).toBe('its processes were killed');
    expect(pid && living(pid)).toBe(false);
    expect(readFileSync(join(dir, 'tag.txt'), 'utf8').trim()).toBe(`outer:${spawned!.tag}`);
  });

  it('leaves alone what a command that ended by itself left running, and reports no stop', async () => {
    const dir = folder();
    const seconds = 5_000_000 + Math.floor(Math.random() * 1_000_000);
    const pidFile = join(dir, 'daemon.pid');
    onTestFinished(() => {
      const pid = pidIn(pidFile);
      if (pid && living(pid)) process.kill(pid, 'SIGKILL');
    });
    const { result, tag } = await runScript(
      `setsid sh -c 'echo $$ > daemon.pid; exec sleep ${seconds}' > /dev/null 2>&1 & while [ ! -s daemon.pid ]; do sleep 0.05; done`,
      dir,
    );
    expect(result).toMatchObject({ ended: 'exited', exitCode: 0 });
    expect(result.survivors).toBeUndefined();
    expect(living(pidIn(pidFile)!)).toBe(true);
    expect(tagAlive(tag)).toBe(true);
  });
});
