import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse as junit2json } from 'junit2json';
import { parse as parseTestResults } from 'test-results-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, Workspace } from '../run/helpers.js';
import { drctl, exitWithin, header, readReport, requireBuild, ROOT, runIds, startDrctl, waitFor, workspace } from '../run/helpers.js';

/**
 * The JUnit reports of real runs, read as CI tools read them: checked against the Jenkins xunit
 * plugin's junit-10.xsd and Ant's JUnit XSD with xmllint (Debian's libxml2-utils; .ci/run installs
 * it), and counted by two JUnit readers from npm (test-results-parser, junit2json).
 */

const SCHEMAS = { junit10: `${ROOT}/test/fixtures/junit/junit-10.xsd`, ant: `${ROOT}/test/fixtures/junit/JUnit.xsd` };
const XMLLINT = spawnSync('sh', ['-c', 'command -v xmllint'], { encoding: 'utf8' }).stdout.trim();

const HOSTILE_TITLE = 'Restore <b>db</b> & "quoted" \'single\' ]]> | pipe \u001b[31mred\u001b[0m \u0007 bell \uffff end';

const RUNBOOKS = {
  succeeded: `${header('junit-ok', 'Everything a step can be')}objectives:
  rto: 1h
steps:
  - id: flaky
    title: Fails twice then succeeds
    run: |
      n=$(cat tries 2>/dev/null || echo 0); n=$((n+1)); echo $n > tries
      echo "try $n"
      if [ $n -lt 3 ]; then echo "not yet ($n)" >&2; exit 4; fi
    retries: 2
  - id: tolerated
    title: Allowed to fail
    run: echo "tolerated failure" >&2; exit 3
    on_failure: continue
  - id: disabled
    title: Only when enabled
    if: \${{ false }}
    run: echo never
  - id: confirm
    title: Confirm by hand
    manual: |
      Check the dashboard:
      - [ ] the orders panel is green
  - id: done
    title: Done
    run: echo "all done"
`,
  missed: `${header('junit-missed', 'A recovery past its RTO')}objectives:
  rto: 1ms
steps:
  - id: slow
    title: Restore slowly
    run: sleep 0.2
`,
  failed: `${header('junit-failed', 'A restore that fails')}objectives:
  rto: 1h
steps:
  - id: prepare
    title: Prepare
    run: echo prepared
  - id: restore
    title: Restore the dump
    run: |
      echo "restoring"
      echo "pg_restore: error: could not read input file" >&2
      exit 1
    retries: 1
  - id: after
    title: Never reached
    run: echo after
`,
  rolledBack: `${header('junit-rollback', 'A failover undone')}objectives:
  rto: 1h
steps:
  - id: scale-down
    title: Scale down
    run: echo scaled down
    rollback: echo scaled up again
  - id: switch
    title: Switch traffic
    run: echo "no route" >&2; exit 2
    on_failure: rollback
`,
  interrupted: `${header('junit-interrupted', 'A restore that is interrupted')}objectives:
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
`,
  hostile: `${header('junit-hostile', JSON.stringify(HOSTILE_TITLE))}steps:
  - id: evil
    title: ${JSON.stringify(HOSTILE_TITLE)}
    run: |
      printf 'out <tag> & \\033]0;title\\007 \\357\\277\\277\\n'
      printf 'err </failure> ]]> \\033[2J\\n' >&2
      exit 5
`,
};
type Scenario = keyof typeof RUNBOOKS;
const SCENARIOS = Object.keys(RUNBOOKS) as Scenario[];

interface Produced {
  ws: Workspace;
  runId: string;
  report: Report;
  junit: string;
  ant: string;
}
const runs = {} as Record<Scenario, Produced>;

beforeAll(async () => {
  requireBuild();
  for (const scenario of SCENARIOS) {
    const ws = workspace(`drctl-junit-${scenario}-`);
    ws.runbook('rb.yaml', RUNBOOKS[scenario]);
    const args = [
      'run',
      'rb.yaml',
      '--yes',
      '--accept-manual',
      '--state-dir',
      ws.stateDir,
      '--report',
      'junit:out/run.xml',
      '--report',
      'junit-ant:out/ant.xml',
    ];
    if (scenario === 'interrupted') {
      const running = startDrctl(args, { cwd: ws.dir });
      await waitFor(() => ws.exists('started.flag'), 'the restore to start', 30_000);
      running.child.kill('SIGINT');
      expect((await exitWithin(running, 30_000)).code, running.stderr()).toBe(130);
      // An interrupted run writes no --report files: `drctl report` writes them, as an operator would.
      const [runId] = runIds(ws.stateDir);
      for (const [format, file] of [
        ['junit', 'out/run.xml'],
        ['junit-ant', 'out/ant.xml'],
      ] as const) {
        const written = drctl(['report', runId!, '--format', format, '--output', file, '--state-dir', ws.stateDir], { cwd: ws.dir });
        expect(written.status, written.all).toBe(0);
      }
    } else {
      const result = drctl(args, { cwd: ws.dir });
      expect(result.status, `${scenario}: ${result.all}`).toBe({ succeeded: 0, missed: 3 }[scenario as string] ?? 1);
    }
    const [runId] = runIds(ws.stateDir);
    runs[scenario] = {
      ws,
      runId: runId!,
      report: readReport(ws.stateDir, runId!),
      junit: ws.path('out/run.xml'),
      ant: ws.path('out/ant.xml'),
    };
  }
}, 240_000);

afterAll(() => {
  for (const run of Object.values(runs)) run.ws.remove();
});

function xmllint(schema: string, file: string): { status: number | null; output: string } {
  const result = spawnSync(XMLLINT, ['--noout', '--schema', schema, file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the JUnit files of real runs against the published schemas (xmllint)', () => {
  // Without xmllint the check is skipped on a laptop, and fails in CI, where .ci/run installs it.
  it.skipIf(!XMLLINT && !process.env.CI)('xmllint is installed', () => {
    expect(XMLLINT, 'xmllint is missing: install Debian libxml2-utils').not.toBe('');
  });

  it.skipIf(!XMLLINT && !process.env.CI).each(SCENARIOS)(
    '%s: junit is valid against junit-10.xsd, junit-ant against junit-10.xsd and Ant’s JUnit.xsd',
    (scenario) => {
      expect(XMLLINT, 'xmllint is missing: install Debian libxml2-utils').not.toBe('');
      const { junit, ant } = runs[scenario];
      for (const [schema, file] of [
        [SCHEMAS.junit10, junit],
        [SCHEMAS.junit10, ant],
        [SCHEMAS.ant, ant],
      ] as const) {
        const check = xmllint(schema, file);
        expect(check.output).toContain('validates');
        expect(check.status, check.output).toBe(0);
      }
    },
  );

  it.skipIf(!XMLLINT && !process.env.CI)('xmllint rejects what breaks a schema (the check can fail)', () => {
    const ws = workspace();
    ws.write('bad.xml', readFileSync(runs.succeeded.junit, 'utf8').replace(/ errors="0"/, ''));
    expect(xmllint(SCHEMAS.junit10, ws.path('bad.xml')).status).not.toBe(0);
    expect(xmllint(SCHEMAS.ant, runs.succeeded.junit).status).not.toBe(0);
  });
});

/** What the run's report.json says the JUnit file must count: every planned step, the recovery, one case per objective set. */
function expected(report: Report): { tests: number; failures: number; skipped: number; ms: number } {
  const recoveredRun = report.status === 'succeeded';
  const objectives = (report.rto ? 1 : 0) + (report.rpo ? 1 : 0);
  const stepsSkipped = report.steps.filter((s) => s.status === 'skipped' || s.status === 'not_run');
  const stepsFailed = report.steps.filter((s) => s.status === 'failed' && !s.continued);
  const missed = recoveredRun ? (report.rto && !report.rto.met ? 1 : 0) + (report.rpo && !report.rpo.met ? 1 : 0) : 1;
  const ms = report.steps
    .filter((s) => !stepsSkipped.includes(s) && s.duration_s !== null)
    .reduce((sum, s) => sum + Math.round((s.duration_s === 0 ? (s.waiting_s ?? 0) : s.duration_s!) * 1000), 0);
  return {
    tests: report.steps.length + 1 + objectives,
    failures: stepsFailed.length + missed,
    skipped: stepsSkipped.length + (recoveredRun ? 0 : objectives),
    ms,
  };
}

interface J2JCase {
  name: string;
  time?: number;
  failure?: Array<{ type?: string; message?: string; inner?: string }>;
  skipped?: unknown[];
  flakyFailure?: unknown[];
  rerunFailure?: unknown[];
  'system-out'?: string[];
}
interface J2JSuite {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: number;
  timestamp: string;
  hostname: string;
  properties?: Array<{ name: string; value: string }>;
  testcase: J2JCase[];
  'system-out'?: string[];
}

async function suiteOf(file: string): Promise<{ root: Record<string, unknown>; suite: J2JSuite }> {
  const root = (await junit2json(readFileSync(file, 'utf8'))) as unknown as Record<string, unknown> & { testsuite?: J2JSuite[] };
  return { root, suite: Array.isArray(root.testsuite) ? root.testsuite[0]! : (root as unknown as J2JSuite) };
}

describe('the counts two JUnit readers from npm take from them', () => {
  it.each(SCENARIOS)('%s: test-results-parser counts every case, failure and skip, and the steps’ time once', (scenario) => {
    const { report, junit, ant } = runs[scenario];
    const want = expected(report);
    for (const file of [junit, ant]) {
      const result = parseTestResults({ type: 'junit', files: [file] });
      // test-results-parser's total leaves out the skipped cases.
      expect(
        { total: Number(result.total), failed: Number(result.failed), errors: Number(result.errors), skipped: Number(result.skipped) },
        file,
      ).toEqual({
        total: want.tests - want.skipped,
        failed: want.failures,
        errors: 0,
        skipped: want.skipped,
      });
      expect(Number(result.passed)).toBe(want.tests - want.skipped - want.failures);
      expect(Number.isNaN(result.duration)).toBe(false);
      expect(result.duration).toBe(want.ms);
      const cases = result.suites.flatMap((s) => s.cases);
      expect(cases).toHaveLength(want.tests);
      expect(cases.reduce((sum, c) => sum + c.duration, 0)).toBeCloseTo(want.ms, 6);
      expect(cases.filter((c) => c.status === 'FAIL')).toHaveLength(want.failures);
      expect(cases.filter((c) => c.status === 'SKIP')).toHaveLength(want.skipped);
    }
  });

  it.each(SCENARIOS)('%s: junit2json reads the same totals, and the cases’ times add up to the suite’s', async (scenario) => {
    const { report, junit, ant } = runs[scenario];
    const want = expected(report);
    for (const file of [junit, ant]) {
      const { root, suite } = await suiteOf(file);
      expect({ tests: suite.tests, failures: suite.failures, errors: suite.errors, skipped: suite.skipped }).toEqual({
        tests: want.tests,
        failures: want.failures,
        errors: 0,
        skipped: want.skipped,
      });
      expect(suite.testcase).toHaveLength(want.tests);
      expect(suite.testcase.filter((c) => c.failure)).toHaveLength(want.failures);
      expect(suite.testcase.filter((c) => c.skipped)).toHaveLength(want.skipped);
      for (const c of suite.testcase) expect(Number.isFinite(c.time), c.name).toBe(true);
      const caseMs = suite.testcase.reduce((sum, c) => sum + Math.round(c.time! * 1000), 0);
      expect(caseMs).toBe(want.ms);
      expect(Math.round(suite.time * 1000)).toBe(want.ms);
      if (file === junit) expect(Math.round((root.time as number) * 1000)).toBe(want.ms);
      // The recovery and objective cases stand for the steps' time: they add none.
      for (const c of suite.testcase.filter((c) => c.name === 'recovery' || /^R[TP]O\b/.test(c.name))) expect(c.time).toBe(0);
    }
  });
});

describe('what a CI tool shows of each step', () => {
  it('a failed step: a typed failure with the reason as message and its error output as body; its earlier try as a rerunFailure', async () => {
    const { suite } = await suiteOf(runs.failed.junit);
    const restore = suite.testcase.find((c) => c.name === 'restore: Restore the dump')!;
    expect(restore.failure![0]).toMatchObject({
      type: 'exit-code',
      message: expect.stringMatching(/^exit code 1 \(expected 0\): pg_restore: error/),
    });
    expect(restore.failure![0]!.inner).toContain('pg_restore: error: could not read input file');
    expect(restore.rerunFailure).toHaveLength(1);
    expect(restore['system-out']![0]).toMatch(/^status: failed\n/);
    expect(restore['system-out']![0]).toMatch(/tries: 2\n {2}try 1 at \S+: \S+, exit code 1\n {2}try 2 at /);
    expect(restore['system-out']![0]).toContain('output (last lines):\nrestoring');
    const after = suite.testcase.find((c) => c.name === 'after: Never reached')!;
    expect(after.skipped).toHaveLength(1);
    const recovery = suite.testcase.find((c) => c.name === 'recovery')!;
    expect(recovery.failure![0]).toMatchObject({
      type: 'not-recovered',
      message: expect.stringMatching(/^not recovered \(failed at restore after /),
    });
  });

  it('a step tried again until it succeeded: each failed try as a flakyFailure with its error output, the step passing', async () => {
    const { suite } = await suiteOf(runs.succeeded.junit);
    const flaky = suite.testcase.find((c) => c.name === 'flaky: Fails twice then succeeds')!;
    expect(flaky.failure).toBeUndefined();
    expect(flaky.flakyFailure).toHaveLength(2);
    expect(JSON.stringify(flaky.flakyFailure)).toContain('not yet (1)');
    expect(flaky['system-out']![0]).toContain('tries: 3');
    const tolerated = suite.testcase.find((c) => c.name === 'tolerated: Allowed to fail')!;
    expect(tolerated.failure).toBeUndefined();
    expect(tolerated['system-out']![0]).toMatch(/failed, allowed to fail: the run went on: exit code 3[^\n]*\n[\s\S]*tolerated failure/);
    const manual = suite.testcase.find((c) => c.name === 'confirm: Confirm by hand')!;
    expect(manual['system-out']![0]).toContain('status: succeeded');
    expect(manual['system-out']![0]).toMatch(/^checklist 1\. the orders panel is green: acknowledged/m);
    expect(suite.testcase.find((c) => c.name === 'done: Done')!['system-out']![0]).toMatch(
      /confirmed by: --yes\nexit code: 0\noutput \(last lines\):\nall done/,
    );
    // The run's facts, where it ran and when it started.
    const { report } = runs.succeeded;
    expect(suite.hostname).toBe(report.operators[0]!.host);
    expect(suite.timestamp).toBe(report.started_at);
    expect(Object.fromEntries(suite.properties!.map((p) => [p.name, p.value]))).toMatchObject({
      run_id: report.run_id,
      runbook: 'junit-ok',
      status: 'succeeded',
      outcome: report.outcome,
      incident_start: report.incident_start,
      rto_verdict: 'met',
    });
    // Ant's form has each step's facts in the suite's output, and a failed try in the failure's body.
    const ant = await suiteOf(runs.succeeded.ant);
    expect(ant.suite.timestamp).toBe(report.started_at.slice(0, 19));
    expect(ant.suite['system-out']![0]).toMatch(/== flaky: Fails twice then succeeds\nstatus: succeeded\n[\s\S]*tries: 3/);
    const antFailed = await suiteOf(runs.failed.ant);
    const restore = antFailed.suite.testcase.find((c) => c.name === 'restore: Restore the dump')!;
    expect(restore.failure![0]!.inner).toMatch(/^try 1 at \S+: \S+, exit code 1\n[\s\S]*pg_restore: error: could not read input file/);
  });

  it('a recovery past its RTO: the recovery case passes, the RTO case fails as rto-missed', async () => {
    const { suite } = await suiteOf(runs.missed.junit);
    expect(suite.testcase.find((c) => c.name === 'recovery')!.failure).toBeUndefined();
    const rto = suite.testcase.find((c) => c.name === 'RTO 1ms')!;
    expect(rto.failure![0]).toMatchObject({
      type: 'rto-missed',
      message: expect.stringMatching(/^RTO 1ms: recovery took \S+ since the incident start, missed$/),
    });
    expect(rto.time).toBe(0);
  });

  it('a rolled-back run and an interrupted one: the recovery case fails, the objectives are skipped', async () => {
    for (const [scenario, outcome] of [
      ['rolledBack', 'rolled back'],
      ['interrupted', 'interrupted'],
    ] as const) {
      const { suite } = await suiteOf(runs[scenario].junit);
      const recovery = suite.testcase.find((c) => c.name === 'recovery')!;
      expect(recovery.failure![0]!.message, scenario).toBe(outcome);
      expect(suite.testcase.find((c) => c.name === 'RTO 1h')!.skipped, scenario).toHaveLength(1);
    }
  });

  it('hostile titles and output: read back as written, control characters as their pictures, and nothing closes an element early', async () => {
    const pictured = HOSTILE_TITLE.replace('\u001b', '␛').replace('\u001b', '␛').replace('\u0007', '␇').replace('\uffff', '\ufffd');
    for (const file of [runs.hostile.junit, runs.hostile.ant]) {
      const { suite } = await suiteOf(file);
      expect(suite.testcase.map((c) => c.name)).toEqual([`evil: ${pictured}`, 'recovery']);
      const evil = suite.testcase[0]!;
      expect(evil.failure![0]!.inner).toContain('err </failure> ]]> ␛[2J');
      const output = file === runs.hostile.junit ? evil['system-out']![0]! : suite['system-out']![0]!;
      expect(output).toContain('out <tag> & ␛]0;title␇ \ufffd');
    }
  });
});

describe('the after-action record in the JUnit file', () => {
  it('holds the notes, findings, remediation and sign-offs of a reviewed run, and the journal head it signs', async () => {
    const { ws, runId } = runs.failed;
    const cli = (args: string[]): void => {
      const result = drctl([...args, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(result.status, result.all).toBe(0);
    };
    cli(['note', runId, 'the dump on the share was cut short <again> & nobody noticed']);
    cli([
      'review',
      runId,
      '--finding',
      'pg_restore read a truncated dump',
      '--remediation',
      'verify each dump after upload; owner: Ada Lovelace; due: 2026-12-15',
      '--sign-off',
      'Grace Hopper, head of operations',
    ]);
    cli(['report', runId, '--format', 'junit', '--output', 'out/reviewed.xml']);
    cli(['report', runId, '--format', 'junit-ant', '--output', 'out/reviewed-ant.xml']);
    const report = readReport(ws.stateDir, runId);
    expect(report.journal.head).toMatch(/^[0-9a-f]{64}$/);
    for (const file of [ws.path('out/reviewed.xml'), ws.path('out/reviewed-ant.xml')]) {
      const { suite } = await suiteOf(file);
      const out = suite['system-out']![0]!;
      expect(out).toMatch(/^notes:\n {2}\S+ \S+@\S+: the dump on the share was cut short <again> & nobody noticed$/m);
      expect(out).toMatch(/^findings:\n {2}\S+ by \S+: pg_restore read a truncated dump$/m);
      expect(out).toMatch(/^remediation:\n {2}\S+ by \S+: verify each dump after upload; owner Ada Lovelace; due 2026-12-15$/m);
      expect(out).toMatch(
        new RegExp(`^sign-offs:\\n {2}\\S+ Grace Hopper, head of operations \\(by \\S+\\), covering journal head [0-9a-f]{64}$`, 'm'),
      );
      expect(out).toMatch(/^decisions:\n/m);
      const props = Object.fromEntries(suite.properties!.map((p) => [p.name, p.value]));
      expect(props).toMatchObject({ journal_head: report.journal.head, journal_entries: report.journal.entries });
      expect(props.tool_version).toBe(report.tool.version);
      if (XMLLINT) {
        for (const schema of file.endsWith('-ant.xml') ? [SCHEMAS.junit10, SCHEMAS.ant] : [SCHEMAS.junit10]) {
          const check = xmllint(schema, file);
          expect(check.status, check.output).toBe(0);
        }
      }
    }
  });
});
