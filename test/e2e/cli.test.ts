import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { crashSigns, drctl, requireBuild, ROOT } from './drctl.js';

/** End-to-end tests of the built binary, as an operator types it. */

const SHIPPED_DIR = join(ROOT, 'runbooks');

interface ShippedRunbook {
  file: string;
  name: string;
  title: string;
  rto?: string;
  rpo?: string;
  inputs: string[];
  steps: Array<{ id: string; title: string }>;
}

/** The runbooks that ship with drctl, read straight from their YAML (whatever the folder holds today). */
function shippedRunbooks(): ShippedRunbook[] {
  return readdirSync(SHIPPED_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => {
      const doc = parse(readFileSync(join(SHIPPED_DIR, name), 'utf8')) as {
        metadata: { name: string; title: string };
        objectives?: { rto?: string; rpo?: string };
        inputs?: Record<string, unknown>;
        steps: Array<{ id: string; title: string }>;
      };
      return {
        file: name,
        name: doc.metadata.name,
        title: doc.metadata.title,
        ...(doc.objectives?.rto ? { rto: doc.objectives.rto } : {}),
        ...(doc.objectives?.rpo ? { rpo: doc.objectives.rpo } : {}),
        inputs: Object.keys(doc.inputs ?? {}),
        steps: doc.steps.map((s) => ({ id: s.id, title: s.title })),
      };
    });
}

/** A duration as drctl displays it: 90m is shown as 1h30m, 1h as 1h, 15m as 15m. */
function shown(duration: string): string {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) ms += Number(amount) * units[unit!]!;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  if (h) return m ? `${h}h${String(m).padStart(2, '0')}m` : `${h}h`;
  if (m) return s ? `${m}m${String(s).padStart(2, '0')}s` : `${m}m`;
  return `${s}s`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A runbook an operator wrote for their own service: inputs of every origin, a secret, outputs and conditions. */
const ORDERS_RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata:
  name: restore-orders
  title: Restore the orders database
objectives: { rto: 30m, rpo: 15m }
inputs:
  namespace: { description: Kubernetes namespace of the orders service }
  bucket: { description: S3 bucket of the backups }
  region: { description: AWS region of the bucket, env: DRCTL_TEST_REGION }
  replicas: { type: number, default: 3 }
  target: { type: choice, options: [staging, production], default: staging }
  db_password: { description: Password of the orders role, secret: true, env: DRCTL_TEST_DB_PASSWORD }
  pin: { type: number, secret: true, default: 4815162342 }
  note: { default: none }
  payload: { default: plain }
steps:
  - id: find
    title: Find the newest backup
    run: aws s3 ls s3://\${{ inputs.bucket }}/orders/ --region \${{ inputs.region }} | tail -n 1
    outputs:
      key: { from: stdout, trim: true }
    budget: 2m
  - id: download
    title: Download the backup
    run: aws s3 cp s3://\${{ inputs.bucket }}/\${{ steps.find.outputs.key }} /tmp/orders.sql.gz
    budget: 5m
  - id: restore
    title: Restore into the database
    uses: postgres.query
    with:
      url: postgres://orders:\${{ inputs.db_password }}@db.internal/orders
      sql: select 1
    budget: 15m
  - id: check-production
    title: Extra checks in production
    if: \${{ inputs.target == 'production' }}
    run: echo checking production
    budget: 10m
  - id: restart
    title: Restart the orders service when a backup was found
    if: \${{ steps.find.outputs.key != '' }}
    exec: [kubectl, -n, "\${{ inputs.namespace }}", scale, deployment/orders, "--replicas=\${{ inputs.replicas }}"]
    budget: 10m
  - id: echo-payload
    title: Echo the payload
    run: printf '[%s]\\n' \${{ inputs.payload }}
    budget: 1m
  - id: tell
    title: Tell the team
    manual: |
      Restored \${{ steps.find.outputs.key }} into \${{ inputs.namespace }} with password \${{ inputs.db_password }} and pin \${{ inputs.pin }} (note: \${{ inputs.note }}).
    budget: 2m
`;

const SECRET = 's3cr3t-Value-42';
const PIN = '4815162342';

let scratch: string;
let ordersDir: string;
let ordersFile: string;

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** plan the orders runbook with every input given one way or another. */
function planOrders(extra: string[] = [], env: Record<string, string | undefined> = {}) {
  const inputsFile = write(join(scratch, 'inputs', 'orders.yaml'), 'bucket: orders-backups\nnamespace: from-the-file\n');
  return drctl(['plan', ordersFile, '--input', 'namespace=orders', '--inputs-file', inputsFile, ...extra], {
    env: { DRCTL_TEST_REGION: 'eu-west-1', DRCTL_TEST_DB_PASSWORD: SECRET, ...env },
  });
}

beforeAll(() => {
  requireBuild();
  scratch = mkdtempSync(join(tmpdir(), 'drctl-cli-'));
  ordersDir = join(scratch, 'my-runbooks');
  // The file name differs from metadata.name on purpose: lookup by name reads the files.
  ordersFile = write(join(ordersDir, 'orders-restore.yaml'), ORDERS_RUNBOOK);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('help', () => {
  it('drctl --help exits 0, lists the commands and shows an example', () => {
    const result = drctl(['--help']);
    expect(result.status).toBe(0);
    for (const command of ['list', 'show', 'validate', 'plan', 'schema'])
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(result.stdout, 'the top-level help shows at least one example command line').toMatch(/^\s+\$ drctl \S+/m);
  });

  for (const command of ['list', 'show', 'validate', 'plan', 'schema']) {
    it(`drctl ${command} --help exits 0 and shows an example`, () => {
      const result = drctl([command, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`Usage: drctl ${command}`);
      expect(result.stdout).toContain('Examples:');
      expect(result.stdout).toMatch(new RegExp(`^\\s+\\$ (?:\\S+=\\S+ )?drctl ${command}\\b`, 'm'));
      expect(result.stderr).toBe('');
    });
  }
});

describe('usage mistakes', () => {
  it('an unknown command exits 2 and suggests the closest one', () => {
    const result = drctl(['lst']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command 'lst'");
    expect(result.stderr).toContain('Did you mean list?');
    expect(crashSigns(result.all)).toEqual([]);
  });

  it('an unknown option exits 2 and suggests the closest one', () => {
    const result = drctl(['list', '--jsn']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown option '--jsn'");
    expect(result.stderr).toContain('Did you mean --json?');
    expect(result.stdout).toBe('');
  });

  it('a missing argument exits 2 and names it', () => {
    const result = drctl(['show']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("missing required argument 'runbook'");
  });

  it('an --input that is not name=value exits 2 with an example', () => {
    const result = drctl(['plan', ordersFile, '--input', 'namespace']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--input number 1 (of 1) is not name=value');
    expect(result.stderr).toContain('e.g. --input namespace=payments');
    expect(crashSigns(result.all)).toEqual([]);
  });
});

describe('drctl list', () => {
  const shipped = shippedRunbooks();

  it('shows every shipped runbook with its RTO, RPO and number of steps', () => {
    expect(shipped.length).toBeGreaterThan(0);
    const result = drctl(['list']);
    expect(result.status).toBe(0);
    expect(result.stderr, 'no shipped runbook is skipped as invalid').toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['NAME', 'TITLE', 'RTO', 'BUDGET', 'RPO', 'STEPS', 'SOURCE']);
    expect(lines).toHaveLength(shipped.length + 1);
    for (const runbook of shipped) {
      const row = lines.find((line) => line.startsWith(`${runbook.name} `));
      expect(row, `a row for ${runbook.name}`).toBeDefined();
      const [name, title, rto, budget, rpo, steps, source] = row!.trim().split(/\s{2,}/);
      // The sum of the step budgets stands beside the RTO, with its share of it.
      expect(budget).toMatch(runbook.rto ? /^\S+ \(\d+%\)$/ : /^\S+$/);
      expect({ name, title, rto, rpo, steps: Number(steps), source }).toEqual({
        name: runbook.name,
        title: runbook.title,
        rto: runbook.rto ? shown(runbook.rto) : '-',
        rpo: runbook.rpo ? shown(runbook.rpo) : '-',
        steps: runbook.steps.length,
        source: 'shipped',
      });
    }
  });

  it('list --json parses and carries the same facts', () => {
    const result = drctl(['list', '--json']);
    expect(result.status).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{
      name: string;
      title: string;
      rto: string | null;
      rpo: string | null;
      steps: number;
      budget_s: number;
      source: string;
      file: string;
    }>;
    expect(rows.map((r) => r.name).sort()).toEqual(shipped.map((r) => r.name).sort());
    for (const runbook of shipped) {
      expect(rows.find((r) => r.name === runbook.name)).toMatchObject({
        title: runbook.title,
        rto: runbook.rto ? shown(runbook.rto) : null,
        rpo: runbook.rpo ? shown(runbook.rpo) : null,
        steps: runbook.steps.length,
        source: 'shipped',
        budget_s: expect.any(Number),
      });
    }
  });

  it('every shipped runbook plans its steps within 80% of its RTO, and says so beside it', () => {
    const rows = JSON.parse(drctl(['list', '--json']).stdout) as Array<{
      name: string;
      rto_s: number | null;
      budget_s: number;
      budget_percent_of_rto: number | null;
    }>;
    const shippedRows = rows.filter((r) => shipped.some((s) => s.name === r.name));
    expect(shippedRows.length).toBe(shipped.length);
    for (const row of shippedRows) {
      expect(row.rto_s, row.name).not.toBeNull();
      expect(row.budget_s, `${row.name}: the sum of its budgets leaves room in its RTO`).toBeLessThanOrEqual(row.rto_s! * 0.8);
      expect(row.budget_percent_of_rto).toBe(Math.round((row.budget_s / row.rto_s!) * 100));
    }
    const text = drctl(['list'], { env: { COLUMNS: '200' } }).stdout;
    const database = shippedRows.find((r) => r.name === 'database-loss')!;
    expect(text).toMatch(new RegExp(`database-loss .* 1h\\s+\\S+ \\(${database.budget_percent_of_rto}%\\)\\s+15m`));
  });

  it('lists the runbooks of --dir as local, before the shipped ones, and names the invalid ones it skipped', () => {
    const dir = join(scratch, 'list-dir');
    write(join(dir, 'orders.yaml'), ORDERS_RUNBOOK);
    write(join(dir, 'broken.yaml'), 'apiVersion: drctl/v1\nkind: Runbook\n');
    const result = drctl(['list', '--dir', dir]);
    expect(result.status).toBe(0);
    const rows = result.stdout.trimEnd().split('\n').slice(1);
    expect(rows[0]).toMatch(/^restore-orders\s+Restore the orders database\s+30m\s+\S+ \(\d+%\)\s+15m\s+7\s+local$/);
    expect(rows).toHaveLength(shipped.length + 1);
    expect(result.stderr).toContain(
      `skipped ${join(dir, 'broken.yaml')}: not a valid runbook (drctl validate ${join(dir, 'broken.yaml')})`,
    );
  });
});

describe('drctl show', () => {
  it('show database-loss renders the title, objectives, inputs and every step', () => {
    const runbook = shippedRunbooks().find((r) => r.name === 'database-loss');
    expect(runbook, 'database-loss ships with drctl').toBeDefined();
    const result = drctl(['show', 'database-loss']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const out = result.stdout;
    expect(out.split('\n')[0]).toBe(`${runbook!.title} (database-loss)`);
    expect(out).toMatch(/^Objectives$/m);
    expect(out).toContain(`RTO ${runbook!.rto ? shown(runbook!.rto) : 'not set'} · RPO ${runbook!.rpo ? shown(runbook!.rpo) : 'not set'}`);
    expect(out).toMatch(/^Inputs$/m);
    for (const input of runbook!.inputs) expect(out).toMatch(new RegExp(`^  ${escapeRegExp(input)}\\s`, 'm'));
    expect(out).toMatch(/^Steps$/m);
    runbook!.steps.forEach((step, index) => {
      expect(out).toMatch(new RegExp(`^  ${index + 1}\\. ${escapeRegExp(step.title)} \\[${escapeRegExp(step.id)}\\]`, 'm'));
    });
  });

  it('show marks a secret input and never prints a secret default', () => {
    const result = drctl(['show', ordersFile]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^ {2}db_password\s+string, secret, from \$DRCTL_TEST_DB_PASSWORD, required unless set\s+Password of the orders role$/m,
    );
    expect(result.stdout).toMatch(/^ {2}pin\s+number, secret, default \*\*\*/m);
    expect(result.all).not.toContain(PIN);
  });
});

describe('drctl plan of a runbook the operator wrote', () => {
  it('resolves inputs from --input, --inputs-file, an environment variable and defaults, and says where each came from', () => {
    const result = planOrders();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out.split('\n')[0]).toBe('Plan Restore the orders database (restore-orders)');
    const inputRow = (name: string, value: string, source: string) =>
      new RegExp(`^  ${name}\\s+${escapeRegExp(value)}\\s+\\(${source}\\)$`, 'm');
    expect(out, '--input wins over the same input in --inputs-file').toMatch(inputRow('namespace', 'orders', 'option'));
    expect(out).toMatch(inputRow('bucket', 'orders-backups', 'file'));
    expect(out).toMatch(inputRow('region', 'eu-west-1', 'env'));
    expect(out).toMatch(inputRow('replicas', '3', 'default'));
    expect(out).toMatch(inputRow('target', 'staging', 'default'));
    expect(out).not.toContain('from-the-file');
    expect(out).toContain('$ aws s3 ls s3://orders-backups/orders/ --region eu-west-1 | tail -n 1');
    expect(out).toContain('$ kubectl -n orders scale deployment/orders --replicas=3');
    expect(out).toMatch(/Nothing was run\.\n$/);
  });

  it('an environment variable fills an input only when no option gives it', () => {
    const result = planOrders(['--input', 'region=us-east-2']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ {2}region\s+us-east-2\s+\(option\)$/m);
    expect(result.stdout).toContain('--region us-east-2 |');
  });

  it('reports every missing and ill-typed input at once (exit 2) and plans nothing', () => {
    const result = drctl(['plan', ordersFile, '--input', 'replicas=many', '--input', 'target=prod']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    const err = result.stderr;
    expect(err).toContain('6 problems with the inputs of restore-orders:');
    expect(err).toContain('missing required input "namespace" (Kubernetes namespace of the orders service): give --input namespace=...');
    expect(err).toContain('missing required input "bucket"');
    expect(err).toContain('missing required input "region" (AWS region of the bucket): give --input region=... or set $DRCTL_TEST_REGION');
    expect(err).toContain('missing required input "db_password"');
    expect(err).toContain('input "replicas": "many" is not a number');
    expect(err).toContain('input "target": "prod" is not one of "staging", "production"');
    expect(crashSigns(result.all)).toEqual([]);
  });

  it('refuses an input the runbook does not declare, with a did-you-mean', () => {
    const result = planOrders(['--input', 'regoin=us-east-2']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown input "regoin": did you mean "region"?');
    expect(result.stdout).toBe('');
  });

  it('points at the line of a bad value in --inputs-file', () => {
    const inputsFile = write(join(scratch, 'inputs', 'bad.yaml'), 'namespace: orders\nbucket: orders-backups\nreplicas: lots\n');
    const result = drctl(['plan', ordersFile, '--inputs-file', inputsFile], {
      env: { DRCTL_TEST_REGION: 'eu-west-1', DRCTL_TEST_DB_PASSWORD: SECRET },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${inputsFile}:3:1: input "replicas": "lots" is not a number`);
  });

  it('masks a secret input as *** and never prints its value, in text or JSON', () => {
    const text = planOrders();
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^ {2}db_password\s+\*\*\*\s+\(env\)$/m);
    expect(text.stdout).toMatch(/^ {2}pin\s+\*\*\*\s+\(default\)$/m);
    // A connection string is a secret argument of the postgres actions: shown by where it points, its password masked.
    expect(text.stdout).toContain('url: postgres://orders:***@db.internal/orders');
    expect(text.stdout).toContain('with password *** and pin ***');
    expect(text.all).not.toContain(SECRET);
    expect(text.all).not.toContain(PIN);

    const json = planOrders(['--json']);
    expect(json.status).toBe(0);
    expect(json.all).not.toContain(SECRET);
    expect(json.all).not.toContain(PIN);
    const plan = JSON.parse(json.stdout) as { inputs: Array<{ name: string; value: string; secret: boolean }> };
    expect(plan.inputs.find((i) => i.name === 'db_password')).toMatchObject({ value: '***', secret: true });
  });

  it('a secret given with the wrong type is refused without echoing it', () => {
    const wrong = 'not-a-number-PIN-9931';
    const result = planOrders(['--input', `pin=${wrong}`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('input "pin": the given value is not a valid number');
    expect(result.all).not.toContain(wrong);
  });

  it('a secret used as the text the operator must type is masked too', () => {
    const file = write(
      join(scratch, 'confirm-secret.yaml'),
      `apiVersion: drctl/v1
kind: Runbook
metadata: { name: confirm-secret, title: Confirm with a secret }
objectives: { rto: 10m, rpo: 5m }
inputs:
  break_glass: { secret: true, env: DRCTL_TEST_BREAK_GLASS }
steps:
  - id: flush
    title: Flush the cache
    run: redis-cli flushall
    confirm: { type: "\${{ inputs.break_glass }}" }
    budget: 1m
`,
    );
    for (const args of [[], ['--json']]) {
      const result = drctl(['plan', file, ...args], { env: { DRCTL_TEST_BREAK_GLASS: 'glass-7Q2-secret' } });
      expect(result.status).toBe(0);
      expect(result.all, `plan ${args.join(' ')}`).not.toContain('glass-7Q2-secret');
    }
  });

  it('shows the outputs of earlier steps as named placeholders', () => {
    const result = planOrders();
    expect(result.stdout).toContain('$ aws s3 cp s3://orders-backups/<steps.find.outputs.key> /tmp/orders.sql.gz');
    expect(result.stdout).toContain('manual: Restored <steps.find.outputs.key> into orders');
  });

  it('shows an if: that depends on an earlier step as decided at run time, and one false from the inputs as skipped', () => {
    const staging = planOrders();
    expect(staging.stdout).toContain("if ${{ steps.find.outputs.key != '' }} → decided at run time (depends on <steps.find.outputs.key>)");
    expect(staging.stdout).toContain("if ${{ inputs.target == 'production' }} → skipped");
    const production = planOrders(['--input', 'target=production']);
    expect(production.stdout).toContain("if ${{ inputs.target == 'production' }} → runs");
  });

  it('shows a budget timeline: the cumulative budget against the RTO, skipped steps adding nothing', () => {
    const result = planOrders();
    const out = result.stdout;
    expect(out).toMatch(/^Budget timeline$/m);
    const row = (n: number, id: string, budget: string, cumulative: string) =>
      new RegExp(`^\\s+${n}\\.\\s+${escapeRegExp(id)}\\s+${budget}\\s+[#.]{30}\\s+${escapeRegExp(cumulative)}$`, 'm');
    expect(out).toMatch(row(1, 'find', '2m', '2m / 30m'));
    expect(out).toMatch(row(2, 'download', '5m', '7m / 30m'));
    expect(out).toMatch(row(3, 'restore', '15m', '22m / 30m'));
    expect(out).toMatch(row(4, 'check-production', 'skipped', '22m / 30m'));
    expect(out).toMatch(row(5, 'restart', '10m', '32m / 30m past RTO'));
    expect(out).toMatch(row(7, 'tell', '2m', '35m / 30m past RTO'));
    expect(out).toContain('Total budget 35m exceeds the RTO of 30m (117%). Nothing was run.');
    const production = planOrders(['--input', 'target=production']);
    expect(production.stdout).toMatch(row(4, 'check-production', '10m', '32m / 30m past RTO'));
    expect(production.stdout).toContain('Total budget 45m exceeds the RTO of 30m (150%)');
  });

  it('plan --json has the resolved commands, conditions and budgets', () => {
    const result = planOrders(['--json']);
    expect(result.status).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      runbook: string;
      mode: string;
      objectives: { rto_s: number; rpo_s: number };
      inputs: Array<{ name: string; value: string; source: string }>;
      steps: Array<{
        id: string;
        command: Record<string, unknown>;
        if: { decided: boolean; value: boolean | null } | null;
        will_run: boolean | null;
        budget_s: number;
        cumulative_budget_s: number;
        past_rto: boolean;
      }>;
      total_budget_s: number;
      budget_within_rto: boolean;
    };
    expect(plan).toMatchObject({
      runbook: 'restore-orders',
      mode: 'dry-run',
      objectives: { rto_s: 1800, rpo_s: 900 },
      total_budget_s: 35 * 60,
      budget_within_rto: false,
    });
    expect(plan.inputs.find((i) => i.name === 'bucket')).toEqual({
      name: 'bucket',
      value: 'orders-backups',
      source: 'file',
      secret: false,
    });
    const step = (id: string) => plan.steps.find((s) => s.id === id)!;
    expect(step('find').command).toEqual({ run: 'aws s3 ls s3://orders-backups/orders/ --region eu-west-1 | tail -n 1' });
    expect(step('download').command).toEqual({ run: 'aws s3 cp s3://orders-backups/<steps.find.outputs.key> /tmp/orders.sql.gz' });
    expect(step('restore').command).toEqual({
      uses: 'postgres.query',
      with: { url: 'postgres://orders:***@db.internal/orders', sql: 'select 1' },
    });
    expect(step('restart').command).toEqual({ exec: ['kubectl', '-n', 'orders', 'scale', 'deployment/orders', '--replicas=3'] });
    expect(step('restart')).toMatchObject({
      if: { decided: false, value: null },
      will_run: null,
      cumulative_budget_s: 32 * 60,
      past_rto: true,
    });
    expect(step('check-production')).toMatchObject({
      if: { decided: true, value: false },
      will_run: false,
      cumulative_budget_s: 22 * 60,
      past_rto: false,
    });
    expect(step('find')).toMatchObject({ if: null, will_run: true, budget_s: 120, cumulative_budget_s: 120 });
  });

  it('a value with quotes, $(), backticks, ; and a newline becomes exactly one single-quoted shell word', () => {
    const marker = join(scratch, 'INJECTED');
    const value = `it's "$(touch ${marker})" \`touch ${marker}\`; touch ${marker} $HOME\nrm -rf /tmp/nothing`;
    const quoted = `'${value.replaceAll("'", `'\\''`)}'`;

    const json = planOrders(['--json', '--input', `payload=${value}`]);
    expect(json.status).toBe(0);
    const plan = JSON.parse(json.stdout) as { steps: Array<{ id: string; command: { run?: string } }> };
    const script = plan.steps.find((s) => s.id === 'echo-payload')!.command.run!;
    expect(script).toBe(`printf '[%s]\\n' ${quoted}`);

    // bash reads the substituted value back as one argument, byte for byte, and runs none of it.
    const shell = spawnSync('bash', ['-c', script], { cwd: scratch, encoding: 'utf8' });
    expect(shell.status).toBe(0);
    expect(shell.stdout).toBe(`[${value}]\n`);
    expect(existsSync(marker)).toBe(false);

    const text = planOrders(['--input', `payload=${value}`]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`$ printf '[%s]\\n' ${quoted.split('\n')[0]}`);
    expect(text.stdout).toMatch(new RegExp(`^\\s+${escapeRegExp(quoted.split('\n')[1]!)}$`, 'm'));
  });

  it('an invalid runbook is refused before any input is looked at', () => {
    const file = write(join(scratch, 'invalid', 'typo.yaml'), ORDERS_RUNBOOK.replace('    budget: 5m\n', '    budgt: 5m\n'));
    const result = drctl(['plan', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/typo\.yaml:27:5: error: unknown key "budgt" \(at steps\[1\]\.budgt\)/);
    expect(result.stderr).toContain('did you mean "budget"?');
    expect(result.stderr).not.toContain('missing required input');
    expect(result.stdout).toBe('');
  });
});

describe('drctl schema', () => {
  it('prints a JSON Schema for editors, with $schema and properties.steps', () => {
    const result = drctl(['schema']);
    expect(result.status).toBe(0);
    const schema = JSON.parse(result.stdout) as {
      $schema: string;
      $id?: string;
      type: string;
      required: string[];
      properties: Record<string, { type?: string; items?: { properties?: Record<string, unknown> } }>;
    };
    expect(schema.$schema).toMatch(/^https:\/\/json-schema\.org\//);
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'steps']));
    expect(schema.properties.steps?.type).toBe('array');
    expect(Object.keys(schema.properties.steps?.items?.properties ?? {})).toEqual(
      expect.arrayContaining(['id', 'title', 'run', 'exec', 'uses', 'manual', 'budget', 'timeout']),
    );
  });
});

describe('finding a runbook by name', () => {
  const other = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: restore-orders, title: Orders restore from the other folder }
objectives: { rto: 30m, rpo: 15m }
steps:
  - { id: only, title: Only step, run: echo only, budget: 1m }
`;

  it('finds a name in --dir by reading the files (the file name need not match)', () => {
    const result = drctl(['show', 'restore-orders', '--dir', ordersDir]);
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Restore the orders database (restore-orders)');
    expect(result.stdout).toContain(ordersFile);
  });

  it('finds a name in $DRCTL_RUNBOOKS', () => {
    const result = drctl(['show', 'restore-orders'], { env: { DRCTL_RUNBOOKS: ordersDir } });
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Restore the orders database (restore-orders)');
  });

  it('--dir wins over $DRCTL_RUNBOOKS', () => {
    const otherDir = join(scratch, 'other-runbooks');
    write(join(otherDir, 'restore-orders.yaml'), other);
    const result = drctl(['show', 'restore-orders', '--dir', otherDir], { env: { DRCTL_RUNBOOKS: ordersDir } });
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Orders restore from the other folder (restore-orders)');
  });

  it('looks in ./runbooks of the current folder by default', () => {
    const project = join(scratch, 'project');
    write(join(project, 'runbooks', 'orders.yml'), ORDERS_RUNBOOK);
    const result = drctl(
      [
        'plan',
        'restore-orders',
        '--input',
        'namespace=orders',
        '--input',
        'bucket=b',
        '--input',
        'region=r',
        '--input',
        `db_password=${SECRET}`,
      ],
      { cwd: project },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Plan Restore the orders database (restore-orders)');
    expect(result.all).not.toContain(SECRET);
  });

  it('falls back to the shipped runbooks when the folder does not have the name', () => {
    const result = drctl(['show', 'database-loss', '--dir', ordersDir], { cwd: scratch });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(join(SHIPPED_DIR, 'database-loss.yaml'));
  });

  it('a local runbook shadows a shipped one of the same name', () => {
    const localDir = join(scratch, 'shadow');
    write(
      join(localDir, 'db.yaml'),
      other
        .replace('name: restore-orders', 'name: database-loss')
        .replace('Orders restore from the other folder', 'Our own database-loss drill'),
    );
    const show = drctl(['show', 'database-loss', '--dir', localDir]);
    expect(show.status).toBe(0);
    expect(show.stdout.split('\n')[0]).toBe('Our own database-loss drill (database-loss)');
    const list = drctl(['list', '--json', '--dir', localDir]);
    const rows = (JSON.parse(list.stdout) as Array<{ name: string; source: string }>).filter((r) => r.name === 'database-loss');
    expect(rows).toEqual([expect.objectContaining({ name: 'database-loss', source: 'local' })]);
  });

  it('an unknown name exits 2 with a clear message and a did-you-mean', () => {
    const result = drctl(['show', 'restore-order', '--dir', ordersDir]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`no runbook named "restore-order" in ${ordersDir} or the shipped runbooks`);
    expect(result.stderr).toContain('did you mean "restore-orders"?');
    const shippedTypo = drctl(['plan', 'databse-loss', '--dir', ordersDir]);
    expect(shippedTypo.status).toBe(2);
    expect(shippedTypo.stderr).toContain('did you mean "database-loss"?');
    expect(crashSigns(result.all + shippedTypo.all)).toEqual([]);
  });

  it('a path to a file that does not exist exits 2', () => {
    const missing = join(scratch, 'nowhere', 'restore.yaml');
    const result = drctl(['show', missing]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`no runbook file at ${missing}`);
  });
});
