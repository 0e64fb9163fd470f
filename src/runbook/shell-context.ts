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
  | { kind: 'param'; text: string }
  | { kind: 'test'; text: string; places: number[] }
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
  let command = '';
  let word = '';
  let previous = '\n';
  const top = (): Frame => stack[stack.length - 1]!;
  const push = (frame: Frame): void => void stack.push(frame);
  const pop = (): void => {
    if (stack.length > 1) stack.pop();
  };

  const placeExpression = (): void => {
    const context = classify(stack, word, command, integers);
    places.push({ context, command });
    for (const frame of stack) if (frame.kind === 'test') frame.places.push(places.length - 1);
  };

  for (let i = 0; i < script.length; i++) {
    // Bash reads a here-document's body as lines up to its delimiter first, whatever they hold.
    const body = stack.findIndex((f) => f.kind === 'heredoc' && i >= f.end);
    if (body > 0) {
      const ended = stack[body] as Extract<Frame, { kind: 'heredoc' }>;
      stack.length = body;
      const lineEnd = script.indexOf('\n', ended.end);
      i = lineEnd < 0 ? script.length : lineEnd + 1;
      command = '';
      word = '';
      previous = '\n';
      startHeredoc(stack, pending, script, i);
      i--;
      continue;
    }
    const c = script[i]!;
    const frame = top();
    for (const f of stack) if (f.kind === 'param' || f.kind === 'test') f.text += c;
    if (c === '\u0000') {
      placeExpression();
      command += c;
      word += c;
      previous = 'x';
      continue;
    }
    command += c;
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
          command = '';
          word = '';
          startHeredoc(stack, pending, script, i + 1);
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
        const atWordStart = /[\s;&|()]/.test(previous);
        if (c === '\\') {
          i++;
          word += script[i] ?? '';
          command += script[i] ?? '';
        } else if (c === "'") push({ kind: 'single' });
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
          command = '';
        } else if (c === ')' && frame.kind === 'paren') pop();
        else if (c === '[' && script[i + 1] === '[' && atWordStart) {
          push({ kind: 'test', text: '', places: [] });
          i++;
        } else if (c === ']' && script[i + 1] === ']' && frame.kind === 'test') {
          if (TEST_ARITHMETIC.test(frame.text)) {
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
        } else if (c === '\n') {
          startHeredoc(stack, pending, script, i + 1);
        }
        if (/[\s]/.test(c)) word = '';
        else if (c !== '\\') word += c;
        if (/[;&|\n]/.test(c) && frame.kind !== 'test') command = '';
      }
    }
    previous = c;
  }
  return places;
}

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
    stack.push({ kind: 'param', text: '' });
    return i + 1;
  }
  return i;
}

function classify(stack: readonly Frame[], word: string, command: string, integers: boolean): ShellContext {
  if (stack.some((f) => f.kind === 'backtick')) return { kind: 'backtick' };
  // Anything that flows into arithmetic is evaluated there, even through $( ): a number only.
  if (stack.some((f) => f.kind === 'arith' || f.kind === 'arith-bracket')) return { kind: 'arith', where: '$(( )), (( )) or $[ ]' };
  for (const f of stack) {
    if (f.kind !== 'param') continue;
    if (OPEN_SUBSCRIPT.test(f.text.slice(0, -1)) || /^[#!]?[A-Za-z_][A-Za-z0-9_]*\[[^\]]*$/.test(f.text.slice(0, -1)))
      return { kind: 'arith', where: 'an array subscript ${name[...]}' };
    if (SUBSTRING.test(f.text)) return { kind: 'arith', where: 'a substring offset ${name:...}' };
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
