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

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'expr'; source: string; expr: Expr; offset: number };

export class ExpressionError extends Error {
  /** Offset of the problem within the template string. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ExpressionError';
    this.offset = offset;
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
      const match = /^-?\d+(?:\.\d+)?/.exec(source.slice(i));
      if (match) {
        tokens.push({ kind: 'literal', value: Number(match[0]), offset });
        i += match[0].length;
        continue;
      }
    }
    const identifier = (afterDot ? /^[A-Za-z0-9_-]+/ : /^[A-Za-z_][A-Za-z0-9_-]*/).exec(source.slice(i));
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

const PRECEDENCE: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4 };

/** Parse one expression (the text between `${{` and `}}`); `base` offsets positions in errors. */
export function parseExpression(source: string, base = 0): Expr {
  const tokens = tokenize(source, base);
  let index = 0;
  const peek = (): Token => tokens[index]!;
  const next = (): Token => tokens[index++]!;

  const describe = (token: Token): string =>
    token.kind === 'end' ? 'end of expression' : token.kind === 'op' ? `"${token.op}"` : token.kind === 'ident' ? `"${token.name}"` : JSON.stringify(token.value);

  function primary(): Expr {
    const token = next();
    if (token.kind === 'literal') return { kind: 'literal', value: token.value };
    if (token.kind === 'op' && token.op === '!') return { kind: 'not', operand: primary() };
    if (token.kind === 'op' && token.op === '(') {
      const inner = binary(0);
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
      return { kind: 'ref', path, offset: token.offset, length: end - token.offset };
    }
    throw new ExpressionError(`expected a value but found ${describe(token)}`, token.offset);
  }

  function binary(minPrecedence: number): Expr {
    let left = primary();
    for (;;) {
      const token = peek();
      if (token.kind !== 'op') break;
      const precedence = PRECEDENCE[token.op];
      if (precedence === undefined || precedence < minPrecedence) break;
      next();
      const right = binary(precedence + 1);
      left = { kind: 'binary', op: token.op as BinaryOp, left, right };
    }
    return left;
  }

  const expr = binary(0);
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
