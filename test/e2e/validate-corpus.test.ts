import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashSigns, drctl, requireBuild, ROOT } from './drctl.js';

/**
 * The fixture corpus under test/fixtures, run through the built binary. Each fixture states what the
 * validator must report in its leading comments:
 *
 *   # expect: LINE:COL fragment           an error at exactly LINE:COL whose message or hint holds fragment
 *   # expect-warning: LINE:COL fragment   the same for a warning
 *   # expect-errors: N                    exactly N errors in the file (for fixtures with several problems)
 *
 * Files that cannot hold comments (empty, binary) have their expectations in FILE_EXPECTATIONS.
 */

const FIXTURES = 'test/fixtures';

interface Expectation {
  severity: 'error' | 'warning';
  /** null: the problem concerns the whole file, which is named without a line and column. */
  line: number | null;
  col: number | null;
  fragment: string;
}

interface Fixture {
  name: string;
  /** Relative to the package folder, as an operator would type it. */
  file: string;
  expectations: Expectation[];
  errorCount?: number;
}

const FILE_EXPECTATIONS: Record<string, { expectations: Expectation[]; errorCount: number }> = {
  '40-empty-file.yaml': {
    expectations: [
      { severity: 'error', line: 1, col: 1, fragment: 'the file is empty' },
      { severity: 'error', line: 1, col: 1, fragment: 'a runbook starts with apiVersion: drctl/v1' },
    ],
    errorCount: 1,
  },
  '41-binary-file.yaml': {
    expectations: [{ severity: 'error', line: null, col: null, fragment: 'is a binary file, not a YAML runbook' }],
    errorCount: 1,
  },
};

function loadFixtures(kind: 'invalid' | 'valid' | 'warnings'): Fixture[] {
  const dir = join(FIXTURES, kind);
  return readdirSync(join(ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      const table = FILE_EXPECTATIONS[name];
      if (table) return { name, file, expectations: table.expectations, errorCount: table.errorCount };
      const fixture: Fixture = { name, file, expectations: [] };
      for (const line of readFileSync(join(ROOT, file), 'utf8').split('\n')) {
        const located = /^# expect(-warning)?: (\d+):(\d+) (.+)$/.exec(line);
        if (located) {
          fixture.expectations.push({
            severity: located[1] ? 'warning' : 'error',
            line: Number(located[2]),
            col: Number(located[3]),
            fragment: located[4]!.trim(),
          });
        }
        const count = /^# expect-errors: (\d+)$/.exec(line);
        if (count) fixture.errorCount = Number(count[1]);
      }
      return fixture;
    });
}

interface Block {
  file: string;
  line: number | null;
  col: number | null;
  severity: string;
  /** The diagnostic line with its code frame and hint. */
  text: string;
}

const HEADER = /^(?:drctl: )?(.+?)(?::(\d+):(\d+))?: (error|warning): /;

/** Split output into diagnostics: a `file:line:col: severity: message` line and its indented lines. */
function diagnostics(output: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  for (const line of output.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = {
        file: header[1]!,
        line: header[2] ? Number(header[2]) : null,
        col: header[3] ? Number(header[3]) : null,
        severity: header[4]!,
        text: line,
      };
      blocks.push(current);
    } else if (current && /^\s/.test(line)) {
      current.text += `\n${line}`;
    } else {
      current = undefined;
    }
  }
  return blocks;
}

function where(e: { line: number | null; col: number | null }): string {
  return e.line === null ? '(whole file)' : `${e.line}:${e.col}`;
}

function describeExpectations(fixture: Fixture): string {
  return fixture.expectations
    .filter((e, i, all) => all.findIndex((o) => o.line === e.line && o.col === e.col && o.severity === e.severity) === i)
    .map((e) => `${where(e)} ${e.fragment}`)
    .join('; ');
}

/** Every expectation of the fixture is reported at its exact position, with its message fragment. */
function assertReported(output: string, fixture: Fixture): void {
  const blocks = diagnostics(output);
  const reported =
    blocks.map((b) => `  ${b.file}:${where(b)}: ${b.severity}: ${b.text.split('\n')[0]!.replace(HEADER, '')}`).join('\n') || '  (nothing)';
  for (const e of fixture.expectations) {
    const atPosition = blocks.filter((b) => b.file === fixture.file && b.severity === e.severity && b.line === e.line && b.col === e.col);
    expect(
      atPosition.length,
      `expected ${e.severity === 'error' ? 'an error' : 'a warning'} at ${fixture.file}:${where(e)} (${e.fragment}); drctl reported:\n${reported}`,
    ).toBeGreaterThan(0);
    expect(
      atPosition.map((b) => b.text).join('\n'),
      `the ${e.severity} at ${fixture.file}:${where(e)} should say: ${e.fragment}`,
    ).toContain(e.fragment);
  }
}

const invalid = loadFixtures('invalid');
const valid = loadFixtures('valid');
const warnings = loadFixtures('warnings');

beforeAll(() => {
  requireBuild();
});

describe('the fixture corpus', () => {
  it('has at least 34 invalid runbooks, 3 valid ones and 4 that each trigger a warning', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(34);
    expect(valid.length).toBeGreaterThanOrEqual(3);
    expect(warnings.length).toBeGreaterThanOrEqual(4);
  });

  it('states what drctl must report for every invalid fixture', () => {
    const silent = invalid.filter((f) => f.expectations.filter((e) => e.severity === 'error').length === 0).map((f) => f.name);
    expect(silent, 'fixtures without an `# expect:` line or an entry in FILE_EXPECTATIONS').toEqual([]);
  });

  it('states the warning each warning fixture must trigger', () => {
    const silent = warnings.filter((f) => !f.expectations.some((e) => e.severity === 'warning')).map((f) => f.name);
    expect(silent).toEqual([]);
  });

  it('keeps a runbook with NUL bytes as the binary fixture', () => {
    expect(readFileSync(join(ROOT, FIXTURES, 'invalid', '41-binary-file.yaml')).includes(0)).toBe(true);
    expect(readFileSync(join(ROOT, FIXTURES, 'invalid', '40-empty-file.yaml')).length).toBe(0);
  });
});

describe('drctl validate on an invalid runbook', () => {
  for (const fixture of invalid) {
    it(`${fixture.name}: exits 2 and points at ${describeExpectations(fixture)}`, () => {
      const result = drctl(['validate', fixture.file]);
      expect(crashSigns(result.all)).toEqual([]);
      assertReported(result.stdout, fixture);
      if (fixture.errorCount !== undefined) {
        expect(
          diagnostics(result.stdout).filter((b) => b.severity === 'error').length,
          `number of errors reported for ${fixture.name}`,
        ).toBe(fixture.errorCount);
        expect(result.stdout).toMatch(new RegExp(`^${fixture.errorCount} errors?, \\d+ warnings? in 1 file \\(1 invalid\\)$`, 'm'));
      }
      expect(result.status).toBe(2);
    });
  }
});

describe('drctl plan on an invalid runbook', () => {
  for (const fixture of invalid) {
    it(`${fixture.name}: refuses to plan (exit 2) with the same located errors and no stack trace`, () => {
      const result = drctl(['plan', fixture.file]);
      expect(crashSigns(result.all)).toEqual([]);
      expect(result.stdout, 'nothing is planned on stdout').toBe('');
      assertReported(result.stderr, { ...fixture, expectations: fixture.expectations.filter((e) => e.severity === 'error') });
      expect(result.stderr).toMatch(/has \d+ errors?; nothing was run\./);
      expect(result.status).toBe(2);
    });
  }
});

describe('drctl validate on a valid runbook', () => {
  for (const fixture of valid) {
    it(`${fixture.name}: exits 0, says ok and warns about nothing`, () => {
      const result = drctl(['validate', fixture.file]);
      expect(crashSigns(result.all)).toEqual([]);
      expect(diagnostics(result.stdout)).toEqual([]);
      expect(result.stdout).toMatch(new RegExp(`^ok ${fixture.file.replaceAll('.', '\\.')} \\(`, 'm'));
      expect(result.stdout).toContain('1 file valid\n');
      expect(result.stdout).not.toContain('warning');
      expect(result.status).toBe(0);
    });
  }

  it('the folder of valid fixtures passes as a whole', () => {
    const result = drctl(['validate', join(FIXTURES, 'valid')]);
    expect(result.stdout).toContain(`${valid.length} files valid`);
    expect(result.status).toBe(0);
  });

  it('a valid runbook can be planned', () => {
    for (const fixture of valid) {
      const result = drctl(['plan', fixture.file], { env: { DATABASE_URL: 'postgres://restore@db.internal/app' } });
      expect(result.stderr, fixture.name).toBe('');
      expect(result.stdout, fixture.name).toContain('Nothing was run.');
      expect(result.status, fixture.name).toBe(0);
    }
  });
});

describe('drctl validate on a runbook that deserves a warning', () => {
  for (const fixture of warnings) {
    it(`${fixture.name}: exits 0 but warns at ${describeExpectations(fixture)}`, () => {
      const result = drctl(['validate', fixture.file]);
      expect(crashSigns(result.all)).toEqual([]);
      assertReported(result.stdout, fixture);
      expect(diagnostics(result.stdout).filter((b) => b.severity === 'error')).toEqual([]);
      const count = new Set(fixture.expectations.map((e) => `${e.line}:${e.col}`)).size;
      expect(result.stdout).toMatch(new RegExp(`^1 file valid, ${count} warnings?$`, 'm'));
      expect(result.status).toBe(0);
    });
  }
});

describe('drctl validate --json', () => {
  it('gives parseable JSON with valid: false and every located diagnostic of an invalid runbook', () => {
    const fixture = invalid.find((f) => f.name.startsWith('43-'))!;
    const result = drctl(['validate', '--json', fixture.file]);
    expect(result.status).toBe(2);
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      errors: number;
      files: Array<{
        file: string;
        valid: boolean;
        runbook: string | null;
        diagnostics: Array<{ severity: string; file: string; line: number; col: number; path: string; message: string; hint?: string }>;
      }>;
    };
    expect(report.valid).toBe(false);
    expect(report.errors).toBe(fixture.errorCount);
    expect(report.files).toHaveLength(1);
    expect(report.files[0]).toMatchObject({ file: fixture.file, valid: false, runbook: null });
    for (const e of fixture.expectations) {
      const found = report.files[0]!.diagnostics.filter((d) => d.severity === e.severity && d.line === e.line && d.col === e.col);
      expect(found.length, `a diagnostic at ${where(e)}`).toBeGreaterThan(0);
      expect(found.map((d) => `${d.message}\n${d.hint ?? ''}`).join('\n')).toContain(e.fragment);
      for (const d of found) expect(d.path, 'each diagnostic names the path of its key').not.toBe('');
    }
  });

  it('reports a valid runbook as valid: true with its name', () => {
    const fixture = valid[0]!;
    const result = drctl(['validate', '--json', fixture.file]);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      errors: number;
      files: Array<{ valid: boolean; runbook: string | null; diagnostics: unknown[] }>;
    };
    expect(report).toMatchObject({ valid: true, errors: 0 });
    expect(report.files[0]).toMatchObject({ valid: true, diagnostics: [] });
    expect(report.files[0]!.runbook).toEqual(expect.any(String));
  });
});

describe('drctl validate on paths that hold no runbook', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'drctl-validate-'));
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('a folder with no runbooks exits 2 and says it holds none', () => {
    const folder = join(scratch, 'notes');
    mkdirSync(folder);
    writeFileSync(join(folder, 'README.md'), '# not a runbook\n');
    writeFileSync(join(folder, 'runbook.json'), '{}\n');
    const result = drctl(['validate', folder]);
    expect(result.all).toContain(`${folder}: error: holds no runbooks (*.yaml or *.yml files)`);
    expect(result.all).toContain('hint: point at a folder of runbooks, or at a runbook file');
    expect(crashSigns(result.all)).toEqual([]);
    expect(result.status).toBe(2);
  });

  it('a path that does not exist exits 2 and says so', () => {
    const missing = join(scratch, 'no-such-runbook.yaml');
    const result = drctl(['validate', missing]);
    expect(result.all).toContain(`${missing}: error: no such file or folder`);
    expect(crashSigns(result.all)).toEqual([]);
    expect(result.status).toBe(2);
  });

  it('one missing path among valid ones still fails the whole check', () => {
    const result = drctl(['validate', valid[0]!.file, join(scratch, 'missing.yml')]);
    expect(result.stdout).toContain(`ok ${valid[0]!.file}`);
    expect(result.stdout).toContain('no such file or folder');
    expect(result.status).toBe(2);
  });

  it('validating the whole invalid corpus at once reports every file', () => {
    const result = drctl(['validate', join(FIXTURES, 'invalid')]);
    expect(crashSigns(result.all)).toEqual([]);
    const files = new Set(
      diagnostics(result.stdout)
        .filter((b) => b.severity === 'error')
        .map((b) => b.file),
    );
    expect([...files].sort()).toEqual(invalid.map((f) => f.file).sort());
    expect(result.stdout).toMatch(new RegExp(`in ${invalid.length} files \\(${invalid.length} invalid\\)$`, 'm'));
    expect(result.status).toBe(2);
  });
});
