import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../run/helpers.js';
import { drctl, header, onlyRunId, requireBuild, workspace } from '../run/helpers.js';

/**
 * A step's env, on `show`, `plan` (text and --json) and the step card of `run`: a secret database
 * URL shows where it points (user, host, port, database) with only its password masked, and no
 * form of a password is anywhere in what drctl printed.
 */

const PASSWORD = 'Pw9-s3cr3t+x@y/z';
const ENCODED = encodeURIComponent(PASSWORD);
const URL = `postgres://app:${ENCODED}@db.internal:5432/orders`;
const SHOWN = 'postgres://app:***@db.internal:5432/orders';
const TOKEN = 'tok-81f3c2a9d0';
const WRITTEN_PASSWORD = 'wr1tten-pw';

const RUNBOOK = `${header('env-display', 'Env display')}objectives: { rto: 10m }
inputs:
  database_url: { secret: true, env: ENV_DISPLAY_URL }
  token: { secret: true, env: ENV_DISPLAY_TOKEN }
env:
  TARGET_URL: "\${{ inputs.database_url }}"
steps:
  - id: show-env
    title: Show what the step is given
    run: test -n "$DATABASE_URL" && test -n "$API_TOKEN"
    env:
      DATABASE_URL: "\${{ inputs.database_url }}"
      QUERY_URL: "postgres://app@db.internal/orders?sslmode=require&password=\${{ inputs.token }}"
      API_TOKEN: "\${{ inputs.token }}"
      REPLICA_URL: "postgres://reader:${WRITTEN_PASSWORD}@replica.internal:5433/orders"
      MODE: fast
    budget: 1m
`;

/** Every form of every secret that must not appear: raw, percent-encoded, JSON-escaped, base64. */
function leaksIn(text: string): string[] {
  const found: string[] = [];
  for (const secret of [PASSWORD, ENCODED, TOKEN, WRITTEN_PASSWORD, URL]) {
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64')]) {
      if (text.includes(form)) found.push(form);
    }
  }
  return found;
}

describe('a step env is shown with secrets masked and a secret URL by where it points', () => {
  let ws: Workspace;
  const env = { ENV_DISPLAY_URL: URL, ENV_DISPLAY_TOKEN: TOKEN };

  beforeAll(() => {
    requireBuild();
    ws = workspace('drctl-env-display-');
    ws.runbook('env-display.yaml', RUNBOOK);
  });
  afterAll(() => ws?.remove());

  it('drctl show lists each step env as written, the password of a URL in the runbook masked', () => {
    const result = drctl(['show', 'env-display.yaml'], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(result.stdout).toContain('Environment');
    expect(result.stdout).toContain('TARGET_URL=${{ inputs.database_url }}');
    expect(result.stdout).toMatch(/env\s+DATABASE_URL=\$\{\{ inputs\.database_url \}\}/);
    expect(result.stdout).toContain('REPLICA_URL=postgres://reader:***@replica.internal:5433/orders');
    expect(result.stdout).toContain('MODE=fast');
    expect(leaksIn(result.all)).toEqual([]);
  });

  it('drctl plan shows user@host:port/db with only the password masked, and masks the other secrets', () => {
    const result = drctl(['plan', 'env-display.yaml'], { cwd: ws.dir, env });
    expect(result.status, result.all).toBe(0);
    expect(result.stdout).toContain(`TARGET_URL=${SHOWN}`);
    expect(result.stdout).toContain(`DATABASE_URL=${SHOWN}`);
    expect(result.stdout).toContain('QUERY_URL=postgres://app@db.internal/orders?sslmode=require&password=***');
    expect(result.stdout).toContain('API_TOKEN=***');
    expect(result.stdout).toContain('REPLICA_URL=postgres://reader:***@replica.internal:5433/orders');
    expect(leaksIn(result.all)).toEqual([]);
  });

  it('drctl plan --json carries the same env per step and for the runbook', () => {
    const result = drctl(['plan', 'env-display.yaml', '--json'], { cwd: ws.dir, env });
    expect(result.status, result.all).toBe(0);
    const plan = JSON.parse(result.stdout) as { env: Record<string, string>; steps: Array<{ env: Record<string, string> }> };
    expect(plan.env).toEqual({ TARGET_URL: SHOWN });
    expect(plan.steps[0]!.env).toEqual({
      DATABASE_URL: SHOWN,
      QUERY_URL: 'postgres://app@db.internal/orders?sslmode=require&password=***',
      API_TOKEN: '***',
      REPLICA_URL: 'postgres://reader:***@replica.internal:5433/orders',
      MODE: 'fast',
    });
    expect(leaksIn(result.all)).toEqual([]);
  });

  it('the step card of drctl run lists the env the same way, and the journal keeps no password', () => {
    const result = drctl(['run', 'env-display.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env });
    expect(result.status, result.all).toBe(0);
    expect(result.all).toMatch(new RegExp(`env\\s+DATABASE_URL=${SHOWN.replaceAll('*', '\\*')}`));
    expect(result.all).toContain('API_TOKEN=***');
    expect(result.all).toContain('MODE=fast');
    expect(leaksIn(result.all)).toEqual([]);
    const runDir = join(ws.stateDir, 'runs', onlyRunId(ws.stateDir));
    for (const file of readdirSync(runDir)) expect(leaksIn(readFileSync(join(runDir, file), 'utf8')), file).toEqual([]);
  });
});
