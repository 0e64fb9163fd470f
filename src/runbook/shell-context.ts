import type { Segment } from './expression.js';
import { shellQuote } from './shell-quote.js';

/**
 * Where in a bash script an expression stands, so its value can be escaped for that place:
 * a bare word, inside "double" or 'single' quotes, in a comment, or in a here-document.
 */
export type ShellContext =
  | { kind: 'word' }
  | { kind: 'double' }
  | { kind: 'single' }
  | { kind: 'comment' }
  | { kind: 'backtick' }
  | { kind: 'arith' }
  | { kind: 'heredoc'; delimiter: string; quoted: boolean; stripTabs: boolean };

interface Heredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

type Frame = 'word' | 'paren' | 'arith' | 'double' | 'single' | 'backtick' | 'comment';

/** Walk the script's text (expressions stand for one opaque value each) and say each expression's context. */
export function shellContexts(segments: readonly Segment[]): ShellContext[] {
  const contexts: ShellContext[] = [];
  const stack: Frame[] = ['word'];
  const pending: Heredoc[] = [];
  let heredoc: Heredoc | undefined;
  // The current line as far as earlier segments go (an expression counts as one opaque character).
  let carry = '';
  let previous = '\n';
  const top = (): Frame => stack[stack.length - 1]!;

  for (const segment of segments) {
    if (segment.kind === 'expr') {
      if (heredoc) contexts.push({ kind: 'heredoc', ...heredoc });
      else {
        const frame = top();
        contexts.push(frame === 'paren' ? { kind: 'word' } : frame === 'arith' ? { kind: 'arith' } : { kind: frame });
      }
      carry += '\u0000';
      previous = 'x';
      continue;
    }
    const text = segment.text;
    let lineStart = 0;
    for (let i = 0; i < text.length; i++) {
      if (heredoc) {
        // A here-document body: only whole lines matter, to find the delimiter.
        const end = text.indexOf('\n', i);
        if (end === -1) {
          i = text.length;
          previous = text[i - 1]!;
          break;
        }
        const line = carry + text.slice(lineStart, end);
        const body = heredoc.stripTabs ? line.replace(/^\t+/, '') : line;
        if (body === heredoc.delimiter) heredoc = pending.shift();
        carry = '';
        lineStart = end + 1;
        i = end;
        previous = '\n';
        continue;
      }
      const c = text[i]!;
      if (c === '\n') {
        carry = '';
        lineStart = i + 1;
      }
      const frame = top();
      const plain = PLAIN[frame];
      plain.lastIndex = i;
      if (plain.test(text)) {
        i = plain.lastIndex - 1;
        previous = text[i]!;
        continue;
      }
      switch (frame) {
        case 'single':
          if (c === "'") stack.pop();
          break;
        case 'arith':
          // $(( ... )): `<<` is a shift here, not a here-document.
          if (c === '(') stack.push('arith');
          else if (c === ')') {
            stack.pop();
            if (text[i + 1] === ')' && top() !== 'arith') i++;
          } else if (c === '$' && text[i + 1] === '(' && text[i + 2] !== '(') {
            stack.push('paren');
            i++;
          }
          break;
        case 'comment':
          if (c === '\n') {
            stack.pop();
            heredoc = startHeredoc(stack, pending, heredoc);
          }
          break;
        case 'double':
          if (c === '\\') i++;
          else if (c === '"') stack.pop();
          else if (c === '`') stack.push('backtick');
          else if (c === '$' && text[i + 1] === '(' && text[i + 2] === '(') {
            stack.push('arith');
            i += 2;
          } else if (c === '$' && text[i + 1] === '(') {
            stack.push('paren');
            i++;
          }
          break;
        default: {
          // word, paren (inside $( ) or ( )), backtick
          if (c === '\\') {
            i++;
          } else if (c === "'") stack.push('single');
          else if (c === '"') stack.push('double');
          else if (c === '`') {
            if (frame === 'backtick') stack.pop();
            else stack.push('backtick');
          } else if ((c === '$' && text[i + 1] === '(' && text[i + 2] === '(') || (c === '(' && text[i + 1] === '(')) {
            stack.push('arith');
            i += c === '$' ? 2 : 1;
          } else if (c === '$' && text[i + 1] === '(') {
            stack.push('paren');
            i++;
          } else if (c === '(') stack.push('paren');
          else if (c === ')' && frame === 'paren') stack.pop();
          else if (c === '#' && /[\s;&|()]/.test(previous)) stack.push('comment');
          else if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
            HEREDOC_START.lastIndex = i;
            const match = HEREDOC_START.exec(text);
            if (match) {
              const quoted = match[2] !== undefined || match[3] !== undefined || match[0].includes('\\');
              pending.push({ delimiter: match[2] ?? match[3] ?? match[4]!, quoted, stripTabs: match[1] === '-' });
              i += match[0].length - 1;
            }
          } else if (c === '\n') heredoc = startHeredoc(stack, pending, heredoc);
        }
      }
      previous = c;
    }
    carry += text.slice(lineStart);
  }
  return contexts;
}

/** Runs of characters that mean nothing in a frame, stepped over at once (sticky). */
const PLAIN_IN_WORD = /[^\\'"`$()#<\n]+/y;
const PLAIN: Record<Frame, RegExp> = {
  word: PLAIN_IN_WORD,
  paren: PLAIN_IN_WORD,
  backtick: PLAIN_IN_WORD,
  arith: /[^()$]+/y,
  double: /[^\\"`$]+/y,
  single: /[^']+/y,
  comment: /[^\n]+/y,
};

/** `<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"` or `<<\EOF`, read where it stands (sticky). */
const HEREDOC_START = /<<(-?)[ \t]*(?:'([^']*)'|"([^"]*)"|\\?([A-Za-z0-9_.-]+))/y;

/** A here-document's body starts at the next line, inside $( ) as much as at the top level. */
function startHeredoc(stack: Frame[], pending: Heredoc[], current: Heredoc | undefined): Heredoc | undefined {
  const frame = stack[stack.length - 1];
  if (current || pending.length === 0 || (frame !== 'word' && frame !== 'paren')) return current;
  return pending.shift();
}

export class ShellSubstitutionError extends Error {}

/** Escape a value so that, in its context, bash reads it back as exactly that text and nothing else. */
export function escapeForContext(value: string, context: ShellContext): string {
  switch (context.kind) {
    case 'word':
      return shellQuote(value);
    case 'double':
      return value.replace(/[\\$"`]/g, (c) => `\\${c}`);
    case 'single':
      return value.replaceAll("'", `'\\''`);
    case 'comment':
      return value.replace(/[\r\n]+/g, ' ');
    case 'backtick':
      throw new ShellSubstitutionError('an expression inside `...` cannot be quoted safely: use $( ... ) instead of backticks');
    case 'arith':
      // Arithmetic evaluates names and $( ) in its operands: only a plain number is safe.
      if (/^-?\d+$/.test(value)) return value;
      throw new ShellSubstitutionError(`${JSON.stringify(value.slice(0, 40))} is not a whole number, so it cannot stand inside $(( ))`);
    case 'heredoc': {
      const lines = value.split('\n').map((l) => (context.stripTabs ? l.replace(/^\t+/, '') : l));
      if (lines.includes(context.delimiter))
        throw new ShellSubstitutionError(`the value holds a line "${context.delimiter}" that would end the here-document early`);
      return context.quoted ? value : value.replace(/[\\$`]/g, (c) => `\\${c}`);
    }
  }
}
