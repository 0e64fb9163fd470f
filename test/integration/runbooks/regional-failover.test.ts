import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import type { Rehearsal } from './harness.js';
import { ROOT, rehearsal } from './harness.js';

/**
 * The shipped regional-failover runbook, start to finish, as an operator's CI drill runs it:
 * RDS and Route 53 are moto_server (set up and read back with the real aws CLI), the promoted
 * database's checks run against a real PostgreSQL started here, the public health endpoint is a
 * local HTTP server, and kubectl is the recording kubectl (no Kubernetes API server exists here).
 *
 * moto stands in for two regions: the primary in us-east-2 and the DR replica in us-west-2 (the
 * aws CLI v1 ignores AWS_ENDPOINT_URL for rds in us-east-1, so the runbook's own aws calls could
 * not reach moto there). drctl runs in the DR region, as the runbook asks.
 */

const RUNBOOK = join(ROOT, 'runbooks', 'regional-failover.yaml');
const PRIMARY_REGION = 'us-east-2';
const DR_REGION = 'us-west-2';
const ACCOUNT = '123456789012';

interface DbInstance {
  DBInstanceIdentifier: string;
  DBInstanceStatus: string;
  Endpoint?: { Address: string };
  ReadReplicaSourceDBInstanceIdentifier?: string;
}

interface RecordSet {
  Name: string;
  Type: string;
  TTL?: number;
  ResourceRecords?: Array<{ Value: string }>;
}

describe.skipIf(!hasPostgres() || !hasMoto())(
  'regional-failover runbook against moto_server, a real PostgreSQL and a recording kubectl',
  () => {
    let moto: TestMoto;
    let postgres: TestPostgres;
    let server: Server;
    let healthUrl: string;
    let zoneId: string;
    const requests: Array<{ url: string; userAgent: string }> = [];

    /** The test's own aws calls name the endpoint: the aws CLI v1 ignores AWS_ENDPOINT_URL for rds in us-east-1. */
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
      (
        JSON.parse(awsOk('rds', 'describe-db-instances', '--region', DR_REGION, '--db-instance-identifier', id)) as {
          DBInstances: DbInstance[];
        }
      ).DBInstances[0]!;
    const createReplica = (id: string): void => {
      awsOk(
        'rds',
        'create-db-instance-read-replica',
        '--region',
        DR_REGION,
        '--db-instance-identifier',
        id,
        '--source-db-instance-identifier',
        `arn:aws:rds:${PRIMARY_REGION}:${ACCOUNT}:db:erp-db`,
      );
    };
    const recordSets = (name: string): RecordSet[] =>
      (
        JSON.parse(awsOk('route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId)) as { ResourceRecordSets: RecordSet[] }
      ).ResourceRecordSets.filter((r) => r.Name === name);
    const putCname = (name: string, ttl: number, value: string): void => {
      const batch = {
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: 'CNAME', TTL: ttl, ResourceRecords: [{ Value: value }] } }],
      };
      awsOk('route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', JSON.stringify(batch));
    };
    /** moto refuses stop-db-instance for a read replica and allows it once the instance is standalone. */
    const stopRefusedAsReplica = (id: string): boolean =>
      /InvalidDBClusterStateFault/.test(aws('rds', 'stop-db-instance', '--region', DR_REGION, '--db-instance-identifier', id).stderr);

    const databaseFor = (name: string): string => {
      postgres.createDatabase(name);
      postgres.psql('CREATE TABLE patients (id int PRIMARY KEY, name text); INSERT INTO patients VALUES (1, $$Ada$$)', name);
      return postgres.url(name);
    };

    /** A rehearsal with the inputs file an operator would keep for this drill. */
    const prepare = (replica: string, database: string, record: string): Rehearsal => {
      const r = rehearsal({ kubeContext: 'dr-ctx' });
      const inputs = {
        kube_context: 'dr-ctx',
        namespace: 'erp',
        primary_region: PRIMARY_REGION,
        dr_region: DR_REGION,
        db_instance: 'erp-db',
        replica_instance: replica,
        database_url: databaseFor(database),
        poll_interval: '200ms',
        app_deployments: 'backend worker',
        replicas: 3,
        db_config_name: 'backend-config',
        dr_lb_hostname: 'localhost',
        hosted_zone_id: zoneId,
        record_name: record,
        dns_ttl: 60,
        health_url: healthUrl,
      };
      writeFileSync(join(r.dir, 'inputs.yaml'), stringify(inputs));
      return r;
    };
    /** drctl runs in the DR region, as the runbook's description asks. */
    const drill = (r: Rehearsal, runbook = 'regional-failover') =>
      r.drctl(['run', runbook, '--yes', '--accept-manual', '--inputs-file', 'inputs.yaml'], {
        ...moto.env,
        AWS_REGION: DR_REGION,
        AWS_DEFAULT_REGION: DR_REGION,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });
    const stepOf = (r: Rehearsal, id: string) => r.report().steps.find((s) => s.id === id)!;
    const kubectlLines = (r: Rehearsal): string[] => r.kubectl.calls().map((c) => c.join(' '));

    beforeAll(async () => {
      [moto, postgres] = await Promise.all([startMoto(), startPostgres()]);
      server = createServer((req, res) => {
        requests.push({ url: req.url ?? '', userAgent: req.headers['user-agent'] ?? '' });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      healthUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/health`;

      // The primary in its region, two cross-region replicas in the DR region; then the primary
      // region "goes down" (the instance is stopped), and a third replica made from the stopped
      // primary is itself stopped for good: moto never makes it available.
      awsOk(
        'rds',
        'create-db-instance',
        '--region',
        PRIMARY_REGION,
        '--db-instance-identifier',
        'erp-db',
        '--engine',
        'postgres',
        '--db-instance-class',
        'db.t3.micro',
        '--master-username',
        'erp',
        '--master-user-password',
        'not-a-secret-1',
        '--allocated-storage',
        '20',
      );
      createReplica('erp-dr-ok');
      createReplica('erp-dr-rollback');
      awsOk('rds', 'stop-db-instance', '--region', PRIMARY_REGION, '--db-instance-identifier', 'erp-db');
      createReplica('erp-dr-stuck');
      const zone = JSON.parse(
        awsOk('route53', 'create-hosted-zone', '--name', 'example.test', '--caller-reference', 'regional-failover-it'),
      ) as { HostedZone: { Id: string } };
      zoneId = zone.HostedZone.Id.replace('/hostedzone/', '');
    });
    afterAll(async () => {
      moto?.stop();
      postgres?.stop();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('fails over start to finish: the replica is promoted, the app is pointed at it and started, DNS moves to the DR region', async () => {
      putCname('api.example.test.', 300, 'primary-lb.us-east-2.elb.example.test');
      const r = prepare('erp-dr-ok', 'erp_ok', 'api.example.test');
      expect(instance('erp-dr-ok').ReadReplicaSourceDBInstanceIdentifier).toBe(`arn:aws:rds:${PRIMARY_REGION}:${ACCOUNT}:db:erp-db`);
      expect(stopRefusedAsReplica('erp-dr-ok')).toBe(true);
      // The DR application's connection pool, once it runs against the promoted database.
      const app = new pg.Client({ connectionString: postgres.url('erp_ok'), application_name: 'erp-backend' });
      await app.connect();
      requests.length = 0;
      let result;
      try {
        result = await drill(r);
      } finally {
        await app.end();
      }

      expect(result.status, result.all).toBe(0);
      const report = r.report();
      expect(report.status).toBe('succeeded');
      expect(report.steps.filter((s) => s.status !== 'succeeded').map((s) => s.id)).toEqual([]);

      // The replica is promoted: moto now lets it be stopped (it refuses that for a read replica),
      // and the journal's action record says drctl promoted it.
      const promote = r
        .journal()
        .find(
          (e) =>
            e.type === 'action.record' &&
            e.step === 'promote-replica' &&
            (e.record as { promoted?: boolean } | undefined)?.promoted !== undefined,
        );
      expect(promote?.record).toMatchObject({
        instance: 'erp-dr-ok',
        promoted: true,
        source: `arn:aws:rds:${PRIMARY_REGION}:${ACCOUNT}:db:erp-db`,
      });
      const endpoint = instance('erp-dr-ok').Endpoint!.Address;
      expect(stepOf(r, 'promote-replica').outputs).toEqual({ endpoint });
      expect(stopRefusedAsReplica('erp-dr-ok')).toBe(false);
      expect(instance('erp-dr-ok').DBInstanceStatus).toBe('stopped');

      // The data checks ran against the real PostgreSQL.
      const replicaChecks = stepOf(r, 'check-replica').outputs.results as Array<{ name: string; value: unknown; ok: boolean }>;
      expect(replicaChecks.map((c) => [c.name, c.ok])).toEqual([
        ['application tables', true],
        ['replay delay in seconds', true],
      ]);
      expect(replicaChecks[0]!.value).toBe(1);
      const appChecks = stepOf(r, 'verify-database').outputs.results as Array<{ name: string; value: unknown }>;
      expect(appChecks.find((c) => c.name === 'application connections')?.value).toBe(1);

      // Route 53 now sends the name to the DR load balancer.
      expect(recordSets('api.example.test.')).toEqual([
        { Name: 'api.example.test.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'localhost' }] },
      ]);
      expect(stepOf(r, 'switch-dns').outputs.previous as { values: string[]; ttl: number }).toMatchObject({
        values: ['primary-lb.us-east-2.elb.example.test'],
        ttl: 300,
      });

      // The recording kubectl saw the app pointed at the new primary, scaled up, restarted and rolled out in the DR cluster.
      const lines = kubectlLines(r);
      expect(lines).toContain('config current-context');
      expect(lines).toContain(`patch configmap backend-config -n erp --type merge -p {"data":{"DATABASE_HOST":"${endpoint}"}}`);
      expect(lines).toContain('scale deployment backend worker -n erp --replicas=3');
      for (const d of ['backend', 'worker']) {
        expect(lines).toContain(`rollout restart deployment/${d} -n erp`);
        expect(lines).toContain(`rollout status deployment/${d} -n erp --timeout=8m`);
      }
      expect(lines.findIndex((l) => l.startsWith('patch configmap'))).toBeLessThan(
        lines.findIndex((l) => l.startsWith('scale deployment')),
      );

      // The health endpoint was called through the DR load balancer (curl) before the switch and by its name (http.check) after.
      expect(requests.filter((q) => q.url === '/health' && q.userAgent.startsWith('curl/')).length).toBeGreaterThanOrEqual(2);
      expect(requests.some((q) => q.url === '/health' && !q.userAgent.startsWith('curl/'))).toBe(true);
    });

    it('rolls back when a check after the DNS switch fails: exit 1, rolled_back, and the Route 53 record is exactly as before', async () => {
      putCname('api-rollback.example.test.', 300, 'primary-lb.us-east-2.elb.example.test');
      const before = recordSets('api-rollback.example.test.');
      // No application connects to this database: the check after the switch fails.
      const r = prepare('erp-dr-rollback', 'erp_rollback', 'api-rollback.example.test');

      const result = await drill(r);

      expect(result.status, result.all).toBe(1);
      const report = r.report();
      expect(report.status).toBe('rolled_back');
      const verify = stepOf(r, 'verify-database');
      expect(verify.status).toBe('failed');
      expect(verify.reason).toMatch(/application connections: was "0", expected > 0/);
      expect(stepOf(r, 'switch-dns').status).toBe('rolled_back');
      expect(stepOf(r, 'validation-checklist').status).toBe('not_run');

      // The record is back to what it was, value and TTL alike.
      expect(recordSets('api-rollback.example.test.')).toEqual(before);
      expect(before).toEqual([
        {
          Name: 'api-rollback.example.test.',
          Type: 'CNAME',
          TTL: 300,
          ResourceRecords: [{ Value: 'primary-lb.us-east-2.elb.example.test' }],
        },
      ]);
      // The promotion is one-way: it stands after the rollback.
      expect(stopRefusedAsReplica('erp-dr-rollback')).toBe(false);
    });

    it('stops with exit 1 when the replica never becomes available, before anything is promoted or switched', async () => {
      putCname('api-stuck.example.test.', 300, 'primary-lb.us-east-2.elb.example.test');
      const before = recordSets('api-stuck.example.test.');
      expect(instance('erp-dr-stuck')).toMatchObject({
        DBInstanceStatus: 'stopped',
        ReadReplicaSourceDBInstanceIdentifier: `arn:aws:rds:${PRIMARY_REGION}:${ACCOUNT}:db:erp-db`,
      });
      const r = prepare('erp-dr-stuck', 'erp_stuck', 'api-stuck.example.test');
      // The shipped step waits up to 15m; this copy waits 2s, the only change.
      const shipped = readFileSync(RUNBOOK, 'utf8');
      const waitTimeout = /(- id: wait-replica\n[\s\S]*?\n {4}timeout: )15m\n/;
      expect(shipped).toMatch(waitTimeout);
      const copy = join(r.dir, 'regional-failover.yaml');
      writeFileSync(
        copy,
        shipped.replace(waitTimeout, (_all, head: string) => `${head}2s\n`),
      );

      const result = await drill(r, copy);

      expect(result.status, result.all).toBe(1);
      const report = r.report();
      expect(report.status).toBe('failed');
      const wait = stepOf(r, 'wait-replica');
      expect(wait.status).toBe('failed');
      // drctl names the time left of the step's deadline when the attempt began (2s, or 2.0s when a
      // millisecond had passed), not the step's timeout: reported, not asserted exactly here.
      expect(wait.reason).toMatch(/^timed out after 2(\.0)?s$/);
      expect(result.all).toMatch(/waiting for erp-dr-stuck: stopped/);
      for (const id of ['promote-replica', 'update-app-config', 'switch-dns']) expect(stepOf(r, id).status).toBe('not_run');

      // Nothing changed: still a stopped replica, no app change, the record untouched.
      expect(instance('erp-dr-stuck')).toMatchObject({ DBInstanceStatus: 'stopped' });
      expect(kubectlLines(r).filter((l) => /^(patch|scale|rollout)\b/.test(l))).toEqual([]);
      expect(recordSets('api-stuck.example.test.')).toEqual(before);
    });
  },
);
