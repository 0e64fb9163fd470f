import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import { rehearsal } from './harness.js';

/**
 * The shipped cluster-failure runbook, start to finish, as an operator's CI drill runs it: the
 * "existing" replacement cluster is an EKS cluster in moto_server (the real aws CLI writes its
 * kubeconfig), kubectl and helm are recording fakes (no Kubernetes API server exists here), the
 * restored database is a real PostgreSQL, the application is a local HTTP server, and the DNS
 * switch lands in moto's Route 53, read back with the aws CLI.
 */

const DR_REGION = 'us-west-2';
const INGRESS_MANIFEST = 'https://raw.githubusercontent.com/kubernetes/ingress-nginx/main/deploy/static/provider/aws/deploy.yaml';
const CERT_MANAGER_MANIFEST = 'https://github.com/cert-manager/cert-manager/releases/download/v1.13.0/cert-manager.yaml';
const ARGOCD_MANIFEST = 'https://raw.githubusercontent.com/argoproj/argo-cd/stable/manifests/install.yaml';

interface RecordSet {
  Name: string;
  Type: string;
  TTL?: number;
  ResourceRecords?: Array<{ Value: string }>;
}

describe.skipIf(!hasPostgres() || !hasMoto())(
  'cluster-failure runbook against moto_server, a real PostgreSQL and a recording kubectl',
  () => {
    let moto: TestMoto;
    let postgres: TestPostgres;
    let server: Server;
    let base: string;
    let zoneId: string;
    const requests: Array<{ url: string; userAgent: string }> = [];

    const aws = (...args: string[]): string => {
      const result = spawnSync('aws', ['--endpoint-url', moto.endpoint, '--output', 'json', ...args], {
        env: { ...process.env, ...moto.env },
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
      return result.stdout;
    };
    const recordSets = (name: string): RecordSet[] =>
      (
        JSON.parse(aws('route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId)) as { ResourceRecordSets: RecordSet[] }
      ).ResourceRecordSets.filter((r) => r.Name === name);

    beforeAll(async () => {
      [moto, postgres] = await Promise.all([startMoto(), startPostgres()]);
      server = createServer((req, res) => {
        requests.push({ url: req.url ?? '', userAgent: req.headers['user-agent'] ?? '' });
        res.writeHead(200, { 'content-type': 'text/plain' }).end(req.url === '/health' ? 'ok' : '<html>ERP</html>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

      // The standby cluster already exists (provision_method existing), in the DR region.
      aws(
        'eks',
        'create-cluster',
        '--region',
        DR_REGION,
        '--name',
        'erp-dr',
        '--role-arn',
        'arn:aws:iam::123456789012:role/eks',
        '--resources-vpc-config',
        'subnetIds=subnet-1',
      );
      const zone = JSON.parse(
        aws('route53', 'create-hosted-zone', '--name', 'example.test', '--caller-reference', 'cluster-failure-it'),
      ) as { HostedZone: { Id: string } };
      zoneId = zone.HostedZone.Id.replace('/hostedzone/', '');
      const batch = {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: 'erp.example.test.',
              Type: 'CNAME',
              TTL: 300,
              ResourceRecords: [{ Value: 'lost-cluster-lb.us-east-1.elb.example.test' }],
            },
          },
        ],
      };
      aws('route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', JSON.stringify(batch));
      // The database, as database-loss leaves it.
      postgres.createDatabase('erp');
      postgres.psql('CREATE TABLE patients (id int PRIMARY KEY, name text); INSERT INTO patients VALUES (1, $$Ada$$)', 'erp');
    });
    afterAll(async () => {
      moto?.stop();
      postgres?.stop();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('rebuilds on an existing cluster start to finish: kubeconfig, core components, ArgoCD sync, checks, DNS switched to the new load balancer', async () => {
      const r = rehearsal({ kubeContext: 'erp-dr-ctx' });
      // What the new cluster answers to the reads the runbook makes.
      r.kubectl.answer(/^get svc ingress-nginx-controller -n ingress-nginx -o jsonpath=/, 'localhost');
      r.kubectl.answer(/^get application erp -n argocd -o jsonpath=\{\.status\.operationState\.phase\}/, 'Succeeded');
      r.kubectl.answer(/^get externalsecrets -n erp -o name$/, 'externalsecret.external-secrets.io/erp-secrets\n');
      r.kubectl.answer(/^get statefulset -n erp -o name$/, 'statefulset.apps/redis\n');
      // A recording helm next to the recording kubectl.
      const helmLog = join(r.dir, 'helm-calls.txt');
      writeFileSync(join(r.kubectl.binDir, 'helm'), `#!/bin/sh\necho "$*" >> ${JSON.stringify(helmLog)}\n`);
      chmodSync(join(r.kubectl.binDir, 'helm'), 0o755);
      const appManifest = join(r.dir, 'erp-application.yaml');
      writeFileSync(appManifest, 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: erp, namespace: argocd }\n');
      const kubeconfig = join(r.dir, 'kubeconfig');
      writeFileSync(
        join(r.dir, 'inputs.yaml'),
        stringify({
          new_cluster_name: 'erp-dr',
          dr_region: DR_REGION,
          kube_context: 'erp-dr-ctx',
          provision_method: 'existing',
          namespace: 'erp',
          restore_method: 'argocd',
          argocd_app_manifest: appManifest,
          argocd_app: 'erp',
          restore_database: true,
          database_url: postgres.url('erp'),
          hosted_zone_id: zoneId,
          record_name: 'erp.example.test',
          dns_ttl: 60,
          health_url: `${base}/health`,
          app_url: `${base}/`,
          poll_interval: '200ms',
        }),
      );
      requests.length = 0;

      const result = await r.drctl(['run', 'cluster-failure', '--yes', '--accept-manual', '--inputs-file', 'inputs.yaml'], {
        ...moto.env,
        KUBECONFIG: kubeconfig,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });

      expect(result.status, result.all).toBe(0);
      const report = r.report();
      expect(report.status).toBe('succeeded');
      const statuses = Object.fromEntries(report.steps.map((s) => [s.id, s.status]));
      expect(statuses).toMatchObject({
        'create-cluster-eksctl': 'skipped',
        'terraform-plan': 'skipped',
        'terraform-apply': 'skipped',
        'install-velero': 'skipped',
        'deploy-kustomize': 'skipped',
        'integration-tests': 'skipped',
        'connect-kubectl': 'succeeded',
        'install-core': 'succeeded',
        'deploy-argocd-app': 'succeeded',
        'restore-database': 'succeeded',
        'verify-database': 'succeeded',
        'fingerprint-database': 'succeeded',
        'switch-dns': 'succeeded',
        'verify-health': 'succeeded',
        'verify-app-url': 'succeeded',
      });

      // connect: the real aws CLI wrote the moto cluster into the kubeconfig under the context name.
      expect(existsSync(kubeconfig)).toBe(true);
      const config = parse(readFileSync(kubeconfig, 'utf8')) as {
        'current-context': string;
        contexts: Array<{ name: string; context: { cluster: string } }>;
      };
      expect(config['current-context']).toBe('erp-dr-ctx');
      expect(config.contexts).toContainEqual({
        name: 'erp-dr-ctx',
        context: expect.objectContaining({ cluster: `arn:aws:eks:${DR_REGION}:123456789012:cluster/erp-dr` }),
      });

      const lines = r.kubectl.calls().map((c) => c.join(' '));
      const order = (line: string): number => {
        const i = lines.indexOf(line);
        expect(i, `kubectl ${line}`).toBeGreaterThanOrEqual(0);
        return i;
      };
      // connect, nodes, install, deploy/sync, secrets, rollout: in this order.
      const sequence = [
        'config current-context',
        'wait nodes --all --for=condition=Ready --timeout=60s',
        `apply -f ${INGRESS_MANIFEST}`,
        `apply -f ${CERT_MANAGER_MANIFEST}`,
        'wait deployment --all -n ingress-nginx --for=condition=Available --timeout=5m',
        `apply -n argocd --server-side --force-conflicts -f ${ARGOCD_MANIFEST}`,
        `apply -n argocd -f ${appManifest}`,
        'patch application erp -n argocd --type merge -p {"operation":{"initiatedBy":{"username":"drctl"},"sync":{"syncStrategy":{"hook":{}}}}}',
        'wait externalsecrets --all -n erp --for=condition=Ready --timeout=5m',
        'wait deployment --all -n erp --for=condition=Available --timeout=10m',
        'rollout status statefulset.apps/redis -n erp --timeout=5m',
      ];
      const positions = sequence.map(order);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(lines.some((l) => /^annotate externalsecrets --all -n erp force-sync=\d+ --overwrite$/.test(l))).toBe(true);
      // Nothing of the other restore methods ran.
      expect(lines.filter((l) => l.startsWith('apply -k') || l.includes('velero'))).toEqual([]);
      expect(readFileSync(helmLog, 'utf8')).toContain(
        'upgrade --install external-secrets external-secrets/external-secrets -n external-secrets --create-namespace --wait --timeout 10m',
      );

      // The database check ran against the real PostgreSQL.
      // The data the application comes back to, fingerprinted: the report's integrity evidence.
      expect(report.integrity).toEqual([
        expect.objectContaining({ step: 'fingerprint-database', database: 'erp', tables: 1, rows: 1, ok: null }),
      ]);
      const checks = report.steps.find((s) => s.id === 'verify-database')!.outputs.results as Array<{
        name: string;
        value: unknown;
        ok: boolean;
      }>;
      expect(checks).toEqual([
        { name: 'read-write primary', value: true, ok: true },
        { name: 'application tables', value: 1, ok: true },
      ]);

      // DNS now points at the new cluster's load balancer; the record it replaced is kept for a rollback.
      expect(recordSets('erp.example.test.')).toEqual([
        { Name: 'erp.example.test.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'localhost' }] },
      ]);
      expect(report.steps.find((s) => s.id === 'switch-dns')!.outputs.previous).toMatchObject({
        ttl: 300,
        values: ['lost-cluster-lb.us-east-1.elb.example.test'],
      });

      // The app was checked through the new load balancer (curl) before the switch, and by its public URLs (http.check) after.
      expect(requests.some((q) => q.url === '/health' && q.userAgent.startsWith('curl/'))).toBe(true);
      expect(requests.some((q) => q.url === '/health' && !q.userAgent.startsWith('curl/'))).toBe(true);
      expect(requests.some((q) => q.url === '/' && !q.userAgent.startsWith('curl/'))).toBe(true);
    });
  },
);
