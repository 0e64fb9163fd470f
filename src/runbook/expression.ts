/**
 * The `${{ ... }}` expression language: literals, references (inputs.x, steps.id.outputs.y, env.X,
 * run.id), comparisons, && || ! and parentheses. Parsing is separate from evaluation so `validate`
 * can check every reference without running anything.
 */

export type Literal = string | number | boolean | null;

export type Expr =
  | { kind: 'literal'; value: Literal }
  | { kind: 'ref'; path: string[]; offset: number; length: number }
  | { kind: 'not'; operand: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr };

export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

export type Segment = { kind: 'text'; text: string } | { kind: 'expr'; source: string; expr: Expr; offset: number };

export class ExpressionError extends Error {
  /** Offset of the problem within the template string. */
  readonly offset: number;
  /** How to fix it, when there is more to say than what an expression looks like. */
  readonly hint: string | undefined;
  constructor(message: string, offset: number, hint?: string) {
    super(message);
    this.name = 'ExpressionError';
    this.offset = offset;
    this.hint = hint;
  }
}

const OPEN = '${{';
const CLOSE = '}}';

/** Split a string into literal text and parsed expressions. Throws ExpressionError. */
export function parseTemplate(text: string): Segment[] {
  const segments: Segment[] = [];
  let position = 0;
  while (position < text.length) {
    const start = text.indexOf(OPEN, position);
    if (start < 0) {
      segments.push({ kind: 'text', text: text.slice(position) });
      break;
    }
    if (start > position) segments.push({ kind: 'text', text: text.slice(position, start) });
    const bodyStart = start + OPEN.length;
    const end = findClose(text, bodyStart);
    if (end < 0) throw new ExpressionError('unterminated expression: "${{" without a closing "}}"', start);
    const source = text.slice(bodyStart, end);
    if (source.trim() === '') throw new ExpressionError('empty expression "${{ }}"', start);
    segments.push({ kind: 'expr', source: source.trim(), expr: parseExpression(source, bodyStart), offset: start });
    position = end + CLOSE.length;
  }
  return segments;
}

/** When the whole string is one expression, its parsed form: the value keeps its type. */
export function soleExpression(segments: Segment[]): Expr | undefined {
  const [only, ...rest] = segments;
  return only && only.kind === 'expr' && rest.length === 0 ? only.expr : undefined;
}

/** A quote, or the end of an expression. */
const QUOTE_OR_CLOSE = /['"]|\}\}/g;

/** Where the expression that starts at `from` ends: the first `}}` outside a quoted string. */
function findClose(text: string, from: number): number {
  QUOTE_OR_CLOSE.lastIndex = from;
  for (let match = QUOTE_OR_CLOSE.exec(text); match !== null; match = QUOTE_OR_CLOSE.exec(text)) {
    if (match[0] === CLOSE) return match.index;
    const end = text.indexOf(match[0], match.index + 1);
    if (end < 0) return -1;
    QUOTE_OR_CLOSE.lastIndex = end + 1;
  }
  return -1;
}

type Token =
  | { kind: 'literal'; value: Literal; offset: number }
  | { kind: 'ident'; name: string; offset: number }
  | { kind: 'op'; op: string; offset: number }
  | { kind: 'end'; offset: number };

/** Sticky: each matches where the tokenizer stands, without copying the rest of the text. */
const NUMBER = /-?\d+(?:\.\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NAME_PART = /[A-Za-z0-9_-]+/y;

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '.'];

function tokenize(source: string, base: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const offset = base + i;
    if (c === "'" || c === '"') {
      // Like GitHub Actions: a quote is doubled to stand for itself ('it''s').
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new ExpressionError('unterminated string literal', offset);
        if (source[j] === c) {
          if (source[j + 1] === c) {
            value += c;
            j += 2;
            continue;
          }
          break;
        }
        value += source[j];
        j++;
      }
      tokens.push({ kind: 'literal', value, offset });
      i = j + 1;
      continue;
    }
    const previous = tokens[tokens.length - 1];
    const afterDot = previous?.kind === 'op' && previous.op === '.';
    if (!afterDot && /[-\d]/.test(c)) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(source);
      if (match) {
        tokens.push({ kind: 'literal', value: Number(match[0]), offset });
        i += match[0].length;
        continue;
      }
    }
    const namePattern = afterDot ? NAME_PART : NAME;
    namePattern.lastIndex = i;
    const identifier = namePattern.exec(source);
    if (identifier) {
      const name = identifier[0];
      if (!afterDot && (name === 'true' || name === 'false')) tokens.push({ kind: 'literal', value: name === 'true', offset });
      else if (!afterDot && name === 'null') tokens.push({ kind: 'literal', value: null, offset });
      else tokens.push({ kind: 'ident', name, offset });
      i += name.length;
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (!op) {
      const hint = c === '=' ? ' (compare with "==")' : c === '&' || c === '|' ? ' (use "&&" or "||")' : '';
      throw new ExpressionError(`unexpected character "${c}" in expression${hint}`, offset);
    }
    tokens.push({ kind: 'op', op, offset });
    i += op.length;
  }
  tokens.push({ kind: 'end', offset: base + source.length });
  return tokens;
}

/**
 * How deep an expression may nest: each `!`, parenthesis and operator is a level (a || b || c is
 * three deep). Real conditions use a handful; the limit keeps parsing and evaluation, which
 * recurse, far from the stack's end.
 */
export const MAX_EXPRESSION_DEPTH = 64;

const PRECEDENCE: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4 };

/** Parse one expression (the text between `${{` and `}}`); `base` offsets positions in errors. */
export function parseExpression(source: string, base = 0): Expr {
  const tokens = tokenize(source, base);
  let index = 0;
  const peek = (): Token => tokens[index]!;
  const next = (): Token => tokens[index++]!;

  const describe = (token: Token): string =>
    token.kind === 'end'
      ? 'end of expression'
      : token.kind === 'op'
        ? `"${token.op}"`
        : token.kind === 'ident'
          ? `"${token.name}"`
          : JSON.stringify(token.value);

  const tooDeep = (offset: number): ExpressionError =>
    new ExpressionError(
      `the expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels (each "!", "(" and operator is one)`,
      offset,
      'simplify it, or work a part out in an earlier step and use its output',
    );

  /** The expression and its height (the longest path from it to a leaf), from `level` levels down. */
  function primary(level: number): [Expr, number] {
    const token = next();
    if (level > MAX_EXPRESSION_DEPTH) throw tooDeep(token.offset);
    if (token.kind === 'literal') return [{ kind: 'literal', value: token.value }, 1];
    if (token.kind === 'op' && token.op === '!') {
      const [operand, height] = primary(level + 1);
      return [{ kind: 'not', operand }, height + 1];
    }
    if (token.kind === 'op' && token.op === '(') {
      const inner = binary(0, level + 1);
      const close = next();
      if (close.kind !== 'op' || close.op !== ')') throw new ExpressionError(`expected ")" but found ${describe(close)}`, close.offset);
      return inner;
    }
    if (token.kind === 'ident') {
      const path = [token.name];
      let end = token.offset + token.name.length;
      while (peek().kind === 'op' && (peek() as { op: string }).op === '.') {
        next();
        const part = next();
        if (part.kind !== 'ident') throw new ExpressionError(`expected a name after "." but found ${describe(part)}`, part.offset);
        path.push(part.name);
        end = part.offset + part.name.length;
      }
      return [{ kind: 'ref', path, offset: token.offset, length: end - token.offset }, 1];
    }
    throw new ExpressionError(`expected a value but found ${describe(token)}`, token.offset);
  }

  function binary(minPrecedence: number, level: number): [Expr, number] {
    let [left, height] = primary(level);
    for (;;) {
      const token = peek();
      if (token.kind !== 'op') break;
      const precedence = PRECEDENCE[token.op];
      if (precedence === undefined || precedence < minPrecedence) break;
      next();
      const [right, rightHeight] = binary(precedence + 1, level + 1);
      left = { kind: 'binary', op: token.op as BinaryOp, left, right };
      // a && b && c builds to the left, in this loop: the height, not the recursion, grows.
      height = Math.max(height, rightHeight) + 1;
      if (level + height > MAX_EXPRESSION_DEPTH + 1) throw tooDeep(token.offset);
    }
    return [left, height];
  }

  const [expr] = binary(0, 1);
  const rest = peek();
  if (rest.kind !== 'end') throw new ExpressionError(`unexpected ${describe(rest)} after the expression`, rest.offset);
  return expr;
}

export function collectRefs(expr: Expr, into: Array<Extract<Expr, { kind: 'ref' }>> = []): Array<Extract<Expr, { kind: 'ref' }>> {
  switch (expr.kind) {
    case 'literal':
      break;
    case 'ref':
      into.push(expr);
      break;
    case 'not':
      collectRefs(expr.operand, into);
      break;
    case 'binary':
      collectRefs(expr.left, into);
      collectRefs(expr.right, into);
      break;
  }
  return into;
}

/** A value not known yet (a later step's output at plan time): shown as a named placeholder. */
export class Unknown {
  constructor(readonly label: string) {}
  toString(): string {
    return `<${this.label}>`;
  }
}

export type Value = Literal | Unknown;

/** A value and whether it came from a secret (so displays mask it). */
export interface Evaluated {
  value: Value;
  secret: boolean;
}

export interface Scope {
  /** Resolve a reference path such as ['inputs', 'namespace']. */
  resolve(path: readonly string[]): Evaluated;
}

export function evaluate(expr: Expr, scope: Scope): Evaluated {
  switch (expr.kind) {
    case 'literal':
      return { value: expr.value, secret: false };
    case 'ref':
      return scope.resolve(expr.path);
    case 'not': {
      const operand = evaluate(expr.operand, scope).value;
      return { value: operand instanceof Unknown ? operand : !truthy(operand), secret: false };
    }
    case 'binary':
      return evaluateBinary(expr.op, expr.left, expr.right, scope);
  }
}

function evaluateBinary(op: BinaryOp, leftExpr: Expr, rightExpr: Expr, scope: Scope): Evaluated {
  const left = evaluate(leftExpr, scope);
  if (op === '&&' || op === '||') {
    if (!(left.value instanceof Unknown)) {
      const decided = op === '&&' ? !truthy(left.value) : truthy(left.value);
      if (decided) return left;
      return evaluate(rightExpr, scope);
    }
    const right = evaluate(rightExpr, scope);
    // Unknown && false is false; unknown || true is true; anything else stays unknown.
    if (!(right.value instanceof Unknown)) {
      if (op === '&&' && !truthy(right.value)) return { value: false, secret: false };
      if (op === '||' && truthy(right.value)) return right;
    }
    return left;
  }
  const right = evaluate(rightExpr, scope);
  if (left.value instanceof Unknown) return { value: left.value, secret: false };
  if (right.value instanceof Unknown) return { value: right.value, secret: false };
  return { value: compare(op, left.value, right.value), secret: false };
}

function compare(op: BinaryOp, a: Literal, b: Literal): boolean {
  // Numbers compare as numbers even when one side arrived as text (a step's stdout, say).
  const bothNumeric = isNumeric(a) && isNumeric(b) && (typeof a === 'number' || typeof b === 'number');
  const x = bothNumeric ? Number(a) : a;
  const y = bothNumeric ? Number(b) : b;
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x !== null && y !== null && x < y;
    case '<=':
      return x !== null && y !== null && x <= y;
    case '>':
      return x !== null && y !== null && x > y;
    case '>=':
      return x !== null && y !== null && x >= y;
    default:
      throw new Error(`not a comparison: ${op}`);
  }
}

function isNumeric(value: Literal): boolean {
  if (typeof value === 'number') return true;
  return typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value));
}

export function truthy(value: Literal): boolean {
  return !(value === false || value === null || value === 0 || value === '' || value === 'false');
}

export function stringify(value: Value): string {
  if (value === null) return '';
  return value instanceof Unknown ? value.toString() : String(value);
}
