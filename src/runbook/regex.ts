import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

/**
 * The regular expressions of a runbook (`outputs.*.regex`, `matches` in expectations) run on RE2,
 * whose time is linear in the text: a pattern such as `((a|aa)+)$` that makes a backtracking engine
 * run for hours returns at once. RE2 has no backreferences and no lookarounds; `validate` refuses
 * them with a hint.
 *
 * `^` and `$` match at every line, as they did when these patterns ran with JavaScript's `m` flag.
 * RE2 ends a line at "\n" only, so a CRLF line end is read as "\n" before matching: `(\w+)$` still
 * finds "ok" in "status: ok\r\n".
 */
export interface OutputRegex {
  /** The whole match and its groups (null for a group that took no part), or null when nothing matched. */
  exec(text: string): Array<string | null> | null;
  test(text: string): boolean;
}

/** Why a pattern cannot run, for `validate` and for a step whose pattern came from an expression. */
export class RegexError extends Error {
  constructor(
    message: string,
    readonly hint: string | undefined,
  ) {
    super(message);
    this.name = 'RegexError';
  }
}

const compiled = new Map<string, OutputRegex>();

let engine: typeof RE2JSClass | undefined;

/** RE2 loads on first use, so commands that match nothing (validate, list, --help) do not pay for it. */
function re2(): typeof RE2JSClass {
  engine ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS;
  return engine;
}

/**
 * Patterns made only of syntax that JavaScript and RE2 read alike: literals, groups without `(?`,
 * alternation, the usual quantifiers and repeat counts below 1000, `\d \w \s \b` and escaped
 * punctuation, and simple classes. `validate` accepts such a pattern once JavaScript has read it,
 * without loading RE2; any other pattern is compiled by RE2 itself.
 */
const PLAIN_PATTERN =
  /^(?:[^\\()[\]{}]|\\[dDwWsSbB.\\/()[\]{}*+?^$|-]|\((?!\?)|\)|\[(?!\^?\])(?:[^\\\]]|\\[dDwWs.\\/()[\]{}*+?^$|-])+\]|\{\d{1,3}(?:,\d{0,3})?\})*$/;
/** `[a-\d]`: JavaScript reads the dash as a character, RE2 refuses the range. */
const CLASS_RANGE_WITH_ESCAPE = /-\\[dDwWsS]|\\[dDwWsS]-/;

/** Compile once; throws RegexError for a pattern RE2 cannot run. */
export function compileRegex(pattern: string): OutputRegex {
  let regex = compiled.get(pattern);
  if (regex) return regex;
  const RE2JS = re2();
  let re: RE2JSClass;
  try {
    re = RE2JS.compile(pattern, RE2JS.MULTILINE);
  } catch (error) {
    throw explain(pattern, (error as Error).message);
  }
  regex = {
    exec(text) {
      const matcher = re.matcher(text.includes('\r\n') ? text.replaceAll('\r\n', '\n') : text);
      if (!matcher.find()) return null;
      const groups: Array<string | null> = [];
      for (let i = 0; i <= matcher.groupCount(); i++) groups.push(matcher.group(i));
      return groups;
    },
    test(text) {
      return re.matcher(text.includes('\r\n') ? text.replaceAll('\r\n', '\n') : text).find();
    },
  };
  compiled.set(pattern, regex);
  return regex;
}

/** Why `validate` refuses a pattern, or undefined when it can run. */
export function regexProblem(pattern: string): RegexError | undefined {
  if (PLAIN_PATTERN.test(pattern) && !CLASS_RANGE_WITH_ESCAPE.test(pattern)) {
    try {
      new RegExp(pattern);
      return undefined;
    } catch {
      // a mistake: explained below
    }
  }
  try {
    compileRegex(pattern);
    return undefined;
  } catch (error) {
    return error as RegexError;
  }
}

function explain(pattern: string, re2Message: string): RegexError {
  // A pattern JavaScript cannot read either is a plain mistake: say it the way most people know it.
  try {
    new RegExp(pattern);
  } catch (error) {
    return new RegexError(
      `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
      undefined,
    );
  }
  const reason = re2Message.replace(/^error parsing regexp: /, '');
  if (/\\[1-9]|\\k</.test(pattern)) {
    return new RegexError(
      `this regular expression uses a backreference, which drctl's linear-time engine (RE2) cannot run: ${reason}`,
      'match the text without referring back to a group, and compare values in a later step or with an expectation',
    );
  }
  if (/\(\?<?[=!]/.test(pattern)) {
    return new RegexError(
      `this regular expression uses a lookahead or lookbehind, which drctl's linear-time engine (RE2) cannot run: ${reason}`,
      'capture the part you want with a group instead: (\\d+) pods rather than \\d+(?= pods)',
    );
  }
  return new RegexError(
    `drctl's linear-time regular expression engine (RE2) cannot run this pattern: ${reason}`,
    'see the RE2 syntax: no backreferences, no lookarounds, repeat counts up to 1000',
  );
}
