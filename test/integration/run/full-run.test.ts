import { readFileSync, realpathSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult, JournalEvent, Report, Workspace } from './helpers.js';
import {
  drctl,
  header,
  journalPath,
  linesOf,
  modeOf,
  onlyRunId,
  readJournal,
  readReport,
  reportPath,
  requireBuild,
  stepOf,
  workspace,
} from './helpers.js';

/**
 * One `--yes` drill of a runbook that uses every step feature, started at its second step, with an
 * incident that began 30 minutes ago and three extra reports. Each test checks one thing an
 * operator (or the CI job reading the files) would look at afterwards.
 */

const RUNBOOK = `${header('full-feature', 'Every step feature')}objectives:
  rto: 2h
inputs:
  region: { default: eu-west-1 }
  replicas: { type: number, default: 3 }
  enabled: { type: boolean, default: false }
env:
  RB_REGION: "\${{ inputs.region }}"
  RB_MODE: "mode-\${{ run.mode }}"
steps:
  - id: before-start
    title: Runs only without --start-at
    run: touch before-start.txt
  - id: env-and-cwd
    title: Environment and working folder
    cwd: ./scripts
    env:
      STEP_VAR: "replicas=\${{ inputs.replicas }} region=\${{ inputs.region }}"
    budget: 30s
    run: |
      printf '%s\\n' "$RB_REGION" "$RB_MODE" "$STEP_VAR" "$DRCTL_MODE" > env.txt
      pwd > where.txt
  - id: produce
    title: Produce outputs
    budget: 30s
    run: |
      echo "  backup-key-42  "
      echo "found 7 pods"
      echo "low disk warning" >&2
      exit 3
    expect:
      exit_code: [0, 3]
      stdout: { contains: "pods", matches: "backup-key-\\\\d+" }
    outputs:
      key: { from: stdout, regex: "(backup-key-\\\\d+)" }
      pods: { from: stdout, regex: "(\\\\d+) pods" }
      all: { from: stdout, trim: true }
      warning: { from: stderr }
      code: { from: exit_code }
  - id: count
    title: Count replicas
    exec: [echo, "42"]
    expect:
      stdout: { equals: "42", gt: 40 }
    outputs:
      n: { from: stdout, trim: true }
  - id: use-outputs
    title: Use earlier outputs
    exec: [sh, -c, 'printf "%s|%s|%s|%s|%s" "$1" "$2" "$3" "$4" "$5" > used.txt', sh, "\${{ steps.produce.outputs.key }}", "\${{ steps.produce.outputs.pods }}", "\${{ steps.produce.outputs.warning }}", "\${{ steps.produce.outputs.code }}", "\${{ steps.count.outputs.n }}"]
  - id: flaky
    title: Fails twice then succeeds
    budget: 100ms
    retries: { attempts: 3, delay: 200ms, backoff: 2 }
    run: |
      n=$(cat counter 2>/dev/null || echo 0)
      n=$((n + 1))
      echo "$n" > counter
      echo "attempt $n"
      [ "$n" -ge 3 ]
  - id: start-background
    title: Something appears later
    run: (sleep 1; touch appeared.flag) > /dev/null 2>&1 &
  - id: wait-for-file
    title: Poll until the file appears
    until: { exit_code: 0 }
    interval: 250ms
    timeout: 15s
    run: test -f appeared.flag
  - id: disabled
    title: Only when enabled
    if: \${{ inputs.enabled }}
    run: touch disabled-ran.txt
  - id: enabled-region
    title: Only in eu-west-1
    if: \${{ inputs.region == 'eu-west-1' && steps.count.status == 'succeeded' }}
    run: touch region-ran.txt
  - id: confirm-ask
    title: Asks first
    confirm: true
    run: touch confirmed.txt
  - id: confirm-type
    title: Destructive
    confirm: { type: "\${{ inputs.region }}" }
    run: touch typed.txt
  - id: bounded
    title: Has a timeout
    timeout: 5s
    run: touch bounded.txt
  - id: tolerated
    title: Fails but the run goes on
    on_failure: continue
    run: |
      echo "this one fails"
      exit 7
  - id: rerunnable
    title: Safe to repeat
    idempotent: true
    run: echo again >> rerunnable.txt
  - id: dns
    title: Flip DNS by hand
    manual: Point db.example.com at the new primary.
    budget: 5m
  - id: final
    title: Last one
    run: echo \${{ run.mode }} \${{ steps.tolerated.status }} > final.txt
`;

describe('a --yes drill of a runbook using every step feature', () => {
  let ws: Workspace;
  let result: CliResult;
  let runId: string;
  let report: Report;
  let journal: JournalEvent[];
  let startedAt: number;

  beforeAll(() => {
    requireBuild();
    ws = workspace();
    ws.runbook('book/full.yaml', RUNBOOK);
    ws.write('book/scripts/.keep', '');
    startedAt = Date.now();
    result = drctl(
      [
        'run',
        'book/full.yaml',
        '--yes',
        '--accept-manual',
        '--start-at',
        'env-and-cwd',
        '--drill',
        '--incident-start',
        '-30m',
        '--report',
        'json:reports/run.json',
        '--report',
        'junit:reports/run.xml',
        '--report',
        'md:reports/run.md',
        '--state-dir',
        ws.stateDir,
      ],
      { cwd: ws.dir, timeoutMs: 30_000 },
    );
    runId = onlyRunId(ws.stateDir);
    report = readReport(ws.stateDir, runId);
    journal = readJournal(ws.stateDir, runId);
  });

  afterAll(() => ws?.remove());

  it('exits 0: succeeded within the RTO', () => {
    expect(result.status, result.all).toBe(0);
  });

  it('prints the run header on stderr and the summary table with the RTO verdict on stdout', () => {
    expect(result.stderr).toContain(`Running Every step feature (full-feature) · run ${runId} · mode drill · incident start `);
    expect(result.stdout).toMatch(/#\s+STEP\s+STATUS\s+BUDGET\s+ACTUAL/);
    expect(result.stdout).toMatch(/6\s+flaky\s+succeeded\s+100ms\s+\S+\s+\+\S+ over/);
    expect(result.stdout).toMatch(/RTO 2h: recovery took 30m\S* since the incident start, MET/);
    expect(result.stdout).toContain(`Report: ${ws.stateDir}/runs/${runId}/report.json · exit code 0`);
  });

  it('does not run steps before --start-at and records them as skipped', () => {
    expect(ws.exists('before-start.txt')).toBe(false);
    expect(stepOf(report, 'before-start')).toMatchObject({ status: 'skipped', attempts: 0, reason: 'before --start-at env-and-cwd' });
  });

  it('gives steps the runbook env and step env with expressions resolved, in the cwd relative to the runbook folder', () => {
    // drctl ran from the workspace; the step's cwd ./scripts is next to the runbook, in book/.
    expect(ws.exists('env.txt')).toBe(false);
    expect(ws.read('book/scripts/env.txt')).toBe('eu-west-1\nmode-drill\nreplicas=3 region=eu-west-1\ndrill\n');
    expect(ws.read('book/scripts/where.txt').trim()).toBe(realpathSync(ws.path('book/scripts')));
  });

  it('extracts outputs (regex capture, trimmed stdout, stderr, exit code) and later steps use them', () => {
    expect(stepOf(report, 'produce')).toMatchObject({
      status: 'succeeded',
      exit_code: 3,
      outputs: { key: 'backup-key-42', pods: '7', all: 'backup-key-42  \nfound 7 pods', warning: 'low disk warning', code: 3 },
    });
    expect(stepOf(report, 'count').outputs).toEqual({ n: '42' });
    expect(ws.read('used.txt')).toBe('backup-key-42|7|low disk warning|3|42');
  });

  it('retries a failing step with delay and backoff until it succeeds, and flags it over budget', () => {
    expect(ws.read('counter').trim()).toBe('3');
    const flaky = stepOf(report, 'flaky');
    expect(flaky).toMatchObject({ status: 'succeeded', attempts: 3, budget_s: 0.1, over_budget: true, exit_code: 0 });
    // 200ms, then 400ms (backoff 2) between the three attempts.
    expect(flaky.duration_s!).toBeGreaterThanOrEqual(0.6);
    const attempts = journal.filter((e) => e.type === 'step.attempt' && e.step === 'flaky');
    expect(attempts.map((e) => [e.attempt, e.exit_code])).toEqual([
      [1, 1],
      [2, 1],
      [3, 0],
    ]);
    expect(journal.some((e) => e.type === 'step.over_budget' && e.step === 'flaky' && e.budget_ms === 100)).toBe(true);
    expect(result.stderr).toContain('attempt 1 failed: exit code 1 (expected 0): attempt 1; retrying in 200ms');
    expect(result.stderr).toContain('attempt 2 failed: exit code 1 (expected 0): attempt 2; retrying in 400ms');
    expect(result.stderr).toContain('⚠ flaky has run past its budget of 100ms');
  });

  it('polls an until: step every interval until the file a background job creates appears', () => {
    const poll = stepOf(report, 'wait-for-file');
    expect(poll.status).toBe('succeeded');
    const checks = journal.filter((e) => e.type === 'step.attempt' && e.step === 'wait-for-file');
    expect(checks.length).toBeGreaterThanOrEqual(2);
    expect(checks.at(-1)!.exit_code).toBe(0);
    expect(checks[0]!.exit_code).toBe(1);
    expect(result.stderr).toContain('check 1: exit code 1 (expected 0); again in 250ms');
    expect(poll.duration_s!).toBeGreaterThanOrEqual(0.5);
  });

  it('skips a step whose if: is false and runs one whose if: is true', () => {
    expect(ws.exists('disabled-ran.txt')).toBe(false);
    expect(stepOf(report, 'disabled')).toMatchObject({ status: 'skipped', attempts: 0, reason: 'if: ${{ inputs.enabled }} is false' });
    expect(result.stderr).toContain('- step 9 disabled skipped: if: ${{ inputs.enabled }} is false');
    expect(ws.exists('region-ran.txt')).toBe(true);
    expect(stepOf(report, 'enabled-region').status).toBe('succeeded');
  });

  it('approves confirm: true and a typed confirmation with --yes, and says so', () => {
    expect(ws.exists('confirmed.txt')).toBe(true);
    expect(ws.exists('typed.txt')).toBe(true);
    expect(result.stderr).toContain('confirmed by --yes: Run "Asks first"?');
    expect(result.stderr).toContain('confirmed by --yes (would ask to type "eu-west-1")');
    const answers = journal.filter((e) => e.type === 'prompt.answered').map((e) => [e.step, e.question, e.answer]);
    expect(answers).toEqual([
      ['confirm-ask', 'step.confirm', true],
      ['confirm-type', 'step.type', 'confirmed'],
      ['tolerated', 'failure.action', 'continue'],
      ['dns', 'manual.done', 'acknowledged'],
    ]);
  });

  it('runs a step with a timeout it stays inside', () => {
    expect(ws.exists('bounded.txt')).toBe(true);
    expect(stepOf(report, 'bounded').status).toBe('succeeded');
  });

  it('records an on_failure: continue step as failed and goes on to the next steps', () => {
    expect(stepOf(report, 'tolerated')).toMatchObject({ status: 'failed', exit_code: 7, attempts: 1 });
    expect(stepOf(report, 'tolerated').reason).toContain('exit code 7 (expected 0)');
    expect(result.stderr).toContain('✗ tolerated failed after');
    expect(ws.read('final.txt')).toBe('drill failed\n');
    expect(linesOf(ws.path('rerunnable.txt'))).toEqual(['again']);
  });

  it('records a manual step as acknowledged with --accept-manual', () => {
    expect(result.stderr).toContain('manual step acknowledged (--accept-manual): Point db.example.com at the new primary.');
    expect(stepOf(report, 'dns')).toMatchObject({
      status: 'succeeded',
      budget_s: 300,
      over_budget: false,
      exit_code: null,
      reason: 'acknowledged with --accept-manual',
    });
  });

  it('writes report.json with the run, the drill mode, the RTO from the given incident start and every step', () => {
    const finished = Date.now();
    expect(report).toMatchObject({ run_id: runId, runbook: 'full-feature', mode: 'drill', status: 'succeeded', rpo: null });
    expect(runId).toMatch(/^full-feature-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    // --incident-start -30m: thirty minutes before the command started.
    const incident = Date.parse(report.incident_start);
    expect(incident).toBeGreaterThanOrEqual(startedAt - 30 * 60_000 - 100);
    expect(incident).toBeLessThanOrEqual(finished - 30 * 60_000);
    expect(report.rto!.target_s).toBe(7200);
    expect(report.rto!.met).toBe(true);
    expect(report.rto!.elapsed_s).toBeGreaterThanOrEqual(1800);
    expect(report.rto!.elapsed_s).toBeLessThan(1800 + (finished - startedAt) / 1000 + 1);
    expect(report.rto!.elapsed_s).toBeCloseTo((Date.parse(report.finished_at!) - incident) / 1000, 1);
    expect(Date.parse(report.started_at)).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(report.steps.map((s) => s.id)).toEqual([
      'before-start',
      'env-and-cwd',
      'produce',
      'count',
      'use-outputs',
      'flaky',
      'start-background',
      'wait-for-file',
      'disabled',
      'enabled-region',
      'confirm-ask',
      'confirm-type',
      'bounded',
      'tolerated',
      'rerunnable',
      'dns',
      'final',
    ]);
    expect(report.steps.map((s) => s.status)).toEqual([
      'skipped',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'skipped',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'failed',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    for (const step of report.steps) {
      expect(step, step.id).toHaveProperty('attempts');
      expect(step, step.id).toHaveProperty('budget_s');
      expect(step, step.id).toHaveProperty('duration_s');
      expect(step, step.id).toHaveProperty('over_budget');
      expect(step, step.id).toHaveProperty('exit_code');
      expect(step, step.id).toHaveProperty('outputs');
    }
    expect(stepOf(report, 'env-and-cwd')).toMatchObject({ budget_s: 30, over_budget: false, exit_code: 0, attempts: 1 });
    expect(stepOf(report, 'count').budget_s).toBeNull();
    // Running time is the sum of the steps' durations (never the 30 minutes before the run).
    const sum = report.steps.reduce((total, s) => total + (s.duration_s ?? 0), 0);
    expect(report.time.running_s).toBeCloseTo(sum, 1);
    expect(report.time.running_s).toBeGreaterThan(0.6);
    expect(report.time.running_s).toBeLessThan((finished - startedAt) / 1000);
  });

  it('journals every transition in order, starting with the run (digest, inputs, T0) and ending with its verdict', () => {
    const start = journal[0]!;
    expect(start).toMatchObject({
      type: 'run.started',
      run_id: runId,
      runbook: 'full-feature',
      mode: 'drill',
      incident_start: report.incident_start,
      inputs: { region: 'eu-west-1', replicas: 3, enabled: false },
    });
    expect(start.digest).toMatch(/^[0-9a-f]{64}$/);
    // Repeated attempts (retries, polls) collapse to one; the budget timer's warning lands wherever it fires.
    const sequence: string[] = [];
    for (const event of journal) {
      // step.process (each command's process group, for resume) comes with every attempt of a command.
      if (event.type === 'step.over_budget' || event.type === 'step.process') continue;
      const entry = event.step ? `${event.type} ${event.step}` : event.type;
      if (sequence.at(-1) !== entry) sequence.push(entry);
    }
    const ran = (id: string): string[] => [`step.started ${id}`, `step.attempt ${id}`, `step.finished ${id}`];
    const asked = (id: string): string[] => [`prompt.asked ${id}`, `prompt.answered ${id}`];
    expect(sequence).toEqual([
      'run.started',
      'step.finished before-start',
      ...ran('env-and-cwd'),
      ...ran('produce'),
      ...ran('count'),
      ...ran('use-outputs'),
      ...ran('flaky'),
      ...ran('start-background'),
      ...ran('wait-for-file'),
      'step.finished disabled',
      ...ran('enabled-region'),
      ...asked('confirm-ask'),
      ...ran('confirm-ask'),
      ...asked('confirm-type'),
      ...ran('confirm-type'),
      ...ran('bounded'),
      // A failed step asks what now; --yes answers with the runbook's on_failure, journaled like any answer.
      'step.started tolerated',
      'step.attempt tolerated',
      ...asked('tolerated'),
      'step.finished tolerated',
      ...ran('rerunnable'),
      'step.started dns',
      ...asked('dns'),
      'step.finished dns',
      ...ran('final'),
      'run.finished',
    ]);
    expect(journal.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded', exit_code: 0 });
    // The journal carries what each attempt printed.
    const produce = journal.find((e) => e.type === 'step.attempt' && e.step === 'produce')!;
    expect(produce.stdout_tail).toBe('  backup-key-42  \nfound 7 pods\n');
    expect(produce.stderr_tail).toBe('low disk warning\n');
  });

  it('keeps the journal and report.json readable by their owner only', () => {
    expect(modeOf(journalPath(ws.stateDir, runId))).toBe(0o600);
    expect(modeOf(reportPath(ws.stateDir, runId))).toBe(0o600);
  });

  it('writes the --report json, junit and md files', () => {
    const json = JSON.parse(ws.read('reports/run.json')) as Report;
    expect(json).toEqual(report);
    const junit = ws.read('reports/run.xml');
    expect(junit).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(junit).toContain(`<testsuite name="${runId}"`);
    expect((junit.match(/<testcase /g) ?? []).length).toBe(19); // 17 steps, the recovery and the RTO
    // A step allowed to fail passes; its failure is in <system-out>, and the suite stays green.
    expect(junit).toMatch(
      /<testcase classname="full-feature" name="tolerated: Fails but the run goes on" time="[\d.]+">\s*<system-out>status: failed, allowed\n[^<]*failed, allowed to fail: the run went on: exit code 7 \(expected 0\)[^<]*\(on_failure: continue\)/,
    );
    expect(junit).toMatch(/name="disabled: Only when enabled"[^>]*>\s*<skipped/);
    expect(junit).toMatch(
      /<testcase classname="full-feature" name="RTO 2h" time="0\.000">\s*<system-out>RTO 2h: recovery took 30m\S* since the incident start, met<\/system-out>/,
    );
    expect(junit).toMatch(
      /<testsuites name="drctl" time="[\d.]+">\s*<testsuite name="[^"]+" tests="19" failures="0" errors="0" skipped="\d+"/,
    );
    const md = ws.read('reports/run.md');
    expect(md).toContain('# Every step feature — DR drill report');
    expect(md).toContain(`| Run | \`${runId}\` (full-feature) |`);
    expect(md).toMatch(/\| Status \| succeeded: recovered in 30m(?:\d\ds)? \|/);
    expect(md).toMatch(/\| RTO 2h \| recovery took 30m(?:\d\ds)? since the incident start, met \|/);
    expect(md).toMatch(/\| 6 \| Fails twice then succeeds \(`flaky`\) \| succeeded \| 3 \| 100ms \| (?:[\d.]+s|\d+ms) \| yes \|/);
    for (const file of ['reports/run.json', 'reports/run.xml', 'reports/run.md']) expect(modeOf(ws.path(file)), file).toBe(0o600);
  });

  it('prints each step card with its number, title, budget, clock against the RTO and the exact command', () => {
    expect(result.stderr).toContain('Step 2/17: Environment and working folder  [env-and-cwd] · budget 30s');
    expect(result.stderr).toMatch(/clock T\+30m\S* of RTO 2h · projected finish T\+\S+ \(\S+ inside the RTO\)/);
    expect(result.stderr).toContain(
      `$ sh -c 'printf "%s|%s|%s|%s|%s" "$1" "$2" "$3" "$4" "$5" > used.txt' sh backup-key-42 7 'low disk warning' 3 42`,
    );
    expect(result.stderr).toContain('  │ found 7 pods');
    expect(readFileSync(ws.path('counter'), 'utf8')).toBe('3\n');
  });
});
