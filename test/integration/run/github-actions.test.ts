import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import { drctl, header, onlyRunId, readReport, reportPath, requireBuild, ROOT, workspace } from './helpers.js';

/**
 * Under GitHub Actions (GITHUB_ACTIONS=true) drctl also writes workflow commands: annotations from
 * `validate`, and from `run` a folded group per step, errors, warnings and a job summary appended
 * to $GITHUB_STEP_SUMMARY. Without the variable, nothing of it appears.
 */

beforeAll(() => requireBuild());

const SECRET = 'Gh-S3cret-77aa41';

interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  message: string;
}

/** The workflow commands in a stream, read back as the runner reads them. */
function commands(text: string): WorkflowCommand[] {
  const unescape = (value: string): string =>
    value.replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const found: WorkflowCommand[] = [];
  for (const line of text.split('\n')) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line.trimStart());
    if (!m) continue;
    const properties: Record<string, string> = {};
    for (const pair of m[2] ? m[2].split(',') : []) {
      const at = pair.indexOf('=');
      properties[pair.slice(0, at)] = unescape(pair.slice(at + 1));
    }
    found.push({ name: m[1]!, properties, message: unescape(m[3]!) });
  }
  return found;
}

/** Every ::group:: is closed before the next opens, and the last is closed. */
function expectBalancedGroups(found: WorkflowCommand[]): string[] {
  let open = false;
  const titles: string[] = [];
  for (const c of found) {
    if (c.name === 'group') {
      expect(open, `group "${c.message}" opened inside another`).toBe(false);
      open = true;
      titles.push(c.message);
    } else if (c.name === 'endgroup') {
      expect(open, 'endgroup without a group').toBe(true);
      open = false;
    }
  }
  expect(open, 'a group is left open').toBe(false);
  return titles;
}

/** The rows of the summary's step table, cells unescaped (`\|` is a pipe inside a cell). */
function tableRows(summary: string): string[][] {
  return summary
    .split('\n')
    .filter((l) => /^\| \d+ \|/.test(l))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim().replace(/\\(.)/g, '$1')),
    );
}

function gitHub(ws: Workspace, extra: Record<string, string> = {}): Record<string, string> {
  return { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: ws.path('summary.md'), ...extra };
}

describe('drctl validate under GitHub Actions', () => {
  const bad = `${header('bad', 'Bad')}steps:
  - id: one
    title: One
    run: echo hi
    timeout: forever
`;

  it('annotates each problem with its file, line and column, and prints what it always prints', () => {
    const ws = workspace();
    ws.runbook('bad,one.yaml', bad);
    const plain = drctl(['validate', 'bad,one.yaml'], { cwd: ws.dir });
    const result = drctl(['validate', 'bad,one.yaml'], { cwd: ws.dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(result.status, result.all).toBe(2);
    expect(result.stdout).toBe(plain.stdout);
    expect(result.stdout).toContain('bad,one.yaml:10:14: error: "forever" is not a duration');
    expect(plain.all).not.toMatch(/^::/m);
    const found = commands(result.stderr);
    expect(found.map((c) => c.name)).toEqual(['warning', 'error']);
    expect(found[1]).toEqual({
      name: 'error',
      properties: { file: 'bad,one.yaml', line: '10', col: '14', title: 'drctl validate' },
      message: expect.stringMatching(/^"forever" is not a duration: .* \(at steps\[0\]\.timeout\)$/),
    });
    // The file name's comma is escaped, so it cannot end the property.
    expect(result.stderr).toContain('::error file=bad%2Cone.yaml,line=10,col=14,title=drctl validate::');
    expect(found[0]!.properties).toMatchObject({ file: 'bad,one.yaml', line: '3', col: '1' });
    expect(found[0]!.message).toContain('\nhint: ');
    // The problem matcher for other CIs finds the same problems in the plain output, coloured or not.
    const matcher = JSON.parse(readFileSync(join(ROOT, 'docs/ci/drctl-problem-matcher.json'), 'utf8')) as {
      problemMatcher: Array<{ pattern: Array<{ regexp: string }> }>;
    };
    const regexp = new RegExp(matcher.problemMatcher[0]!.pattern[0]!.regexp);
    const coloured = drctl(['validate', 'bad,one.yaml'], { cwd: ws.dir, env: { FORCE_COLOR: '1', NO_COLOR: undefined } });
    expect(coloured.stdout).toContain('\u001b[');
    for (const output of [plain.stdout, coloured.stdout]) {
      const matched = output.split('\n').flatMap((line) => {
        const m = regexp.exec(line);
        return m ? [[m[1], m[2], m[3], m[4]].join(':')] : [];
      });
      expect(matched).toEqual(['bad,one.yaml:3:1:warning', 'bad,one.yaml:10:14:error']);
    }
  });

  it('names the file relative to GITHUB_WORKSPACE, and keeps --json output one JSON document', () => {
    const ws = workspace();
    const file = ws.runbook('runbooks/bad.yaml', bad);
    const result = drctl(['validate', '--json', file], { cwd: ws.dir, env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: ws.dir } });
    expect(result.status, result.all).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false, errors: 1 });
    expect(commands(result.stderr).find((c) => c.name === 'error')!.properties).toMatchObject({ file: 'runbooks/bad.yaml', line: '10' });
  });

  it('writes no annotation for a valid runbook', () => {
    const ws = workspace();
    ws.runbook(
      'ok.yaml',
      `${header('ok', 'Fine')}objectives:\n  rto: 1h\n  rpo: 15m\nsteps:\n  - id: one\n    title: One\n    run: echo hi\n`,
    );
    const result = drctl(['validate', 'ok.yaml'], { cwd: ws.dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(result.status, result.all).toBe(0);
    expect(result.all).not.toMatch(/^::/m);
  });
});

/** Step one runs past its 1s budget, step two fails (on_failure: continue), step three succeeds; the secret is printed by both. */
const mixed = `${header('ci-drill', 'CI drill <b>bold</b> | piped')}inputs:
  token: { secret: true, env: DR_TOKEN }
objectives:
  rto: 1h
steps:
  - id: slow
    title: Slow | <i>step</i>
    budget: 1s
    env: { TOKEN: "\${{ inputs.token }}" }
    run: |
      echo "using $TOKEN"
      sleep 2
  - id: breaks
    title: Breaks on purpose
    env: { TOKEN: "\${{ inputs.token }}" }
    run: |
      echo "cannot reach with $TOKEN" >&2
      exit 4
    on_failure: continue
  - id: last
    title: Last step
    run: echo done
`;

describe('drctl run --yes under GitHub Actions', () => {
  it('folds each step in a group, reports the failed and the slow step, and appends a summary without the secret', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', mixed);
    ws.write('summary.md', '# Earlier content\n');
    const result = drctl(['run', 'rb.yaml', '--yes', '--drill', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: gitHub(ws, { DR_TOKEN: SECRET }),
    });
    expect(result.status, result.all).toBe(0);
    const runId = onlyRunId(ws.stateDir);
    const found = commands(result.stderr);
    expect(expectBalancedGroups(found)).toEqual(['Step 1/3: Slow | <i>step</i>', 'Step 2/3: Breaks on purpose', 'Step 3/3: Last step']);
    // The step's own lines are inside its group.
    const stderr = result.stderr;
    const group2 = stderr.indexOf('::group::Step 2/3');
    expect(stderr.indexOf('│ cannot reach with ***')).toBeGreaterThan(group2);
    expect(stderr.indexOf('│ cannot reach with ***')).toBeLessThan(stderr.indexOf('::endgroup::', group2));
    expect(found.filter((c) => c.name === 'error')).toEqual([
      {
        name: 'error',
        properties: { title: 'breaks' },
        message: expect.stringMatching(/^Step 2 Breaks on purpose failed: exit code 4 .*cannot reach with \*\*\*/),
      },
    ]);
    expect(found.filter((c) => c.name === 'warning')).toEqual([
      { name: 'warning', properties: { title: 'slow' }, message: 'slow has run past its budget of 1s' },
    ]);

    const summary = ws.read('summary.md');
    // Appended: what was there stays.
    expect(summary.startsWith('# Earlier content\n')).toBe(true);
    expect(summary).toContain('### ✅ drctl drill: CI drill &lt;b&gt;bold&lt;/b&gt; \\| piped (ci-drill)');
    expect(summary).toContain(`**Run ${runId}: succeeded, recovered in `);
    // The verdict in the one wording of the terminal summary and the reports.
    const rtoLine = result.stdout.split('\n').find((l) => l.startsWith('RTO 1h: '))!;
    expect(summary).toContain(`- **RTO 1h**: ${rtoLine.slice('RTO 1h: '.length).replace('MET', 'met')}`);
    expect(summary).toMatch(/- \*\*RTO 1h\*\*: recovery took \S+ since the incident start, met/);
    const rows = tableRows(summary);
    expect(rows.map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      ['1', 'slow', 'Slow | &lt;i&gt;step&lt;/i&gt;', 'succeeded'],
      ['2', 'breaks', 'Breaks on purpose', 'failed'],
      ['3', 'last', 'Last step', 'succeeded'],
    ]);
    expect(rows[0]![4]).toBe('1s');
    expect(rows[0]![6]).toMatch(/^\+\S+ over$/);
    expect(summary).toContain(`Report: ${reportPath(ws.stateDir, runId)}`.replace(/_/g, '\\_'));
    expect(summary).not.toContain('<');

    const reportText = readFileSync(reportPath(ws.stateDir, runId), 'utf8');
    for (const text of [result.stdout, result.stderr, summary, reportText]) expect(text).not.toContain(SECRET);
    expect(readReport(ws.stateDir, runId).status).toBe('succeeded');
  });

  it('for a run that fails: the error, a summary saying it did not recover, exit 1', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', mixed.replace('on_failure: continue', 'on_failure: abort'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: gitHub(ws, { DR_TOKEN: SECRET }) });
    expect(result.status, result.all).toBe(1);
    const runId = onlyRunId(ws.stateDir);
    const found = commands(result.stderr);
    expect(expectBalancedGroups(found)).toEqual(['Step 1/3: Slow | <i>step</i>', 'Step 2/3: Breaks on purpose']);
    expect(found.filter((c) => c.name === 'error').map((c) => c.properties.title)).toEqual(['breaks']);
    const summary = ws.read('summary.md');
    expect(summary).toContain('### ❌ drctl run: ');
    expect(summary).toMatch(
      new RegExp(`\\*\\*Run ${runId}: failed, not recovered \\(failed at breaks after \\S+\\)\\*\\* \\(exit code 1\\)`),
    );
    expect(summary).toContain('- **RTO 1h**: no verdict (not recovered)');
    expect(tableRows(summary).map((r) => [r[1], r[3]])).toEqual([
      ['slow', 'succeeded'],
      ['breaks', 'failed'],
      ['last', 'not_run'],
    ]);
    for (const text of [result.stdout, result.stderr, summary]) expect(text).not.toContain(SECRET);
  });

  it('warns that the RTO is at risk when the incident began before the RTO window', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', `${header('late', 'Late')}objectives:\n  rto: 1h\nsteps:\n  - id: one\n    title: One\n    run: echo one\n`);
    const result = drctl(['run', 'rb.yaml', '--yes', '--incident-start', '-2h', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: gitHub(ws),
    });
    expect(result.status, result.all).toBe(3);
    const warnings = commands(result.stderr).filter((c) => c.name === 'warning');
    expect(warnings).toEqual([
      { name: 'warning', properties: { title: 'RTO at risk' }, message: 'projected finish T+2h is past the RTO of 1h' },
    ]);
    expect(ws.read('summary.md')).toMatch(/- \*\*RTO 1h\*\*: recovery took 2h\S* since the incident start, missed/);
  });

  it('resumes an interrupted run with groups for the steps left and a summary of the whole run', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('stops', 'Stops once')}objectives:\n  rto: 1h\nsteps:
  - id: first
    title: First
    run: echo first
  - id: interrupts
    title: Interrupts drctl the first time
    idempotent: true
    run: |
      if [ ! -e stopped-once ]; then touch stopped-once; kill -TERM "$PPID"; sleep 30; fi
      echo second
  - id: third
    title: Third
    run: echo third
`,
    );
    const first = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: gitHub(ws) });
    expect(first.status, first.all).toBe(130);
    expect(expectBalancedGroups(commands(first.stderr))).toEqual(['Step 1/3: First', 'Step 2/3: Interrupts drctl the first time']);
    expect(ws.exists('summary.md')).toBe(false);
    const runId = onlyRunId(ws.stateDir);
    const resumed = drctl(['resume', runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: gitHub(ws) });
    expect(resumed.status, resumed.all).toBe(0);
    expect(expectBalancedGroups(commands(resumed.stderr))).toEqual(['Step 2/3: Interrupts drctl the first time', 'Step 3/3: Third']);
    const summary = ws.read('summary.md');
    expect(summary).toContain(`**Run ${runId}: succeeded, recovered in `);
    expect(tableRows(summary).map((r) => [r[1], r[3]])).toEqual([
      ['first', 'succeeded'],
      ['interrupts', 'succeeded'],
      ['third', 'succeeded'],
    ]);
  });
});

describe('drctl run --yes under GitHub Actions: what stops a run', () => {
  it('raises an error for a failed preflight check (exit 2, no step run, no summary)', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('pre', 'Preflight')}preflight:\n  - require: [sh, no-such-tool-xyz]\nsteps:\n  - id: one\n    title: One\n    run: echo one\n`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: gitHub(ws) });
    expect(result.status, result.all).toBe(2);
    expect(commands(result.stderr)).toEqual([
      { name: 'error', properties: { title: 'preflight' }, message: 'tools on PATH: sh, no-such-tool-xyz: not found: no-such-tool-xyz' },
    ]);
    expect(ws.exists('summary.md')).toBe(false);
  });

  it('folds each rollback in its own group and raises an error for a rollback that fails', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('rolls', 'Rolls back')}objectives:\n  rto: 1h\nsteps:
  - id: one
    title: One
    run: echo one
    rollback: |
      echo "cannot undo one" >&2
      exit 7
  - id: two
    title: Two
    run: exit 3
    on_failure: rollback
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: gitHub(ws) });
    expect(result.status, result.all).toBe(1);
    const found = commands(result.stderr);
    expect(expectBalancedGroups(found)).toEqual(['Step 1/2: One', 'Step 2/2: Two', 'Rollback of one']);
    expect(found.filter((c) => c.name === 'error').map((c) => c.properties.title)).toEqual(['two', 'rollback of one']);
    expect(found.find((c) => c.properties.title === 'rollback of one')!.message).toMatch(/^rollback of one failed: .*cannot undo one/);
    expect(ws.read('summary.md')).toContain('- **RTO 1h**: no verdict (');
  });
});

describe('drctl run --yes outside GitHub Actions', () => {
  it('writes no workflow command and no summary, even with GITHUB_STEP_SUMMARY set', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', mixed);
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { GITHUB_STEP_SUMMARY: ws.path('summary.md'), DR_TOKEN: SECRET },
    });
    expect(result.status, result.all).toBe(0);
    expect(result.all).not.toMatch(/^::/m);
    expect(ws.exists('summary.md')).toBe(false);
    expect(result.all).not.toContain(SECRET);
  });
});
