import { beforeAll, describe, expect, it } from 'vitest';
import {
  drctl,
  exitWithin,
  header,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from './helpers.js';

/** What an operator reads about a run that did not recover: its outcome, never a recovery time or an RTO verdict. */

beforeAll(() => requireBuild());

const CORRUPT_BACKUP = `${header('corrupt-backup', 'A backup that is cut short')}objectives:
  rto: 1h
  rpo: 15m
steps:
  - id: make-backup
    title: Make a backup and cut it short
    run: |
      seq 1 5000 | gzip > backup.sql.gz
      head -c 200 backup.sql.gz > cut.sql.gz
  - id: check-backup
    title: Check the backup
    run: |
      echo "Checking cut.sql.gz"
      gzip -dc cut.sql.gz > /dev/null
      echo "Tables in the dump: 12"
    outputs:
      tables: { from: stdout, regex: "Tables in the dump: (\\\\d+)" }
  - id: restore
    title: Restore
    run: echo restored
`;

describe('a run that failed', () => {
  it('names the exit code and the error gzip printed, says "not recovered", and gives no RTO verdict anywhere', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', CORRUPT_BACKUP);
    const result = drctl(
      [
        'run',
        'rb.yaml',
        '--yes',
        '--state-dir',
        ws.stateDir,
        '--report',
        'junit:out/run.xml',
        '--report',
        'md:out/run.md',
        '--report',
        'html:out/run.html',
      ],
      { cwd: ws.dir },
    );
    expect(result.status, result.all).toBe(1);
    const runId = onlyRunId(ws.stateDir);

    // The cause, not the output it then lacked.
    expect(result.stderr).toMatch(/✗ check-backup failed after \S+: exit code 1 \(expected 0\): gzip: .*unexpected end of file/);
    expect(result.all).not.toContain('found nothing');
    const finished = readJournal(ws.stateDir, runId).find((e) => e.type === 'step.finished' && e.step === 'check-backup')!;
    expect(finished.error_tail).toMatch(/^gzip: .*unexpected end of file$/m);

    // The terminal summary.
    expect(result.stdout).toMatch(new RegExp(`Run ${runId}: failed, not recovered \\(failed at check-backup after \\S+\\)`));
    expect(result.stdout).toContain('RTO 1h: no verdict (not recovered)');
    expect(result.stdout).not.toMatch(/recovery took|MISSED|MET/);

    // report.json: the format's fields, met false, and why.
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('failed');
    expect(report.rto).toMatchObject({ target_s: 3600, met: false, verdict: 'not recovered' });
    expect(report.outcome).toMatch(/^not recovered \(failed at check-backup after \S+\)$/);
    expect(stepOf(report, 'check-backup').reason).toMatch(/^exit code 1 \(expected 0\): gzip: /);
    expect(stepOf(report, 'check-backup').error_tail).toContain('unexpected end of file');

    // The reports asked for.
    const junit = ws.read('out/run.xml');
    expect(junit).toMatch(
      /<failure type="exit-code" message="exit code 1 \(expected 0\): gzip: [^"]*unexpected end of file">gzip: [^<]*unexpected end of file\n?<\/failure>/,
    );
    expect(junit).toMatch(
      /name="recovery" time="0\.000">\s*<failure type="not-recovered" message="not recovered \(failed at check-backup after \S+\)">not recovered/,
    );
    expect(junit).toContain('<skipped message="RTO 1h: no verdict (not recovered)"/>');
    expect(junit).not.toMatch(/recovery took|past the RTO/);
    const md = ws.read('out/run.md');
    expect(md).toMatch(/\| Status \| failed: not recovered \(failed at check-backup after \S+\) \|/);
    expect(md).toContain('| RTO 1h | no verdict (not recovered) |');
    expect(md).toMatch(/## Error output\n\nLast lines of `check-backup`'s error output:\n\n```\ngzip: [^\n]*unexpected end of file\n```/);
    const html = ws.read('out/run.html');
    expect(html).toContain('<h2>RTO 1h</h2><p>no verdict (not recovered)</p>');
    expect(html).toMatch(/<pre>gzip: [^<]*unexpected end of file<\/pre>/);

    // drctl runs.
    const runs = drctl(['runs', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(runs.status, runs.all).toBe(0);
    expect(runs.stdout).toContain('OUTCOME');
    const line = runs.stdout.split('\n').find((l) => l.includes(runId))!;
    expect(line).toMatch(/failed\s+\S+\s+not recovered \(failed at check-backup after \S+\)\s+-\s+-\s*$/);
  });
});

const SLOW = `${header('slow-restore', 'A restore that is interrupted')}objectives:
  rto: 1h
steps:
  - id: restore
    title: Restore
    run: |
      touch started.flag
      sleep 60
  - id: after
    title: After
    run: echo after
`;

describe('a run that was interrupted', () => {
  it('is "interrupted" in runs and every report, with no recovery time and no verdict', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', SLOW);
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(() => ws.exists('started.flag'), 'the restore to start', 30_000);
    running.child.kill('SIGINT');
    const exit = await exitWithin(running, 30_000);
    expect(exit.code, running.stderr()).toBe(130);
    const runId = onlyRunId(ws.stateDir);
    const all = `${running.stdout()}\n${running.stderr()}`;
    expect(all).not.toMatch(/recovery took|MISSED|MET\b/);
    // An interrupted run prints no summary: it is not over (drctl resume continues it).
    expect(running.stderr()).toContain('Interrupted (SIGINT)');

    const runs = drctl(['runs', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const line = runs.stdout.split('\n').find((l) => l.includes(runId))!;
    expect(line).toMatch(/interrupted \(resumable\)\s+\S+\s+interrupted\s+-\s+-\s*$/);

    const json = JSON.parse(drctl(['report', runId, '--format', 'json', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout);
    expect(json).toMatchObject({ status: 'interrupted', outcome: 'interrupted', rto: { met: false, verdict: 'not recovered' } });
    const md = drctl(['report', runId, '--format', 'md', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout;
    expect(md).toContain('| Status | interrupted |');
    expect(md).toContain('| RTO 1h | no verdict (interrupted) |');
    const junit = drctl(['report', runId, '--format', 'junit', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout;
    expect(junit).toMatch(/name="recovery" time="0\.000">\s*<failure type="not-recovered" message="interrupted">interrupted<\/failure>/);
    expect(junit).toContain('<skipped message="RTO 1h: no verdict (interrupted)"/>');
    const html = drctl(['report', runId, '--format', 'html', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout;
    expect(html).toContain('<strong>interrupted</strong></p>');
    for (const text of [md, junit, html]) expect(text).not.toMatch(/recovery took|past the RTO/);
  }, 90_000);
});
