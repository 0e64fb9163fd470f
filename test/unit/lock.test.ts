import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { acquireRunLock, runIsActive } from '../../src/journal/lock.js';
import { UserError } from '../../src/util/errors.js';

/** The run lock: complete whenever it exists, one holder at a time, a dead holder's lock taken over, another host's never. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let scratch: string;
let bundle: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'drctl-lock-'));
  // Separate processes compete for the lock: they load lock.ts compiled on its own.
  bundle = join(scratch, 'lock.cjs');
  buildSync({
    entryPoints: [join(ROOT, 'src/journal/lock.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    define: { 'import.meta.url': '__moduleUrl' },
    banner: { js: "const __moduleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'error',
  });
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function stateDir(): string {
  const dir = mkdtempSync(join(scratch, 'state-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function lockPath(dir: string): string {
  return join(dir, 'locks', 'rb.lock');
}

function writeLock(dir: string, owner: Record<string, unknown> | string): void {
  spawnSync('mkdir', ['-p', join(dir, 'locks')]);
  writeFileSync(lockPath(dir), typeof owner === 'string' ? owner : JSON.stringify(owner));
}

function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** A pid that has just ended, with the start time it had. */
function deadProcess(): { pid: number; started: string } {
  const out = spawnSync('sh', ['-c', 'echo $$; cat /proc/$$/stat'], { encoding: 'utf8' }).stdout.split('\n');
  const stat = out[1]!;
  return { pid: Number(out[0]), started: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]! };
}

async function refusal(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('the lock was taken, but it should have been refused');
}

describe('taking the run lock', () => {
  it('writes who holds it, and releasing removes it', async () => {
    const dir = stateDir();
    const release = await acquireRunLock(dir, 'rb', 'rb-1');
    const owner = JSON.parse(readFileSync(lockPath(dir), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, run_id: 'rb-1', host: hostname(), started: startOf(process.pid), boot });
    expect(runIsActive(dir, 'rb', 'rb-1')).toBe(true);
    expect(runIsActive(dir, 'rb', 'rb-2')).toBe(false);
    release();
    expect(readdirSync(join(dir, 'locks'))).toEqual([]); // no temporary file left either
    expect(runIsActive(dir, 'rb', 'rb-1')).toBe(false);
  });

  it('is refused while a live process of this host holds it, naming its run and pid, and leaves its lock alone', async () => {
    const dir = stateDir();
    const held = { pid: 1, run_id: 'rb-live', host: hostname(), started: startOf(1), boot };
    writeLock(dir, held);
    const error = await refusal(acquireRunLock(dir, 'rb', 'rb-2'));
    expect(error.message).toBe('another run of rb is active: rb-live (pid 1)');
    expect(error.hint).toContain('drctl resume rb-live');
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8'))).toEqual(held);
    expect(runIsActive(dir, 'rb', 'rb-live')).toBe(true);
  });

  it('takes over the lock of a process that has ended', async () => {
    const dir = stateDir();
    writeLock(dir, { ...deadProcess(), run_id: 'rb-dead', host: hostname(), boot });
    expect(runIsActive(dir, 'rb', 'rb-dead')).toBe(false);
    const release = await acquireRunLock(dir, 'rb', 'rb-2');
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8'))).toMatchObject({ pid: process.pid, run_id: 'rb-2' });
    release();
  });

  it('takes over a lock whose pid now belongs to another process, or that was held before the last boot', async () => {
    const reused = stateDir();
    writeLock(reused, { pid: 1, run_id: 'rb-old', host: hostname(), started: '1', boot });
    (await acquireRunLock(reused, 'rb', 'rb-2'))();
    const rebooted = stateDir();
    writeLock(rebooted, { pid: 1, run_id: 'rb-old', host: hostname(), started: startOf(1), boot: 'an-earlier-boot' });
    (await acquireRunLock(rebooted, 'rb', 'rb-3'))();
  });

  it('takes over a lock file that holds no owner (written by hand)', async () => {
    const dir = stateDir();
    writeLock(dir, '');
    const release = await acquireRunLock(dir, 'rb', 'rb-2');
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8'))).toMatchObject({ run_id: 'rb-2' });
    release();
  });

  it('never takes over a lock from another host: the message names the file to remove', async () => {
    const dir = stateDir();
    const held = { pid: 999_999, run_id: 'rb-there', host: 'another-host.example', started: '5', boot: 'another-boot' };
    writeLock(dir, held);
    const error = await refusal(acquireRunLock(dir, 'rb', 'rb-2'));
    expect(error.message).toBe('another run of rb holds the lock from host another-host.example: rb-there');
    expect(error.hint).toBe(`if that run is dead, remove ${lockPath(dir)}`);
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8'))).toEqual(held);
  });
});

describe('processes competing for one lock', () => {
  it('never see it incomplete, and never hold it two at a time', async () => {
    const dir = stateDir();
    const log = join(dir, 'holders.log');
    writeLock(dir, { ...deadProcess(), run_id: 'rb-dead', host: hostname(), boot });
    // Each process takes the lock, logs "+me", waits a moment, logs "-me" and lets go, over and over;
    // a refusal (another holds it) is expected and counted.
    const script = `
      const { acquireRunLock } = require(${JSON.stringify(bundle)});
      const { appendFileSync } = require('node:fs');
      const [dir, me, log] = process.argv.slice(1);
      (async () => {
        let held = 0, refused = 0;
        for (let i = 0; i < 150; i++) {
          try {
            const release = await acquireRunLock(dir, 'rb', me + '-' + i);
            appendFileSync(log, '+' + me + '\\n');
            await new Promise((r) => setTimeout(r, Math.random() * 3));
            appendFileSync(log, '-' + me + '\\n');
            release();
            held++;
          } catch (error) {
            if (error.name !== 'UserError') throw error;
            refused++;
          }
          await new Promise((r) => setTimeout(r, Math.random() * 2));
        }
        console.log(JSON.stringify({ held, refused }));
      })();`;
    const children = ['a', 'b', 'c', 'd'].map((me) => {
      const child = spawn(process.execPath, ['-e', script, dir, me, log], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      return new Promise<{ code: number | null; out: string }>((resolve) => child.on('close', (code) => resolve({ code, out })));
    });
    let running = true;
    void Promise.all(children).then(() => (running = false));
    // Meanwhile read the lock as often as possible: it is absent or whole, never empty or cut.
    const seen = new Set<string>();
    let reads = 0;
    while (running) {
      let text: string | undefined;
      try {
        text = readFileSync(lockPath(dir), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      if (text !== undefined) {
        reads++;
        const owner = JSON.parse(text) as Record<string, unknown>;
        expect(Object.keys(owner).sort()).toEqual(['boot', 'host', 'pid', 'run_id', 'started']);
        seen.add(String(owner.run_id));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(children);
    for (const result of results) expect(result.code, result.out).toBe(0);
    const counts = results.map((r) => JSON.parse(r.out) as { held: number; refused: number });
    expect(counts.reduce((sum, c) => sum + c.held, 0)).toBeGreaterThan(0);
    expect(reads).toBeGreaterThan(0);
    expect(seen.size).toBeGreaterThan(1);
    // The holders' log alternates: each "+x" is followed by "-x" before anyone else's "+".
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]!.startsWith('+'), `line ${i + 1}: ${lines.slice(Math.max(0, i - 2), i + 3).join(' ')}`).toBe(true);
      expect(lines[i + 1], `line ${i + 2}: two holders at once`).toBe(`-${lines[i]!.slice(1)}`);
    }
  }, 120_000);
});
