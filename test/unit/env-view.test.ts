import { describe, expect, it } from 'vitest';
import { shownValue, stepEnvView, writtenEnvView } from '../../src/engine/env-view.js';
import { resolveInputs } from '../../src/engine/inputs.js';
import { buildPlan } from '../../src/engine/plan.js';
import { planToJson } from '../../src/engine/plan-json.js';
import { Redactor } from '../../src/engine/redact.js';
import { renderString, resolveValue } from '../../src/engine/render.js';
import { connectionUrlDisplay, secretDisplay } from '../../src/engine/url-display.js';
import { makeScope } from '../../src/engine/scope.js';
import { validateText } from '../../src/runbook/validate.js';
import type { Runbook } from '../../src/runbook/model.js';

describe('a secret database URL is shown as user@host:port/db with only its credentials masked', () => {
  const cases: Array<[string, string, string[]]> = [
    ['postgres://app:s3cr3t-pw@db.internal:5432/orders', 'postgres://app:***@db.internal:5432/orders', ['s3cr3t-pw']],
    // Nothing to mask: shown without its scheme, or it would read as the secret itself (masked wherever it appears).
    ['postgresql://app@db.internal/orders', 'app@db.internal/orders', []],
    // Percent-encoded: neither the written nor the decoded password is shown.
    ['postgres://app:p%40ss%3Aw0rd@db:5432/orders', 'postgres://app:***@db:5432/orders', ['p%40ss%3Aw0rd', 'p@ss:w0rd']],
    // An unescaped @ in the password: the host starts after the last one.
    ['postgres://app:p@ss@db:5432/orders', 'postgres://app:***@db:5432/orders', ['p@ss']],
    // A password in the query string, beside parameters that say where to connect.
    [
      'postgres://app@db:5432/orders?sslmode=require&password=qu3ry-pw&application_name=x',
      'postgres://app@db:5432/orders?sslmode=require&password=***&application_name=x',
      ['qu3ry-pw'],
    ],
    // Any parameter not known to be harmless is masked.
    ['postgres://app@db/orders?sslpassword=k3y-pass', 'postgres://app@db/orders?sslpassword=***', ['k3y-pass']],
    // A user name that is the password is masked too.
    ['postgres://same-s3cret:same-s3cret@db/orders', 'postgres://***:***@db/orders', ['same-s3cret']],
    ['postgres://:0nly-pw@[::1]:5433/orders', 'postgres://:***@[::1]:5433/orders', ['0nly-pw']],
    ['mysql://root:r00t-pw@10.0.0.5:3306/shop', 'mysql://root:***@10.0.0.5:3306/shop', ['r00t-pw']],
    ['mariadb://root:m4ria-pw@10.0.0.6/shop', 'mariadb://root:***@10.0.0.6/shop', ['m4ria-pw']],
    [
      'mongodb+srv://u:m0ngo-pw@cluster0.example.net/shop?retryWrites=true&authSource=admin',
      'mongodb+srv://u:***@cluster0.example.net/shop?retryWrites=***&authSource=admin',
      ['m0ngo-pw'],
    ],
  ];
  for (const [url, shown, secrets] of cases) {
    it(`${url} → ${shown}`, () => {
      expect(secretDisplay(url)).toBe(shown);
      for (const secret of secrets) expect(secretDisplay(url)).not.toContain(secret);
    });
  }

  it('masks whole a URL it cannot split without doubt: a password holding "/", "?" or "#"', () => {
    for (const url of ['postgres://app:pa/ss@db:5432/orders', 'postgres://app:pa?ss@db/orders', 'postgres://app:pa#ss@db/orders']) {
      expect(secretDisplay(url), url).toBe('***');
    }
  });

  it('masks whole a secret that is not a database URL: a webhook keeps its token in the path', () => {
    expect(secretDisplay('https://hooks.example.com/services/T000/B000/t0ken')).toBe('***');
    expect(secretDisplay('hunter2')).toBe('***');
    expect(secretDisplay('postgres://app:pw@db/orders and more')).toBe('***');
    expect(connectionUrlDisplay('https://example.com/')).toBeUndefined();
  });
});

describe('expressions show a secret database URL by where it points', () => {
  const url = 'postgres://app:s3cr3t-pw@db.internal:5432/orders';
  const scope = makeScope({
    inputs: { database_url: url, password: 's3cr3t-pw', user: 'sec-user' },
    secretInputs: new Set(['database_url', 'password', 'user']),
    env: {},
    run: { id: 'r', mode: 'dry-run', incident_start: '2026-11-22T03:00:00.000Z' },
    steps: new Map(),
    unknownSteps: 'placeholder',
  });

  it('in text, as a whole value, and where a secret only fills the password or the user', () => {
    expect(renderString('into ${{ inputs.database_url }} now?', scope)).toMatchObject({
      text: `into ${url} now?`,
      display: 'into postgres://app:***@db.internal:5432/orders now?',
    });
    expect(resolveValue('${{ inputs.database_url }}', scope).display).toBe('postgres://app:***@db.internal:5432/orders');
    expect(renderString('postgres://${{ inputs.user }}:${{ inputs.password }}@db/orders', scope).display).toBe(
      'postgres://***:***@db/orders',
    );
  });

  it('a step lists its env and its postgres connection, secrets masked, the host shown', () => {
    const view = stepEnvView(
      {
        env: { DATABASE_URL: '${{ inputs.database_url }}', PGPASSWORD: '${{ inputs.password }}', MODE: 'fast' },
        postgres: '${{ inputs.database_url }}',
      },
      scope,
    );
    expect(view).toEqual({
      env: [
        { name: 'DATABASE_URL', value: 'postgres://app:***@db.internal:5432/orders' },
        { name: 'PGPASSWORD', value: '***' },
        { name: 'MODE', value: 'fast' },
      ],
      postgres: 'postgres://app:***@db.internal:5432/orders',
    });
    expect(JSON.stringify(view)).not.toContain('s3cr3t-pw');
  });

  it('a URL written in the runbook with a password has it masked, secret or not', () => {
    expect(shownValue('postgres://app:wr1tten-pw@db/orders')).toBe('postgres://app:***@db/orders');
    expect(shownValue('https://user:wr1tten-pw@example.com/x')).toBe('https://user:***@example.com/x');
    expect(writtenEnvView({ env: { DB: 'postgres://app:wr1tten-pw@db/orders', N: '3' } })).toEqual({
      env: [
        { name: 'DB', value: 'postgres://app:***@db/orders' },
        { name: 'N', value: '3' },
      ],
    });
  });

  it('the channel redactor leaves the shown form as it is, with or without a password in the URL', () => {
    const redactor = new Redactor([url, 's3cr3t-pw']);
    expect(redactor.text(secretDisplay(url))).toBe('postgres://app:***@db.internal:5432/orders');
    const passwordless = 'postgresql://app@db.internal:5432/orders';
    expect(new Redactor([passwordless]).text(`card: ${secretDisplay(passwordless)}`)).toBe('card: app@db.internal:5432/orders');
  });
});

describe('plan lists each step env and the runbook env', () => {
  const text = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: demo, title: Demo }
inputs:
  database_url: { secret: true, env: DEMO_DATABASE_URL }
env:
  TARGET: "\${{ inputs.database_url }}"
steps:
  - id: restore
    title: Restore
    run: psql -c 'select 1'
    env: { DUMP: /tmp/dump.sql, URL: "\${{ inputs.database_url }}" }
    postgres: "\${{ inputs.database_url }}"
`;
  const load = (): Runbook => {
    const result = validateText('demo.yaml', text, 'digest');
    if (!result.runbook) throw new Error(JSON.stringify(result.diagnostics));
    return result.runbook;
  };

  it('in --json, with the password masked and the host shown', () => {
    const env = { DEMO_DATABASE_URL: 'postgres://app:pl4n-s3cret@db.internal:5432/orders' };
    const runbook = load();
    const inputs = resolveInputs(runbook, { pairs: {}, env });
    const plan = buildPlan(runbook, { inputs, mode: 'dry-run', runId: 'demo-1', incidentStart: new Date(), env });
    const json = planToJson(plan) as { env: Record<string, string>; steps: Array<{ env: Record<string, string>; postgres: string }> };
    expect(json.env).toEqual({ TARGET: 'postgres://app:***@db.internal:5432/orders' });
    expect(json.steps[0]).toMatchObject({
      env: { DUMP: '/tmp/dump.sql', URL: 'postgres://app:***@db.internal:5432/orders' },
      postgres: 'postgres://app:***@db.internal:5432/orders',
    });
    expect(JSON.stringify(json)).not.toContain('pl4n-s3cret');
  });
});
