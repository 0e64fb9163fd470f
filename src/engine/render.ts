import type { Evaluated, Literal, Scope, Segment, Value } from '../runbook/expression.js';
import { evaluate, parseTemplate, soleExpression, stringify, truthy, Unknown } from '../runbook/expression.js';
import type { ExpressionPlace } from '../runbook/shell-context.js';
import { expressionPlaces, expressionVariable, isWholeNumber, referenceFor, ShellSubstitutionError } from '../runbook/shell-context.js';
import { shellQuote } from '../runbook/shell-quote.js';
import { SECRET_MASK, secretDisplay } from './url-display.js';

export { SECRET_MASK };

/** A string with its expressions substituted: the real text, and the text safe to show. */
export interface Rendered {
  text: string;
  display: string;
  /** True when a value was not known yet (plan time); `text` then holds placeholders. */
  unknown: boolean;
}

const templateCache = new Map<string, Segment[]>();
const placeCache = new Map<string, ExpressionPlace[]>();

function segmentsOf(template: string): Segment[] {
  let segments = templateCache.get(template);
  if (!segments) {
    segments = parseTemplate(template);
    templateCache.set(template, segments);
  }
  return segments;
}

function placesOf(template: string): ExpressionPlace[] {
  let places = placeCache.get(template);
  if (!places) {
    places = expressionPlaces(segmentsOf(template));
    placeCache.set(template, places);
  }
  return places;
}

/** Substitute the expressions in a string as they are (exec: arguments, env values, action arguments, messages). */
export function renderString(template: string, scope: Scope): Rendered {
  if (!template.includes('${{')) return { text: template, display: template, unknown: false };
  let text = '';
  let display = '';
  let unknown = false;
  for (const segment of segmentsOf(template)) {
    if (segment.kind === 'text') {
      text += segment.text;
      display += segment.text;
      continue;
    }
    const { value, secret } = evaluate(segment.expr, scope);
    if (value instanceof Unknown) {
      unknown = true;
      text += value.toString();
      display += value.toString();
      continue;
    }
    const raw = stringify(value);
    text += raw;
    display += secret ? secretDisplay(raw) : raw;
  }
  return { text, display, unknown };
}

/** A `run:` script ready for bash: expressions replaced by references, their values in `env`. */
export interface RenderedScript {
  script: string;
  /** DRCTL_EXPR_<n>: the value of each expression, for the script's environment. */
  env: Record<string, string>;
  /** The script as the operator reads it: values shown where they stand, secrets masked. */
  display: string;
  unknown: boolean;
}

/**
 * Substitute the expressions of a `run:` script. No value becomes part of the script's text: each
 * reaches bash through the environment, and the script holds a reference to it (see
 * runbook/shell-context.ts), so no value can ever be read as shell code. Throws
 * ShellSubstitutionError, naming the expression and never its value, where no reference is safe:
 * backticks, a quoted here-document, and arithmetic with a value that is not a whole number.
 */
export function renderScript(template: string, scope: Scope): RenderedScript {
  if (!template.includes('${{')) return { script: template, env: {}, display: template, unknown: false };
  const places = placesOf(template);
  const env: Record<string, string> = {};
  let script = '';
  let display = '';
  let unknown = false;
  let index = 0;
  for (const segment of segmentsOf(template)) {
    if (segment.kind === 'text') {
      script += segment.text;
      display += segment.text;
      continue;
    }
    const place = places[index]!;
    const variable = expressionVariable(index++);
    const { value, secret } = evaluate(segment.expr, scope);
    const where = (): string => {
      const before = template.slice(0, segment.offset);
      const line = before.split('\n').length;
      return `\${{ ${segment.source} }} (line ${line}, column ${segment.offset - before.lastIndexOf('\n')} of the script)`;
    };
    let reference: string;
    try {
      reference = referenceFor(place.context, variable);
    } catch (error) {
      throw new ShellSubstitutionError(`cannot substitute ${where()}: ${(error as Error).message}`);
    }
    if (value instanceof Unknown) {
      unknown = true;
      script += reference;
      display += value.toString();
      continue;
    }
    const raw = stringify(value);
    if (place.context.kind === 'arith' && !isWholeNumber(raw)) {
      throw new ShellSubstitutionError(
        `cannot substitute ${where()}: it stands in ${place.context.where}, where bash evaluates it as arithmetic, and its value is not a whole number`,
      );
    }
    env[variable] = raw;
    script += reference;
    display += secret ? secretDisplay(raw) : place.context.kind === 'word' ? shellQuote(raw) : raw;
  }
  return { script, env, display, unknown };
}

/** A value that may be a whole expression (keeps its type: number, boolean) or a template string. */
export function resolveValue(value: unknown, scope: Scope): { value: unknown; display: unknown; unknown: boolean } {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return { value, display: value, unknown: false };
    const sole = soleExpression(segmentsOf(value));
    if (sole) {
      const evaluated = evaluate(sole, scope);
      return {
        value: plain(evaluated.value),
        display: evaluated.secret
          ? typeof evaluated.value === 'string'
            ? secretDisplay(evaluated.value)
            : SECRET_MASK
          : plain(evaluated.value),
        unknown: evaluated.value instanceof Unknown,
      };
    }
    const rendered = renderString(value, scope);
    return { value: rendered.text, display: rendered.display, unknown: rendered.unknown };
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => resolveValue(item, scope));
    return { value: items.map((i) => i.value), display: items.map((i) => i.display), unknown: items.some((i) => i.unknown) };
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [key, resolveValue(item, scope)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
      display: Object.fromEntries(entries.map(([k, v]) => [k, v.display])),
      unknown: entries.some(([, v]) => v.unknown),
    };
  }
  return { value, display: value, unknown: false };
}

function plain(value: Value): unknown {
  return value instanceof Unknown ? value.toString() : value;
}

export type Condition = { decided: true; value: boolean } | { decided: false; placeholder: string };

/** An `if:`: true or false, or undecided when it depends on a step that has not run. */
export function evaluateCondition(condition: string | boolean | undefined, scope: Scope): Condition {
  if (condition === undefined) return { decided: true, value: true };
  if (typeof condition === 'boolean') return { decided: true, value: condition };
  const sole = soleExpression(segmentsOf(condition));
  const result: Evaluated = sole ? evaluate(sole, scope) : { value: renderString(condition, scope).text, secret: false };
  if (result.value instanceof Unknown) return { decided: false, placeholder: result.value.toString() };
  return { decided: true, value: truthy(result.value as Literal) };
}
