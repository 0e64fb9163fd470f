import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import type { Rehearsal } from './harness.js';
import { rehearsal } from './harness.js';

/**
 * The shipped data-corruption runbook, start to finish, by name: the source RDS instance (in its
 * own subnet group and security group), the hosted zone and the database's CNAME are set up in
 * moto with the real aws CLI; the point-in-time restore, the snapshot and the DNS switch are
 * drctl's actions against moto; the database checks run against a real PostgreSQL (moto's
 * instances have no server behind them), whose "shop" database plays the corrupted one and
 * "shop_restored" the restored instance. The application is a recording kubectl and a tiny HTTP
 * server in this process.
 */

interface DbInstance {
  DBInstanceIdentifier: string;
  DBInstanceStatus: string;
  Endpoint?: { Address: string };
  DBSubnetGroup?: { DBSubnetGroupName: string };
  VpcSecurityGroups?: Array<{ VpcSecurityGroupId: string }>;
}

const ZONE = 'internal.example.com';
const RECORD = 'db.internal.example.com';
const INTEGRITY_SQL = 'SELECT count(*) FROM orders WHERE total < 0';

describe.skipIf(!hasPostgres() || !hasMoto())(
  'data-corruption rehearsed end to end (moto RDS and Route 53, real PostgreSQL, recording kubectl)',
  () => {
    let pg: TestPostgres;
    let moto: TestMoto;
    let app: Server;
    let base: string;
    let zoneId: string;
    let securityGroup: string;
    let sourceEndpoint: string;

    /** The aws CLI v1 ignores AWS_ENDPOINT_URL for rds in us-east-1 (it pins rds.amazonaws.com): pass --endpoint-url. */
    const aws = (...args: string[]): string => {
      const result = spawnSync('aws', ['--endpoint-url', moto.endpoint, '--output', 'json', ...args], {
        env: { ...process.env, ...moto.env },
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
      return result.stdout;
    };
    const instance = (id: string): DbInstance | undefined => {
      const all = (JSON.parse(aws('rds', 'describe-db-instances')) as { DBInstances: DbInstance[] }).DBInstances;
      return all.find((i) => i.DBInstanceIdentifier === id);
    };
    const cname = (): string | undefined => {
      const sets = (
        JSON.parse(aws('route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId)) as {
          ResourceRecordSets: Array<{ Name: string; Type: string; ResourceRecords?: Array<{ Value: string }> }>;
        }
      ).ResourceRecordSets;
      return sets.find((s) => s.Name === `${RECORD}.` && s.Type === 'CNAME')?.ResourceRecords?.[0]?.Value;
    };
    const pointRecordAt = (value: string): void => {
      const batch = {
        Changes: [
          { Action: 'UPSERT', ResourceRecordSet: { Name: `${RECORD}.`, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: value }] } },
        ],
      };
      aws('route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', JSON.stringify(batch));
    };

    /** An ISO time minutes ago, to the second, as an operator would write it. */
    const minutesAgo = (minutes: number): string =>
      new Date(Math.floor(Date.now() / 1000) * 1000 - minutes * 60_000).toISOString().replace('.000Z', 'Z');

    const run = (r: Rehearsal, values: Record<string, unknown>) => {
      writeFileSync(
        join(r.dir, 'inputs.yaml'),
        stringify({
          kube_context: 'test-context',
          namespace: 'shop',
          app_deployments: 'backend worker',
          source_instance: 'shop-db',
          subnet_group: 'shop-db',
          security_group: securityGroup,
          database_url: pg.url('shop'),
          restored_database_url: pg.url('shop_restored'),
          integrity_sql: INTEGRITY_SQL,
          hosted_zone: ZONE,
          db_record_name: RECORD,
          dns_ttl: 1,
          dns_settle: '100ms',
          health_url: `${base}/health`,
          poll_interval: '500ms',
          ...values,
        }),
      );
      return r.drctl(['run', 'data-corruption', '--yes', '--accept-manual', '--inputs-file', 'inputs.yaml'], {
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });
    };

    beforeAll(async () => {
      [pg, moto] = await Promise.all([startPostgres(), startMoto()]);
      app = createServer((req, res) => {
        const ok = req.url === '/health';
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(ok ? 'ok' : 'database unreachable');
      });
      await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(app.address() as { port: number }).port}`;

      // The production database: an instance with automated backups in its own VPC subnet group.
      const vpc = (JSON.parse(aws('ec2', 'create-vpc', '--cidr-block', '10.20.0.0/16')) as { Vpc: { VpcId: string } }).Vpc.VpcId;
      const subnets = ['10.20.1.0/24', '10.20.2.0/24'].map(
        (cidr, i) =>
          (
            JSON.parse(
              aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', cidr, '--availability-zone', `us-east-1${'ab'[i]}`),
            ) as { Subnet: { SubnetId: string } }
          ).Subnet.SubnetId,
      );
      aws(
        'rds',
        'create-db-subnet-group',
        '--db-subnet-group-name',
        'shop-db',
        '--db-subnet-group-description',
        'shop database',
        '--subnet-ids',
        ...subnets,
      );
      securityGroup = (
        JSON.parse(aws('ec2', 'create-security-group', '--group-name', 'shop-db', '--description', 'shop database', '--vpc-id', vpc)) as {
          GroupId: string;
        }
      ).GroupId;
      aws(
        'rds',
        'create-db-instance',
        '--db-instance-identifier',
        'shop-db',
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
        '--db-subnet-group-name',
        'shop-db',
        '--vpc-security-group-ids',
        securityGroup,
      );
      sourceEndpoint = instance('shop-db')!.Endpoint!.Address;
      zoneId = (
        JSON.parse(aws('route53', 'create-hosted-zone', '--name', ZONE, '--caller-reference', 'drctl-data-corruption')) as {
          HostedZone: { Id: string };
        }
      ).HostedZone.Id.replace('/hostedzone/', '');
      pointRecordAt(sourceEndpoint);

      // The corrupted database (two orders with negative totals) and the restored copy (clean).
      for (const [db, rows] of [
        ['shop', '(1, 10.50), (2, -20.00), (3, -1.00)'],
        ['shop_restored', '(1, 10.50), (2, 20.00)'],
      ] as const) {
        pg.createDatabase(db);
        pg.psql(`CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL); INSERT INTO orders VALUES ${rows};`, db);
      }
    });

    afterAll(async () => {
      pg?.stop();
      moto?.stop();
      await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
    });

    it('data-corruption restores the instance to just before the corruption and points the database CNAME at it (moto RDS and Route 53, real PostgreSQL, recording kubectl)', async () => {
      const corruption = minutesAgo(5);
      const restoredTo = new Date(Date.parse(corruption) - 60_000).toISOString();
      const r = rehearsal({ env: moto.env });
      const result = await run(r, { target_instance: 'shop-db-restored', corruption_time: corruption });
      expect(result.status, result.all).toBe(0);

      // A new instance, in the source's subnet group and security group; the source is still there.
      const restored = instance('shop-db-restored');
      expect(restored).toMatchObject({ DBInstanceStatus: 'available', DBSubnetGroup: { DBSubnetGroupName: 'shop-db' } });
      expect(restored!.VpcSecurityGroups!.map((g) => g.VpcSecurityGroupId)).toEqual([securityGroup]);
      expect(instance('shop-db')).toMatchObject({ DBInstanceStatus: 'available' });
      // The application's database name now points at it.
      expect(cname()).toBe(restored!.Endpoint!.Address);

      const report = r.report();
      expect(report.status).toBe('succeeded');
      expect(report.rpo).toEqual({
        target_s: 3600,
        achieved_s: expect.any(Number) as number,
        met: true,
        evidence: `rds:shop-db@${restoredTo}`,
        verdict: 'met',
      });
      const step = (id: string) => report.steps.find((s) => s.id === id)!;
      expect(step('restore-point').outputs).toEqual({ time: restoredTo.replace('.000Z', 'Z') });
      expect(step('restore-pitr').outputs).toMatchObject({ endpoint: restored!.Endpoint!.Address, restored_to: restoredTo });
      expect(step('assess-damage').outputs).toMatchObject({ value: 2 });
      expect(step('verify-restored').status).toBe('succeeded');
      // Table by table, the restored instance against the corrupted database: the orders the corruption
      // touched differ (the run goes on), and the comparison is the report's integrity evidence.
      expect(step('fingerprint-corrupted').status).toBe('succeeded');
      expect(step('compare-tables')).toMatchObject({ status: 'failed', continued: true });
      expect(step('compare-tables').reason).toContain('public.orders: 2 rows, expected 3');
      expect(report.integrity).toEqual([
        expect.objectContaining({ step: 'fingerprint-corrupted', database: 'shop', tables: 1, rows: 3, ok: null }),
        expect.objectContaining({ step: 'compare-tables', database: 'shop_restored', tables: 1, rows: 2, ok: false }),
      ]);
      expect(step('switch-dns').outputs).toMatchObject({ previous: { name: `${RECORD}.`, type: 'CNAME', values: [sourceEndpoint] } });

      // The corrupted instance was snapshotted for the investigation.
      const snapshotId = step('snapshot-corrupted').outputs.snapshot_id as string;
      const snapshots = (
        JSON.parse(aws('rds', 'describe-db-snapshots', '--db-instance-identifier', 'shop-db')) as {
          DBSnapshots: Array<{ DBSnapshotIdentifier: string }>;
        }
      ).DBSnapshots;
      expect(snapshots.map((s) => s.DBSnapshotIdentifier)).toContain(snapshotId);

      // The application was restarted once, after the switch.
      const restarts = r.kubectl.calls().filter((c) => c[0] === 'rollout' && c[1] === 'restart');
      expect(restarts).toEqual([['rollout', 'restart', 'deployment', 'backend', 'worker', '-n', 'shop']]);
      expect(JSON.stringify(report)).not.toContain(pg.url('shop_restored'));
    });

    it('data-corruption rolls the CNAME back to the corrupted instance when the application is not healthy after the switch', async () => {
      pointRecordAt(sourceEndpoint);
      const r = rehearsal({ env: moto.env });
      const result = await run(r, { target_instance: 'shop-db-restored-2', corruption_time: minutesAgo(3), health_url: `${base}/broken` });
      expect(result.status, result.all).toBe(1);

      expect(cname()).toBe(sourceEndpoint);
      // The restored instance is kept for another try: drctl never deletes it.
      expect(instance('shop-db-restored-2')).toMatchObject({ DBInstanceStatus: 'available' });

      const report = r.report();
      expect(report.status).toBe('rolled_back');
      const step = (id: string) => report.steps.find((s) => s.id === id)!;
      expect(step('health-check')).toMatchObject({ status: 'failed' });
      expect(step('health-check').reason).toContain('answered 503, expected 200');
      expect(step('switch-dns').status).toBe('rolled_back');
      expect(step('app-before-switch').status).toBe('rolled_back');
      // Restarted after the switch, then again by the rollback once the CNAME was back.
      const restarts = r.kubectl.calls().filter((c) => c[0] === 'rollout' && c[1] === 'restart');
      expect(restarts).toHaveLength(2);
      const journal = r
        .journal()
        .filter((e) => e.type === 'rollback.step')
        .map((e) => e.step);
      expect(journal).toEqual(['switch-dns', 'app-before-switch']);
    });

    it('data-corruption refuses a corruption time without a zone before touching anything', async () => {
      const r = rehearsal({ env: moto.env });
      const result = await run(r, { target_instance: 'shop-db-restored-3', corruption_time: '2026-11-22T03:00:00' });
      expect(result.status, result.all).toBe(1);
      expect(result.all).toContain('corruption_time must say its zone');
      expect(instance('shop-db-restored-3')).toBeUndefined();
      expect(r.report().steps.find((s) => s.id === 'restore-pitr')!.status).toBe('not_run');
    });
  },
);
