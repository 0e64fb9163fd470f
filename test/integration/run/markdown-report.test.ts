import MarkdownIt from 'markdown-it';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report, Workspace } from './helpers.js';
import { drctl, exitWithin, header, onlyRunId, readReport, requireBuild, startDrctl, stepOf, waitFor, workspace } from './helpers.js';

/**
 * The Markdown report of real runs, read back by a real Markdown parser (markdown-it, raw HTML
 * allowed as GitHub allows it): a drill with a step retried, a step that failed with error output,
 * a manual checklist, a note and a review, whose titles, output and notes hold `|`, HTML and
 * backticks. Every table keeps its cells, no HTML element appears but the report's own `<br>`,
 * and the post-incident review says what report.json says.
 */

beforeAll(() => requireBuild());

const parser = new MarkdownIt({ html: true });
type Token = ReturnType<typeof parser.parse>[number];

function inlineText(token: Token): string {
  return (token.children ?? [])
    .map((c) => {
      if (c.type === 'text' || c.type === 'text_special' || c.type === 'code_inline') return c.content;
      if (c.type === 'html_inline') return c.content === '<br>' ? '\n' : `<<HTML ${c.content}>>`;
      return c.type === 'softbreak' ? '\n' : '';
    })
    .join('');
}

/** The table whose header starts with `header`, as a reader sees it: rows of cells. */
function tableOf(markdown: string, ...header: string[]): string[][] {
  const tables: string[][][] = [];
  let inCell = false;
  for (const token of parser.parse(markdown, {})) {
    if (token.type === 'table_open') tables.push([]);
    else if (token.type === 'tr_open') tables.at(-1)!.push([]);
    else if (token.type === 'th_open' || token.type === 'td_open') inCell = true;
    else if (token.type === 'th_close' || token.type === 'td_close') inCell = false;
    else if (token.type === 'inline' && inCell) tables.at(-1)!.at(-1)!.push(inlineText(token));
  }
  const found = tables.find((t) => header.every((h, i) => t[0]![i] === h));
  if (!found) throw new Error(`no table with header ${header.join(' | ')} in:\n${markdown}`);
  return found;
}

function htmlElements(markdown: string): string[] {
  const found: string[] = [];
  const walk = (tokens: Token[]): void => {
    for (const t of tokens) {
      if (t.type === 'html_inline' || t.type === 'html_block') found.push(t.content.trim());
      if (t.children) walk(t.children);
    }
  };
  walk(parser.parse(markdown, {}));
  return found;
}

const inlines = (markdown: string): string[] =>
  parser
    .parse(markdown, {})
    .filter((t) => t.type === 'inline')
    .map(inlineText);
const fences = (markdown: string): string[] => parser.parse(markdown, {}).flatMap((t) => (t.type === 'fence' ? [t.content] : []));
const headings = (markdown: string): string[] => {
  const tokens = parser.parse(markdown, {});
  return tokens.flatMap((t, i) => (t.type === 'heading_open' ? [inlineText(tokens[i + 1]!)] : []));
};

const TITLE = 'Restore | the orders <b>store</b>';
const WARM_TAIL = 'cache | node `unreachable`\n```\n</details><script>alert(1)</script>';

/** A drill with an RPO (a backup found by backup.latest), a step retried, a step allowed to fail with hostile output, a manual checklist. */
const DRILL = (
  dir: string,
): string => `${header('orders-restore', JSON.stringify(TITLE), '  severity: P2\n')}objectives: { rto: 1h, rpo: 15m }
steps:
  - id: prepare
    title: Back the data up
    run: |
      mkdir -p ${dir}/backups
      backup=${dir}/backups/backup_1.tar.gz
      echo data > ${dir}/data.txt && tar -czf "$backup" -C ${dir} data.txt
      touch -d '6 minutes ago' "$backup"
  - id: find-backup
    title: Find the newest backup
    uses: backup.latest
    with: { location: "file://${dir}/backups/", match: "backup_*.tar.gz" }
  - id: fetch
    title: Fetch the backup | over a flaky link
    retries: { attempts: 3, delay: 100ms }
    budget: 1m
    run: |
      n=$(cat ${dir}/counter 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/counter
      if [ $n -lt 3 ]; then echo "connection reset | try $n" >&2; exit 7; fi
      echo fetched
  - id: warm-cache
    title: "Warm the cache \`(allowed to fail)\`"
    on_failure: continue
    run: |
      cat >&2 <<'EOF'
${WARM_TAIL.replace(/^/gm, '      ')}
      EOF
      exit 3
  - id: smoke
    title: Smoke-test the shop
    manual: |
      - [ ] The home page | loads <b>fast</b>
      - [ ] An order can be placed
`;

let ws: Workspace;
let report: Report;
let md: string;
let atEnd: string;

describe('the Markdown report of a real drill, reviewed afterwards', () => {
  beforeAll(() => {
    ws = workspace('drctl-md-');
    const file = ws.runbook('runbook.yaml', DRILL(ws.dir));
    const run = drctl(
      [
        'run',
        file,
        '--yes',
        '--accept-manual',
        '--drill',
        '--incident-start',
        '-20s',
        '--environment',
        'staging',
        '--participant',
        'Ana Ops, incident commander',
        '--participant',
        'Bo <b>Lee</b>, DBA | observer',
        '--state-dir',
        ws.stateDir,
        '--report',
        'md:out/run.md',
      ],
      { cwd: ws.dir },
    );
    expect(run.status, run.all).toBe(0);
    atEnd = ws.read('out/run.md');
    const runId = onlyRunId(ws.stateDir);
    const note = drctl(['note', runId, 'DBA | on call <b>confirms</b>\nsecond line', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(note.status, note.all).toBe(0);
    const review = drctl(
      [
        'review',
        runId,
        '--finding',
        'fetch needed 3 tries | the link is <i>flaky</i>',
        '--remediation',
        'replace the link; owner: Bo Lee; due: 2026-12-31',
        '--sign-off',
        'Carla Diaz, CISO',
        '--state-dir',
        ws.stateDir,
      ],
      { cwd: ws.dir },
    );
    expect(review.status, review.all).toBe(0);
    const shown = drctl(['report', runId, '--format', 'md', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(shown.status, shown.all).toBe(0);
    md = shown.stdout;
    report = readReport(ws.stateDir, runId);
    return () => ws.remove();
  }, 120_000);

  it('--report md:file writes the review layout at the end of the run; drctl report --format md adds what came after', () => {
    expect(headings(atEnd)).toEqual([
      `${TITLE} — DR drill report`,
      'Summary',
      'Timeline',
      'Attempts',
      'Error output',
      'Decisions',
      'Checklists',
      'Sign-off',
      'Participants and operators',
      'Communications',
      'Initial report (incident channel and stakeholders)',
      'Status page',
      'Recovery notice (stakeholders)',
    ]);
    expect(headings(md)).toEqual([
      `${TITLE} — DR drill report`,
      'Summary',
      'Timeline',
      'Attempts',
      'Error output',
      'Decisions',
      'Checklists',
      'Notes',
      'Findings',
      'Remediation',
      'Sign-off',
      'Participants and operators',
      'Communications',
      'Initial report (incident channel and stakeholders)',
      'Status page',
      'Recovery notice (stakeholders)',
    ]);
    // The only HTML is the report's own line break (in the two-line note).
    expect(htmlElements(atEnd)).toEqual([]);
    expect(new Set(htmlElements(md))).toEqual(new Set(['<br>']));
  });

  it('the summary: what happened and the verdicts, as report.json has them', () => {
    const summary = Object.fromEntries(tableOf(md, 'fact', 'value').slice(1) as Array<[string, string]>);
    expect(summary).toMatchObject({
      Run: `${report.run_id} (orders-restore)`,
      Scope: 'environment staging; severity P2',
      Status: `succeeded: ${report.outcome}`,
      'Incident start': report.incident_start,
      'RTO 1h': expect.stringMatching(/^recovery took \S+ since the incident start, met$/),
      'RPO 15m': expect.stringMatching(new RegExp(`^recovery point \\S+ before the incident \\(${report.rpo!.evidence}\\), met$`)),
      Journal: `${report.journal.entries} entries, head ${report.journal.head}`,
    });
    expect(inlines(md)).toContain(
      `A DR drill of orders-restore (run ${report.run_id}). The incident started at ${report.incident_start}; the run started at ${report.started_at} and ended at ${report.finished_at}. Outcome: ${report.outcome}. Steps: 5 (4 succeeded, 1 failed).`,
    );
  });

  it('the timeline: every step with its times and attempts as report.json has them; the retried step attempt by attempt; the failed step’s output whole', () => {
    const timeline = tableOf(md, '#', 'step', 'status');
    expect(timeline.map((row) => row[1])).toEqual([
      'step',
      'Back the data up (prepare)',
      'Find the newest backup (find-backup)',
      'Fetch the backup | over a flaky link (fetch)',
      'Warm the cache `(allowed to fail)` (warm-cache)',
      'Smoke-test the shop (smoke)',
    ]);
    for (const [i, s] of report.steps.entries()) {
      const row = timeline[i + 1]!;
      expect(row.slice(3), s.id).toEqual([
        String(s.attempts),
        s.budget_s === null ? '-' : expect.any(String),
        expect.any(String),
        s.over_budget ? 'yes' : '',
        s.started_at ?? '-',
        s.finished_at ?? '-',
        s.exit_code === null ? '' : String(s.exit_code),
        s.confirmed_by ?? '-',
      ]);
    }
    expect(timeline[3]![2]).toBe('succeeded');
    expect(timeline[3]![3]).toBe('3');
    expect(timeline[4]![2]).toMatch(/^failed, allowed: exit code 3/);
    const fetch = stepOf(report, 'fetch');
    expect(tableOf(md, 'step', 'attempt').filter((row) => row[0] === 'fetch')).toEqual(
      fetch.attempt_log.map((a) => [
        'fetch',
        String(a.attempt),
        a.started_at,
        a.finished_at,
        expect.any(String),
        String(a.exit_code),
        a.error ?? '',
      ]),
    );
    expect(fetch.attempt_log.map((a) => a.exit_code)).toEqual([7, 7, 0]);
    const outputs = fences(md);
    expect(outputs).toContain(`${stepOf(report, 'warm-cache').error_tail}\n`);
    expect(stepOf(report, 'warm-cache').error_tail).toBe(WARM_TAIL);
    expect(outputs).toContain('connection reset | try 1\n');
    expect(outputs).toContain('connection reset | try 2\n');
  });

  it('the decisions: every question the run asked, its answer and who gave it (--yes)', () => {
    expect(report.decisions.length).toBeGreaterThanOrEqual(3);
    expect(tableOf(md, 'at', 'step', 'question').slice(1)).toEqual(
      report.decisions.map((d) => [d.at, d.step ?? '-', d.question, d.answer, d.by ?? '-', expect.any(String)]),
    );
    expect(report.decisions.map((d) => [d.step, d.answer, d.by])).toEqual(
      expect.arrayContaining([
        ['warm-cache', 'continue', '--yes'],
        ['smoke', 'acknowledged', '--yes'],
      ]),
    );
  });

  it('the checklist, the note, the findings, the remediation and the sign-off read back as written', () => {
    const items = inlines(md);
    const smoke = stepOf(report, 'smoke').checklist!;
    expect(items).toContain(`[x] The home page | loads <b>fast</b> (acknowledged, ${smoke[0]!.at}, ${smoke[0]!.by})`);
    const note = report.notes[0]!;
    expect(items).toContain(`${note.at}, ${note.user}@${note.host}: DBA | on call <b>confirms</b>\nsecond line`);
    const finding = report.findings[0]!;
    expect(items).toContain(`${finding.at}, ${finding.by}: fetch needed 3 tries | the link is <i>flaky</i>`);
    const remediation = report.remediation[0]!;
    expect(tableOf(md, '#', 'action', 'owner').slice(1)).toEqual([
      ['1', 'replace the link', 'Bo Lee', '2026-12-31', `${remediation.at}, ${remediation.by}`],
    ]);
    const signOff = report.sign_offs[0]!;
    expect(signOff.covers).toMatch(/^[0-9a-f]{64}$/);
    expect(tableOf(md, 'name', 'role', 'signed at').slice(1)).toEqual([
      [
        'Carla Diaz',
        'CISO',
        signOff.at,
        signOff.covers === report.journal.head ? signOff.covers : `${signOff.covers} (entries were added after it)`,
        signOff.by,
      ],
    ]);
    expect(tableOf(md, 'participant', 'role').slice(1)).toEqual(
      report.participants.map((p) => [p.name, p.role ?? '-', p.at, p.added_by ?? '-']),
    );
    expect(report.participants.map((p) => p.name)).toEqual(['Ana Ops', 'Bo <b>Lee</b>']);
    expect(tableOf(md, 'session', 'at', 'operator').slice(1)).toEqual(
      report.operators.map((o) => ['started', o.at, `${o.user}@${o.host}`, o.terminal ?? '-', o.version ?? '-']),
    );
  });

  it('the announcements carry the run’s facts: detected at, downtime, the data-loss window of the backup used, the incident commander', () => {
    const [initial, statusPage, notice] = fences(md).slice(-3);
    expect(initial).toContain(`Subject: [DRILL] [P2] <service> outage - recovery in progress\n`);
    expect(initial).toContain(`Detected at: ${report.incident_start}\n`);
    expect(initial).toContain(`Procedure: orders-restore (drctl), run ${report.run_id}\n`);
    expect(initial).toContain('Estimated recovery: within 1h (the RTO)\n');
    expect(initial).toContain('Incident commander: Ana Ops\n');
    expect(statusPage).toMatch(/^Status: Resolved\n/);
    const backupAt = new Date(Date.parse(report.incident_start) - report.rpo!.achieved_s * 1000).toISOString();
    expect(notice).toContain(`Subject: [DRILL] [RESOLVED] <service> restored\n`);
    expect(notice).toMatch(new RegExp(`\\nDowntime: \\S+ since ${report.incident_start} \\(restored at ${report.finished_at}\\)\\n`));
    expect(notice).toContain(`\nData loss: changes after ${backupAt} (backup ${report.rpo!.evidence}), `);
    expect(notice).toContain(
      '\nActions taken:\n- Back the data up\n- Find the newest backup\n- Fetch the backup | over a flaky link\n- Smoke-test the shop\n',
    );
    expect(md).toContain('A drill: post to the drill channel only.');
  });
});

const FAILS = `${header('fails', 'Restore that fails')}objectives: { rto: 1h }
steps:
  - id: check
    title: Check the backup <i>first</i>
    run: |
      echo "gzip: backup | <b>unexpected</b> end of file" >&2
      exit 1
  - id: never
    title: Never reached
    run: echo never
`;

const SLOW = (dir: string): string => `${header('slow', 'Slow restore')}objectives: { rto: 1h }
steps:
  - id: restore
    title: Restore
    idempotent: true
    run: |
      if [ ! -f ${dir}/resumed ]; then touch ${dir}/started.flag ${dir}/resumed; sleep 60; fi
      echo restored
  - id: after
    title: After
    run: echo after
`;

describe('the Markdown report of a run that failed, and of one interrupted and resumed', () => {
  it('a failed run: its status, the failed step and its error output, and an update instead of a recovery notice', () => {
    const ws = workspace('drctl-md-');
    ws.runbook('rb.yaml', FAILS);
    const run = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, '--report', 'md:out/run.md'], { cwd: ws.dir });
    expect(run.status, run.all).toBe(1);
    const failed = readReport(ws.stateDir, onlyRunId(ws.stateDir));
    const text = ws.read('out/run.md');
    expect(htmlElements(text)).toEqual([]);
    const summary = Object.fromEntries(tableOf(text, 'fact', 'value').slice(1) as Array<[string, string]>);
    expect(summary).toMatchObject({ Status: `failed: ${failed.outcome}`, 'RTO 1h': 'no verdict (not recovered)' });
    const timeline = tableOf(text, '#', 'step', 'status');
    expect(timeline[1]!.slice(1, 3)).toEqual([
      'Check the backup <i>first</i> (check)',
      'failed: exit code 1 (expected 0): gzip: backup | <b>unexpected</b> end of file',
    ]);
    expect(timeline[2]!.slice(1, 4)).toEqual(['Never reached (never)', 'not_run', '0']);
    expect(fences(text)[0]).toBe('gzip: backup | <b>unexpected</b> end of file\n');
    expect(headings(text).slice(-3)).toEqual([
      'Initial report (incident channel and stakeholders)',
      'Status page (until the service is restored)',
      'Update (stakeholders)',
    ]);
    const update = fences(text).at(-1)!;
    expect(update).toContain(`Status: ${failed.outcome}\n`);
    expect(update).toMatch(new RegExp(`\\nDowntime so far: \\S+ since ${failed.incident_start}\\n`));
    expect(update).toContain('Data loss: <data-loss window: the run recorded no backup>\n');
    expect(text).not.toContain('DRILL');
  });

  it('an interrupted run resumed: the interruption with its resume, and both sessions', async () => {
    const ws = workspace('drctl-md-');
    ws.runbook('rb.yaml', SLOW(ws.dir));
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(() => ws.exists('started.flag'), 'the restore to start', 30_000);
    running.child.kill('SIGINT');
    expect((await exitWithin(running, 30_000)).code, running.stderr()).toBe(130);
    const runId = onlyRunId(ws.stateDir);
    const resumed = drctl(['resume', runId, '--yes', '--state-dir', ws.stateDir, '--report', 'md:out/run.md'], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
    const done = readReport(ws.stateDir, runId);
    const text = ws.read('out/run.md');
    expect(done.interruptions).toHaveLength(1);
    const stop = done.interruptions[0]!;
    expect(stop).toMatchObject({ step: 'restore', cause: 'signal', signal: 'SIGINT' });
    expect(tableOf(text, 'at', 'step', 'cause').slice(1)).toEqual([[stop.at, 'restore', 'signal SIGINT', stop.resumed_at]]);
    expect(stop.resumed_at).toBe(done.operators[1]!.at);
    expect(text).toContain(' It stopped once before its end (signal SIGINT) and was resumed once. Outcome: recovered in ');
    expect(tableOf(text, 'session', 'at', 'operator').map((row) => row[0])).toEqual(['session', 'started', 'resumed']);
    expect(tableOf(text, '#', 'step', 'status')[1]!.slice(2, 4)).toEqual(['succeeded', '2']);
  }, 120_000);
});
