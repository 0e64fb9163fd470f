import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunSummary } from '../../../src/engine/events.js';
import { markdownText, stepSummary } from '../../../src/io/github-host.js';
import { annotationPath, diagnosticAnnotation, escapeData, escapeProperty, workflowCommand } from '../../../src/io/workflow-commands.js';
import { formatDiagnostic } from '../../../src/runbook/diagnostics.js';
import { validateText } from '../../../src/runbook/validate.js';

/** GitHub Actions workflow commands, the job summary, and the problem matcher and workflow shipped in docs/ci. */

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('workflow command escaping', () => {
  it('escapes %, CR and LF in a message, and : and , too in a property, as the runner reads them back', () => {
    expect(escapeData('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext: a, b');
    expect(escapeProperty('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext%3A a%2C b');
    expect(workflowCommand('error', { file: 'a,b:c.yaml', line: 3, col: undefined, title: 'x' }, 'bad\nthing')).toBe(
      '::error file=a%2Cb%3Ac.yaml,line=3,title=x::bad%0Athing',
    );
    expect(workflowCommand('endgroup', {}, '')).toBe('::endgroup::');
  });

  it('names a file inside GITHUB_WORKSPACE relative to it, and any other as given', () => {
    expect(annotationPath('/home/runner/work/app/runbooks/x.yaml', { GITHUB_WORKSPACE: '/home/runner/work/app' })).toBe('runbooks/x.yaml');
    expect(annotationPath('/elsewhere/x.yaml', { GITHUB_WORKSPACE: '/home/runner/work/app' })).toBe('/elsewhere/x.yaml');
    expect(annotationPath('runbooks/x.yaml', { GITHUB_WORKSPACE: '/home/runner/work/app' })).toBe('runbooks/x.yaml');
    expect(annotationPath('/home/runner/work/app/x.yaml', {})).toBe('/home/runner/work/app/x.yaml');
  });

  it('turns a diagnostic into an annotation with its file, line, column, path and hint', () => {
    const line = diagnosticAnnotation(
      {
        severity: 'warning',
        file: 'rb.yaml',
        line: 3,
        col: 1,
        path: 'metadata',
        message: 'no objectives',
        hint: 'add objectives: { rto: 1h }',
      },
      {},
    );
    expect(line).toBe(
      '::warning file=rb.yaml,line=3,col=1,title=drctl validate::no objectives (at metadata)%0Ahint: add objectives: { rto: 1h }',
    );
    // A problem with the whole file has no line to point at.
    expect(diagnosticAnnotation({ severity: 'error', file: 'rb.yaml', line: 0, col: 0, path: '', message: 'not found' }, {})).toBe(
      '::error file=rb.yaml,title=drctl validate::not found',
    );
  });
});

describe('the problem matcher (docs/ci/drctl-problem-matcher.json)', () => {
  const matcher = JSON.parse(readFileSync(join(ROOT, 'docs/ci/drctl-problem-matcher.json'), 'utf8')) as {
    problemMatcher: Array<{ owner: string; pattern: Array<Record<string, string | number>> }>;
  };
  const pattern = matcher.problemMatcher[0]!.pattern[0]!;
  const regexp = new RegExp(pattern.regexp as string);
  const take = (line: string): Record<string, string> | undefined => {
    const m = regexp.exec(line);
    if (!m) return undefined;
    const group = (key: string): string => m[pattern[key] as number]!;
    return { file: group('file'), line: group('line'), column: group('column'), severity: group('severity'), message: group('message') };
  };

  const text = `apiVersion: drctl/v1
kind: Runbook
metadata:
  name: bad
  title: Bad
steps:
  - id: one
    title: One
    run: echo hi
    timeout: forever
`;
  const diagnostics = validateText('runbooks/bad file.yaml', text, 'digest').diagnostics;

  it('matches the first line of each diagnostic validate prints, and nothing of its code frame or hint', () => {
    expect(diagnostics.map((d) => d.severity).sort()).toEqual(['error', 'warning']);
    for (const d of diagnostics) {
      const [first, ...rest] = formatDiagnostic(d, text).split('\n');
      expect(take(first!)).toEqual({
        file: 'runbooks/bad file.yaml',
        line: String(d.line),
        column: String(d.col),
        severity: d.severity,
        message: `${d.message} (at ${d.path})`,
      });
      expect(rest.length).toBeGreaterThan(0);
      for (const line of rest) expect(take(line), line).toBeUndefined();
    }
    const error = diagnostics.find((d) => d.severity === 'error')!;
    expect(take(formatDiagnostic(error).split('\n')[0]!)).toMatchObject({ line: '10', column: '14', severity: 'error' });
  });

  it('matches validate’s coloured lines too (FORCE_COLOR in a CI job)', () => {
    const error = diagnostics.find((d) => d.severity === 'error')!;
    const coloured = formatDiagnostic(error).split('\n')[0]!.replace(': error: ', ': \u001b[31merror\u001b[39m: ');
    expect(take(coloured)).toMatchObject({ file: 'runbooks/bad file.yaml', line: '10', column: '14', severity: 'error' });
    expect(take(coloured)!.message).not.toContain('\u001b');
  });

  it('does not match the summary line or drctl’s own error lines', () => {
    expect(take('1 error, 1 warning in 1 file (1 invalid)')).toBeUndefined();
    expect(take('drctl: error: no runbook named x')).toBeUndefined();
  });
});

describe('the example workflow (docs/ci/scheduled-drill.yml)', () => {
  it('runs on a schedule, validates, drills with --drill --yes and keeps the reports', () => {
    const workflow = parse(readFileSync(join(ROOT, 'docs/ci/scheduled-drill.yml'), 'utf8')) as {
      on: { schedule: Array<{ cron: string }> };
      jobs: Record<string, { steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown>; if?: string }> }>;
    };
    expect(workflow.on.schedule[0]!.cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    const steps = Object.values(workflow.jobs)[0]!.steps;
    const uses = steps.map((s) => s.uses?.split('@')[0]);
    expect(uses).toContain('actions/checkout');
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))!.with!['node-version']).toBe(20);
    const runs = steps.map((s) => s.run ?? '');
    expect(runs).toContain('npm ci');
    expect(runs.some((r) => r.startsWith('npx drctl validate'))).toBe(true);
    const drill = runs.find((r) => r.includes('drctl run'))!;
    expect(drill).toMatch(/--drill/);
    expect(drill).toMatch(/--yes/);
    // No `|| true` or `continue-on-error`: drctl's exit code fails the job.
    expect(drill).not.toMatch(/\|\||continue-on-error/);
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.if).toBe('always()');
  });
});

describe('the job summary', () => {
  const summary: RunSummary = {
    runId: 'rb-1',
    status: 'succeeded',
    exitCode: 0,
    steps: [
      { number: 1, id: 'one', title: 'Pipes | and <b>tags</b>\nand a line', status: 'succeeded', budgetMs: 60_000, durationMs: 90_000 },
      { number: 2, id: 'two', title: 'Never', status: 'not_run' },
    ],
    elapsedMs: 95_000,
    rto: { targetMs: 3_600_000, elapsedMs: 95_000, met: true },
    rpo: null,
    runningMs: 90_000,
    waitingMs: 0,
    reportFile: '/state/runs/rb-1/report.json',
  };

  it('keeps a cell in its column: | and HTML escaped, one line', () => {
    expect(markdownText('a | b <script>&\nc')).toBe('a \\| b &lt;script&gt;&amp; c');
    const text = stepSummary(summary);
    const rows = text.split('\n').filter((l) => /^\| \d/.test(l));
    expect(rows).toHaveLength(2);
    const cells = rows[0]!
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    expect(cells).toEqual(['1', 'one', 'Pipes \\| and &lt;b&gt;tags&lt;/b&gt; and a line', 'succeeded', '1m', '1m30s', '+30s over']);
    expect(text).toContain('- **RTO 1h**: recovery took 1m35s since the incident start, met');
    expect(text).not.toContain('<b>');
    expect(text).not.toContain('RPO');
  });

  it('gives the RPO verdict in the report’s wording when there is evidence, and none for a run that recovered nothing', () => {
    const rpo = { targetMs: 900_000, achievedMs: 300_000, met: true, evidence: 's3://backups/db_1.dump' };
    expect(stepSummary({ ...summary, rpo })).toContain(
      '- **RPO 15m**: recovery point 5m before the incident (s3://backups/db\\_1.dump), met',
    );
    const failed = stepSummary({ ...summary, rpo, status: 'failed', exitCode: 1, failedStep: 'one' });
    expect(failed).toContain('### ❌ drctl run: rb-1');
    expect(failed).toContain('**Run rb-1: failed, not recovered (failed at one after 1m35s)** (exit code 1)');
    expect(failed).toContain('- **RTO 1h**: no verdict (not recovered)');
    expect(failed).toContain('- **RPO 15m**: no verdict (not recovered)');
  });
});
