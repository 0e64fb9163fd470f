import type { Segment } from './expression.js';

/**
 * Where in a bash script an expression stands.
 *
 * A value never becomes part of the script's text: it reaches the script through the environment
 * (DRCTL_EXPR_<n>), and the expression is replaced by a reference to that variable. Bash never
 * parses an expanded value as code, so how the reference is quoted only decides whether the value
 * stays one word; it cannot decide whether the value runs. Reading the script is therefore needed
 * only to quote the reference well and to refuse the places where no reference is safe:
 * - `arith`: bash evaluates the text of a variable used there as an arithmetic expression, which
 *   runs `a[$(cmd)]`: only a whole number may stand there;
 * - `literal-heredoc`: a quoted here-document expands nothing, so no reference can work there;
 * - `backtick`: `...` re-reads its text, so no quoting survives it.
 */
export type ShellContext =
  | { kind: 'word' }
  | { kind: 'double' }
  | { kind: 'single' }
  | { kind: 'ansi' }
  | { kind: 'comment' }
  | { kind: 'heredoc' }
  | { kind: 'literal-heredoc'; delimiter: string }
  | { kind: 'backtick' }
  | { kind: 'arith'; where: string };

/** An expression's context and the command it stands in, as far as it goes (for the second-shell check). */
export interface ExpressionPlace {
  context: ShellContext;
  /** The simple command up to the expression, e.g. `kubectl exec -n prod db -- sh -c 'psql `. */
  command: string;
}

interface Heredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

type Frame =
  | { kind: 'word' }
  | { kind: 'paren' }
  | { kind: 'arith' }
  | { kind: 'arith-bracket'; depth: number }
  | { kind: 'double' }
  | { kind: 'single' }
  | { kind: 'ansi' }
  | { kind: 'backtick' }
  | { kind: 'comment' }
  /** `${ ... }`: its text starts at `start`. */
  | { kind: 'param'; start: number }
  | { kind: 'test'; start: number; places: number[] }
  /** A here-document's body, up to `end` (where its delimiter line starts). */
  | { kind: 'heredoc'; heredoc: Heredoc; end: number };

/** `-eq` and friends: inside `[[ ]]` they evaluate both sides as arithmetic. */
const TEST_ARITHMETIC = /(^|\s)-(eq|ne|lt|le|gt|ge)(\s|$)/;
/** `declare -i`, `typeset -ai`, `local -i`...: later assignments to such a name are arithmetic. */
const INTEGER_DECLARATION = /(^|[\s;&|(])(declare|typeset|local|export|readonly)\s+(-[a-zA-Z]*i[a-zA-Z]*\s+)/;
/** The word so far is `name[...` with the bracket still open: an array subscript (arithmetic). */
const OPEN_SUBSCRIPT = /[A-Za-z_][A-Za-z0-9_]*\[[^\]]*$/;
/** The word so far is an assignment `name=` or `name[i]+=`. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
/** `${name:` with the colon not starting `:-`, `:=`, `:?` or `:+`: a substring offset or length. */
const SUBSTRING = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*])(\[[^\]]*\])?:(?![-=?+])/;

/** Walk the script's text (an expression stands for one opaque value) and say where each expression stands. */
export function expressionPlaces(segments: readonly Segment[]): ExpressionPlace[] {
  const script = segments.map((s) => (s.kind === 'text' ? s.text : '\u0000')).join('');
  const integers = INTEGER_DECLARATION.test(script);
  const places: ExpressionPlace[] = [];
  const stack: Frame[] = [{ kind: 'word' }];
  const pending: Heredoc[] = [];
  // Where the current simple command and the current word began (sliced out only at an expression).
  let commandStart = 0;
  let wordStart = 0;
  const top = (): Frame => stack[stack.length - 1]!;
  const push = (frame: Frame): void => void stack.push(frame);
  const pop = (): void => {
    if (stack.length > 1) stack.pop();
  };
  /** Where the innermost here-document body ends (its delimiter line), if one is open. */
  const bodyEnd = (): number => {
    let end = Infinity;
    for (const f of stack) if (f.kind === 'heredoc' && f.end < end) end = f.end;
    return end;
  };
  let end = Infinity;

  for (let i = 0; i < script.length; i++) {
    // Bash reads a here-document's body as lines up to its delimiter first, whatever they hold.
    if (i >= end) {
      const body = stack.findIndex((f) => f.kind === 'heredoc' && i >= f.end);
      const ended = stack[body] as Extract<Frame, { kind: 'heredoc' }>;
      stack.length = body;
      const lineEnd = script.indexOf('\n', ended.end);
      i = lineEnd < 0 ? script.length : lineEnd + 1;
      commandStart = wordStart = i;
      startHeredoc(stack, pending, script, i);
      end = bodyEnd();
      i--;
      continue;
    }
    const frame = top();
    // Characters that mean nothing in this frame are stepped over at once.
    const plain = PLAIN[frame.kind === 'heredoc' && frame.heredoc.quoted ? 'literal' : frame.kind];
    plain.lastIndex = i;
    if (plain.test(script)) {
      const runEnd = Math.min(plain.lastIndex, end);
      if (plain === PLAIN_IN_WORD) {
        // Blanks are plain too, but a word starts after the last one.
        const blank = Math.max(script.lastIndexOf(' ', runEnd - 1), script.lastIndexOf('\t', runEnd - 1));
        if (blank >= i) wordStart = blank + 1;
      }
      i = runEnd - 1;
      continue;
    }
    const c = script[i]!;
    if (c === '\u0000') {
      const command = script.slice(commandStart, i);
      const context = classify(stack, script.slice(wordStart, i), command, integers, script, i);
      places.push({ context, command });
      for (const f of stack) if (f.kind === 'test') f.places.push(places.length - 1);
      continue;
    }
    const stackBefore = stack.length;
    switch (frame.kind) {
      case 'heredoc':
        // An unquoted here-document expands $, ` and \ as double quotes do; a quoted one nothing.
        if (frame.heredoc.quoted) break;
        if (c === '\\') i++;
        else i = expansion(script, i, stack);
        break;
      case 'single':
        if (c === "'") pop();
        break;
      case 'ansi':
        if (c === '\\') i++;
        else if (c === "'") pop();
        break;
      case 'comment':
        if (c === '\n') {
          pop();
          commandStart = wordStart = i + 1;
          startHeredoc(stack, pending, script, i + 1);
          end = bodyEnd();
        }
        break;
      case 'double':
        if (c === '\\') i++;
        else if (c === '"') pop();
        else i = expansion(script, i, stack);
        break;
      case 'arith':
        if (c === '(') push({ kind: 'arith' });
        else if (c === ')') {
          pop();
          if (script[i + 1] === ')' && top().kind !== 'arith') i++;
        } else i = expansion(script, i, stack);
        break;
      case 'arith-bracket':
        if (c === '[') frame.depth++;
        else if (c === ']') {
          if (frame.depth === 0) pop();
          else frame.depth--;
        } else i = expansion(script, i, stack);
        break;
      case 'param':
        if (c === '}') pop();
        else if (c === '\\') i++;
        else if (c === "'") push({ kind: 'single' });
        else if (c === '"') push({ kind: 'double' });
        else i = expansion(script, i, stack);
        break;
      default: {
        // word, paren (inside $( ) or ( )), backtick, test ([[ ]])
        const atWordStart = i === 0 || /[\s;&|()]/.test(script[i - 1]!);
        if (c === '\\') i++;
        else if (c === "'") push({ kind: 'single' });
        else if (c === '"') push({ kind: 'double' });
        else if (c === '$' && script[i + 1] === "'") {
          push({ kind: 'ansi' });
          i++;
        } else if (c === '`') {
          if (frame.kind === 'backtick') pop();
          else push({ kind: 'backtick' });
        } else if (c === '(' && script[i + 1] === '(') {
          push({ kind: 'arith' });
          i++;
        } else if (c === '$') i = expansion(script, i, stack);
        else if (c === '(') {
          push({ kind: 'paren' });
          commandStart = i + 1;
        } else if (c === ')' && frame.kind === 'paren') pop();
        else if (c === '[' && script[i + 1] === '[' && atWordStart) {
          push({ kind: 'test', start: i + 2, places: [] });
          i++;
        } else if (c === ']' && script[i + 1] === ']' && frame.kind === 'test') {
          if (TEST_ARITHMETIC.test(script.slice(frame.start, i))) {
            for (const index of frame.places) places[index]!.context = { kind: 'arith', where: 'a [[ ]] comparison such as -gt' };
          }
          pop();
          i++;
        } else if (c === '#' && atWordStart) push({ kind: 'comment' });
        else if (c === '<' && script[i + 1] === '<' && script[i + 2] !== '<') {
          HEREDOC_START.lastIndex = i;
          const match = HEREDOC_START.exec(script);
          if (match) {
            const quoted = match[2] !== undefined || match[3] !== undefined || match[0].includes('\\') || /['"]/.test(match[5] ?? '');
            pending.push({
              delimiter: (match[2] ?? match[3] ?? match[4] ?? '') + (match[5] ?? '').replace(/['"]/g, ''),
              quoted,
              stripTabs: match[1] === '-',
            });
            i += match[0].length - 1;
          }
        } else if (c === '\n') startHeredoc(stack, pending, script, i + 1);
        if (/\s/.test(c)) wordStart = i + 1;
        if (/[;&|\n]/.test(c) && frame.kind !== 'test') commandStart = i + 1;
      }
    }
    if (stack.length !== stackBefore) {
      const opened = top();
      // A frame that keeps its own text remembers where it began.
      if (opened.kind === 'param') opened.start = i + 1;
      end = bodyEnd();
    }
  }
  return places;
}

/*
 * The script is read with each expression standing as one NUL character: a runbook cannot hold
 * NUL itself (YAML forbids it), so the patterns below name it on purpose.
 */
/* eslint-disable no-control-regex */

/** Runs of characters that mean nothing in a frame (sticky): every expression is \u0000. */
const PLAIN_IN_WORD = /[^\\'"`$()[\]#<\n;&|\r\v\f\u0000]+/y;
const PLAIN: Record<Frame['kind'] | 'literal', RegExp> = {
  word: PLAIN_IN_WORD,
  paren: PLAIN_IN_WORD,
  backtick: PLAIN_IN_WORD,
  test: PLAIN_IN_WORD,
  arith: /[^()$`\u0000]+/y,
  'arith-bracket': /[^[\]$`\u0000]+/y,
  double: /[^\\"`$\u0000]+/y,
  single: /[^'\u0000]+/y,
  ansi: /[^\\'\u0000]+/y,
  comment: /[^\n\u0000]+/y,
  param: /[^}\\'"`$\u0000]+/y,
  heredoc: /[^\\`$\u0000]+/y,
  literal: /[^\u0000]+/y,
};

/** `${name[` up to the expression (NUL): the expression stands in an array subscript. */
const SUBSCRIPT_BEFORE_EXPRESSION = /^[#!]?[A-Za-z_][A-Za-z0-9_]*\[[^\]]*\u0000$/;

/* eslint-enable no-control-regex */

/** `$((`, `$[`, `${`, `$(` and backticks where expansions happen (words, double quotes, here-documents, arithmetic). Returns the index reached. */
function expansion(script: string, i: number, stack: Frame[]): number {
  const c = script[i];
  if (c === '`') {
    stack.push({ kind: 'backtick' });
    return i;
  }
  if (c !== '$') return i;
  const next = script[i + 1];
  if (next === '(' && script[i + 2] === '(') {
    stack.push({ kind: 'arith' });
    return i + 2;
  }
  if (next === '(') {
    stack.push({ kind: 'paren' });
    return i + 1;
  }
  if (next === '[') {
    stack.push({ kind: 'arith-bracket', depth: 0 });
    return i + 1;
  }
  if (next === '{') {
    stack.push({ kind: 'param', start: i + 2 });
    return i + 1;
  }
  return i;
}

function classify(stack: readonly Frame[], word: string, command: string, integers: boolean, script: string, at: number): ShellContext {
  if (stack.some((f) => f.kind === 'backtick')) return { kind: 'backtick' };
  // Anything that flows into arithmetic is evaluated there, even through $( ): a number only.
  if (stack.some((f) => f.kind === 'arith' || f.kind === 'arith-bracket')) return { kind: 'arith', where: '$(( )), (( )) or $[ ]' };
  for (const f of stack) {
    if (f.kind !== 'param') continue;
    const text = script.slice(f.start, at + 1);
    if (SUBSCRIPT_BEFORE_EXPRESSION.test(text)) return { kind: 'arith', where: 'an array subscript ${name[...]}' };
    if (SUBSTRING.test(text)) return { kind: 'arith', where: 'a substring offset ${name:...}' };
  }
  const frame = stack[stack.length - 1]!;
  const wordLike = frame.kind === 'word' || frame.kind === 'paren' || frame.kind === 'test';
  if (wordLike && OPEN_SUBSCRIPT.test(word)) return { kind: 'arith', where: 'an array subscript name[...]' };
  if (/^\s*let\s/.test(command)) return { kind: 'arith', where: 'a let command' };
  if (integers && wordLike && ASSIGNMENT.test(word))
    return { kind: 'arith', where: 'an assignment in a script that declares integer variables (declare -i)' };
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i]!;
    switch (f.kind) {
      case 'single':
        return { kind: 'single' };
      case 'ansi':
        return { kind: 'ansi' };
      case 'double':
        return { kind: 'double' };
      case 'comment':
        return { kind: 'comment' };
      case 'heredoc':
        return f.heredoc.quoted ? { kind: 'literal-heredoc', delimiter: f.heredoc.delimiter } : { kind: 'heredoc' };
      case 'word':
      case 'paren':
      case 'test':
        return { kind: 'word' };
      case 'param':
        continue;
      default:
        return { kind: 'word' };
    }
  }
  return { kind: 'word' };
}

/** `<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"`, `<<\EOF`, and a delimiter that goes on after its quotes (`<<'EOF'_END`). */
const HEREDOC_START = /<<(-?)[ \t]*(?:'([^']*)'|"([^"]*)"|\\?([A-Za-z0-9_.-]+))((?:[A-Za-z0-9_.-]|'[^']*'|"[^"]*")*)/y;

/** A here-document's body starts at the next line (`from`), inside $( ) as much as at the top level. */
function startHeredoc(stack: Frame[], pending: Heredoc[], script: string, from: number): void {
  const frame = stack[stack.length - 1]!;
  if (pending.length === 0 || (frame.kind !== 'word' && frame.kind !== 'paren' && frame.kind !== 'heredoc')) return;
  const heredoc = pending.shift()!;
  let at = from;
  for (;;) {
    const lineEnd = script.indexOf('\n', at);
    const line = script.slice(at, lineEnd < 0 ? script.length : lineEnd);
    if ((heredoc.stripTabs ? line.replace(/^\t+/, '') : line) === heredoc.delimiter) break;
    if (lineEnd < 0) {
      at = script.length;
      break;
    }
    at = lineEnd + 1;
  }
  stack.push({ kind: 'heredoc', heredoc, end: at });
}

/** The variable that carries the value of the script's `index`-th expression (0-based). */
export function expressionVariable(index: number): string {
  return `DRCTL_EXPR_${index + 1}`;
}

export class ShellSubstitutionError extends Error {}

/**
 * What stands in the script in place of an expression: a reference to the variable that carries its
 * value, quoted so that the value stays one word. Throws where no reference is safe.
 */
export function referenceFor(context: ShellContext, variable: string): string {
  switch (context.kind) {
    case 'word':
      return `"\${${variable}}"`;
    case 'double':
    case 'heredoc':
    case 'comment':
    case 'arith':
      return `\${${variable}}`;
    case 'single':
      return `'"\${${variable}}"'`;
    case 'ansi':
      return `'"\${${variable}}"$'`;
    case 'backtick':
      throw new ShellSubstitutionError(
        'it stands inside `...` command substitution, which re-reads its text: use $( ... ) instead of backticks',
      );
    case 'literal-heredoc':
      throw new ShellSubstitutionError(
        `it stands in the quoted here-document <<'${context.delimiter}', which expands nothing: write <<${context.delimiter} (unquoted), and the value is expanded as it is, never read as code`,
      );
  }
}

/** A value bash may evaluate as arithmetic without running anything: a plain whole number. */
export function isWholeNumber(value: string): boolean {
  return /^-?[0-9]{1,18}$/.test(value);
}
