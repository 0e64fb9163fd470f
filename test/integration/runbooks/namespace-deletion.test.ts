import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Rehearsal } from './harness.js';
import { rehearsal } from './harness.js';

/**
 * The shipped namespace-deletion runbook, start to finish, by name, with --accept-manual: the
 * cluster is a recording kubectl (ArgoCD's sync is answered as Succeeded), the application a tiny
 * HTTP server in this process that counts the requests it gets. It needs neither PostgreSQL nor
 * AWS, so it runs wherever node does.
 */

describe('namespace-deletion rehearsed end to end (recording kubectl, local HTTP server)', () => {
  let app: Server;
  let base: string;
  const requests: string[] = [];

  beforeAll(async () => {
    app = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const known = req.url === '/health' || req.url === '/';
      res.writeHead(known ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(known ? 'ok' : 'not found');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
  });

  const run = (r: Rehearsal, values: Record<string, unknown>) => {
    writeFileSync(
      join(r.dir, 'inputs.yaml'),
      stringify({ kube_context: 'test-context', namespace: 'shop', health_url: `${base}/health`, app_url: `${base}/`, ...values }),
    );
    return r.drctl(['run', 'namespace-deletion', '--yes', '--accept-manual', '--inputs-file', 'inputs.yaml']);
  };

  it('namespace-deletion recreates the namespace, syncs ArgoCD, waits for the rollout and checks the application over HTTP', async () => {
    requests.length = 0;
    const r = rehearsal();
    r.kubectl.answer(/jsonpath=\{\.status\.operationState\.phase\}/, 'Succeeded');
    const result = await run(r, { argocd_app: 'shop-production' });
    expect(result.status, result.all).toBe(0);

    const calls = r.kubectl.calls().map((c) => c.join(' '));
    const index = (pattern: RegExp): number => {
      const i = calls.findIndex((c) => pattern.test(c));
      expect(i, `no kubectl call matches ${String(pattern)}:\n${calls.join('\n')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    // In order: namespace recreated, ArgoCD sync requested with prune, secrets refreshed, rollout awaited.
    const create = index(/^create namespace shop --dry-run=client -o yaml$/);
    const apply = index(/^apply -f -$/);
    const sync = index(/^patch application shop-production -n argocd --type merge -p .*"prune":true/);
    const secrets = index(/^annotate externalsecrets --all -n shop force-sync=\d+ --overwrite$/);
    const rollout = index(/^wait deployment --all -n shop --for=condition=Available --timeout=8m$/);
    // `kubectl create --dry-run | kubectl apply -f -` is one pipeline: both start at once, in either order.
    expect(Math.max(create, apply)).toBeLessThan(sync);
    expect(sync).toBeLessThan(secrets);
    expect(secrets).toBeLessThan(rollout);
    expect(calls.some((c) => c.startsWith('apply -k'))).toBe(false);
    expect(calls.some((c) => /\bdelete\b/.test(c))).toBe(false);

    // The front end got a HEAD, the health endpoint a GET, from drctl's http.check.
    expect(requests).toEqual(['HEAD /', 'GET /health']);
    const report = r.report();
    expect(report.status).toBe('succeeded');
    const step = (id: string) => report.steps.find((s) => s.id === id)!;
    expect(step('sync-argocd').status).toBe('succeeded');
    expect(step('apply-manifests').status).toBe('skipped');
    expect(step('restore-database').status).toBe('skipped');
    expect(step('health-check').outputs).toMatchObject({ status: 200 });
    expect(step('check-front-end').outputs).toMatchObject({ status: 200 });
  });

  it('namespace-deletion with ArgoCD down applies the Kustomize overlay instead', async () => {
    requests.length = 0;
    const r = rehearsal();
    const result = await run(r, { deploy_method: 'kustomize', kustomize_dir: 'k8s/overlays/production', app_url: '' });
    expect(result.status, result.all).toBe(0);
    const calls = r.kubectl.calls().map((c) => c.join(' '));
    expect(calls).toContain('kustomize k8s/overlays/production');
    expect(calls).toContain('apply -k k8s/overlays/production');
    expect(calls.some((c) => c.startsWith('patch application'))).toBe(false);
    expect(requests).toEqual(['GET /health']);
    expect(r.report().steps.find((s) => s.id === 'check-front-end')!.status).toBe('skipped');
  });
});
