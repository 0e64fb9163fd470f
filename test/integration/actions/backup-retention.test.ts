import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { Workspace } from '../run/helpers.js';
import { drctl, header, readJournal, requireBuild, runIds, sleep, workspace } from '../run/helpers.js';

/**
 * `drctl backup check` and `drctl backup prune`, and the backup.prune action in a run, as a cron
 * job or a CI step runs them. A backup's time is its object's last-modified time: S3 cannot be
 * given an older one, so the ages and gaps are made on file:// with utimes, and the S3 path is
 * proven with objects made now in moto's bucket (an empty bucket, a fresh series, deletions with
 * their manifests).
 */

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;

requireBuild();

/** Files in a folder of the workspace, each `ageMs` old. */
function backups(ws: Workspace, folder: string, ages: Record<string, number>): string {
  const now = Date.now();
  for (const [name, ageMs] of Object.entries(ages)) {
    const path = ws.path(folder, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${name}\n`);
    const at = new Date(now - ageMs);
    utimesSync(path, at, at);
  }
  return `file://${ws.path(folder)}/`;
}

describe('drctl backup check on file://', () => {
  it('exits 0 and says so when the newest backup is younger than the RPO and no gap is longer', () => {
    const ws = workspace();
    const location = backups(ws, 'pg', {
      'db-3.sql.gz': 4 * MIN,
      'db-2.sql.gz': 14 * MIN,
      'db-1.sql.gz': 24 * MIN,
      'db-1.sql.gz.manifest.json': 1,
    });
    const result = drctl(['backup', 'check', location, '--rpo', '15m']);
    expect(result.status, result.all).toBe(0);
    expect(result.stdout).toMatch(
      /^fresh: newest backup db-3\.sql\.gz \(\S+Z\) is 4m(0\ds)? old \(RPO 15m\), no gap over 15m since \S+Z\n$/,
    );
    expect(result.stderr).toBe('');
  });

  it('exits 3 when the newest backup is older than the RPO, saying how old', () => {
    const ws = workspace();
    const location = backups(ws, 'pg', { 'db-20261129T1200Z.sql.gz': 2 * H + 14 * MIN, 'db-20261129T1145Z.sql.gz': 2 * H + 29 * MIN });
    const result = drctl(['backup', 'check', location, '--rpo', '15m']);
    expect(result.status, result.all).toBe(3);
    expect(result.stdout).toMatch(/^newest backup db-20261129T1200Z\.sql\.gz \(\S+Z\) is 2h14m old, past the RPO of 15m\n$/);
  });

  it('exits 3 on a gap longer than the RPO in the window checked, and not for one before it', () => {
    const ws = workspace();
    const location = backups(ws, 'pg', {
      'db-5.sql.gz': 10 * MIN,
      'db-4.sql.gz': 40 * MIN,
      'db-3.sql.gz': 3 * H + 40 * MIN, // 3h before db-4
      'db-2.sql.gz': 4 * H,
      'db-0.sql.gz': 30 * H, // a gap of 26h that ended 4h ago: before a window of 3h
    });
    // The gap from db-3 to db-4 straddles the start of the window: it counts.
    const gap = drctl(['backup', 'check', location, '--rpo', '1h', '--since', '3h']);
    expect(gap.status, gap.all).toBe(3);
    expect(gap.stdout).toMatch(/^gap of 3h between db-3\.sql\.gz \(\S+Z\) and db-4\.sql\.gz \(\S+Z\), longer than the RPO of 1h\n$/);
    // Over two days the older gap counts as well, the longest first.
    const wide = drctl(['backup', 'check', location, '--rpo', '1h', '--since', '48h', '--json']);
    expect(wide.status, wide.all).toBe(3);
    const json = JSON.parse(wide.stdout) as Record<string, unknown> & {
      gaps: Array<{ after: { key: string }; before: { key: string }; gap_s: number }>;
    };
    expect(json).toMatchObject({ status: 'gap', location, match: null, backups: 5, rpo_s: 3600 });
    expect(json.gaps.map((g) => [g.after.key.split('/').pop(), g.before.key.split('/').pop(), g.gap_s])).toEqual([
      ['db-0.sql.gz', 'db-2.sql.gz', 26 * 3600],
      ['db-3.sql.gz', 'db-4.sql.gz', 3 * 3600],
    ]);
    // With an RPO the gaps fit, it is fresh.
    expect(drctl(['backup', 'check', location, '--rpo', '4h', '--since', '3h']).status).toBe(0);
  });

  it('prints an object with --json: status, newest, age_s, rpo_s, gaps', () => {
    const ws = workspace();
    const location = backups(ws, 'pg', { 'a.gz': 5 * MIN, 'b.gz': 10 * MIN, 'notes.txt': 1 });
    const result = drctl(['backup', 'check', location, '--rpo', '15m', '--match', '*.gz', '--json']);
    expect(result.status, result.all).toBe(0);
    const json = JSON.parse(result.stdout) as { newest: { key: string; uri: string }; age_s: number };
    expect(json).toMatchObject({ status: 'fresh', match: '*.gz', backups: 2, rpo_s: 900, gaps: [] });
    expect(json.newest.uri).toBe(`${location}a.gz`);
    expect((json as unknown as { line: string }).line).toMatch(/^fresh: newest backup a\.gz /);
    expect(Date.now() - Date.parse((json as unknown as { since: string }).since)).toBeGreaterThanOrEqual(24 * H);
    expect(json.age_s).toBeGreaterThanOrEqual(300);
    expect(json.age_s).toBeLessThan(900);
  });

  it('exits 3 with "no backups" for an empty folder, or when nothing matches', () => {
    const ws = workspace();
    mkdirSync(ws.path('empty'));
    const empty = drctl(['backup', 'check', `file://${ws.path('empty')}`, '--rpo', '15m']);
    expect(empty.status, empty.all).toBe(3);
    expect(empty.stdout).toBe(`no backups in file://${ws.path('empty')}/: nothing is within the RPO of 15m\n`);
    const location = backups(ws, 'pg', { 'db.sql.gz': MIN, 'db.sql.gz.manifest.json': MIN });
    const none = drctl(['backup', 'check', location, '--rpo', '15m', '--match', '*.dump', '--json']);
    expect(none.status, none.all).toBe(3);
    expect(JSON.parse(none.stdout)).toMatchObject({ status: 'none', newest: null, age_s: null, backups: 0 });
  });

  it('exits 2 with one line for a bad location, duration or glob, and 1 for a folder that cannot be listed', () => {
    const ws = workspace();
    const cases: Array<[string[], RegExp]> = [
      [['backup', 'check', 'ftp://host/x', '--rpo', '15m'], /^drctl: backup check: "ftp:\/\/host\/x": not an s3:\/\/ or file:\/\/ URI/],
      [['backup', 'check', 's3://', '--rpo', '15m'], /^drctl: backup check: "s3:\/\/": no bucket/],
      [['backup', 'check', `file://${ws.dir}`, '--rpo', 'soon'], /^drctl: backup check: --rpo "soon" is not a duration/],
      [['backup', 'check', `file://${ws.dir}`], /^drctl: backup check: --rpo is required/],
      [['backup', 'check', `file://${ws.dir}`, '--rpo', '15m', '--since', '0s'], /^drctl: backup check: --since must be longer than 0s/],
      [
        ['backup', 'prune', `file://${ws.dir}`, '--keep-daily', 'seven'],
        /^drctl: backup prune: --keep-daily "seven" is not a whole number/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = drctl(args);
      expect(result.status, result.all).toBe(2);
      expect(result.stderr.split('\n')[0]).toMatch(message);
      expect(result.all).not.toMatch(/\n\s+at /);
    }
    const missing = drctl(['backup', 'check', `file://${ws.path('nowhere')}`, '--rpo', '15m']);
    expect(missing.status, missing.all).toBe(1);
    expect(missing.stderr).toBe(`drctl: backup check: file://${ws.path('nowhere')}/: cannot be read: no such folder\n`);
    const pruneMissing = drctl(['backup', 'prune', `file://${ws.path('nowhere')}`]);
    expect(pruneMissing.status, pruneMissing.all).toBe(1);
    expect(pruneMissing.stderr).toBe(`drctl: backup prune: file://${ws.path('nowhere')}/: cannot be read: no such folder\n`);
    writeFileSync(ws.path('a-file'), 'not a folder');
    const notFolder = drctl(['backup', 'check', `file://${ws.path('a-file')}`, '--rpo', '15m']);
    expect(notFolder.status, notFolder.all).toBe(1);
    expect(notFolder.stderr).toBe(`drctl: backup check: file://${ws.path('a-file')}/: cannot be read: not a folder\n`);
  });
});

describe('drctl backup prune on file://', () => {
  /** Nightly backups for 20 days, each with a manifest, and one taken an hour ago. */
  const series = (ws: Workspace): string => {
    const ages: Record<string, number> = { 'db-now.sql.gz': H };
    for (let d = 1; d <= 20; d++) {
      ages[`db-${String(d).padStart(2, '0')}.sql.gz`] = d * D;
      ages[`db-${String(d).padStart(2, '0')}.sql.gz.manifest.json`] = d * D;
    }
    return backups(ws, 'pg', ages);
  };
  const files = (ws: Workspace): string[] => readdirSync(ws.path('pg')).sort();

  it('by default is a dry run: lists what it would delete and deletes nothing', () => {
    const ws = workspace();
    const location = series(ws);
    const before = files(ws);
    const result = drctl(['backup', 'prune', location, '--keep-daily', '7', '--keep-weekly', '0', '--keep-monthly', '0']);
    expect(result.status, result.all).toBe(0);
    expect(files(ws)).toEqual(before);
    const wouldDelete = result.stdout.split('\n').filter((l) => l.includes('would delete'));
    // The 7 most recent days hold db-now and db-01..db-06 (or db-07, as the hour of day falls): everything older goes.
    expect(wouldDelete.length).toBeGreaterThanOrEqual(13);
    expect(wouldDelete.every((l) => / {2}and its manifest$/.test(l))).toBe(true);
    expect(result.stdout).toMatch(/ {2}keep {10}db-now\.sql\.gz {2}\S+Z {2}newest, daily\n/);
    expect(result.stdout).toMatch(
      new RegExp(
        `Dry run: ${21 - wouldDelete.length} kept, ${wouldDelete.length} would be deleted\\. Nothing was deleted; --yes deletes them\\.\\n$`,
      ),
    );
  });

  it('with --yes deletes exactly the planned backups and their manifests, keeps the newest, and a second prune deletes nothing', () => {
    const ws = workspace();
    const location = series(ws);
    const args = ['backup', 'prune', location, '--keep-daily', '3', '--keep-weekly', '0', '--keep-monthly', '0', '--json'];
    const plan = JSON.parse(drctl(args).stdout) as {
      to_delete: Array<{ key: string; manifest: string | null }>;
      kept: Array<{ key: string }>;
      deleted: unknown[];
    };
    expect(plan.deleted).toEqual([]);
    const done = drctl([...args, '--yes']);
    expect(done.status, done.all).toBe(0);
    const result = JSON.parse(done.stdout) as typeof plan & { dry_run: boolean };
    expect(result.dry_run).toBe(false);
    expect(result.deleted.map((d) => (d as { key: string }).key).sort()).toEqual(plan.to_delete.map((d) => d.key).sort());
    expect(plan.to_delete.every((d) => d.manifest !== null)).toBe(true);
    const left = files(ws);
    expect(left).toContain('db-now.sql.gz');
    expect(left.filter((f) => f.endsWith('.sql.gz')).sort()).toEqual(plan.kept.map((k) => k.key.split('/').pop()).sort());
    // Every kept backup keeps its manifest; no manifest is left without its backup.
    expect(left.filter((f) => f.endsWith('.manifest.json')).map((f) => f.slice(0, -'.manifest.json'.length))).toEqual(
      left.filter((f) => f.endsWith('.sql.gz') && f !== 'db-now.sql.gz'),
    );
    const again = drctl(args.concat('--yes'));
    expect(JSON.parse(again.stdout)).toMatchObject({ to_delete: [], deleted: [] });
    expect(files(ws)).toEqual(left);
  });
});

describe('directory-format backups (a folder with a manifest beside it)', () => {
  it('count as one backup each for check and prune, and prune --yes removes the whole folder', () => {
    const ws = workspace();
    const location = backups(ws, 'pg', {
      'db-old/toc.dat': 3 * D,
      'db-old/3001.dat.gz': 3 * D,
      'db-old.manifest.json': 3 * D,
      'db-new/toc.dat': 10 * MIN,
      'db-new/3001.dat.gz': 9 * MIN,
      'db-new.manifest.json': 9 * MIN,
    });
    const check = drctl(['backup', 'check', location, '--rpo', '96h', '--json']);
    expect(check.status, check.all).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ backups: 2, newest: { uri: `${location}db-new/` } });
    const prune = drctl(['backup', 'prune', location, '--keep-daily', '1', '--keep-weekly', '0', '--keep-monthly', '0', '--yes']);
    expect(prune.status, prune.all).toBe(0);
    expect(prune.stdout).toMatch(/ {2}deleted {7}db-old\/ {2}\S+Z {2}and its manifest\n/);
    expect(readdirSync(ws.path('pg')).sort()).toEqual(['db-new', 'db-new.manifest.json']);
    expect(readdirSync(ws.path('pg', 'db-new')).sort()).toEqual(['3001.dat.gz', 'toc.dat']);
  });
});

describe('a directory-format backup that stopped part way (no toc.dat)', () => {
  it('is never deleted by prune, even older than every backup kept: prune says it leaves it, the newest complete backup stays', () => {
    const ws = workspace();
    const location = backups(ws, 'pg', {
      'db-cut/3001.dat.gz': 5 * D,
      'db-old/toc.dat': 3 * D,
      'db-old/3001.dat.gz': 3 * D,
      'db-new/toc.dat': 10 * MIN,
      'db-new/3001.dat.gz': 9 * MIN,
    });
    const args = ['backup', 'prune', location, '--keep-daily', '1', '--keep-weekly', '0', '--keep-monthly', '0'];
    const problem = 'a partial directory-format backup: 1 file and no toc.dat (it stopped before it was complete)';
    const dry = drctl(args);
    expect(dry.status, dry.all).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(
        ` {2}left {10}db-cut/ {2}\\S+Z {2}${problem.replace(/[()]/g, '\\$&')}: never deleted by prune \\(it may be a backup still being written\\): remove it by hand\\n`,
      ),
    );
    const done = drctl([...args, '--yes', '--json']);
    expect(done.status, done.all).toBe(0);
    const json = JSON.parse(done.stdout) as { deleted: Array<{ key: string }>; partial: Array<{ uri: string; problem: string }> };
    expect(json.deleted.map((d) => d.key)).toEqual([ws.path('pg', 'db-old') + '/']);
    expect(json.partial).toEqual([expect.objectContaining({ uri: `${location}db-cut/`, problem })]);
    expect(readdirSync(ws.path('pg')).sort()).toEqual(['db-cut', 'db-new']);
    expect(readdirSync(ws.path('pg', 'db-cut'))).toEqual(['3001.dat.gz']);
  });
});

describe('backup.prune in a runbook', () => {
  it('journals each deletion, and its outputs count them', () => {
    const ws = workspace();
    const location = backups(ws, 'pg', {
      'db-a.gz': H,
      'db-b.gz': 2 * D,
      'db-c.gz': 3 * D,
      'db-c.gz.manifest.json': 3 * D,
      'db-d.gz': 4 * D,
    });
    ws.runbook(
      'prune.yaml',
      `${header('prune', 'Prune old backups')}steps:
  - id: prune
    title: Keep the last two days
    uses: backup.prune
    with: { location: "${location}", keep_daily: 2, keep_weekly: 0, keep_monthly: 0, match: "db-*.gz", dry_run: false }
  - id: show
    title: Show what was deleted
    run: echo "kept=\${{ steps.prune.outputs.kept }} deleted=\${{ steps.prune.outputs.deleted }}"
`,
    );
    const result = drctl(['run', 'prune.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(result.all).toContain('kept=2 deleted=2');
    expect(readdirSync(ws.path('pg')).sort()).toEqual(['db-a.gz', 'db-b.gz']);
    const records = readJournal(ws.stateDir, runIds(ws.stateDir)[0]!)
      .filter((e) => e.type === 'action.record' && e.step === 'prune')
      .map((e) => e.record as Record<string, unknown>);
    expect(records[0]).toMatchObject({ dry_run: false, backups: 4, keep: 2, to_delete: [`${location}db-c.gz`, `${location}db-d.gz`] });
    expect(records.slice(1)).toEqual([
      { deleted: `${location}db-d.gz`, manifest: null, last_modified: expect.any(String) },
      { deleted: `${location}db-c.gz`, manifest: `${location}db-c.gz.manifest.json`, last_modified: expect.any(String) },
    ]);
  });
});

describe.skipIf(!hasMoto())('drctl backup check and prune on S3, against moto_server', () => {
  let moto: TestMoto;
  const BUCKET = 'retention-backups';
  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', args, { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  const env = () => ({ ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const keys = (prefix: string): string[] =>
    (
      JSON.parse(aws('s3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', prefix, '--output', 'json') || '{}') as {
        Contents?: Array<{ Key: string }>;
      }
    ).Contents?.map((o) => o.Key).sort() ?? [];

  beforeAll(async () => {
    moto = await startMoto();
    aws('s3api', 'create-bucket', '--bucket', BUCKET);
    const ws = workspace('drctl-s3-retention-');
    const file = ws.write('body', 'a dump\n');
    // One second apart: S3 keeps whole seconds.
    for (const name of ['db-1.sql.gz', 'db-2.sql.gz', 'db-3.sql.gz']) {
      aws('s3', 'cp', file, `s3://${BUCKET}/pg/${name}`);
      aws('s3', 'cp', file, `s3://${BUCKET}/pg/${name}.manifest.json`);
      await sleep(1100);
    }
    ws.remove();
  }, 180_000);
  afterAll(() => moto?.stop());

  it('exits 3 with "no backups" for an empty prefix, and 0 for a fresh series', () => {
    const empty = drctl(['backup', 'check', `s3://${BUCKET}/none/`, '--rpo', '15m'], { env: env() });
    expect(empty.status, empty.all).toBe(3);
    expect(empty.stdout).toBe(`no backups in s3://${BUCKET}/none/: nothing is within the RPO of 15m\n`);
    const fresh = drctl(['backup', 'check', `s3://${BUCKET}/pg`, '--rpo', '15m', '--json'], { env: env() });
    expect(fresh.status, fresh.all).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({
      status: 'fresh',
      backups: 3,
      newest: { key: 'pg/db-3.sql.gz', uri: `s3://${BUCKET}/pg/db-3.sql.gz` },
      gaps: [],
    });
    const missing = drctl(['backup', 'check', 's3://no-such-bucket-here/pg/', '--rpo', '15m'], { env: env() });
    expect(missing.status, missing.all).toBe(1);
    expect(missing.stderr).toMatch(/^drctl: backup check: s3:\/\/no-such-bucket-here\/pg\/: .*NoSuchBucket/);
  });

  it('prunes: a dry run deletes nothing; --yes deletes the older backups with their manifests and keeps the newest', () => {
    const all = keys('pg/');
    const args = ['backup', 'prune', `s3://${BUCKET}/pg/`, '--keep-daily', '0', '--keep-weekly', '0', '--keep-monthly', '0'];
    const dry = drctl(args, { env: env() });
    expect(dry.status, dry.all).toBe(0);
    expect(dry.stdout).toMatch(/would delete {2}db-1\.sql\.gz {2}\S+ {2}and its manifest\n/);
    expect(dry.stdout).toMatch(/would delete {2}db-2\.sql\.gz {2}\S+ {2}and its manifest\n/);
    expect(keys('pg/')).toEqual(all);
    const done = drctl([...args, '--yes'], { env: env() });
    expect(done.status, done.all).toBe(0);
    expect(done.stdout).toMatch(/deleted {7}db-1\.sql\.gz .*\n.*deleted {7}db-2\.sql\.gz /);
    expect(done.stdout).toMatch(/1 kept, 2 deleted\.\n$/);
    expect(keys('pg/')).toEqual(['pg/db-3.sql.gz', 'pg/db-3.sql.gz.manifest.json']);
  });
});
