import { describe, expect, it } from 'vitest';
import type { Evaluated, Scope } from '../../src/runbook/expression.js';
import { collectRefs, evaluate, ExpressionError, parseExpression, parseTemplate, Unknown } from '../../src/runbook/expression.js';

function scopeOf(values: Record<string, unknown>, secrets: string[] = []): Scope {
  return {
    resolve(path): Evaluated {
      const key = path.join('.');
      if (!(key in values)) return { value: new Unknown(key), secret: false };
      return { value: values[key] as Evaluated['value'], secret: secrets.includes(key) };
    },
  };
}

const run = (source: string, values: Record<string, unknown> = {}) => evaluate(parseExpression(source), scopeOf(values)).value;

describe('expression parser', () => {
  it('parses references with hyphenated step ids and dotted paths', () => {
    const refs = collectRefs(parseExpression("steps.find-backup.outputs.key == 'x' && inputs.target != run.mode"));
    expect(refs.map((r) => r.path.join('.'))).toEqual(['steps.find-backup.outputs.key', 'inputs.target', 'run.mode']);
  });

  it('reports the offset of the offending token', () => {
    try {
      parseExpression('inputs.x == ', 10);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).offset).toBe(22);
      expect((error as Error).message).toContain('expected a value');
    }
  });

  it('rejects a single = with a hint to use ==', () => {
    expect(() => parseExpression("inputs.a = 'b'")).toThrow(/compare with "=="/);
  });

  it('rejects an unterminated string and trailing tokens', () => {
    expect(() => parseExpression("'abc")).toThrow(/unterminated string/);
    expect(() => parseExpression('inputs.a inputs.b')).toThrow(/unexpected "inputs"/);
  });

  it('splits templates into text and expressions, keeping offsets', () => {
    const segments = parseTemplate('kubectl -n ${{ inputs.ns }} get pods');
    expect(segments.map((s) => s.kind)).toEqual(['text', 'expr', 'text']);
    expect(segments[1]).toMatchObject({ kind: 'expr', offset: 11 });
  });

  it('finds the closing braces after a string holding braces', () => {
    const segments = parseTemplate("${{ inputs.a == '}}' }}");
    expect(segments).toHaveLength(1);
  });

  it('rejects an unterminated or empty expression', () => {
    expect(() => parseTemplate('echo ${{ inputs.a')).toThrow(/unterminated expression/);
    expect(() => parseTemplate('echo ${{  }}')).toThrow(/empty expression/);
  });
});

describe('expression evaluator', () => {
  it('follows precedence: && binds tighter than ||, comparisons tighter than &&', () => {
    expect(run('true || false && false')).toBe(true);
    expect(run('(true || false) && false')).toBe(false);
    expect(run("1 < 2 && 'a' == 'a'")).toBe(true);
  });

  it('compares numbers numerically even when one side is text from stdout', () => {
    expect(run('steps.count.outputs.n > 9', { 'steps.count.outputs.n': '10' })).toBe(true);
    expect(run("'10' > '9'")).toBe(false);
  });

  it('supports !, != and doubled quotes in literals', () => {
    expect(run('!inputs.flag', { 'inputs.flag': false })).toBe(true);
    expect(run("'it''s' == inputs.s", { 'inputs.s': "it's" })).toBe(true);
    expect(run("inputs.t != 'production'", { 'inputs.t': 'staging' })).toBe(true);
  });

  it('keeps a value that is not known yet unknown, but decides what it can', () => {
    expect(run("steps.a.outputs.x == 'y'")).toBeInstanceOf(Unknown);
    expect(run("false && steps.a.outputs.x == 'y'")).toBe(false);
    expect(run("steps.a.outputs.x == 'y' && false")).toBe(false);
    expect(run("steps.a.outputs.x == 'y' || true")).toBe(true);
  });

  it('marks a value that came from a secret', () => {
    const scope = scopeOf({ 'inputs.password': 'hunter2' }, ['inputs.password']);
    expect(evaluate(parseExpression('inputs.password'), scope)).toEqual({ value: 'hunter2', secret: true });
    expect(evaluate(parseExpression("inputs.password == 'x'"), scope).secret).toBe(false);
  });
});
