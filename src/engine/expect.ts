import type { Scope } from '../runbook/expression.js';
import type { OutputRegex } from '../runbook/regex.js';
import { compileRegex } from '../runbook/regex.js';
import type { ExpectationDoc, MatcherDoc } from '../runbook/schema.js';
import { resolveValue } from './render.js';

export interface Observed {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, unknown>;
  /** Masks secrets in what a message quotes, before it is cut short (a cut could split a secret). */
  mask?: ((text: string) => string) | undefined;
}

/** Why an expectation does not hold, or undefined when it does. Matcher values may hold expressions. */
export function unmetExpectation(expectation: ExpectationDoc | undefined, observed: Observed, scope: Scope): string | undefined {
  if (!expectation) return undefined;
  if (expectation.exit_code !== undefined) {
    const allowed = Array.isArray(expectation.exit_code) ? expectation.exit_code : [expectation.exit_code];
    if (!allowed.includes(observed.exitCode ?? -1)) return `exit code ${observed.exitCode} (expected ${allowed.join(' or ')})`;
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const matcher = expectation[stream];
    const problem = matcher && unmetMatcher(matcher, observed[stream].trim(), scope, observed.mask);
    if (problem) return `${stream} ${problem}`;
  }
  for (const [name, matcher] of Object.entries(expectation.outputs ?? {})) {
    const problem = unmetMatcher(matcher, observed.outputs[name], scope, observed.mask);
    if (problem) return `output ${name} ${problem}`;
  }
  return undefined;
}

/** A matcher against plain text (its values already resolved): why it does not hold, if it does not. */
export function unmetMatcherText(matcher: MatcherDoc, text: string): string | undefined {
  return unmetMatcher(matcher, text, undefined);
}

function unmetMatcher(
  matcher: MatcherDoc,
  actual: unknown,
  scope: Scope | undefined,
  mask: (text: string) => string = (text) => text,
): string | undefined {
  const masked = typeof actual === 'string' ? mask(actual) : actual;
  const shown = JSON.stringify(typeof masked === 'string' && masked.length > 200 ? `${masked.slice(0, 200)}...` : masked);
  const text = actual === null || actual === undefined ? '' : typeof actual === 'string' ? actual : JSON.stringify(actual);
  const expected = (value: unknown): unknown => (scope ? resolveValue(value, scope).value : value);
  if (matcher.equals !== undefined && text !== String(expected(matcher.equals)))
    return `was ${shown}, expected ${describe(matcher.equals, (v) => JSON.stringify(String(v)))}`;
  if (matcher.contains !== undefined && !text.includes(String(expected(matcher.contains))))
    return `was ${shown}, expected it to contain ${describe(matcher.contains, (v) => JSON.stringify(v))}`;
  if (matcher.matches !== undefined) {
    const pattern = String(expected(matcher.matches));
    let regex: OutputRegex;
    try {
      regex = compileRegex(pattern);
    } catch (error) {
      // Only a pattern built by an expression gets here: validate refuses the others. The regex
      // engine's message quotes the pattern, which may hold a secret or an output: name the expression.
      const written = matcher.matches;
      if (typeof written === 'string' && written.includes('${{'))
        return `cannot be matched: the value of ${JSON.stringify(written)} is not a pattern drctl can run`;
      return `cannot be matched: /${pattern}/ is not a pattern drctl can run (${(error as Error).message})`;
    }
    if (!regex.test(text)) return `was ${shown}, expected it to match ${describe(matcher.matches, (v) => `/${String(v)}/`)}`;
  }
  const number = Number(text.trim());
  const comparisons = [
    ['gt', (a: number, b: number) => a > b, '>'],
    ['gte', (a: number, b: number) => a >= b, '>='],
    ['lt', (a: number, b: number) => a < b, '<'],
    ['lte', (a: number, b: number) => a <= b, '<='],
  ] as const;
  for (const [key, holds, symbol] of comparisons) {
    const bound = matcher[key];
    if (bound === undefined) continue;
    const limit = Number(expected(bound));
    if (text.trim() === '' || Number.isNaN(number) || !holds(number, limit))
      return `was ${shown}, expected ${symbol} ${describe(bound, () => String(limit))}`;
  }
  if (matcher.not && unmetMatcher(matcher.not, actual, scope, mask) === undefined)
    return `was ${shown}, expected it not to match ${JSON.stringify(matcher.not)}`;
  return undefined;
}

/**
 * What a message says was expected: the matcher's value as written in the runbook when it holds an
 * expression (its value may be a secret or an output), else the value itself.
 */
function describe(written: unknown, show: (value: unknown) => string): string {
  return typeof written === 'string' && written.includes('${{') ? JSON.stringify(written) : show(written);
}
