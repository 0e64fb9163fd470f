import { collectRefs, parseTemplate } from './expression.js';

/** Every `steps.<id>.outputs.<name>` that the strings below a value name (a validated step, say). */
export function outputRefs(value: unknown, into: Array<{ step: string; output: string }> = []): Array<{ step: string; output: string }> {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return into;
    for (const segment of parseTemplate(value)) {
      if (segment.kind !== 'expr') continue;
      for (const ref of collectRefs(segment.expr)) {
        const [root, step, kind, output] = ref.path;
        if (root === 'steps' && kind === 'outputs' && step && output) into.push({ step, output });
      }
    }
  } else if (Array.isArray(value)) value.forEach((item) => outputRefs(item, into));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => outputRefs(item, into));
  return into;
}
