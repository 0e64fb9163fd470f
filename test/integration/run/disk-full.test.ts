import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { drctl, header, linesOf, onlyRunId, readJournal, readReport, requireBuild, workspace } from './helpers.js';

/**
 * The journal's disk fills up in the middle of a run: a real, small tmpfs (mounting one needs
 * root, which CI has; elsewhere the test says so loudly and is skipped).
 */

beforeAll(() => requireBuild());

const isRoot = process.getuid?.() === 0;
if (!isRoot && !process.env.CI) console.warn('\n*** SKIPPED: the full-disk test mounts a tmpfs and needs root ***\n');

describe.skipIf(!isRoot && !process.env.CI)('a run whose journal disk fills up (a 1 MiB tmpfs)', () => {
  it('stops before its next step with a message naming the file and the bytes, keeps the journal whole, and resumes once there is room', () => {
    const ws = workspace();
    const disk = ws.path('disk');
    mkdirSync(disk);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk], { encoding: 'utf8' });
    expect(mounted.status, `mount: ${mounted.stderr}`).toBe(0);
    onTestFinished(() => void spawnSync('umount', ['-l', disk]));
    const stateDir = ws.path('disk', 'state');
    ws.runbook(
      'rb.yaml',
      `${header('full-disk', 'Full disk')}steps:
  - id: fill
    title: Something fills the disk
    # Fill the disk, then print 20 KB: the journal needs new space for what the step printed.
    run: |
      cat /dev/zero > "${disk}/filler" 2>/dev/null || echo filled >> log.txt
      head -c 20000 /dev/zero | tr '\\0' x
  - id: next
    title: Runs only once there is room
    run: echo next >> log.txt
`,
    );
    const first = drctl(['run', 'rb.yaml', '--yes', '--state-dir', stateDir], { cwd: ws.dir });
    expect(first.status, first.all).toBe(130);
    expect(first.stderr).toMatch(
      /the disk holding .*journal\.jsonl is full: \d+ bytes more were needed to journal the run\. The run stopped before its next step and can be resumed/,
    );
    expect(linesOf(ws.path('log.txt'))).toEqual(['filled']);
    const runId = onlyRunId(stateDir);
    const journal = readJournal(stateDir, runId);
    // Every line whole; the step that was running is recorded as finished, and the stop as an interruption.
    expect(journal.find((e) => e.type === 'step.finished' && e.step === 'fill')).toMatchObject({ status: 'succeeded' });
    expect(journal.at(-1)).toMatchObject({ type: 'run.interrupted' });

    rmSync(`${disk}/filler`);
    const resumed = drctl(['resume', '--yes', '--state-dir', stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
    expect(linesOf(ws.path('log.txt'))).toEqual(['filled', 'next']);
    expect(readReport(stateDir, runId).status).toBe('succeeded');
    // The write the full disk undid left no mark on the hash chain: every line chains on the one before it.
    const verified = drctl(['verify', runId, '--state-dir', stateDir], { cwd: ws.dir });
    expect(verified.status, verified.all).toBe(0);
    expect(verified.stdout).toMatch(/\n {2}chain: {7}intact, lines 1-\d+\n/);
  });
});
