import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drctlAsync } from '../../support/cli.js';

/** Runs drctl without blocking this process: the HTTP server under test lives here. */
async function runDrctl(dir: string, runbook: string): Promise<{ status: number | null; out: string; report: Record<string, unknown> }> {
  writeFileSync(join(dir, 'rb.yaml'), runbook);
  const result = await drctlAsync(['run', 'rb.yaml', '--yes', '--state-dir', 'st'], { cwd: dir });
  const [runId] = readdirSync(join(dir, 'st', 'runs'));
  const report = JSON.parse(readFileSync(join(dir, 'st', 'runs', runId!, 'report.json'), 'utf8')) as Record<string, unknown>;
  return { status: result.status, out: result.all, report };
}

describe('http.check and sleep, run by drctl against a local HTTP server', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/health') res.writeHead(200).end('{"status":"ok","db":"up"}');
      else res.writeHead(503).end('database unavailable');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => server.close());

  const header = `apiVersion: drctl/v1\nkind: Runbook\nmetadata: { name: web, title: Web }\nobjectives: { rto: 10m }\ninputs:\n  base: {}\nsteps:\n`;

  it('passes on the expected status and body, and later steps use its outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-http-'));
    const { status, out, report } = await runDrctl(
      dir,
      `${header.replace('base: {}', `base: { default: "${base}" }`)}  - id: settle
    title: Let it settle
    uses: sleep
    with: { duration: 300ms }
  - id: health
    title: Health
    uses: http.check
    with: { url: "\${{ inputs.base }}/health", body: { contains: '"db":"up"' } }
  - id: use
    title: Use
    run: test \${{ steps.health.outputs.status }} = 200
`,
    );
    expect(status, out).toBe(0);
    const steps = report.steps as Array<{ id: string; status: string; outputs: Record<string, unknown>; duration_s: number }>;
    expect(steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(steps[0]!.duration_s).toBeGreaterThanOrEqual(0.3);
    expect(steps[1]!.outputs.status).toBe(200);
    expect(out).toContain('/health → 200');
  });

  it('fails with one line naming the URL and the status it got', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-http-'));
    const { status, out, report } = await runDrctl(
      dir,
      `${header.replace('base: {}', `base: { default: "${base}" }`)}  - id: health
    title: Health
    uses: http.check
    with: { url: "\${{ inputs.base }}/down" }
`,
    );
    expect(status).toBe(1);
    expect(out).toContain(`http.check: GET ${base}/down answered 503, expected 200: database unavailable`);
    expect((report.steps as Array<{ status: string }>)[0]!.status).toBe('failed');
  });
});
