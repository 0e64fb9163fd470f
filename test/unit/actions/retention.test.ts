import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFreshness } from '../../../src/actions/backup/freshness.js';
import { backupPruneAction, reasonsText } from '../../../src/actions/backup/prune.js';
import type { RetentionPolicy, TimedBackup } from '../../../src/actions/backup/retention.js';
import { dayOf, monthOf, planRetention, weekOf } from '../../../src/actions/backup/retention.js';
import { openStore } from '../../../src/actions/backup/store.js';
import type { Location } from '../../../src/actions/backup/location.js';
import { globToRegExp, parseLocation } from '../../../src/actions/backup/location.js';
import { listSeries } from '../../../src/actions/backup/series.js';
import { checkActionArgs, parseActionArgs } from '../../../src/actions/validate-args.js';
import type { BackupStore, ObjectPage, StoredObject } from '../../../src/ports/backup-store.js';
import { fakeActionContext } from '../../support/action-context.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2026-11-30T12:00:00.000Z');
const backup = (key: string, at: number | string): TimedBackup => ({ key, lastModified: new Date(at) });
const keys = (list: ReadonlyArray<{ key: string }>): string[] => list.map((b) => b.key);

/** A seeded generator, so that a failing series can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('periods', () => {
  it('are UTC days, ISO weeks (the year of their Thursday) and calendar months', () => {
    expect(dayOf(new Date('2026-11-30T23:59:59Z'))).toBe('2026-11-30');
    expect(weekOf(new Date('2026-11-30T00:00:00Z'))).toBe('2026-W49'); // a Monday
    expect(weekOf(new Date('2026-11-29T23:59:59Z'))).toBe('2026-W48'); // the Sunday before
    expect(weekOf(new Date('2021-01-03T12:00:00Z'))).toBe('2020-W53');
    expect(weekOf(new Date('2024-12-30T12:00:00Z'))).toBe('2025-W01');
    expect(monthOf(new Date('2026-02-28T23:00:00Z'))).toBe('2026-02');
  });
});

describe('retention plan', () => {
  it('keeps the newest backup of each of the last N days, weeks and months that hold one, and deletes only what is older', () => {
    // Nightly at 03:00 for 120 days, and a second one at 15:00 on the last 3 days.
    const series: TimedBackup[] = [];
    for (let d = 0; d < 120; d++) series.push(backup(`night-${d}`, T0 - d * D - 9 * H));
    for (let d = 0; d < 3; d++) series.push(backup(`noon-${d}`, T0 - d * D + 3 * H));
    const plan = planRetention(series, { daily: 7, weekly: 4, monthly: 3 });
    const reasons = new Map(plan.keep.map((k) => [k.backup.key, k.reasons]));
    expect(reasons.get('noon-0')).toEqual(['newest', 'daily', 'weekly', 'monthly']);
    expect(reasons.get('night-0')).toEqual(['newer']); // older than noon-0 on the same day, not older than the oldest kept
    expect(reasons.get('noon-1')).toEqual(['daily', 'weekly']); // Sunday 29 November: the newest of ISO week 48
    expect(reasons.get('night-6')).toEqual(['daily']);
    // Months: November (noon-0), October (night-30: the 31st), September (night-61: the 30th).
    expect(reasons.get('night-30')).toEqual(['monthly']);
    expect(reasons.get('night-61')).toEqual(['monthly']);
    expect(plan.keep[plan.keep.length - 1]!.backup.key).toBe('night-61');
    expect(keys(plan.delete)).toEqual(Array.from({ length: 120 - 62 }, (_, i) => `night-${62 + i}`));
  });

  it('keeps only the newest when every count is 0, and nothing is planned for an empty series', () => {
    const plan = planRetention([backup('a', T0 - H), backup('b', T0), backup('c', T0 - 2 * H)], { daily: 0, weekly: 0, monthly: 0 });
    expect(plan.keep).toEqual([{ backup: backup('b', T0), reasons: ['newest'] }]);
    expect(keys(plan.delete)).toEqual(['a', 'c']);
    expect(planRetention([], { daily: 7, weekly: 4, monthly: 12 })).toEqual({ keep: [], delete: [] });
  });

  it('reads its reasons as an operator would', () => {
    expect(reasonsText(['newest', 'daily', 'weekly'])).toBe('newest, daily, weekly');
    expect(reasonsText(['newer'])).toBe('newer than the oldest kept');
  });

  it('never deletes a backup taken at the same instant as the oldest kept one; the greater key counts as newer', () => {
    const plan = planRetention([backup('b', T0), backup('a', T0), backup('old', T0 - D)], { daily: 1, weekly: 0, monthly: 0 });
    expect(plan.keep.map((k) => [k.backup.key, k.reasons])).toEqual([
      ['b', ['newest', 'daily']],
      ['a', ['newer']],
    ]);
    expect(keys(plan.delete)).toEqual(['old']);
  });

  it('holds its invariants over random series and policies', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const next = random(seed);
      const n = Math.floor(next() * 60);
      const spread = [2 * H, 3 * D, 40 * D, 800 * D][Math.floor(next() * 4)]!;
      const series: TimedBackup[] = [];
      for (let i = 0; i < n; i++) {
        // Some at the very same instant (S3 keeps whole seconds).
        const at = next() < 0.1 && series.length > 0 ? series[series.length - 1]!.lastModified.getTime() : T0 - Math.floor(next() * spread);
        series.push(backup(`k${i}`, at));
      }
      const policy: RetentionPolicy = {
        daily: Math.floor(next() * 10),
        weekly: Math.floor(next() * 6),
        monthly: Math.floor(next() * 14),
      };
      const context = `seed ${seed}, ${n} backups, ${JSON.stringify(policy)}`;
      const plan = planRetention(series, policy);
      const kept = plan.keep.map((k) => k.backup);
      // Every backup is either kept or deleted, never both.
      expect([...keys(kept), ...keys(plan.delete)].sort(), context).toEqual(keys(series).sort());
      if (n === 0) continue;
      // The newest is kept, for that reason.
      const newest = Math.max(...series.map((b) => b.lastModified.getTime()));
      expect(plan.keep[0]!.backup.lastModified.getTime(), context).toBe(newest);
      expect(plan.keep[0]!.reasons, context).toContain('newest');
      // Nothing deleted is as new as the oldest kept.
      const oldestKept = Math.min(...kept.map((b) => b.lastModified.getTime()));
      for (const gone of plan.delete) expect(gone.lastModified.getTime(), context).toBeLessThan(oldestKept);
      // Each rule keeps the newest backup of each of its N most recent periods.
      for (const [rule, period, count] of [
        ['daily', dayOf, policy.daily],
        ['weekly', weekOf, policy.weekly],
        ['monthly', monthOf, policy.monthly],
      ] as const) {
        const periods = [
          ...new Set([...series].sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime()).map((b) => period(b.lastModified))),
        ];
        const chosen = plan.keep.filter((k) => k.reasons.includes(rule)).map((k) => k.backup);
        expect(
          chosen.map((b) => period(b.lastModified)),
          `${context}: ${rule}`,
        ).toEqual(periods.slice(0, count));
        for (const b of chosen) {
          const sameTime = series.filter((o) => period(o.lastModified) === period(b.lastModified));
          expect(b.lastModified.getTime(), `${context}: ${rule}`).toBe(Math.max(...sameTime.map((o) => o.lastModified.getTime())));
        }
      }
      // Pruning again deletes nothing more: the same backups are chosen.
      expect(planRetention(kept, policy).delete, context).toEqual([]);
    }
  });
});

describe('freshness', () => {
  const name = (b: TimedBackup): string => b.key;
  const options = { now: new Date(T0), rpoMs: H, sinceMs: D, name };

  it('is fresh when the newest is younger than the RPO and no gap in the window is longer', () => {
    const series = Array.from({ length: 30 }, (_, i) => backup(`b${i}`, T0 - i * 50 * 60_000 - 4 * 60_000));
    const result = checkFreshness(series, options);
    expect(result.status).toBe('fresh');
    expect(result.line).toBe(
      'fresh: newest backup b0 (2026-11-30T11:56:00.000Z) is 4m old (RPO 1h), no gap over 1h since 2026-11-29T12:00:00.000Z',
    );
    expect(result.ageMs).toBe(4 * 60_000);
    expect(result.gaps).toEqual([]);
  });

  it('is stale when the newest is older than the RPO, saying how old', () => {
    const result = checkFreshness([backup('db-1', T0 - 2 * H - 14 * 60_000), backup('db-0', T0 - 3 * H)], options);
    expect(result.status).toBe('stale');
    expect(result.line).toMatch(/^newest backup db-1 \(2026-11-30T09:46:00.000Z\) is 2h14m old, past the RPO of 1h$/);
  });

  it('when stale and gapped both, names the stale newest backup first and the longest gap after it', () => {
    const result = checkFreshness([backup('late', T0 - 2 * H), backup('early', T0 - 6 * H)], options);
    expect(result.status).toBe('stale');
    expect(result.line).toMatch(
      /^newest backup late \(.*\) is 2h old, past the RPO of 1h; also a gap of 4h between early \(.*\) and late \(.*\), longer than the RPO of 1h$/,
    );
    expect(result.gaps).toHaveLength(1);
  });

  it('names the longest gap in the window, counting the pair that straddles its start, and ignores older gaps', () => {
    const series = [
      backup('now', T0 - 10 * 60_000),
      backup('before-gap', T0 - 3 * H - 10 * 60_000),
      backup('straddles', T0 - D - 30 * 60_000), // gap to before-gap reaches into the window
      backup('ancient', T0 - 5 * D), // its gap ended before the window
    ];
    const result = checkFreshness(series, options);
    expect(result.status).toBe('gap');
    expect(result.gaps.map((g) => [g.after.key, g.before.key])).toEqual([
      ['straddles', 'before-gap'],
      ['before-gap', 'now'],
    ]);
    expect(result.line).toMatch(
      /^gap of 21h20m between straddles \(.*\) and before-gap \(.*\), longer than the RPO of 1h.* \(2 gaps over the RPO in the last 24h/,
    );
  });

  it('says there are no backups', () => {
    const result = checkFreshness([], { ...options, where: ' in s3://bkt/pg/' });
    expect(result.status).toBe('none');
    expect(result.line).toMatch(/^no backups in s3:\/\/bkt\/pg\/: nothing is within the RPO of 1h/);
  });
});

// ---------------------------------------------------------------------------------------------
// The action, on a real folder (file://) and on a store that fails.

function folder(ages: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'drctl-prune-'));
  const now = Date.now();
  for (const [name, ageMs] of Object.entries(ages)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, name);
    const at = new Date(now - ageMs);
    utimesSync(path, at, at);
  }
  return dir;
}

describe('backup.prune', () => {
  it('validates its arguments, with the defaults of seed 004 and a dry run by default', () => {
    expect(checkActionArgs(backupPruneAction(), { location: 'file:///var/backups/' })).toEqual([]);
    expect(parseActionArgs(backupPruneAction(), { location: 'file:///var/backups/' })).toEqual({
      location: 'file:///var/backups/',
      keep_daily: 7,
      keep_weekly: 4,
      keep_monthly: 12,
      dry_run: true,
    });
    const bad = checkActionArgs(backupPruneAction(), { location: 'ftp://x', keep_daily: -1, dry_run: 'maybe' });
    expect(bad.map((p) => p.message).join('\n')).toMatch(/location[\s\S]*keep_daily[\s\S]*dry_run/);
  });

  it('in a dry run lists what it would delete and deletes nothing', async () => {
    const dir = folder({ 'db-0.gz': H, 'db-1.gz': 2 * D, 'db-2.gz': 3 * D, 'db-2.gz.manifest.json': 3 * D });
    const ctx = fakeActionContext();
    const out = await backupPruneAction().run(
      { location: `file://${dir}`, keep_daily: 2, keep_weekly: 0, keep_monthly: 0, dry_run: true },
      ctx,
    );
    expect(out).toEqual({ kept: 2, deleted: 0, deleted_keys: [], planned_keys: [join(dir, 'db-2.gz')], dry_run: true });
    expect(readdirSync(dir).sort()).toEqual(['db-0.gz', 'db-1.gz', 'db-2.gz', 'db-2.gz.manifest.json']);
    expect(ctx.logs.find((l) => l.startsWith('would delete'))).toMatch(/^would delete db-2\.gz \(.*\) and its manifest$/);
    expect(ctx.records).toHaveLength(1);
    expect(ctx.records[0]).toMatchObject({
      dry_run: true,
      backups: 3,
      keep: 2,
      to_delete_count: 1,
      to_delete: [`file://${join(dir, 'db-2.gz')}`],
    });
  });

  it('deletes the planned backups with their manifests, journaling each, and keeps the rest', async () => {
    const dir = folder({
      'db-0.gz': H,
      'db-0.gz.manifest.json': H,
      'db-1.gz': 2 * D,
      'db-2.gz': 3 * D,
      'db-2.gz.manifest.json': 3 * D,
      'db-3.gz': 4 * D,
      'other.txt': 9 * D,
    });
    const ctx = fakeActionContext();
    const out = await backupPruneAction().run(
      { location: `file://${dir}/`, keep_daily: 2, keep_weekly: 0, keep_monthly: 0, match: 'db-*.gz', dry_run: false },
      ctx,
    );
    expect(out).toMatchObject({ kept: 2, deleted: 2, deleted_keys: [join(dir, 'db-3.gz'), join(dir, 'db-2.gz')], dry_run: false });
    expect(readdirSync(dir).sort()).toEqual(['db-0.gz', 'db-0.gz.manifest.json', 'db-1.gz', 'other.txt']);
    expect(ctx.records.slice(1)).toEqual([
      { deleted: `file://${join(dir, 'db-3.gz')}`, manifest: null, last_modified: expect.any(String) },
      {
        deleted: `file://${join(dir, 'db-2.gz')}`,
        manifest: `file://${join(dir, 'db-2.gz.manifest.json')}`,
        last_modified: expect.any(String),
      },
    ]);
  });

  it('fails with one line, naming how many it deleted, when a deletion fails', async () => {
    const dir = folder({ 'a.gz': H, 'b.gz': 2 * D, 'c.gz': 3 * D });
    const real = await openStore({ scheme: 'file' }, {});
    let removals = 0;
    const failing: BackupStore = {
      listPage: (prefix: string, token: string | undefined, signal: AbortSignal): Promise<ObjectPage> =>
        real.listPage(prefix, token, signal),
      read: real.read.bind(real),
      write: real.write.bind(real),
      remove: async (key: string, signal: AbortSignal) => {
        if (++removals === 2)
          throw Object.assign(new Error(`EACCES: permission denied, unlink '${key}'`), { code: 'EACCES', syscall: 'unlink' });
        await real.remove(key, signal);
      },
    } as BackupStore;
    const ctx = fakeActionContext();
    await expect(
      backupPruneAction(async () => failing).run(
        { location: `file://${dir}`, keep_daily: 1, keep_weekly: 0, keep_monthly: 0, dry_run: false },
        ctx,
      ),
    ).rejects.toThrow(/^backup\.prune \(1 of 2 deleted\): file:\/\/.*: EACCES: permission denied$/);
    expect(ctx.records.filter((r) => 'deleted' in r)).toHaveLength(1);
  });

  it('takes a folder with a manifest beside it (a directory-format dump) as one backup, and deletes all of it', async () => {
    const object = (key: string, ageMs: number, size = 10): StoredObject => ({
      key: `pg/${key}`,
      lastModified: new Date(T0 - ageMs),
      size,
    });
    const listing = [
      object('db-1/', 3 * D, 0), // a folder marker
      object('db-1/toc.dat', 3 * D),
      object('db-1/3001.dat.gz', 3 * D - 60_000),
      object('db-1.manifest.json', 3 * D - 50_000),
      object('db-2/toc.dat', 2 * D),
      object('db-2/3001.dat.gz', 2 * D - 60_000),
      object('db-2.manifest.json', 2 * D - 50_000),
      object('db-3.sql.gz', H),
      object('loose/a.txt', 4 * D), // a folder without a manifest: each file is a backup
    ];
    const removed: string[] = [];
    const store = {
      listPage: async (): Promise<ObjectPage> => ({ objects: listing }),
      remove: async (key: string) => void removed.push(key),
    } as unknown as BackupStore;
    const series = await listSeries(store, parseLocation('s3://bkt/pg/') as Location, undefined, new AbortController().signal);
    expect(series.backups.map((b) => [b.key, b.lastModified.getTime(), b.size]).sort()).toEqual(
      [
        ['pg/db-1/', T0 - 3 * D + 60_000, 20],
        ['pg/db-2/', T0 - 2 * D + 60_000, 20],
        ['pg/db-3.sql.gz', T0 - H, 10],
        ['pg/loose/a.txt', T0 - 4 * D, 10],
      ].sort(),
    );
    const only = await listSeries(store, parseLocation('s3://bkt/pg/') as Location, globToRegExp('db-?'), new AbortController().signal);
    expect(only.backups.map((b) => b.key).sort()).toEqual(['pg/db-1/', 'pg/db-2/']);

    const ctx = fakeActionContext();
    const out = await backupPruneAction(async () => store).run(
      { location: 's3://bkt/pg/', keep_daily: 1, keep_weekly: 0, keep_monthly: 0, match: 'db-?', dry_run: false },
      ctx,
    );
    expect(out).toMatchObject({ kept: 1, deleted: 1, deleted_keys: ['pg/db-1/'] });
    expect(removed).toEqual(['pg/db-1.manifest.json', 'pg/db-1/toc.dat', 'pg/db-1/3001.dat.gz']);
    expect(ctx.records[1]).toEqual({
      deleted: 's3://bkt/pg/db-1/',
      manifest: 's3://bkt/pg/db-1.manifest.json',
      last_modified: expect.any(String),
    });
  });

  it('journals a plan of at most 1,000 keys, and every deletion', async () => {
    const objects = Array.from({ length: 1205 }, (_, i): StoredObject => ({
      key: `pg/b${i}`,
      lastModified: new Date(T0 - i * H),
      size: 1,
    }));
    const store = {
      listPage: async (): Promise<ObjectPage> => ({ objects }),
      remove: async () => {},
    } as unknown as BackupStore;
    const ctx = fakeActionContext();
    const out = await backupPruneAction(async () => store).run(
      { location: 's3://bkt/pg/', keep_daily: 1, keep_weekly: 0, keep_monthly: 0, dry_run: false },
      ctx,
    );
    const planned = (out.planned_keys as string[]).length;
    expect(planned).toBeGreaterThan(1100);
    expect(ctx.records[0]).toMatchObject({ to_delete_count: planned });
    expect(ctx.records[0]!.to_delete).toHaveLength(1000);
    expect(ctx.records.filter((r) => 'deleted' in r)).toHaveLength(planned);
  });

  it('lists every page of an S3-like listing', async () => {
    const page = (names: string[]): StoredObject[] =>
      names.map((key, i) => ({ key: `pg/${key}`, lastModified: new Date(T0 - i * D), size: 1 }));
    const pages = [page(['a', 'b']), page(['c', 'c.manifest.json'])];
    const removed: string[] = [];
    const store = {
      listPage: async (_p: string, token: string | undefined): Promise<ObjectPage> => ({
        objects: pages[Number(token ?? 0)]!,
        next: token === undefined ? '1' : undefined,
      }),
      remove: async (key: string) => void removed.push(key),
    } as unknown as BackupStore;
    const ctx = fakeActionContext();
    const out = await backupPruneAction(async () => store).run(
      { location: 's3://bkt/pg', keep_daily: 0, keep_weekly: 0, keep_monthly: 0, dry_run: false },
      ctx,
    );
    // a (page 1) and c (page 2) share the newest instant: the greater key, c, is the newest.
    expect(out).toMatchObject({ kept: 2, deleted: 1, deleted_keys: ['pg/b'] });
    expect(removed).toEqual(['pg/b']);
    expect(ctx.records[0]).toMatchObject({ pages: 2, backups: 3 });
  });
});
