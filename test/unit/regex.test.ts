import { describe, expect, it } from 'vitest';
import { extractOutputs } from '../../src/engine/outputs.js';
import { unmetMatcherText } from '../../src/engine/expect.js';
import { compileRegex, regexProblem } from '../../src/runbook/regex.js';

describe('output regexes run on a linear-time engine', () => {
  it('returns at once on a pattern that makes a backtracking engine run for hours', () => {
    // JavaScript's own engine needs some 2^n steps here: with 60 a's it would not finish today.
    const text = `status: ${'a'.repeat(60)}!`;
    expect(compileRegex('status: ((a|aa)+)$').exec(text)).toBeNull();
    expect(unmetMatcherText({ matches: '^(a+)+$' }, `${'a'.repeat(60)}!`)).toMatch(/expected it to match/);
    // and on a whole 64 KiB tail
    expect(compileRegex('((a|aa)+)$').test(`${'a'.repeat(64 * 1024)}!`)).toBe(false);
  });

  it('takes the first group, or the whole match, with ^ and $ at every line as before', () => {
    expect(
      extractOutputs({ pods: { from: 'stdout', regex: '(\\d+) pods' } }, { stdout: 'ready: 3 pods\n', stderr: '', exitCode: 0 }),
    ).toEqual({ pods: '3' });
    expect(extractOutputs({ v: { from: 'stdout', regex: '^v\\d+$' } }, { stdout: 'name\nv12\nend\n', stderr: '', exitCode: 0 })).toEqual({
      v: 'v12',
    });
    // A group that took no part gives the whole match, as JavaScript's match[1] ?? match[0] did.
    expect(compileRegex('x(y)?').exec('x')).toEqual(['x', null]);
    expect(extractOutputs({ v: { from: 'stdout', regex: 'x(y)?' } }, { stdout: 'x', stderr: '', exitCode: 0 })).toEqual({ v: 'x' });
  });

  it('reads a Windows line end as a line end', () => {
    expect(compileRegex('status: (\\w+)$').exec('status: ok\r\nnext\r\n')?.[1]).toBe('ok');
  });

  it('says which output found nothing', () => {
    expect(() => extractOutputs({ n: { from: 'stderr', regex: '(\\d+) rows' } }, { stdout: '', stderr: 'none', exitCode: 0 })).toThrow(
      'output n: /(\\d+) rows/ found nothing in stderr',
    );
  });
});

describe('trim', () => {
  const observed = { stdout: '  backup-42.sql.gz \n', stderr: '', exitCode: 0 };
  it('is on by default for a whole stream, off for a regex capture, and follows trim: when given', () => {
    expect(extractOutputs({ key: { from: 'stdout' } }, observed)).toEqual({ key: 'backup-42.sql.gz' });
    expect(extractOutputs({ key: { from: 'stdout', trim: false } }, observed)).toEqual({ key: '  backup-42.sql.gz \n' });
    expect(extractOutputs({ key: { from: 'stdout', regex: '(backup\\S+ )' } }, observed)).toEqual({ key: 'backup-42.sql.gz ' });
    expect(extractOutputs({ key: { from: 'stdout', regex: '(backup\\S+ )', trim: true } }, observed)).toEqual({ key: 'backup-42.sql.gz' });
  });
});

describe('patterns validate refuses', () => {
  it('refuses backreferences and lookarounds with a hint, and keeps the usual message for a plain mistake', () => {
    expect(regexProblem('(\\d+)\\.\\1')?.message).toMatch(/backreference, which drctl's linear-time engine \(RE2\) cannot run/);
    expect(regexProblem('\\d+(?= rows)')?.hint).toMatch(/capture the part you want with a group/);
    expect(regexProblem('(?<!x)y')?.message).toMatch(/lookahead or lookbehind/);
    expect(regexProblem('a{1001}')?.message).toMatch(/RE2\) cannot run this pattern: invalid repeat count/);
    expect(regexProblem('[a-\\d]')?.message).toMatch(/cannot run this pattern/);
    expect(regexProblem('(\\d+')?.message).toBe('invalid regular expression: /(\\d+/: Unterminated group');
  });

  it('accepts what both engines read alike, and what only RE2 reads', () => {
    for (const ok of ['Tables in the dump: (\\d+)', '^\\d+ rows$', '[A-Za-z_][\\w-]*', 'x{2,5}', '(?i)ready', '(?P<n>\\d+)', 'a|b|(c)']) {
      expect(regexProblem(ok), ok).toBeUndefined();
    }
  });

  it('a pattern built by an expression that RE2 cannot run fails the expectation with a reason', () => {
    expect(unmetMatcherText({ matches: '(a)\\1' }, 'aa')).toMatch(/cannot be matched: \/\(a\)\\1\/ is not a pattern drctl can run/);
  });
});
