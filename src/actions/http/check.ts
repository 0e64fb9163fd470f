import * as z from '../../util/zod.js';
import { arg } from '../args.js';
import { matcherSchema } from '../matcher.js';
import { ActionError, defineAction } from '../types.js';

const DEFAULT_TIMEOUT_MS = 30_000;

export const httpCheck = defineAction({
  name: 'http.check',
  summary: 'Check that an HTTP endpoint answers with the expected status (and body)',
  args: z.strictObject({
    url: z.url({ error: 'expected an http(s) URL' }),
    method: z._default(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS']), 'GET'),
    status: z._default(arg.integer(), 200),
    body: z.optional(matcherSchema),
    headers: z.optional(z.record(z.string(), z.string())),
  }),
  outputs: ['status', 'duration_ms'],
  async run(args, ctx) {
    const started = performance.now();
    // Without a step timeout, a silent endpoint still fails in a bounded time.
    const signal = ctx.timeoutMs === undefined ? AbortSignal.any([ctx.signal, AbortSignal.timeout(DEFAULT_TIMEOUT_MS)]) : ctx.signal;
    let response: Response;
    try {
      response = await fetch(args.url, { method: args.method, headers: args.headers ?? {}, signal, redirect: 'manual' });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      if (signal.aborted)
        throw new ActionError(
          `http.check: ${args.method} ${args.url}: no answer within ${DEFAULT_TIMEOUT_MS / 1000}s (set the step's timeout: to wait longer)`,
        );
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ActionError(`http.check: ${args.method} ${args.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const body = await response.text();
    const durationMs = Math.round(performance.now() - started);
    ctx.log(`${args.method} ${args.url} → ${response.status} in ${durationMs}ms`);
    ctx.record({ url: args.url, method: args.method, status: response.status, duration_ms: durationMs });
    if (response.status !== args.status) {
      throw new ActionError(
        `http.check: ${args.method} ${args.url} answered ${response.status}, expected ${args.status}${body ? `: ${body.slice(0, 200).trim()}` : ''}`,
      );
    }
    if (args.body) {
      const problem = ctx.unmetMatcher(args.body, body);
      if (problem) throw new ActionError(`http.check: ${args.url}: body ${problem}`);
    }
    return { status: response.status, duration_ms: durationMs };
  },
});
