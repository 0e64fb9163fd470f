import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { Workspace } from '../run/helpers.js';
import { drctl, header, onlyRunId, readJournal, readReport, requireBuild, stepOf, workspace } from '../run/helpers.js';

/**
 * The rds actions run by the built drctl against moto_server; instances are set up and read back
 * with the real aws CLI. moto makes every instance, restore and snapshot available at once, so the
 * waiting paths that need time (polling through creating, terminal statuses) are unit-tested with a
 * fake port; here: the calls, their outputs, RPO evidence, and a wait that can never succeed.
 */

interface DbInstance {
  DBInstanceIdentifier: string;
  DBInstanceStatus: string;
  DBInstanceClass: string;
  DBInstanceArn: string;
  Endpoint?: { Address: string };
  ReadReplicaSourceDBInstanceIdentifier?: string;
}

describe.skipIf(!hasMoto())('rds actions against moto_server, set up and checked with the aws CLI', () => {
  let moto: TestMoto;

  /** The aws CLI v1 ignores AWS_ENDPOINT_URL for rds in us-east-1 (it pins rds.amazonaws.com): pass --endpoint-url. */
  const aws = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const result = spawnSync('aws', ['--endpoint-url', moto.endpoint, '--output', 'json', ...args], {
      env: { ...process.env, ...moto.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const awsOk = (...args: string[]): string => {
    const result = aws(...args);
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  const instance = (id: string): DbInstance =>
    (JSON.parse(awsOk('rds', 'describe-db-instances', '--db-instance-identifier', id)) as { DBInstances: DbInstance[] }).DBInstances[0]!;

  const run = (ws: Workspace, yaml: string, extra: string[] = []) => {
    ws.runbook('rb.yaml', yaml);
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, ...extra], {
      cwd: ws.dir,
      env: { ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      timeoutMs: 45_000,
    });
    const runId = onlyRunId(ws.stateDir);
    return { ...result, report: readReport(ws.stateDir, runId), journal: readJournal(ws.stateDir, runId) };
  };

  beforeAll(async () => {
    requireBuild();
    moto = await startMoto();
    awsOk(
      'rds',
      'create-db-instance',
      '--db-instance-identifier',
      'prod',
      '--engine',
      'postgres',
      '--db-instance-class',
      'db.t3.micro',
      '--master-username',
      'app',
      '--master-user-password',
      'not-a-secret-1',
      '--allocated-storage',
      '20',
      '--backup-retention-period',
      '7',
    );
    awsOk('rds', 'create-db-instance-read-replica', '--db-instance-identifier', 'prod-replica', '--source-db-instance-identifier', 'prod');
  });
  afterAll(() => moto?.stop());

  it('rds.promote-replica promotes the read replica; rds.wait then sees it available', () => {
    expect(instance('prod-replica').ReadReplicaSourceDBInstanceIdentifier).toBe('prod');
    // moto refuses to stop a read replica: a way to see from outside that it is one.
    expect(aws('rds', 'stop-db-instance', '--db-instance-identifier', 'prod-replica').stderr).toMatch(/InvalidDBClusterStateFault/);
    const ws = workspace('drctl-rds-');
    const { status, all, report, journal } = run(
      ws,
      `${header('promote', 'Promote')}objectives: { rto: 10m }
steps:
  - id: promote
    title: Promote the replica
    uses: rds.promote-replica
    with: { instance: prod-replica, poll_interval: 500ms }
  - id: check
    title: It is available
    uses: rds.wait
    with: { instance: prod-replica, poll_interval: 500ms }
`,
    );
    expect(status, all).toBe(0);
    const address = instance('prod-replica').Endpoint!.Address;
    expect(stepOf(report, 'promote').outputs).toEqual({ endpoint: address });
    expect(stepOf(report, 'check').outputs).toEqual({ status: 'available', endpoint: address });
    expect(all).toContain('promoting prod-replica (a read replica of prod)');
    expect(journal.find((e) => e.type === 'action.record' && e.step === 'promote')?.record).toMatchObject({
      instance: 'prod-replica',
      promoted: true,
      source: 'prod',
    });
    // No longer a replica: moto now lets it be stopped. (moto 5.2.1 keeps ReadReplicaSourceDBInstanceIdentifier
    // after PromoteReadReplica, so "has no source" cannot be read back from the emulator.)
    awsOk('rds', 'stop-db-instance', '--db-instance-identifier', 'prod-replica');
    expect(instance('prod-replica').DBInstanceStatus).toBe('stopped');
  });

  it('rds.snapshot, then rds.restore-snapshot with latest_of restores that newest snapshot', () => {
    const ws = workspace('drctl-rds-');
    const { status, all, report } = run(
      ws,
      `${header('snap', 'Snapshot and restore')}objectives: { rto: 10m, rpo: 1h }
steps:
  - id: snap
    title: Snapshot prod
    uses: rds.snapshot
    with: { instance: prod, poll_interval: 500ms }
  - id: restore
    title: Restore the newest snapshot
    uses: rds.restore-snapshot
    with: { latest_of: prod, target: prod-from-snapshot, instance_class: db.t3.small, poll_interval: 500ms }
  - id: same
    title: It restored the snapshot just taken
    run: test \${{ steps.restore.outputs.snapshot }} = \${{ steps.snap.outputs.snapshot_id }}
`,
    );
    expect(status, all).toBe(0);
    const snapshotId = stepOf(report, 'snap').outputs.snapshot_id as string;
    expect(snapshotId).toMatch(/^prod-drctl-\d{14}$/);
    const snapshots = (
      JSON.parse(awsOk('rds', 'describe-db-snapshots', '--db-instance-identifier', 'prod')) as {
        DBSnapshots: Array<{ DBSnapshotIdentifier: string; SnapshotType: string; Status: string }>;
      }
    ).DBSnapshots;
    expect(snapshots).toContainEqual(
      expect.objectContaining({ DBSnapshotIdentifier: snapshotId, SnapshotType: 'manual', Status: 'available' }),
    );
    expect(snapshots.some((s) => s.SnapshotType === 'automated')).toBe(true);
    const restored = instance('prod-from-snapshot');
    expect(restored).toMatchObject({ DBInstanceStatus: 'available', DBInstanceClass: 'db.t3.small' });
    expect(stepOf(report, 'restore').outputs).toEqual({
      endpoint: restored.Endpoint!.Address,
      arn: restored.DBInstanceArn,
      snapshot: snapshotId,
    });
    expect(all).toMatch(new RegExp(`newest snapshot of prod: ${snapshotId} \\(manual, `));
    expect(report.rpo).toMatchObject({ target_s: 3600, met: true, evidence: `rds-snapshot:${snapshotId}` });
  });

  it('rds.restore-pitr with time latest restores a new instance; the report holds the RPO', () => {
    const ws = workspace('drctl-rds-');
    const before = Date.now();
    const { status, all, report } = run(
      ws,
      `${header('pitr', 'Point in time')}objectives: { rto: 10m, rpo: 15m }
steps:
  - id: restore
    title: Restore prod to its latest restorable time
    uses: rds.restore-pitr
    with: { source: prod, target: prod-pitr, time: latest, poll_interval: 500ms }
`,
    );
    expect(status, all).toBe(0);
    const restored = instance('prod-pitr');
    expect(restored.DBInstanceStatus).toBe('available');
    const outputs = stepOf(report, 'restore').outputs;
    expect(outputs).toMatchObject({ endpoint: restored.Endpoint!.Address, arn: restored.DBInstanceArn });
    const restoredTo = Date.parse(outputs.restored_to as string);
    // moto's LatestRestorableTime is "now" when asked.
    expect(restoredTo).toBeGreaterThanOrEqual(before - 1000);
    expect(restoredTo).toBeLessThanOrEqual(Date.now());
    expect(report.rpo).toEqual({
      target_s: 900,
      achieved_s: expect.any(Number) as number,
      met: true,
      verdict: 'met',
      evidence: `rds:prod@${outputs.restored_to as string}`,
    });
  });

  it('rds.restore-pitr to a time older than the RPO: the run succeeds but misses its RPO (exit 3)', () => {
    const ws = workspace('drctl-rds-');
    const { status, all, report } = run(
      ws,
      `${header('pitr-old', 'Point in time, old')}objectives: { rto: 10m, rpo: 15m }
steps:
  - id: restore
    title: Restore prod to 02:00
    uses: rds.restore-pitr
    with: { source: prod, target: prod-pitr-0200, time: "2026-11-22T02:00:00Z", wait: false }
`,
      ['--incident-start', '2026-11-22T03:00:00Z'],
    );
    expect(status, all).toBe(3);
    expect(stepOf(report, 'restore').outputs).toMatchObject({ restored_to: '2026-11-22T02:00:00.000Z' });
    expect(report.rpo).toEqual({
      target_s: 900,
      achieved_s: 3600,
      met: false,
      verdict: 'missed',
      evidence: 'rds:prod@2026-11-22T02:00:00.000Z',
    });
  });

  it('rds.wait for a status the instance never reaches ends at the step timeout (exit 1)', () => {
    const ws = workspace('drctl-rds-');
    const started = Date.now();
    const { status, all, report } = run(
      ws,
      `${header('never', 'Never')}objectives: { rto: 10m }
steps:
  - id: wait
    title: Wait for prod to stop (nobody stops it)
    uses: rds.wait
    timeout: 3s
    with: { instance: prod, status: stopped, poll_interval: 500ms }
`,
    );
    expect(status, all).toBe(1);
    const step = stepOf(report, 'wait');
    expect(step.status).toBe('failed');
    expect(step.reason).toMatch(/timed out after 3s/);
    expect(all).toContain('waiting for prod: available (');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(step.duration_s).toBeGreaterThanOrEqual(2.9);
    expect(step.duration_s).toBeLessThan(6);
  });

  it('fails at once, in one line, on an instance that does not exist and on an AWS refusal', () => {
    const ws = workspace('drctl-rds-');
    const started = Date.now();
    const missing = run(
      ws,
      `${header('missing', 'Missing')}steps:
  - id: wait
    title: Wait for an instance that is not there
    uses: rds.wait
    timeout: 30s
    with: { instance: no-such-db, poll_interval: 500ms }
`,
    );
    expect(missing.status, missing.all).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stepOf(missing.report, 'wait').reason).toBe('rds.wait: no-such-db: DBInstanceNotFound: no such instance');

    const ws2 = workspace('drctl-rds-');
    const exists = run(
      ws2,
      `${header('exists', 'Exists')}steps:
  - id: restore
    title: Restore onto an existing name
    uses: rds.restore-pitr
    with: { source: prod, target: prod, time: latest }
`,
    );
    expect(exists.status, exists.all).toBe(1);
    expect(stepOf(exists.report, 'restore').reason).toMatch(/^rds\.restore-pitr: prod → prod: DBInstanceAlreadyExists\b[^\n]*$/);
  });
});
