import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, requireBuild, ROOT } from './drctl.js';

/**
 * `show` and `plan` of every shipped runbook laid out for 80 columns: no line is wider, but for a
 * line printed as it is, which is a line of a command (from the runbook, or as `plan --json`
 * resolves it) or a single word longer than the line.
 */

const WIDTH = 80;
const RUNBOOKS = readdirSync(join(ROOT, 'runbooks'))
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => file.replace(/\.yaml$/, ''));

/** Columns on a terminal: none of drctl's own symbols (·, ✓, ☐, │) is a wide character. */
const columns = (line: string): number => [...line].length;

/** Every line of every string in a JSON value, trimmed: the commands and arguments as written or resolved. */
function linesIn(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const line of value.split('\n')) into.add(line.trim());
  else if (Array.isArray(value)) for (const item of value) linesIn(item, into);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) linesIn(item, into);
  return into;
}

/** Run ids and times differ between two runs of `plan`. */
const normal = (line: string): string =>
  line.replace(/\b[a-z0-9-]+-\d{8}T\d{6}Z-[0-9a-f]{4}\b/g, '<run-id>').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>');

/** The lines wider than the width that are neither a command's line nor one unbreakable word. */
function tooWide(output: string, commands: Set<string>): string[] {
  const known = new Set([...commands].map(normal));
  return output
    .split('\n')
    .filter((line) => columns(line) > WIDTH)
    .filter((line) => {
      const text = normal(line.trim().replace(/^(\$|manual:) /, ''));
      return !known.has(text) && /\s/.test(text);
    });
}

/** The lines of the actions' arguments: those under a "uses <action>" line, indented deeper. */
function argumentLines(output: string): string[] {
  const lines: string[] = [];
  let under: number | undefined;
  for (const line of output.split('\n')) {
    const indent = line.search(/\S/);
    if (under !== undefined && indent > under) lines.push(line);
    else under = /^\s+uses \S+$/.test(line) ? indent : undefined;
  }
  return lines;
}

/** A value for each input the runbook requires. */
function requiredInputs(name: string): string[] {
  const doc = parse(readFileSync(join(ROOT, 'runbooks', `${name}.yaml`), 'utf8')) as { inputs?: Record<string, { default?: unknown }> };
  const value = (input: string): string =>
    input.endsWith('database_url')
      ? 'postgresql://app:Sekr1t-pw@db.internal.example.com:5432/orders'
      : input === 'health_url'
        ? 'https://api.example.com/health'
        : input === 'corruption_time'
          ? '2026-01-24T14:30:00Z'
          : input === 'integrity_sql'
            ? "SELECT count(*) FROM orders WHERE total < 0 OR created_at > now() OR status NOT IN ('paid', 'shipped', 'refunded')"
            : `${input.replaceAll('_', '-')}-1`;
  return Object.entries(doc.inputs ?? {})
    .filter(([, spec]) => spec.default === undefined)
    .flatMap(([input]) => ['--input', `${input}=${value(input)}`]);
}

beforeAll(() => requireBuild());

describe('show and plan of the shipped runbooks fit 80 columns', () => {
  for (const name of RUNBOOKS) {
    it(`drctl show ${name}`, () => {
      const result = drctl(['show', name], { env: { COLUMNS: String(WIDTH) } });
      expect(result.status, result.stderr).toBe(0);
      const source = linesIn(parse(readFileSync(join(ROOT, 'runbooks', `${name}.yaml`), 'utf8')));
      expect(tooWide(result.stdout, source)).toEqual([]);
      // Markdown is rendered: no raw bold markers (colour is off in a pipe, so they are stripped; *** is a mask).
      expect(result.stdout).not.toMatch(/\*\*[^*\s]|[^*\s]\*\*/);
    });

    it(`drctl plan ${name}`, () => {
      const args = ['plan', name, ...requiredInputs(name), '--incident-start', '2026-01-24T14:45:00Z'];
      const json = drctl([...args, '--json']);
      expect(json.status, json.stderr).toBe(0);
      const result = drctl(args, { env: { COLUMNS: String(WIDTH) } });
      expect(result.status, result.stderr).toBe(0);
      expect(tooWide(result.stdout, linesIn(JSON.parse(json.stdout)))).toEqual([]);
      // An action's arguments are YAML, not JSON with escaped line breaks.
      const argumentsShown = argumentLines(result.stdout);
      expect(argumentsShown.filter((line) => /\\n|^\s+\w+: [[{]"/.test(line))).toEqual([]);
      // The header's timestamp is never split.
      expect(result.stdout).toContain('incident start 2026-01-24T14:45:00.000Z');
    });
  }

  it("a user's mistake is told within 80 columns, broken at spaces", () => {
    const result = drctl(['plan', 'database-loss'], { env: { COLUMNS: String(WIDTH) } });
    expect(result.status).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^drctl: \d+ problems with the inputs of database-loss/);
    expect(lines.filter((line) => columns(line) > WIDTH)).toEqual([]);
    // Each problem's continuation lines stand under its text, and no word is cut.
    expect(lines.filter((line) => /^ {4}\S/.test(line)).length).toBeGreaterThan(0);
    expect(result.stderr.replace(/\n +/g, ' ')).toContain('give --input kube_context=...');
  });

  it('drctl list wraps long titles in their column', () => {
    const result = drctl(['list'], { env: { COLUMNS: String(WIDTH) } });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => columns(line) > WIDTH)).toEqual([]);
    // A title's continuation stands in the title column.
    const column = lines[0]!.indexOf('TITLE');
    const continued = lines.filter((line) => /^ +\S/.test(line));
    expect(continued.length).toBeGreaterThan(0);
    for (const line of continued) expect(line.search(/\S/)).toBe(column);
  });

  it('without COLUMNS, a pipe gets whole lines: what reads it wraps for itself or greps whole lines', () => {
    const result = drctl(['show', 'database-loss'], { env: { COLUMNS: undefined } });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Use it when the database is unreachable or empty and will not come back by itself \(lost volume/m);
  });
});
