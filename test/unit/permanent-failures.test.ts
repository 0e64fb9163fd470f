import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { storeFailure } from '../../src/actions/backup/store.js';
import { isPermanentPgError } from '../../src/actions/postgres/common.js';
import { createActionExecutor } from '../../src/actions/runner.js';
import { ActionError, PermanentActionError } from '../../src/actions/types.js';
import { isPermanentAwsError } from '../../src/adapters/aws.js';
import { unmetMatcherText } from '../../src/engine/expect.js';
import { eventLine } from '../../src/io/render-run.js';
import { startRun } from '../../src/lifecycle/lifecycle.js';
import type { ActionExecutor } from '../../src/ports/actions.js';
import { isPermanentFailure } from '../../src/ports/actions.js';
import { PgServerError } from '../../src/ports/pg.js';
import type { Harness } from '../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../support/lifecycle-harness.js';

/** A failure that trying again cannot change is not retried, and the operator reads its reason once. */

const plain = new Chalk({ level: 0 });
const INCIDENT = new Date('2026-11-29T02:00:00Z');
const harnesses: Harness[] = [];
afterEach(() => harnesses.splice(0).forEach((x) => x.remove()));

function runbookYaml(step: string): string {
  return `apiVersion: drctl/v1
kind: Runbook
metadata: { name: ops, title: Ops }
steps:
${step}`;
}

async function run(yaml: string, actions: (h: Harness) => ActionExecutor): Promise<{ code: number; h: Harness; screen: string }> {
  const h = harness();
  harnesses.push(h);
  h.deps.actions = () => actions(h);
  const runbook = writeRunbook(h.dir, 'ops', yaml);
  const code = await startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'real',
      runId: 'ops-20261129T030000Z-0001',
      incidentStart: INCIDENT,
      yes: true,
      interactive: false,
      acceptManual: false,
      reports: [],
      aws: {},
    },
    h.deps,
  );
  const screen = h.host.events
    .map((e) => eventLine(e, plain))
    .filter((l) => l !== undefined)
    .join('\n');
  return { code, h, screen };
}

const realActions = (): ActionExecutor => createActionExecutor({ aws: {}, incidentStart: INCIDENT, unmetMatcher: unmetMatcherText });

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('a failure that cannot change', () => {
  it('backup.latest with only backups newer than the incident start fails once, despite retries: { attempts: 3 }', async () => {
    const h0 = harness();
    harnesses.push(h0);
    const backups = join(h0.dir, 'backups');
    mkdirSync(backups);
    writeFileSync(join(backups, 'backup_2026-11-29T0300.sql.gz'), 'x');
    const after = new Date('2026-11-29T03:00:00Z');
    utimesSync(join(backups, 'backup_2026-11-29T0300.sql.gz'), after, after);
    const { code, h, screen } = await run(
      runbookYaml(`  - id: find-backup
    title: Find the backup
    uses: backup.latest
    with: { location: "file://${backups}/" }
    retries: { attempts: 3, delay: 2s }
`),
      realActions,
    );
    expect(code).toBe(1);
    const attempts = h.host.events.filter((e) => e.type === 'step.attempt');
    expect(attempts).toHaveLength(1);
    expect(h.host.events.filter((e) => e.type === 'step.attempt.failed')).toHaveLength(0);
    expect(screen).not.toContain('retrying in');
    // The long reason is on screen once, and says once that it was not retried.
    expect(occurrences(screen, 'are newer than the incident start')).toBe(1);
    expect(occurrences(screen, 'not retried: trying again cannot change this')).toBe(1);
    const finished = h.host.events.find((e) => e.type === 'step.finished');
    expect(finished).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('a failure that may change is retried as asked', async () => {
    let calls = 0;
    const { code, screen } = await run(
      runbookYaml(`  - id: fetch
    title: Fetch
    uses: backup.latest
    with: { location: "file:///nowhere/" }
    retries: { attempts: 3 }
`),
      () => ({
        run: async () => {
          calls++;
          throw new ActionError('backup.latest: s3://b/: SlowDown: please reduce your request rate (HTTP 503)');
        },
        canRollback: () => false,
        rollback: async () => undefined,
      }),
    );
    expect(code).toBe(1);
    expect(calls).toBe(3);
    expect(occurrences(screen, 'retrying in')).toBe(2);
    expect(screen).not.toContain('not retried');
  });

  it('a command failure is never permanent: run: steps are retried', async () => {
    const { code, h } = await run(runbookYaml(`  - { id: c, title: C, run: fail c, retries: { attempts: 3 } }\n`), realActions);
    expect(code).toBe(1);
    expect(h.runner.count('fail c')).toBe(3);
  });

  it('stops `until` polling at once too', async () => {
    let calls = 0;
    const { code } = await run(
      runbookYaml(`  - id: fetch
    title: Fetch
    uses: backup.latest
    with: { location: "file:///nowhere/" }
    until: { outputs: { key: { equals: "x" } } }
    timeout: 1h
`),
      () => ({
        run: async () => {
          calls++;
          throw new PermanentActionError('backup.latest: s3://b/: NoSuchBucket: The specified bucket does not exist (HTTP 404)');
        },
        canRollback: () => false,
        rollback: async () => undefined,
      }),
    );
    expect(code).toBe(1);
    expect(calls).toBe(1);
  });
});

describe('which failures cannot change', () => {
  it('AWS: access denied, no such bucket or key, not found, an invalid argument; not throttling or a server error', () => {
    const aws = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    expect(isPermanentAwsError(aws('AccessDenied', 403))).toBe(true);
    expect(isPermanentAwsError(aws('NoSuchBucket', 404))).toBe(true);
    expect(isPermanentAwsError(aws('NoSuchKey', 404))).toBe(true);
    expect(isPermanentAwsError(aws('DBInstanceNotFoundFault', 404))).toBe(true);
    expect(isPermanentAwsError(aws('InvalidParameterValue', 400))).toBe(true);
    expect(isPermanentAwsError(aws('SomethingNew', 403))).toBe(true);
    expect(isPermanentAwsError(aws('Throttling', 400))).toBe(false);
    expect(isPermanentAwsError(aws('SlowDown', 503))).toBe(false);
    expect(isPermanentAwsError(aws('InternalError', 500))).toBe(false);
  });

  it('a store failure carries it: AccessDenied and ENOENT are permanent, a throttle and ENOSPC are not', () => {
    const signal = new AbortController().signal;
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(isPermanentFailure(storeFailure('backup.latest', 's3://b/', denied, signal))).toBe(true);
    const missing = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT', syscall: 'open' });
    expect(isPermanentFailure(storeFailure('backup.download', 'file:///x', missing, signal))).toBe(true);
    const slow = Object.assign(new Error('Reduce your request rate'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    expect(isPermanentFailure(storeFailure('backup.latest', 's3://b/', slow, signal))).toBe(false);
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    expect(isPermanentFailure(storeFailure('backup.download', 'file:///x', full, signal))).toBe(false);
  });

  it('PostgreSQL: a failed login, a database or table that does not exist, a denied permission; not a server shutting down', () => {
    expect(isPermanentPgError(new PgServerError('28P01', 'password authentication failed for user "app"'))).toBe(true);
    expect(isPermanentPgError(new PgServerError('3D000', 'database "orders" does not exist'))).toBe(true);
    expect(isPermanentPgError(new PgServerError('42P01', 'relation "orders" does not exist'))).toBe(true);
    expect(isPermanentPgError(new PgServerError('42501', 'permission denied for table orders'))).toBe(true);
    expect(isPermanentPgError(new PgServerError('57P01', 'terminating connection due to administrator command'))).toBe(false);
    expect(isPermanentPgError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(false);
  });

  it('arguments that resolve to something invalid are permanent', async () => {
    const executor = realActions();
    const failure = await executor
      .run({
        stepId: 's',
        action: 'backup.latest',
        with: { location: 'ftp://nowhere' },
        signal: new AbortController().signal,
        onOutput: () => undefined,
        onRecord: () => undefined,
        addSecret: () => undefined,
      })
      .catch((error: unknown) => error);
    expect(isPermanentFailure(failure)).toBe(true);
  });
});
