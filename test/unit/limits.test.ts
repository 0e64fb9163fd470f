import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { makeRunId } from '../../src/engine/run-id.js';
import { checkRunId, RUN_ID_PATTERN } from '../../src/journal/runs.js';
import { durationLimitProblem, MAX_DURATION_MS, parseDuration } from '../../src/util/duration.js';
import { ExpressionError, MAX_EXPRESSION_DEPTH, parseExpression, parseTemplate } from '../../src/runbook/expression.js';
import { deepNesting, MAX_YAML_DEPTH } from '../../src/runbook/plain-yaml.js';
import { parseSource } from '../../src/runbook/source.js';
import { typeProblem } from '../../src/runbook/rules.js';
import { validateText } from '../../src/runbook/validate.js';
import { formatDiagnostic } from '../../src/runbook/diagnostics.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the longest duration', () => {
  it('is 336h (14 days), short of the 24.8 days past which a timer fires at once', () => {
    expect(MAX_DURATION_MS).toBe(14 * 24 * 3_600_000);
    expect(MAX_DURATION_MS).toBeLessThan(2 ** 31 - 1);
  });

  it.each(['336h', '14m', '335h59m60s', '1209600000ms'])('%s is within it', (text) => {
    expect(durationLimitProblem(text)).toBeUndefined();
  });

  it.each(['337h', '336h1ms', '99999999999999h', `${'9'.repeat(400)}h`])('%s is refused', (text) => {
    expect(durationLimitProblem(text)).toBe(`${JSON.stringify(text)} is longer than 336h (14 days), the longest duration drctl takes`);
  });

  it('leaves text that is no duration to the duration check', () => {
    expect(durationLimitProblem('5 minutes')).toBeUndefined();
    expect(parseDuration(`${'9'.repeat(400)}h`)).toBe(Infinity);
  });

  it('bounds a duration input', () => {
    expect(typeProblem('duration', '2h')).toBeUndefined();
    expect(typeProblem('duration', '400h')).toBe('"400h" is longer than 336h (14 days), the longest duration drctl takes');
  });
});

function expressionError(source: string): ExpressionError {
  try {
    parseExpression(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    return error as ExpressionError;
  }
  throw new Error('parsed');
}

describe('how deep an expression may nest', () => {
  const message = `the expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels (each "!", "(" and operator is one)`;

  it('takes the nesting real conditions use', () => {
    expect(() => parseExpression(`${'('.repeat(20)}inputs.a == 'x'${')'.repeat(20)}`)).not.toThrow();
    expect(() => parseExpression(`${'!'.repeat(40)}true`)).not.toThrow();
    expect(() => parseExpression(Array.from({ length: 40 }, (_, i) => `inputs.env == 'e${i}'`).join(' || '))).not.toThrow();
  });

  it.each([
    ['4,000 parentheses', `${'('.repeat(4000)}true${')'.repeat(4000)}`, MAX_EXPRESSION_DEPTH],
    ['10,000 "!"', `${'!'.repeat(10_000)}true`, MAX_EXPRESSION_DEPTH],
    ['10,000 "&&"', Array.from({ length: 10_001 }, () => 'true').join(' && '), 5 + 8 * (MAX_EXPRESSION_DEPTH - 1)],
    ['10,000 "||" in parentheses', `(${Array.from({ length: 10_001 }, () => 'a').join(' || ')})`, 1 + 5 * (MAX_EXPRESSION_DEPTH - 2) + 2],
  ])('refuses %s with a clear error at the level past the limit, not a stack overflow', (_, source, offset) => {
    const error = expressionError(source);
    expect(error.message).toBe(message);
    expect(error.offset).toBe(offset);
    expect(error.hint).toBe('simplify it, or work a part out in an earlier step and use its output');
  });

  it('points into the template where the expression nests too deep', () => {
    let error: unknown;
    try {
      parseTemplate(`echo \${{ ${'!'.repeat(100)}true }}`);
    } catch (caught) {
      error = caught;
    }
    expect((error as ExpressionError).offset).toBe('echo ${{ '.length + MAX_EXPRESSION_DEPTH);
  });
});

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function depthOf(value: unknown): number {
  return value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
}

/** The nesting the scanner sees: the smallest limit it lets pass. */
function scannedDepth(text: string): number {
  let limit = 0;
  while (deepNesting(text, limit) !== undefined) limit++;
  return limit;
}

describe('how deep YAML may nest', () => {
  it('is read from the text exactly as deep as YAML nests, for every shipped runbook, example and fixture', () => {
    const files = [...yamlFiles(join(ROOT, 'runbooks')), ...yamlFiles(join(ROOT, 'examples')), ...yamlFiles(join(ROOT, 'test/fixtures'))];
    expect(files.length).toBeGreaterThan(50);
    let compared = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      let value: unknown;
      try {
        value = jsyaml.load(text);
      } catch {
        continue; // the malformed fixtures
      }
      expect(scannedDepth(text), file).toBe(depthOf(value));
      compared++;
    }
    expect(compared).toBeGreaterThan(50);
  });

  it.each([
    ['block mappings', 'a:\n  b:\n    c: 1\n', 3],
    ["a list at its key's indentation", 'a:\n- b:\n  - c\n', 4],
    ['compact lists', '- - - - x\n', 4],
    ['flow inside block', 'a: {b: [1, {c: 2}]}\n', 4],
    ['a flow collection over several lines', 'a: [\n  [1,\n   [2]],\n  3]\n', 4],
    ['brackets in quoted text and comments', "a: \"[[[{{{\" # [[[[\nb: 'it''s [[['\nc: ['[[[', \"]]]\"]\n", 2],
    ['brackets and colons in a block scalar', 'a: |\n  [[[[ x: y\n    - z: [[[\nb: 1\n', 1],
    ['anchors and tags', 'a: &x !!map\n  b: !!seq\n    - 1\n', 3],
    ['multi-line quoted values', 'a: "c: [[[\n  - d: {{"\nb:\n  \'x: [\n  - y\'\n', 1],
  ])('%s', (_, text, depth) => {
    expect(depthOf(jsyaml.load(text))).toBe(depth);
    expect(scannedDepth(text)).toBe(depth);
  });

  it('finds 2,000 nested mappings, lists and flow collections at the level past the limit', () => {
    const block = Array.from({ length: 2000 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' x\n';
    const list = Array.from({ length: 2000 }, (_, i) => `${'  '.repeat(i)}-`).join('\n') + ' x\n';
    const flow = `a: ${'{a: '.repeat(2000)}x${'}'.repeat(2000)}\n`;
    expect(deepNesting(block)).toBe(block.indexOf(`k${MAX_YAML_DEPTH}:`));
    expect(deepNesting(list)).toBe(list.split('\n').slice(0, MAX_YAML_DEPTH).join('\n').length + 1 + 2 * MAX_YAML_DEPTH);
    expect(deepNesting(flow)).toBe('a: '.length + 4 * (MAX_YAML_DEPTH - 1));
  });

  it('is refused with a diagnostic at line and column, by the fast reader and the position-keeping one alike', () => {
    const text = `name: x\nwith: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const parsed = parseSource('deep.yaml', text);
    expect(parsed.value).toBeUndefined();
    expect(parsed.diagnostics).toEqual([
      {
        severity: 'error',
        file: 'deep.yaml',
        line: 2,
        col: 7 + MAX_YAML_DEPTH - 1,
        path: '',
        message: `YAML nests deeper than ${MAX_YAML_DEPTH} levels here`,
        hint: 'flatten this mapping or list: a runbook or inputs file needs a handful of levels',
      },
    ]);
  });
});

describe('run ids', () => {
  it('are what makeRunId writes', () => {
    for (const name of ['a', 'database-loss', '0-x', 'x'.repeat(100)]) {
      const id = makeRunId(name, new Date('2026-11-22T03:15:00.123Z'));
      expect(id).toMatch(RUN_ID_PATTERN);
      expect(() => checkRunId(id)).not.toThrow();
    }
  });

  it.each([
    '../../other/runs/db-20261122T031500Z-4f2a',
    'db-20261122T031500Z-4f2a/../x',
    '/etc/passwd',
    '.',
    '..',
    '',
    'DB-20261122T031500Z-4f2a',
    'db-20261122T031500Z-4f2a\n',
    'db',
  ])('refuse %j', (id) => {
    expect(() => checkRunId(id)).toThrow(`${JSON.stringify(id)} is not a run id`);
  });
});

describe('diagnostics stay linear in the number of problems', () => {
  const header = 'apiVersion: drctl/v1\nkind: Runbook\nmetadata:\n  name: many\n  title: Many problems\nobjectives: { rto: 1h }\nsteps:\n';

  /** Validate and format every diagnostic, as `drctl validate` prints them; the time it took, in ms. */
  function timed(text: string): { errors: number; ms: number } {
    const started = performance.now();
    const result = validateText('many.yaml', text, 'digest');
    for (const d of result.diagnostics) formatDiagnostic(d, text);
    return { errors: result.diagnostics.filter((d) => d.severity === 'error').length, ms: performance.now() - started };
  }

  // Each of these took from 5 s to a minute while some part of the report was quadratic. The
  // bounds are generous for a loaded machine: far above linear, far below quadratic.
  it.each([
    [
      '10,000 unknown inputs in one block script',
      `${header}  - id: a\n    title: A\n    run: |\n${Array.from({ length: 10_000 }, (_, i) => `      echo \${{ inputs.n${i} }}`).join('\n')}\n`,
      10_000,
    ],
    [
      '10,000 unknown inputs in one quoted line',
      `${header}  - id: a\n    title: A\n    run: "${Array.from({ length: 10_000 }, (_, i) => `\${{ inputs.n${i} }}`).join(' ')}"\n`,
      10_000,
    ],
    [
      '5,000 unknown steps named among 5,000 steps',
      `${header}${Array.from({ length: 5000 }, (_, i) => `  - id: s${i}\n    title: T\n    run: echo \${{ steps.zz${i}.status }}\n`).join('')}`,
      5000,
    ],
    [
      'a mapping of 60,000 keys',
      `${header}  - id: a\n    title: A\n    run: echo\n    env:\n${Array.from({ length: 60_000 }, (_, i) => `      K${i}: x\n`).join('')}    bad: 1\n`,
      1,
    ],
  ])('%s', (_, text, errors) => {
    const result = timed(text);
    expect(result.errors).toBe(errors);
    expect(result.ms).toBeLessThan(4000);
  });
});
