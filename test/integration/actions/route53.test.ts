import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { Workspace } from '../run/helpers.js';
import { drctl, header, onlyRunId, readJournal, readReport, requireBuild, stepOf, workspace } from '../run/helpers.js';

/**
 * route53.upsert run by the built drctl against moto_server: a hosted zone made and read back with
 * the real aws CLI; the record it replaced comes out as `previous`, and a rollback puts it back.
 */

interface RecordSet {
  Name: string;
  Type: string;
  TTL?: number;
  ResourceRecords?: Array<{ Value: string }>;
  AliasTarget?: { DNSName: string; HostedZoneId: string; EvaluateTargetHealth: boolean };
}

describe.skipIf(!hasMoto())('route53.upsert against moto_server, checked with the aws CLI', () => {
  let moto: TestMoto;
  let zoneId: string;

  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', ['--endpoint-url', moto.endpoint, '--output', 'json', ...args], {
      env: { ...process.env, ...moto.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  const recordSet = (name: string, type: string): RecordSet | undefined =>
    (
      JSON.parse(aws('route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId)) as { ResourceRecordSets: RecordSet[] }
    ).ResourceRecordSets.find((r) => r.Name === name && r.Type === type);
  const put = (name: string, type: string, ttl: number, value: string): void => {
    const batch = {
      Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: type, TTL: ttl, ResourceRecords: [{ Value: value }] } }],
    };
    aws('route53', 'change-resource-record-sets', '--hosted-zone-id', zoneId, '--change-batch', JSON.stringify(batch));
  };

  const run = (ws: Workspace, yaml: string) => {
    ws.runbook('rb.yaml', yaml);
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
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
    const created = JSON.parse(aws('route53', 'create-hosted-zone', '--name', 'example.com', '--caller-reference', 'drctl-it-1')) as {
      HostedZone: { Id: string };
    };
    zoneId = created.HostedZone.Id.replace('/hostedzone/', '');
    // Another zone whose name starts the same: the lookup by name must be exact.
    aws('route53', 'create-hosted-zone', '--name', 'db.example.com', '--caller-reference', 'drctl-it-2');
  });
  afterAll(() => moto?.stop());

  it('upserts a CNAME in a zone named by its name; previous holds the value it replaced', () => {
    put('db.example.com.', 'CNAME', 60, 'old-db.abc.us-east-1.rds.amazonaws.com');
    const ws = workspace('drctl-r53-');
    const { status, all, report } = run(
      ws,
      `${header('dns', 'DNS')}objectives: { rto: 10m }
steps:
  - id: dns
    title: Point db at the restored instance
    uses: route53.upsert
    with:
      zone: example.com
      name: db.example.com
      type: CNAME
      ttl: 30
      values: [new-db.abc.us-east-1.rds.amazonaws.com]
      poll_interval: 500ms
  - id: show
    title: Show what it replaced
    run: echo "was \${{ steps.dns.outputs.previous }}"
`,
    );
    expect(status, all).toBe(0);
    const outputs = stepOf(report, 'dns').outputs;
    expect(outputs.previous).toEqual({
      name: 'db.example.com.',
      type: 'CNAME',
      ttl: 60,
      values: ['old-db.abc.us-east-1.rds.amazonaws.com'],
    });
    expect(outputs.change_id).toEqual(expect.any(String));
    expect(outputs.change_id).not.toBe('');
    expect(recordSet('db.example.com.', 'CNAME')).toEqual({
      Name: 'db.example.com.',
      Type: 'CNAME',
      TTL: 30,
      ResourceRecords: [{ Value: 'new-db.abc.us-east-1.rds.amazonaws.com' }],
    });
    expect(all).toContain(
      'db.example.com. CNAME: old-db.abc.us-east-1.rds.amazonaws.com (ttl 60) → new-db.abc.us-east-1.rds.amazonaws.com (ttl 30)',
    );
    expect(all).toContain('was {"name":"db.example.com.","type":"CNAME","ttl":60,"values":["old-db.abc.us-east-1.rds.amazonaws.com"]}');
  });

  it('a later failing step with on_failure: rollback puts the replaced A record back', () => {
    put('api.example.com.', 'A', 120, '10.0.0.1');
    const ws = workspace('drctl-r53-');
    const { status, all, report, journal } = run(
      ws,
      `${header('dns-rollback', 'DNS rollback')}objectives: { rto: 10m }
steps:
  - id: dns
    title: Point api at the standby
    uses: route53.upsert
    with: { zone: ${zoneId}, name: api.example.com, type: A, ttl: 60, values: [10.0.9.9, 10.0.9.10], poll_interval: 500ms }
  - id: smoke
    title: Smoke test fails
    run: exit 3
    on_failure: rollback
`,
    );
    expect(status, all).toBe(1);
    expect(report.status).toBe('rolled_back');
    expect(stepOf(report, 'dns').status).toBe('rolled_back');
    expect(stepOf(report, 'dns').outputs.previous).toEqual({ name: 'api.example.com.', type: 'A', ttl: 120, values: ['10.0.0.1'] });
    expect(stepOf(report, 'smoke').status).toBe('failed');
    expect(recordSet('api.example.com.', 'A')).toEqual({
      Name: 'api.example.com.',
      Type: 'A',
      TTL: 120,
      ResourceRecords: [{ Value: '10.0.0.1' }],
    });
    expect(all).toContain('restoring api.example.com. A to 10.0.0.1 (ttl 120)');
    expect(journal.find((e) => e.type === 'rollback.step' && e.step === 'dns')).toMatchObject({ ok: true });
    const records = journal.filter((e) => e.type === 'action.record' && e.step === 'dns') as unknown as Array<{
      rollback?: boolean;
      record: Record<string, unknown>;
    }>;
    expect(
      records.find((e) => e.rollback === false && e.record.change_id !== undefined && e.record.previous !== undefined)?.record,
    ).toMatchObject({
      zone_id: zoneId,
      name: 'api.example.com.',
      record_type: 'A',
      previous: { values: ['10.0.0.1'] },
      record: { values: ['10.0.9.9', '10.0.9.10'] },
    });
    expect(records.find((e) => e.rollback === true)?.record).toMatchObject({ undo: 'restore', name: 'api.example.com.', record_type: 'A' });
  });

  it('rolling back a record it created deletes it; alias records work too', () => {
    const ws = workspace('drctl-r53-');
    const { status, all, report } = run(
      ws,
      `${header('dns-new', 'DNS new')}objectives: { rto: 10m }
steps:
  - id: alias
    title: Alias www to api
    uses: route53.upsert
    with:
      zone: /hostedzone/${zoneId}
      name: www.example.com.
      type: A
      alias: { dns_name: api.example.com., zone_id: ${zoneId} }
      poll_interval: 500ms
  - id: fresh
    title: A new name
    uses: route53.upsert
    with: { zone: example.com., name: standby.example.com, type: CNAME, values: standby.abc.us-east-1.rds.amazonaws.com, wait: false }
  - id: fail
    title: Fails
    run: exit 1
    on_failure: rollback
`,
    );
    expect(status, all).toBe(1);
    expect(stepOf(report, 'alias').outputs.previous).toBeNull();
    expect(stepOf(report, 'fresh').outputs.previous).toBeNull();
    expect(stepOf(report, 'alias').status).toBe('rolled_back');
    expect(stepOf(report, 'fresh').status).toBe('rolled_back');
    expect(recordSet('standby.example.com.', 'CNAME')).toBeUndefined();
    expect(recordSet('www.example.com.', 'A')).toBeUndefined();
    expect(all).toContain(
      'deleting standby.example.com. CNAME (standby.abc.us-east-1.rds.amazonaws.com (ttl 300)), which this step created',
    );
  });

  it('fails in one line on a zone name no hosted zone has', () => {
    const ws = workspace('drctl-r53-');
    const { status, all, report } = run(
      ws,
      `${header('dns-bad', 'DNS bad zone')}steps:
  - id: dns
    title: Wrong zone
    uses: route53.upsert
    with: { zone: example.org, name: db.example.org, type: CNAME, values: [x.example.net] }
`,
    );
    expect(status, all).toBe(1);
    expect(stepOf(report, 'dns').reason).toBe('route53.upsert: zone example.org.: no hosted zone has this name (NoSuchHostedZone)');
  });
});
