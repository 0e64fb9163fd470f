import { Chalk } from 'chalk';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { displayWidth, hang, layout, terminalWidth, VERBATIM } from '../../../src/io/layout.js';
import { table } from '../../../src/io/table.js';

const colour = new Chalk({ level: 2 });
const widest = (text: string): number => Math.max(...text.split('\n').map(displayWidth));
const words = (text: string): string[] => stripVTControlCharacters(text).split(/\s+/).filter(Boolean);

const header =
  'Running Complete database loss (database-loss) · run database-loss-20261129T235734Z-5f3a · mode live · incident start 2026-11-29T23:57:34.000Z';

describe('layout: lines cut to the terminal width', () => {
  it('no line is wider than the width, and every word comes through whole, in order', () => {
    const text =
      'Reads the dump once end to end: the gzip must be intact, the dump must end with pg_dump\'s "dump complete" line (not cut off), and it must create at least one table.';
    for (const width of [20, 33, 40, 80]) {
      const out = layout(`  ${text}`, width);
      expect(widest(out)).toBeLessThanOrEqual(width);
      expect(words(out)).toEqual(words(text));
    }
  });

  it('breaks the run header between its " · " parts, never inside the timestamp', () => {
    for (const width of [80, 120, 60]) {
      const out = layout(header, width);
      expect(widest(out)).toBeLessThanOrEqual(width);
      expect(out.split('\n').some((line) => line.includes('incident start 2026-11-29T23:57:34.000Z'))).toBe(true);
    }
    expect(layout(header, 120)).toBe(
      'Running Complete database loss (database-loss) · run database-loss-20261129T235734Z-5f3a · mode live\n  · incident start 2026-11-29T23:57:34.000Z',
    );
  });

  it('continues a line two columns in from its own indentation', () => {
    expect(layout('  ✗ find-backup failed after 2s of 1m budget: no backup taken at or before the incident start', 40)).toBe(
      ['  ✗ find-backup failed after 2s of 1m', '    budget: no backup taken at or before', '    the incident start'].join('\n'),
    );
  });

  it('a word longer than the width stays whole on a line of its own', () => {
    const url = 'https://raw.githubusercontent.com/kubernetes/ingress-nginx/main/deploy/static/provider/aws/deploy.yaml';
    expect(layout(`  manifest ${url} is applied`, 40)).toBe(`  manifest\n    ${url}\n    is applied`);
  });

  it('measures what shows: colour codes count nothing, wide characters two', () => {
    expect(displayWidth(colour.red.bold('abc'))).toBe(3);
    expect(displayWidth('復元する')).toBe(8);
    expect(displayWidth('e\u0301t\u00e9')).toBe(3);
    const line = colour.bold('Step 3/12: Check that the database really is lost') + colour.dim('  [assess-database] · budget 30s');
    const out = layout(line, 40);
    expect(widest(out)).toBeLessThanOrEqual(40);
    expect(words(out)).toEqual(words(line));
    // Wide characters: 20 columns hold 10 of them, whatever their count in UTF-16.
    expect(widest(layout('データベース 復元 手順 バックアップ 確認 アプリケーション 停止', 20))).toBeLessThanOrEqual(20);
  });

  it('a style open at a break is closed at the line end and opened again after the indentation', () => {
    const out = layout(colour.strikethrough('one two three four five six seven eight'), 20).split('\n');
    expect(out.length).toBeGreaterThan(1);
    for (const line of out.slice(0, -1)) expect(line.endsWith('\u001b[0m')).toBe(true);
    for (const line of out.slice(1)) expect(line.startsWith('  \u001b[9m')).toBe(true);
  });

  it('a verbatim line is printed as it is; a hanging line continues under its mark', () => {
    const command = `  ${VERBATIM}$ kubectl get deployment backend worker -n payments -o jsonpath='{.items[*].status}'`;
    expect(layout(command, 40)).toBe("  $ kubectl get deployment backend worker -n payments -o jsonpath='{.items[*].status}'");
    expect(layout(`  ${hang(2)}- one two three four five six seven eight nine`, 20)).toBe(
      '  - one two three\n    four five six\n    seven eight nine',
    );
  });

  it('leaves alone characters of the private use area that text may hold (icon fonts)', () => {
    const icons = '\uE000 \uE001\uE0A0 branch \uE100 done';
    expect(layout(icons, 80)).toBe(icons);
    expect(words(layout(`${icons} ${'word '.repeat(20)}`, 30))).toEqual(words(`${icons} ${'word '.repeat(20)}`));
  });

  it('lays out for a terminal at its width, elsewhere for COLUMNS or not at all', () => {
    const tty = { isTTY: true, columns: 132 } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    expect(terminalWidth(tty, {})).toBe(132);
    expect(terminalWidth(tty, { COLUMNS: '60' })).toBe(132);
    expect(terminalWidth(pipe, {})).toBeUndefined();
    expect(terminalWidth(pipe, { COLUMNS: '100' })).toBe(100);
    expect(terminalWidth(pipe, { COLUMNS: 'wide' })).toBeUndefined();
    // No width: the lines stay whole, only the marks go.
    expect(layout(`  ${VERBATIM}a b c\n  ${hang(2)}- d e f`, undefined)).toBe('  a b c\n  - d e f');
  });
});

describe('tables that fit', () => {
  const rows = [
    ['kube_context', 'prod', '(option)'],
    ['verify_sql', 'SELECT count(*) FROM users; SELECT max(created_at) FROM orders; SELECT 1;', '(option)'],
  ];

  it('wraps the free-text column so the table fits and the columns stay aligned', () => {
    const out = table(rows, { width: 50, wrap: 1 });
    expect(widest(out)).toBeLessThanOrEqual(50);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^kube_context {2}prod +\(option\)$/);
    const column = lines[0]!.indexOf('prod');
    expect(lines[1]!.indexOf('SELECT')).toBe(column);
    for (const line of lines.slice(2)) expect(line.search(/\S/)).toBe(column);
    expect(words(out).sort()).toEqual(words(rows.flat().join(' ')).sort());
  });

  it('puts a long description under its row when the table cannot fit beside it', () => {
    const out = table(
      [
        ['database_url', 'string, secret, from $DATABASE_URL', 'Connection string of the database to restore INTO, reachable from here'],
        ['replicas', 'number, default 3', 'Replicas each deployment gets'],
      ],
      { width: 60, wrap: 1, below: 2 },
    );
    expect(layout(out, 60)).toBe(
      [
        'database_url  string, secret, from $DATABASE_URL',
        '    Connection string of the database to restore INTO,',
        '    reachable from here',
        'replicas      number, default 3',
        '    Replicas each deployment gets',
      ].join('\n'),
    );
  });

  it('is unchanged when it fits', () => {
    expect(table(rows.slice(0, 1), { width: 80, wrap: 1 })).toBe('kube_context  prod  (option)');
  });
});
