import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const RealFunction = globalThis.Function;

afterEach(() => {
  globalThis.Function = RealFunction;
});

/** Count the functions compiled from text (zod's JIT builds its parsers with `new Function`). */
function watchCompiledFunctions(): string[] {
  const compiled: string[] = [];
  globalThis.Function = new Proxy(RealFunction, {
    construct(target, args: unknown[]) {
      compiled.push(String(args.at(-1)).slice(0, 80));
      return Reflect.construct(target, args) as object;
    },
  });
  return compiled;
}

describe('schemas parse without compiling code', () => {
  // The action modules load before the runbook schema does; each builds its schemas as it loads.
  it('no action or runbook schema builds a parser with new Function, whichever module loads first', async () => {
    const compiled = watchCompiledFunctions();
    const { ACTIONS } = await import('../../src/actions/registry.js');
    const { runbookSchema } = await import('../../src/runbook/schema.js');
    const { loadPlainYaml } = await import('../../src/runbook/plain-yaml.js');
    for (const action of ACTIONS.values()) action.args.safeParse({ url: 'x', query: 'select 1', bucket: 'b' });
    const runbook = loadPlainYaml(readFileSync(join(import.meta.dirname, '..', '..', 'runbooks', 'database-loss.yaml'), 'utf8'));
    expect(runbook.ok).toBe(true);
    expect(runbookSchema.safeParse(runbook.ok ? runbook.value : undefined).success).toBe(true);
    expect(compiled).toEqual([]);
  });

  it('the watch does see code compiled from text', () => {
    const compiled = watchCompiledFunctions();
    expect(new Function('return 1')()).toBe(1);
    expect(compiled).toEqual(['return 1']);
  });
});
