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
    const url = withoutPassword(args.url);
    // Without a step timeout, a silent endpoint still fails in a bounded time.
    const signal = ctx.timeoutMs === undefined ? AbortSignal.any([ctx.signal, AbortSignal.timeout(DEFAULT_TIMEOUT_MS)]) : ctx.signal;
    let response: Response;
    try {
      const { target, authorization } = credentialsApart(args.url);
      const headers = { ...(authorization ? { authorization } : {}), ...(args.headers ?? {}) };
      response = await fetch(target, { method: args.method, headers, signal, redirect: 'manual' });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      if (signal.aborted)
        throw new ActionError(
          `http.check: ${args.method} ${url}: no answer within ${DEFAULT_TIMEOUT_MS / 1000}s (set the step's timeout: to wait longer)`,
        );
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const problem = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ActionError(`http.check: ${args.method} ${url}: ${problem.split(args.url).join(url)}`);
    }
    const body = await response.text();
    const durationMs = Math.round(performance.now() - started);
    ctx.log(`${args.method} ${url} → ${response.status} in ${durationMs}ms`);
    ctx.record({ url, method: args.method, status: response.status, duration_ms: durationMs });
    if (response.status !== args.status) {
      throw new ActionError(
        `http.check: ${args.method} ${url} answered ${response.status}, expected ${args.status}${body ? `: ${body.slice(0, 200).trim()}` : ''}`,
      );
    }
    if (args.body) {
      const problem = ctx.unmetMatcher(args.body, body);
      if (problem) throw new ActionError(`http.check: ${url}: body ${problem}`);
    }
    return { status: response.status, duration_ms: durationMs };
  },
});

/** The URL as messages and the journal show it: a password in it is never repeated. */
function withoutPassword(text: string): string {
  try {
    const parsed = new URL(text);
    if (!parsed.password) return text;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return text;
  }
}

/** fetch refuses a URL with credentials: they travel as basic authentication, as curl sends them. */
function credentialsApart(text: string): { target: string; authorization?: string } {
  const parsed = new URL(text);
  if (!parsed.username && !parsed.password) return { target: text };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { target: parsed.toString(), authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
