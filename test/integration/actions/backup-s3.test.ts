import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/util/duration.js';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { Workspace } from '../run/helpers.js';
import { drctl, header, modeOf, onlyRunId, readJournal, readReport, requireBuild, sleep, stepOf, workspace } from '../run/helpers.js';

/**
 * The backup actions run by the built drctl against moto_server, with the bucket set up by the
 * real aws CLI: 1,100 objects (2 pages of ListObjectsV2: moto is slow to fill), the newest on page 2 but not the last key. The unit tests cover 3 pages.
 */

const BUCKET = 'drill-backups';
const OBJECTS = 1100;
const NEWEST = 'pg/backup_01050.sql.gz';
const NEWEST_BODY = 'the newest backup\n';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe.skipIf(!hasMoto())('backup actions against moto_server, set up with the aws CLI', () => {
  let moto: TestMoto;
  let setup: Workspace;
  /** LastModified of the newest backup, and the incident start a few seconds after it. */
  let newestAt: Date;
  let incidentStart: Date;

  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', args, { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  const lastModified = (key: string): Date => {
    const out = JSON.parse(aws('s3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', key)) as {
      Contents: Array<{ Key: string; LastModified: string }>;
    };
    return new Date(out.Contents.find((o) => o.Key === key)!.LastModified);
  };
  /** Past the second `t` falls in, and some: moto keeps LastModified in whole seconds. */
  const waitPast = async (t: Date): Promise<void> => {
    const until = Math.floor(t.getTime() / 1000) * 1000 + 1100;
    while (Date.now() < until) await sleep(until - Date.now());
  };

  const run = (ws: Workspace, yaml: string, extra: string[] = [], timeoutMs = 60_000) => {
    ws.runbook('rb.yaml', yaml);
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, ...extra], {
      cwd: ws.dir,
      env: { ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      timeoutMs,
    });
    return { ...result, report: readReport(ws.stateDir, onlyRunId(ws.stateDir)), runId: onlyRunId(ws.stateDir) };
  };

  beforeAll(async () => {
    requireBuild();
    moto = await startMoto();
    setup = workspace('drctl-backup-s3-');
    aws('s3', 'mb', `s3://${BUCKET}`);
    // 1,100 small backups in one go: many share a LastModified second.
    mkdirSync(setup.path('bulk'));
    for (let i = 0; i < OBJECTS; i++) writeFileSync(setup.path('bulk', `backup_${String(i).padStart(5, '0')}.sql.gz`), `backup ${i}\n`);
    aws('s3', 'cp', '--recursive', '--quiet', setup.path('bulk'), `s3://${BUCKET}/pg/`);
    // The newest, a second later, on page 2 (keys 1000-1099): neither the first page nor the last key.
    await waitPast(lastModified(`pg/backup_${String(OBJECTS - 1).padStart(5, '0')}.sql.gz`));
    writeFileSync(setup.path('newest'), NEWEST_BODY);
    aws('s3', 'cp', '--quiet', setup.path('newest'), `s3://${BUCKET}/${NEWEST}`);
    newestAt = lastModified(NEWEST);
    // Newer still but not a backup: left out by match.
    await waitPast(newestAt);
    aws('s3', 'cp', '--quiet', setup.path('newest'), `s3://${BUCKET}/pg/manifest.json`);
    incidentStart = new Date(lastModified('pg/manifest.json').getTime() + 1500);
    // Taken after the disaster: must not count.
    await waitPast(incidentStart);
    writeFileSync(setup.path('late'), 'taken after the incident\n');
    aws('s3', 'cp', '--quiet', setup.path('late'), `s3://${BUCKET}/pg/backup_00007.sql.gz`);
    expect(lastModified('pg/backup_00007.sql.gz').getTime()).toBeGreaterThan(incidentStart.getTime());
  }, 120_000);

  afterAll(() => {
    moto?.stop();
    setup?.remove();
  });

  it('finds the newest backup at or before the incident start across 2 pages, downloads and verifies it; the report shows the RPO', () => {
    const ws = workspace('drctl-backup-s3-');
    const { status, all, report, runId } = run(
      ws,
      `${header('restore', 'Restore')}objectives: { rto: 1h, rpo: 15m }
steps:
  - id: find
    title: Find the newest backup
    uses: backup.latest
    with: { location: "s3://${BUCKET}/pg/", match: "backup_*.sql.gz" }
  - id: fetch
    title: Download it
    uses: backup.download
    with: { uri: "\${{ steps.find.outputs.uri }}", to: restore/, keep: true }
  - id: check
    title: Check the file
    run: |
      grep -qx 'the newest backup' restore/backup_01050.sql.gz
      test $(sha256sum restore/backup_01050.sql.gz | cut -d' ' -f1) = \${{ steps.fetch.outputs.sha256 }}
`,
      ['--incident-start', incidentStart.toISOString()],
    );
    expect(status, all).toBe(0);
    const uri = `s3://${BUCKET}/${NEWEST}`;
    const ageS = (incidentStart.getTime() - newestAt.getTime()) / 1000;
    expect(stepOf(report, 'find').outputs).toEqual({
      uri,
      key: NEWEST,
      last_modified: newestAt.toISOString(),
      age_s: ageS,
      age: formatDuration(ageS * 1000),
      size: NEWEST_BODY.length,
      size_text: `${NEWEST_BODY.length} B`,
      manifest: '',
    });
    expect(report.rpo).toEqual({ target_s: 900, achieved_s: ageS, met: true, verdict: 'met', evidence: uri });
    expect(stepOf(report, 'fetch').outputs).toEqual({
      path: ws.path('restore', 'backup_01050.sql.gz'),
      bytes: NEWEST_BODY.length,
      sha256: sha256(NEWEST_BODY),
    });
    expect(readFileSync(ws.path('restore', 'backup_01050.sql.gz'), 'utf8')).toBe(NEWEST_BODY);
    expect(readdirSync(ws.path('restore'))).toEqual(['backup_01050.sql.gz']);
    // Kept (keep: true), and the operator's alone: the file 0600 in the 0700 folder drctl made for it.
    expect(modeOf(ws.path('restore', 'backup_01050.sql.gz'))).toBe(0o600);
    expect(modeOf(ws.path('restore'))).toBe(0o700);
    expect(report.cleanup).toEqual([
      expect.objectContaining({ path: ws.path('restore'), kind: 'dir', step: 'fetch', status: 'kept' }),
      expect.objectContaining({ path: ws.path('restore', 'backup_01050.sql.gz'), kind: 'file', step: 'fetch', status: 'kept' }),
    ]);
    expect(stepOf(report, 'check').status).toBe('succeeded');
    // The journal says what was looked at: every page, every object, what was left out.
    const event = readJournal(ws.stateDir, runId).find((e) => e.type === 'action.record' && e.step === 'find');
    // The action's fields sit under `record` (at the top level in journals of an earlier format).
    const record = (event?.record as Record<string, unknown> | undefined) ?? event;
    expect(record).toMatchObject({ pages: 2, listed: OBJECTS + 1, matching: OBJECTS, newer_than_incident: 1, chosen: uri });
  });

  it('an empty bucket: exit 1, "no backups"', () => {
    aws('s3', 'mb', 's3://empty-backups');
    const ws = workspace('drctl-backup-s3-');
    const { status, all, report } = run(
      ws,
      `${header('restore', 'Restore')}objectives: { rpo: 15m }\nsteps:\n  - { id: find, title: Find, uses: backup.latest, with: { location: "s3://empty-backups/pg/" } }\n`,
    );
    expect(status, all).toBe(1);
    expect(all).toContain('backup.latest: s3://empty-backups/pg/: no backups');
    expect(stepOf(report, 'find').status).toBe('failed');
    expect(report.rpo).toBeNull();
  });

  it('an unknown bucket: exit 1, one line naming the action, the bucket and NoSuchBucket', () => {
    const ws = workspace('drctl-backup-s3-');
    const { status, all, report } = run(
      ws,
      `${header('restore', 'Restore')}steps:\n  - { id: find, title: Find, uses: backup.latest, with: { location: "s3://no-such-bucket/pg/" } }\n`,
    );
    expect(status, all).toBe(1);
    const line = all.split('\n').find((l) => l.includes('NoSuchBucket'));
    expect(line, all).toMatch(
      /backup\.latest: s3:\/\/no-such-bucket\/pg\/: NoSuchBucket: The specified bucket does not exist \(HTTP 404\)$/,
    );
    expect(stepOf(report, 'find').reason).toBe(
      'backup.latest: s3://no-such-bucket/pg/: NoSuchBucket: The specified bucket does not exist (HTTP 404)',
    );
  });

  it('only backups newer than the incident start: exit 1, and it says why', () => {
    const ws = workspace('drctl-backup-s3-');
    const before = new Date(newestAt.getTime() - 3_600_000);
    const { status, all } = run(
      ws,
      `${header('restore', 'Restore')}steps:\n  - { id: find, title: Find, uses: backup.latest, with: { location: "s3://${BUCKET}/pg/" } }\n`,
      ['--incident-start', before.toISOString()],
    );
    expect(status, all).toBe(1);
    expect(all).toContain(
      `backup.latest: s3://${BUCKET}/pg/: the only backups are newer than the incident start (${before.toISOString()}): the oldest, s3://${BUCKET}/pg/backup_0`,
    );
    expect(all).toContain('a backup taken after the disaster may hold the damage');
  });

  it('upload then download of a 20 MiB file: multipart, sha256 kept as metadata and verified', () => {
    const ws = workspace('drctl-backup-s3-');
    const data = randomBytes(20 * 1024 * 1024 + 123);
    writeFileSync(ws.path('dump.bin'), data);
    const { status, all, report } = run(
      ws,
      `${header('roundtrip', 'Round trip')}steps:
  - id: put
    title: Upload
    uses: backup.upload
    with: { from: dump.bin, uri: "s3://${BUCKET}/uploads/" }
  - id: get
    title: Download
    uses: backup.download
    with: { uri: "\${{ steps.put.outputs.uri }}", to: back/dump.bin, keep: true }
`,
    );
    expect(status, all).toBe(0);
    const uri = `s3://${BUCKET}/uploads/dump.bin`;
    expect(stepOf(report, 'put').outputs).toEqual({ uri, bytes: data.length, sha256: sha256(data) });
    expect(stepOf(report, 'get').outputs).toEqual({ path: ws.path('back', 'dump.bin'), bytes: data.length, sha256: sha256(data) });
    expect(sha256(readFileSync(ws.path('back', 'dump.bin')))).toBe(sha256(data));
    expect(all).toContain('size and sha256 verified (metadata sha256)');
    // Seen by the aws CLI: three 8 MiB parts, and the sha256 a later download checks.
    const head = JSON.parse(aws('s3api', 'head-object', '--bucket', BUCKET, '--key', 'uploads/dump.bin')) as {
      ETag: string;
      Metadata: Record<string, string>;
      ContentLength: number;
    };
    expect(head.ETag).toMatch(/-3"$/);
    expect(head.Metadata.sha256).toBe(sha256(data));
    expect(head.ContentLength).toBe(data.length);
  });

  it('a backup whose bytes do not match its sha256: exit 1, nothing kept', () => {
    const ws = workspace('drctl-backup-s3-');
    writeFileSync(ws.path('bad.gz'), 'corrupted in storage');
    aws('s3', 'cp', '--quiet', '--metadata', `sha256=${sha256('what was uploaded')}`, ws.path('bad.gz'), `s3://${BUCKET}/corrupt/bad.gz`);
    const { status, all } = run(
      ws,
      `${header('restore', 'Restore')}steps:\n  - { id: get, title: Get, uses: backup.download, with: { uri: "s3://${BUCKET}/corrupt/bad.gz", to: out/ } }\n`,
    );
    expect(status, all).toBe(1);
    expect(all).toContain(
      `backup.download: s3://${BUCKET}/corrupt/bad.gz: sha256 mismatch: the object's metadata sha256 is ${sha256('what was uploaded')}`,
    );
    expect(existsSync(ws.path('out')) ? readdirSync(ws.path('out')) : []).toEqual([]);
  });

  it('a missing object: exit 1, one line with NoSuchKey', () => {
    const ws = workspace('drctl-backup-s3-');
    const { status, all } = run(
      ws,
      `${header('restore', 'Restore')}steps:\n  - { id: get, title: Get, uses: backup.download, with: { uri: "s3://${BUCKET}/pg/nope.gz", to: out/ } }\n`,
    );
    expect(status, all).toBe(1);
    expect(all).toContain(`backup.download: s3://${BUCKET}/pg/nope.gz: NoSuchKey`);
    rmSync(ws.path('out'), { recursive: true, force: true });
  });
});
