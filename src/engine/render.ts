import type { Evaluated, Literal, Scope, Segment, Value } from '../runbook/expression.js';
import { evaluate, parseTemplate, soleExpression, stringify, truthy, Unknown } from '../runbook/expression.js';
import type { ShellContext } from '../runbook/shell-context.js';
import { escapeForContext, shellContexts } from '../runbook/shell-context.js';

export const SECRET_MASK = '***';

/** A string with its expressions substituted: the real text, and the text safe to show. */
export interface Rendered {
  text: string;
  display: string;
  /** True when a value was not known yet (plan time); `text` then holds placeholders. */
  unknown: boolean;
}

const templateCache = new Map<string, Segment[]>();
const contextCache = new Map<string, ShellContext[]>();

function segmentsOf(template: string): Segment[] {
  let segments = templateCache.get(template);
  if (!segments) {
    segments = parseTemplate(template);
    templateCache.set(template, segments);
  }
  return segments;
}

function contextsOf(template: string): ShellContext[] {
  let contexts = contextCache.get(template);
  if (!contexts) {
    contexts = shellContexts(segmentsOf(template));
    contextCache.set(template, contexts);
  }
  return contexts;
}

/**
 * Substitute the expressions in a string. With `shell`, each value is escaped for where it stands
 * in the script (a bare word, inside quotes, a here-document), so a value can never inject shell
 * syntax. Throws ShellSubstitutionError where no escaping is safe.
 */
export function renderString(template: string, scope: Scope, options: { shell?: boolean } = {}): Rendered {
  if (!template.includes('${{')) return { text: template, display: template, unknown: false };
  let text = '';
  let display = '';
  let unknown = false;
  const contexts = options.shell ? contextsOf(template) : [];
  let exprIndex = 0;
  for (const segment of segmentsOf(template)) {
    if (segment.kind === 'text') {
      text += segment.text;
      display += segment.text;
      continue;
    }
    const { value, secret } = evaluate(segment.expr, scope);
    const context = contexts[exprIndex++];
    if (value instanceof Unknown) {
      unknown = true;
      text += value.toString();
      display += value.toString();
      continue;
    }
    const raw = stringify(value);
    const word = context ? escapeForContext(raw, context) : raw;
    text += word;
    display += secret ? SECRET_MASK : word;
  }
  return { text, display, unknown };
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
        display: evaluated.secret ? SECRET_MASK : plain(evaluated.value),
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
