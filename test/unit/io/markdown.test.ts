import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { CommandView } from '../../../src/engine/plan.js';
import { displayWidth, layout } from '../../../src/io/layout.js';
import { renderMarkdown } from '../../../src/io/markdown.js';
import { formatCommand } from '../../../src/io/render-command.js';
import { PlainHost } from '../../../src/io/plain-host.js';
import { eventLine } from '../../../src/io/render-run.js';

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 2 });
const BOLD = '\u001b[1m';
const CYAN = '\u001b[36m';

/** What the operator reads: the Markdown rendered, then laid out at `width`. */
const shown = (text: string, style = plain, width = 80): string => layout(renderMarkdown(text, style).join('\n'), width);

const description = `Reads the dump once end to end: the gzip must be intact, the dump must end with pg_dump's
"dump complete" line (not cut off), and it must create at least one table. **If it answers and
holds tables, stop and reconsider.** Use \`--input backup_key=<its file name>\` and see
[the runbook format](https://example.com/format), *really* __now__.

Second paragraph.`;

describe('Markdown in descriptions and manual text', () => {
  it('joins the lines of a paragraph and keeps the blank line between paragraphs', () => {
    const out = shown(description, plain, 1000).split('\n');
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^Reads the dump .* "dump complete" line .* If it answers and holds tables/);
    expect(out[1]).toBe('');
    expect(out[2]).toBe('Second paragraph.');
  });

  it('without colour strips the markers cleanly: no ** or __, links as text (url), code keeps its backticks', () => {
    const out = shown(description, plain, 1000);
    expect(out).not.toMatch(/\*\*|__|\*really\*/);
    expect(out).toContain('If it answers and holds tables, stop and reconsider. Use `--input backup_key=<its file name>`');
    expect(out).toContain('see the runbook format (https://example.com/format), really now.');
  });

  it('with colour shows bold as bold and code in cyan, with no marker left', () => {
    const out = shown(description, colour, 1000);
    expect(out).toContain(`${BOLD}If it answers and holds tables, stop and reconsider.`);
    expect(out).toContain(`${CYAN}--input backup_key=<its file name>`);
    expect(out).not.toMatch(/\*\*|`/);
  });

  it('leaves what looks like markers alone inside words and code, and takes escapes literally', () => {
    const out = shown('Files `backup_*.sql.gz` from snake_case_name, 2 * 3 * 4, and \\*not emphasis\\*.', plain);
    expect(out).toBe('Files `backup_*.sql.gz` from snake_case_name, 2 * 3 * 4, and *not emphasis*.');
  });

  it('shows a masked secret (***) as it is, in colour and without, while ***both*** still reads as emphasis', () => {
    const text = 'Use password *** and pin ***, to postgres://app:***@db/shop. ***Stop*** first.';
    expect(shown(text, plain)).toBe('Use password *** and pin ***, to postgres://app:***@db/shop. Stop first.');
    expect(shown(text, colour)).toContain('password *** and pin ***, to postgres://app:***@db/shop.');
  });

  it('lists keep their numbers and hang their continuation lines under the text; checklists show ☐ and ☑', () => {
    const text = `1. Make sure an incident commander is named.
2. Post the initial report in the incident channel and by email to stakeholders, with the
   status page link.
- [ ] All pods running and healthy (\`kubectl get pods -A\`)
- [x] Database connectivity verified
* a star bullet`;
    expect(shown(text, plain, 50)).toBe(
      [
        '1. Make sure an incident commander is named.',
        '2. Post the initial report in the incident channel',
        '   and by email to stakeholders, with the status',
        '   page link.',
        '☐ All pods running and healthy (`kubectl get pods',
        '  -A`)',
        '☑ Database connectivity verified',
        '- a star bullet',
      ].join('\n'),
    );
  });

  it('prints code blocks as written: fenced, and indented inside a list item (a message template)', () => {
    const text = `2. Post the initial report:

       Subject: [P0] <service> outage - database recovery in progress, a line longer than the width
       Status:  Recovery in progress

3. Then:

\`\`\`
psql -c "SELECT 1"    # two   spaces
\`\`\``;
    const out = shown(text, colour, 40).split('\n');
    expect(out).toContain('       Subject: [P0] <service> outage - database recovery in progress, a line longer than the width');
    expect(out).toContain('       Status:  Recovery in progress');
    expect(out).toContain('psql -c "SELECT 1"    # two   spaces');
    expect(out).not.toContain('```');
  });

  it('a heading is bold without its hashes; a line ended by two spaces keeps its break', () => {
    expect(shown('## What to check\nfirst line  \nsecond line', colour)).toBe(`${BOLD}What to check\u001b[22m\nfirst line\nsecond line`);
  });

  it('a reflowed description fits the width with every word whole', () => {
    for (const width of [40, 80]) {
      const out = shown(description, colour, width);
      expect(Math.max(...out.split('\n').map(displayWidth))).toBeLessThanOrEqual(width);
    }
  });
});

describe("an action's arguments", () => {
  const view: CommandView = {
    kind: 'uses',
    action: 'postgres.check',
    with: {
      url: 'postgres://app:***@db.internal:5432/orders',
      checks: [
        {
          name: 'tables restored',
          sql: "SELECT count(*) FROM pg_class c\n WHERE c.relkind IN ('r', 'p')\n   AND n.nspname NOT LIKE 'pg\\_toast%'\n",
          expect: { gte: 1 },
        },
      ],
    },
  };

  it('are shown as YAML: a multi-line query reads as written, with no \\n escapes and no JSON', () => {
    expect(formatCommand(view, plain, '  ')).toBe(
      [
        '  uses postgres.check',
        '      url: postgres://app:***@db.internal:5432/orders',
        '      checks:',
        '        - name: tables restored',
        '          sql: |',
        '            SELECT count(*) FROM pg_class c',
        "             WHERE c.relkind IN ('r', 'p')",
        "               AND n.nspname NOT LIKE 'pg\\_toast%'",
        '          expect:',
        '            gte: 1',
      ].join('\n'),
    );
  });

  it('a masked secret shows as ***, as everywhere else', () => {
    const masked: CommandView = { kind: 'uses', action: 'http.check', with: { url: '***', headers: ['***'] } };
    expect(formatCommand(masked, plain, '')).toBe('uses http.check\n    url: ***\n    headers:\n      - ***');
  });

  it('a long argument wraps under its key; an action without arguments shows only its name', () => {
    const long: CommandView = {
      kind: 'uses',
      action: 'http.check',
      with: { url: 'https://api.example.com/health', note: 'word '.repeat(30).trim() },
    };
    const out = layout(formatCommand(long, plain, '  '), 60);
    expect(Math.max(...out.split('\n').map(displayWidth))).toBeLessThanOrEqual(60);
    expect(out.split('\n')[3]).toMatch(/^ {8}word/);
    expect(formatCommand({ kind: 'uses', action: 'backup.latest', with: {} }, plain, '  ')).toBe('  uses backup.latest');
  });

  it('a command is printed as it runs, never wrapped; manual text is Markdown', () => {
    const command = 'kubectl get deployment backend worker -n payments -o jsonpath={.items[*].status.readyReplicas}';
    expect(layout(formatCommand({ kind: 'run', display: `${command}\n` }, plain, '  '), 40)).toBe(`  $ ${command}`);
    const manual = layout(formatCommand({ kind: 'manual', display: '- [ ] **Post** the `status` update\n' }, plain, '  '), 80);
    expect(manual).toBe('  manual: ☐ Post the `status` update');
  });
});

describe('a checklist item as answered', () => {
  const item = { type: 'manual.item', step: 'verify', index: 2, total: 3, wait_ms: 1200 } as const;

  it('shows its Markdown rendered: no raw ** left, code in cyan, or in backticks without colour', () => {
    const text = '**TLS** certificates issued (`kubectl get certificates -A`)';
    expect(eventLine({ ...item, text, answer: 'done' }, plain)).toBe('  ✓ 2/3 TLS certificates issued (`kubectl get certificates -A`)');
    expect(eventLine({ ...item, text, answer: 'done' }, colour)).toContain(`${CYAN}kubectl get certificates -A`);
    expect(eventLine({ ...item, text, answer: 'skipped' }, colour)).toContain(
      'skipped: TLS certificates issued (`kubectl get certificates -A`)',
    );
  });
});

describe('a manual step under --yes --accept-manual', () => {
  it('names the first line of its text with the Markdown rendered, cut to COLUMNS', async () => {
    let written = '';
    const out = { isTTY: false, write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream;
    const previous = process.env.COLUMNS;
    process.env.COLUMNS = '60';
    try {
      const text = '**Post** the initial report in `#incident` and by email to everyone on the list\n\nmore';
      await new PlainHost(out, out).ask({ kind: 'manual.done', id: 'announce', text, default: 'acknowledged' });
    } finally {
      if (previous === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = previous;
    }
    expect(written).toBe(
      '  manual step acknowledged (--accept-manual): Post the\n    initial report in `#incident` and by email to everyone\n    on the list\n',
    );
  });
});
