import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import type { ReportStep, RunReport } from '../../../src/report/build.js';
import { mdCode, mdFenced, mdText, renderMarkdown } from '../../../src/report/markdown.js';

/**
 * The Markdown report read back by a real Markdown parser (markdown-it, with raw HTML allowed as
 * GitHub allows it): whatever a runbook's titles, an operator's notes and answers or a command's
 * output hold, each table keeps its cells, no HTML element appears that the report did not write
 * itself (its `<br>` line breaks), and every text reads back exactly as it was.
 */

const parser = new MarkdownIt({ html: true });

type Token = ReturnType<typeof parser.parse>[number];

/** The text a reader sees in an inline token: escapes resolved, code spans' content, `<br>` as a line break. */
function inlineText(token: Token): string {
  return (token.children ?? [])
    .map((c) => {
      if (c.type === 'text' || c.type === 'text_special' || c.type === 'code_inline') return c.content;
      if (c.type === 'html_inline') return c.content === '<br>' ? '\n' : `<<HTML ${c.content}>>`;
      if (c.type === 'softbreak' || c.type === 'hardbreak') return '\n';
      return '';
    })
    .join('');
}

/** Every table of the document: rows of cells, as a reader sees them. */
function tables(markdown: string): string[][][] {
  const out: string[][][] = [];
  let inCell = false;
  for (const token of parser.parse(markdown, {})) {
    if (token.type === 'table_open') out.push([]);
    else if (token.type === 'tr_open') out.at(-1)!.push([]);
    else if (token.type === 'th_open' || token.type === 'td_open') inCell = true;
    else if (token.type === 'th_close' || token.type === 'td_close') inCell = false;
    else if (token.type === 'inline' && inCell) out.at(-1)!.at(-1)!.push(inlineText(token));
  }
  return out;
}

/** The table whose header starts with `first`. */
function tableOf(markdown: string, ...header: string[]): string[][] {
  const found = tables(markdown).find((t) => header.every((h, i) => t[0]![i] === h));
  if (!found) throw new Error(`no table with header ${header.join(' | ')} in:\n${markdown}`);
  return found;
}

/** Every HTML element the parser finds in the document, inline or as a block. */
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

const headings = (markdown: string): string[] => {
  const tokens = parser.parse(markdown, {});
  return tokens.flatMap((t, i) => (t.type === 'heading_open' ? [`${t.tag} ${inlineText(tokens[i + 1]!)}`] : []));
};

const fences = (markdown: string): string[] => parser.parse(markdown, {}).flatMap((t) => (t.type === 'fence' ? [t.content] : []));

const T0 = Date.parse('2026-11-29T02:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

function step(id: string, title: string, extra: Partial<ReportStep> = {}): ReportStep {
  return {
    id,
    title,
    status: 'succeeded',
    attempts: 1,
    budget_s: 60,
    duration_s: 30,
    waiting_s: 0,
    over_budget: false,
    exit_code: 0,
    outputs: {},
    started_at: at(1),
    finished_at: at(2),
    confirmed_by: 'ana@ops-1',
    attempt_log: [],
    ...extra,
  };
}

function report(extra: Partial<RunReport> = {}): RunReport {
  return {
    run_id: '20261129T020000Z-restore',
    runbook: 'database-loss',
    title: 'Complete database loss',
    mode: 'drill',
    status: 'succeeded',
    incident_start: at(0),
    started_at: at(1),
    finished_at: at(20),
    elapsed_s: 1200,
    failed_step: null,
    outcome: 'recovered in 20m',
    rto: { target_s: 3600, elapsed_s: 1200, met: true, verdict: 'met' },
    rpo: { target_s: 900, achieved_s: 420, met: true, evidence: 's3://bkt/backup_0153.sql.gz', verdict: 'met' },
    time: { running_s: 900, waiting_for_operator_s: 300 },
    steps: [step('restore', 'Restore the database')],
    exit_code: 0,
    notes: [],
    operators: [{ session: 'run', at: at(1), user: 'ana', host: 'ops-1', terminal: 'pts/3', version: '0.1.0' }],
    incident_start_corrections: [],
    tool: { name: 'drctl', version: '0.1.0' },
    runbook_file: { path: 'runbooks/database-loss.yaml', digest: 'ab'.repeat(32), version: '3' },
    scope: { environment: 'staging', severity: 'P0', owner: 'platform', tags: ['postgres'] },
    participants: [],
    findings: [],
    remediation: [],
    sign_offs: [],
    cleanup: [],
    integrity: [],
    decisions: [],
    interruptions: [],
    drill_every_s: null,
    next_drill_due: null,
    journal: { entries: 42, head: 'ef'.repeat(32) },
    ...extra,
  };
}

const HOSTILE = [
  'a | b',
  '<script>alert(1)</script>',
  '</details>',
  'first line\nsecond line',
  'back `ticks` and ``` fences',
  ']]> the end of CDATA',
  '# not a heading',
  '- not a list',
  '> not a quote',
  '1. not a numbered list',
  '[a link](javascript:alert(1)) ![an image](x.png)',
  '&lt;b&gt; stays as typed, and &amp;',
  'back\\slash \\| pipe \\',
  '*not emphasis* _nor this_ ~~nor this~~',
  '<img src=x onerror=alert(1)>',
  'trailing pipe |',
  '---',
  '+ plus',
  '--yes and 0.1.0 stay as they are',
];

describe('Markdown that stays Markdown', () => {
  const hostileSteps = HOSTILE.map((title, i) =>
    step(`s${i}`, title, {
      reason: i === 0 ? 'exit code 1 | see <b>the log</b>' : undefined,
      error_tail: i === 0 ? HOSTILE.join('\n') : undefined,
      status: i === 0 ? 'failed' : 'succeeded',
      continued: i === 0 ? true : undefined,
      confirmed_by: title,
    } as Partial<ReportStep>),
  );
  const hostile = report({
    title: 'Restore | <script>alert(1)</script>\n# `x`',
    steps: hostileSteps.map((s) => {
      const clean = { ...s };
      for (const key of ['reason', 'continued', 'error_tail'] as const) if (clean[key] === undefined) delete clean[key];
      return clean;
    }),
    notes: HOSTILE.map((text, i) => ({ at: at(i), user: 'ana', host: 'ops-1', text })),
    decisions: HOSTILE.map((text, i) => ({
      at: at(i),
      step: `s${i}`,
      question: text,
      answer: `${text} | answer`,
      wait_s: 5,
      by: 'ana@ops-1',
    })),
    findings: HOSTILE.map((text, i) => ({ at: at(i), by: 'ana@ops-1', text })),
    remediation: HOSTILE.map((text, i) => ({ at: at(i), by: 'ana@ops-1', text, owner: text, due: i % 2 ? '2026-12-31' : null })),
    participants: HOSTILE.map((name, i) => ({ name, role: 'observer | <b>', at: at(i), added_by: null })),
    sign_offs: [{ at: at(30), name: '</details><script>x</script>', role: 'CISO | auditor', by: 'bo@ops-2', covers: 'cd'.repeat(32) }],
    cleanup: [{ path: '/tmp/a|b`c`.sql', kind: 'file', step: 's1', status: 'failed', error: 'EACCES | <denied>', at: at(21) }],
  });
  const md = renderMarkdown(hostile);

  it('every table keeps its cells: each hostile text reads back whole, in its own cell, and the cells after it are intact', () => {
    const timeline = tableOf(md, '#', 'step', 'status');
    expect(timeline[0]).toEqual([
      '#',
      'step',
      'status',
      'attempts',
      'budget',
      'actual',
      'over budget',
      'started',
      'finished',
      'exit code',
      'confirmed by',
    ]);
    expect(timeline).toHaveLength(HOSTILE.length + 1);
    HOSTILE.forEach((title, i) => {
      const row = timeline[i + 1]!;
      expect(row[1], title).toBe(`${title} (s${i})`);
      expect(row.at(-1), title).toBe(title);
      expect(row[3], title).toBe('1');
    });
    expect(timeline[1]![2]).toBe('failed, allowed: exit code 1 | see <b>the log</b>');

    const decisions = tableOf(md, 'at', 'step', 'question');
    HOSTILE.forEach((text, i) => expect(decisions[i + 1]!.slice(2)).toEqual([text, `${text} | answer`, 'ana@ops-1', '5s']));
    const remediation = tableOf(md, '#', 'action', 'owner');
    HOSTILE.forEach((text, i) =>
      expect(remediation[i + 1]).toEqual([String(i + 1), text, text, i % 2 ? '2026-12-31' : 'none', `${at(i)}, ana@ops-1`]),
    );
    const participants = tableOf(md, 'participant', 'role');
    HOSTILE.forEach((name, i) => expect(participants[i + 1]).toEqual([name, 'observer | <b>', at(i), '-']));
    expect(tableOf(md, 'name', 'role', 'signed at')[1]).toEqual([
      '</details><script>x</script>',
      'CISO | auditor',
      at(30),
      `${'cd'.repeat(32)} (entries were added after it)`,
      'bo@ops-2',
    ]);
    expect(tableOf(md, 'path', 'kind')[1]).toEqual(['/tmp/a|b`c`.sql', 'file', 's1', 'failed: EACCES | <denied>', at(21)]);
    // Every row of every table has as many cells in the source as its header: none was split or merged.
    for (const line of md.split('\n').filter((l) => l.startsWith('| '))) {
      const cells = line.replace(/\\\\/g, '').split(/(?<!\\)\|/).length;
      const table = md.split('\n\n').find((block) => block.split('\n').includes(line))!;
      expect(cells, line).toBe(table.split('\n')[0]!.split('|').length);
    }
  });

  it('no HTML element appears but the <br> line breaks the report writes itself, and nothing becomes a link, an image or a heading', () => {
    expect(new Set(htmlElements(md))).toEqual(new Set(['<br>']));
    expect(fences(md)[0]).toBe(`${HOSTILE.join('\n')}\n`);
    const html = parser.render(md);
    expect(html).not.toMatch(/<(script|details|img|a|em|s|del|blockquote|ol)\b/);
    expect(headings(md)).toEqual([
      'h1 Restore | <script>alert(1)</script> # `x` — DR drill report',
      'h2 Summary',
      'h2 Timeline',
      'h2 Error output',
      'h2 Decisions',
      'h2 Notes',
      'h2 Findings',
      'h2 Remediation',
      'h2 Sign-off',
      'h2 Participants and operators',
      'h2 Cleanup',
      'h2 Communications',
      'h3 Initial report (incident channel and stakeholders)',
      'h3 Status page',
      'h3 Recovery notice (stakeholders)',
    ]);
  });

  it('notes and findings are list items that read back as written, line breaks kept', () => {
    const items = parser
      .parse(md, {})
      .filter((t) => t.type === 'inline')
      .map(inlineText);
    HOSTILE.forEach((text, i) => {
      expect(items).toContain(`${at(i)}, ana@ops-1: ${text}`);
    });
    // Once as a note, once as a finding.
    expect(items.filter((t) => t === `${at(3)}, ana@ops-1: first line\nsecond line`)).toHaveLength(2);
  });

  it('error output sits in a fence longer than any backtick run it holds, and reads back byte for byte', () => {
    const tail = 'line | one\n```\n</details><script>x</script>\n`````\n]]>';
    const out = renderMarkdown(report({ steps: [step('bad', 'Bad', { status: 'failed', exit_code: 1, error_tail: tail })] }));
    expect(fences(out)).toContain(`${tail}\n`);
    expect(out).toContain('``````\nline | one');
    expect(new Set(htmlElements(out))).toEqual(new Set());
  });

  it('the escaping helpers: text, code spans and fences read back as given', () => {
    for (const text of HOSTILE) {
      const inline = parser.parseInline(mdText(text), {})[0]!;
      expect(inlineText(inline)).toBe(text);
      const flat = text.replace(/\n/g, ' ');
      expect(inlineText(parser.parseInline(mdCode(flat), {})[0]!), text).toBe(flat);
      expect(fences(mdFenced(text))).toEqual([`${text}\n`]);
    }
    expect(mdText('--yes 0.1.0')).toBe('--yes 0.1.0');
    expect(mdCode('``')).toBe('``` `` ```');
    expect(mdCode('a|b', true)).toBe('`a\\|b`');
  });
});

describe('the post-incident review layout', () => {
  it('summary: what happened, then the facts and the verdicts (RTO, RPO, integrity, outcome)', () => {
    const md = renderMarkdown(
      report({
        integrity: [
          { step: 'check', at: at(19), database: 'shop', compared_with: 's3://bkt/m.json', tables: 2, rows: 10, differences: [], ok: true },
        ],
        drill_every_s: 90 * 86_400,
        next_drill_due: '2027-02-27T02:20:00.000Z',
      }),
    );
    expect(md).toContain(
      '## Summary\n\nA DR drill of `database-loss` (run `20261129T020000Z-restore`). The incident started at 2026-11-29T02:00:00.000Z; the run started at 2026-11-29T02:01:00.000Z and ended at 2026-11-29T02:20:00.000Z. Outcome: recovered in 20m. Steps: 1 (1 succeeded).\n',
    );
    const summary = Object.fromEntries(tableOf(md, 'fact', 'value').slice(1) as Array<[string, string]>);
    expect(summary).toEqual({
      Run: '20261129T020000Z-restore (database-loss)',
      'Runbook file': `runbooks/database-loss.yaml, version 3, sha256 ${'ab'.repeat(32)}`,
      Scope: 'environment staging; severity P0; owner platform; tags postgres',
      drctl: '0.1.0',
      Status: 'succeeded: recovered in 20m',
      'Incident start': at(0),
      'Started / finished': `${at(1)} / ${at(20)}`,
      'RTO 1h': 'recovery took 20m since the incident start, met',
      'RPO 15m': 'recovery point 7m before the incident (s3://bkt/backup_0153.sql.gz), met',
      Integrity: 'check: shop matches s3://bkt/m.json: 2 tables, 10 rows',
      'Time running / waiting for the operator': '15m / 5m',
      Journal: `42 entries, head ${'ef'.repeat(32)}`,
      'Next drill due': '2027-02-27T02:20:00.000Z (every 90d)',
    });
  });

  it('summary: the step tally counts every status, steps the rollback undid too', () => {
    const md = renderMarkdown(
      report({
        status: 'rolled_back',
        finished_at: at(20),
        outcome: 'rolled back',
        rto: { target_s: 3600, elapsed_s: 1200, met: false, verdict: 'not recovered' },
        steps: [
          step('fetch', 'Fetch the backup', { status: 'rolled_back' }),
          step('stop', 'Stop the writers', { status: 'rolled_back' }),
          step('restore', 'Restore the database', { status: 'failed', exit_code: 1 }),
          step('smoke', 'Smoke test', { status: 'not_run', started_at: null, finished_at: null, duration_s: null }),
        ],
      }),
    );
    expect(md).toContain('Steps: 4 (1 failed, 2 rolled back, 1 not run).');
  });

  it('a journal whose incident start is no time (edited by hand) still gives a report, the data-loss window without its date', () => {
    const md = renderMarkdown(report({ incident_start: 'soon' }));
    expect(md).toContain('Data loss: changes after the backup s3://bkt/backup_0153.sql.gz, 7m before the incident (RPO 15m)');
  });

  it('a missed objective and a differing fingerprint are in bold', () => {
    const md = renderMarkdown(
      report({
        rto: { target_s: 600, elapsed_s: 1200, met: false, verdict: 'missed' },
        integrity: [
          {
            step: 'check',
            at: at(19),
            database: 'shop',
            compared_with: 'm',
            tables: 2,
            rows: 9,
            differences: ['public.orders: 8 rows'],
            ok: false,
          },
        ],
      }),
    );
    expect(md).toContain('| RTO 10m | recovery took 20m since the incident start, **missed** |');
    expect(md).toContain('| Integrity | `check`: **shop differs from m: public.orders: 8 rows** |');
  });

  it('timeline: every step with its start, finish, time against budget, attempts with their exit codes, who confirmed it; interruptions', () => {
    const flaky = step('flaky', 'Fails twice then succeeds', {
      attempts: 3,
      over_budget: true,
      duration_s: 90,
      attempt_log: [1, 2, 3].map((n) => ({
        attempt: n,
        started_at: at(n),
        finished_at: at(n + 0.5),
        duration_s: 30,
        exit_code: n < 3 ? 1 : 0,
        error: n < 3 ? 'exit code 1 (expected 0)' : null,
        error_tail: n < 3 ? `attempt ${n} failed` : null,
        output_tail: null,
      })),
    });
    const manual = step('announce', 'Announce the incident', {
      duration_s: 0,
      waiting_s: 45,
      exit_code: null,
      budget_s: null,
      confirmed_by: null,
    });
    const md = renderMarkdown(
      report({
        status: 'succeeded',
        steps: [
          manual,
          flaky,
          step('later', 'Not reached', {
            status: 'not_run',
            started_at: null,
            finished_at: null,
            duration_s: null,
            attempts: 0,
            exit_code: null,
            confirmed_by: null,
          }),
        ],
        interruptions: [{ at: at(5), step: 'flaky', cause: 'signal', signal: 'SIGINT', resumed_at: at(6) }],
      }),
    );
    const timeline = tableOf(md, '#', 'step', 'status');
    expect(timeline.slice(1)).toEqual([
      ['1', 'Announce the incident (announce)', 'succeeded', '1', '-', '45s', '', at(1), at(2), '', '-'],
      ['2', 'Fails twice then succeeds (flaky)', 'succeeded', '3', '1m', '1m30s', 'yes', at(1), at(2), '0', 'ana@ops-1'],
      ['3', 'Not reached (later)', 'not_run', '0', '1m', '-', '', '-', '-', '', '-'],
    ]);
    expect(tableOf(md, 'step', 'attempt').slice(1)).toEqual([
      ['flaky', '1', at(1), at(1.5), '30s', '1', 'exit code 1 (expected 0)'],
      ['flaky', '2', at(2), at(2.5), '30s', '1', 'exit code 1 (expected 0)'],
      ['flaky', '3', at(3), at(3.5), '30s', '0', ''],
    ]);
    expect(tableOf(md, 'at', 'step', 'cause').slice(1)).toEqual([[at(5), 'flaky', 'signal SIGINT', at(6)]]);
    expect(md).toContain('. It stopped once before its end (signal SIGINT) and was resumed once. Outcome: recovered in 20m.');
    expect(fences(md).slice(0, 2)).toEqual(['attempt 1 failed\n', 'attempt 2 failed\n']);
    expect(md).toContain('Attempt 1 of `flaky` (exit code 1), last lines of its error output:');
  });

  it('decisions, findings, remediation without an owner, sign-off, participants and operators', () => {
    const md = renderMarkdown(
      report({
        decisions: [{ at: at(3), step: 'restore', question: 'Step 1/1: Restore the database', answer: 'run', wait_s: 12, by: 'ana@ops-1' }],
        findings: [{ at: at(40), by: 'bo@ops-2', text: 'the restore took twice its budget' }],
        remediation: [{ at: at(41), by: 'bo@ops-2', text: 'parallel restore', owner: null, due: null }],
        sign_offs: [
          { at: at(50), name: 'Carla Diaz', role: 'CISO', by: 'carla@ops-3', covers: 'ef'.repeat(32) },
          { at: at(51), name: 'Dan', role: null, by: 'dan@ops-4', covers: null },
        ],
        participants: [{ name: 'Ana', role: 'incident commander', at: at(1), added_by: 'ana@ops-1' }],
        operators: [
          { session: 'run', at: at(1), user: 'ana', host: 'ops-1', terminal: 'pts/3', version: '0.1.0' },
          { session: 'resume', at: at(6), user: 'bo', host: 'ops-2', terminal: null, version: null },
        ],
      }),
    );
    expect(tableOf(md, 'at', 'step', 'question').slice(1)).toEqual([
      [at(3), 'restore', 'Step 1/1: Restore the database', 'run', 'ana@ops-1', '12s'],
    ]);
    expect(md).toContain(`## Findings\n\n- ${at(40)}, bo@ops-2: the restore took twice its budget\n`);
    expect(md).toContain(`| 1 | parallel restore | **none** | **none** | ${at(41)}, bo@ops-2 |`);
    expect(tableOf(md, 'name', 'role', 'signed at').slice(1)).toEqual([
      ['Carla Diaz', 'CISO', at(50), 'ef'.repeat(32), 'carla@ops-3'],
      ['Dan', '-', at(51), '-', 'dan@ops-4'],
    ]);
    expect(tableOf(md, 'participant').slice(1)).toEqual([['Ana', 'incident commander', at(1), 'ana@ops-1']]);
    expect(tableOf(md, 'session').slice(1)).toEqual([
      ['started', at(1), 'ana@ops-1', 'pts/3', '0.1.0'],
      ['resumed', at(6), 'bo@ops-2', '-', '-'],
    ]);
    // The incident commander named among the participants signs the initial report.
    expect(fences(md)[0]).toContain('Incident commander: Ana\n');
  });

  it('without a review yet: not signed off, no participants; no empty sections', () => {
    const md = renderMarkdown(report());
    expect(md).toContain('## Sign-off\n\nNot signed off.\n');
    expect(md).toContain('## Participants and operators\n\nNo participants were recorded.\n');
    for (const title of ['Decisions', 'Notes', 'Findings', 'Remediation', 'Checklists', 'Error output', 'Cleanup'])
      expect(md).not.toContain(`## ${title}`);
    expect(tables(md).every((t) => t.length > 1)).toBe(true);
  });
});

describe('the announcements, filled with the run’s facts', () => {
  it('a drill that recovered: detected at, total downtime, data-loss window from the backup used, actions taken, verification', () => {
    const md = renderMarkdown(
      report({
        steps: [
          step('find-backup', 'Find the latest backup'),
          step('restore', 'Restore the database'),
          step('skip', 'Skipped', { status: 'skipped' }),
        ],
        integrity: [
          { step: 'check', at: at(19), database: 'shop', compared_with: 's3://bkt/m.json', tables: 2, rows: 10, differences: [], ok: true },
        ],
      }),
    );
    const [initial, statusPage, notice] = fences(md);
    expect(md).toContain('left in `<angle brackets>` for you to fill in before posting. A drill: post to the drill channel only.');
    expect(initial).toBe(
      [
        'Subject: [DRILL] [P0] <service> outage - recovery in progress',
        'Status: Recovery in progress      Impact: <impact>',
        'Detected at: 2026-11-29T02:00:00.000Z',
        'Procedure: database-loss (drctl), run 20261129T020000Z-restore',
        'Estimated recovery: within 1h (the RTO)',
        'Incident commander: <name>',
        'Next update: <time>',
        '',
      ].join('\n'),
    );
    expect(statusPage).toBe(
      'Status: Resolved\nTitle: <service> restored\nMessage: The outage that began at 2026-11-29T02:00:00.000Z is resolved; the service was restored after 20m.\n',
    );
    expect(notice).toBe(
      [
        'Subject: [DRILL] [RESOLVED] <service> restored',
        'Downtime: 20m since 2026-11-29T02:00:00.000Z (restored at 2026-11-29T02:20:00.000Z)',
        'Root cause: <cause>',
        'Data loss: changes after 2026-11-29T01:53:00.000Z (backup s3://bkt/backup_0153.sql.gz), 7m before the incident (RPO 15m)',
        'Actions taken:',
        '- Find the latest backup',
        '- Restore the database',
        'Verification:',
        '- shop matches s3://bkt/m.json: 2 tables, 10 rows',
        'Post-incident review: <date, within 48 hours>',
        '',
      ].join('\n'),
    );
  });

  it('a real run that failed: an update with the downtime so far; placeholders only for what the run cannot know', () => {
    const md = renderMarkdown(
      report({
        mode: 'real',
        status: 'failed',
        finished_at: at(12),
        elapsed_s: 720,
        failed_step: 'restore',
        rto: null,
        rpo: null,
        scope: { environment: null, severity: null, owner: null, tags: [] },
        steps: [step('restore', 'Restore', { status: 'failed', exit_code: 1 })],
      }),
    );
    expect(headings(md).slice(-3)).toEqual([
      'h3 Initial report (incident channel and stakeholders)',
      'h3 Status page (until the service is restored)',
      'h3 Update (stakeholders)',
    ]);
    const [initial, statusPage, update] = fences(md);
    expect(initial).toContain('Subject: [<severity>] <service> outage - recovery in progress\n');
    expect(initial).toContain('Estimated recovery: <estimate>\n');
    expect(statusPage).toBe(
      'Status: Investigating\nTitle: <service> outage - recovery in progress\nMessage: We are recovering from an outage that began at 2026-11-29T02:00:00.000Z. Next update: <time>.\n',
    );
    expect(update).toBe(
      [
        'Subject: [UPDATE] <service> outage - recovery in progress',
        'Status: not recovered (failed at restore after 12m)',
        'Downtime so far: 12m since 2026-11-29T02:00:00.000Z',
        'Data loss: <data-loss window: the run recorded no backup>',
        'Procedure: database-loss (drctl), run 20261129T020000Z-restore',
        'Next update: <time>',
        '',
      ].join('\n'),
    );
    expect(md).not.toContain('DRILL');
  });
});

describe('an interrupted run', () => {
  it('is said to be interrupted, not to have ended', () => {
    const md = renderMarkdown(report({ status: 'interrupted', finished_at: '2026-11-29T02:20:00.000Z', exit_code: 130 }));
    expect(md).toContain('was interrupted at 2026-11-29T02:20:00.000Z and has not ended');
    expect(md).not.toContain('ended at 2026-11-29T02:20:00.000Z');
  });
});
