import * as z from '../../util/zod.js';
import type { BackupStore, StoredObject } from '../../ports/backup-store.js';
import { arg } from '../args.js';
import { defineAction, PermanentActionError } from '../types.js';
import type { Location } from './location.js';
import { baseName, globProblem, globToRegExp, parseLocation, parses, uriOf } from './location.js';
import type { KeepReason, RetentionPlan, RetentionPolicy } from './retention.js';
import { DEFAULT_RETENTION, planRetention } from './retention.js';
import { manifestKeyFor } from './manifest.js';
import type { Series } from './series.js';
import { listSeries } from './series.js';
import type { OpenStore } from './store.js';
import { openStore, storeFailure } from './store.js';

const NAME = 'backup.prune';

/** The most keys the journaled plan lists. */
const MAX_PLAN_RECORD = 1000;

const count = () => arg.integer().check(z.gte(0, { error: 'must be 0 or more' }));

const backupPruneArgs = z.strictObject({
  /** Where the backups are: s3://bucket/prefix/ or file:///dir/. */
  location: arg.text().check(z.superRefine(parses(parseLocation))),
  /** Keep the newest backup of each of this many most recent days that hold one (default 7). */
  keep_daily: z._default(count(), DEFAULT_RETENTION.daily),
  /** ... of ISO weeks (default 4). */
  keep_weekly: z._default(count(), DEFAULT_RETENTION.weekly),
  /** ... of calendar months (default 12). */
  keep_monthly: z._default(count(), DEFAULT_RETENTION.monthly),
  /** Only objects whose name under the location matches this glob (* does not cross /). */
  match: z.optional(
    arg.text().check(z.refine((v: string) => globProblem(v) === undefined, { error: 'expected a glob such as backup_*.sql.gz' })),
  ),
  /** List what would be deleted and delete nothing (the default); false deletes. */
  dry_run: z._default(arg.boolean(), true),
});

export interface PrunePlan {
  location: Location;
  plan: RetentionPlan<StoredObject>;
  /** The manifest beside each backup the plan deletes, when there is one. */
  manifestOf: Map<string, string>;
  /** The objects of each folder backup (a directory-format dump), by its key. */
  members: Map<string, string[]>;
  /** Directory-format backups that stopped part way: never deleted (one may be a backup still being written). */
  partial: Series['partial'];
  pages: number;
}

/** List the series and decide; deletes nothing. */
export async function planPrune(
  store: BackupStore,
  location: Location,
  policy: RetentionPolicy,
  match: string | undefined,
  signal: AbortSignal,
): Promise<PrunePlan> {
  const series = await listSeries(store, location, match === undefined ? undefined : globToRegExp(match), signal);
  const plan = planRetention(series.backups, policy);
  const manifestOf = new Map<string, string>();
  for (const backup of plan.delete) {
    const manifest = manifestKeyFor(backup.key);
    if (series.manifests.has(manifest)) manifestOf.set(backup.key, manifest);
  }
  return { location, plan, manifestOf, members: series.members, partial: series.partial, pages: series.pages };
}

/**
 * Delete what the plan deletes, oldest first, each backup's manifest before the backup (a stop in
 * between leaves a backup the next prune deletes, never a manifest without its backup). A folder
 * backup is deleted file by file, then (file://) its folder once empty. A file already gone counts
 * as deleted. `onDeleted` hears of each deletion as it is done.
 */
export async function executePrune(
  store: BackupStore,
  prune: PrunePlan,
  signal: AbortSignal,
  onDeleted: (backup: StoredObject, manifest: string | undefined) => void,
): Promise<void> {
  const remove = async (key: string): Promise<void> => {
    signal.throwIfAborted();
    try {
      await store.remove(key, signal);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
    }
  };
  for (const backup of [...prune.plan.delete].reverse()) {
    const manifest = prune.manifestOf.get(backup.key);
    if (manifest !== undefined) await remove(manifest);
    const members = prune.members.get(backup.key);
    if (members === undefined) {
      await remove(backup.key);
    } else {
      for (const key of members) await remove(key);
      if (prune.location.store.scheme === 'file') {
        const { rmdir } = await import('node:fs/promises');
        // Left when something else was put in it meanwhile.
        await rmdir(backup.key).catch(() => {});
      }
    }
    onDeleted(backup, manifest);
  }
}

/** Why prune leaves a partial directory-format backup where it is. */
export const PARTIAL_LEFT = 'never deleted by prune (it may be a backup still being written): remove it by hand';

export function reasonsText(reasons: readonly KeepReason[]): string {
  return reasons.map((r) => (r === 'newer' ? 'newer than the oldest kept' : r)).join(', ');
}

/**
 * Retention (seed 004's keep-daily / keep-weekly / keep-monthly) on a backup series. A dry run by
 * default: it lists what it would delete. It never deletes the newest backup, nor anything not older
 * than the oldest backup it keeps; each backup deleted goes with its `<key>.manifest.json`, and
 * every deletion is journaled as it is done.
 */
export function backupPruneAction(open: OpenStore = openStore) {
  return defineAction({
    name: NAME,
    summary: 'Delete backups past their retention (keep daily, weekly, monthly); a dry run by default',
    args: backupPruneArgs,
    outputs: ['kept', 'deleted', 'deleted_keys', 'planned_keys', 'dry_run'],
    async run(args, ctx) {
      const location = parseLocation(args.location);
      if (typeof location === 'string') throw new PermanentActionError(`${NAME}: ${args.location}: ${location}`);
      const policy: RetentionPolicy = { daily: args.keep_daily, weekly: args.keep_weekly, monthly: args.keep_monthly };
      const name = (key: string): string => key.slice(location.prefix.length) || baseName(key);
      let store: BackupStore;
      let prune: PrunePlan;
      try {
        store = await open(location.store, ctx.aws);
        prune = await planPrune(store, location, policy, args.match, ctx.signal);
      } catch (error) {
        throw storeFailure(NAME, location.uri, error, ctx.signal);
      }
      const { plan } = prune;
      const planned = plan.delete.map((b) => b.key);
      ctx.record({
        location: location.uri,
        match: args.match ?? null,
        keep_daily: policy.daily,
        keep_weekly: policy.weekly,
        keep_monthly: policy.monthly,
        dry_run: args.dry_run,
        pages: prune.pages,
        backups: plan.keep.length + plan.delete.length,
        keep: plan.keep.length,
        oldest_kept: plan.keep.length > 0 ? uriOf(location.store, plan.keep[plan.keep.length - 1]!.backup.key) : null,
        to_delete_count: planned.length,
        // Each deletion is journaled as well: the plan's list is cut short on a first prune of a long series.
        to_delete: planned.slice(0, MAX_PLAN_RECORD).map((key) => uriOf(location.store, key)),
      });
      for (const { backup, reasons } of plan.keep)
        ctx.log(`keep   ${name(backup.key)} (${backup.lastModified.toISOString()}): ${reasonsText(reasons)}`);
      for (const p of prune.partial) ctx.log(`left   ${name(p.key)} (${p.lastModified.toISOString()}): ${p.problem}: ${PARTIAL_LEFT}`);
      for (const backup of plan.delete) {
        const manifest = prune.manifestOf.has(backup.key) ? ' and its manifest' : '';
        ctx.log(`${args.dry_run ? 'would delete' : 'delete'} ${name(backup.key)} (${backup.lastModified.toISOString()})${manifest}`);
      }
      const deleted: string[] = [];
      if (!args.dry_run) {
        try {
          await executePrune(store, prune, ctx.signal, (backup, manifest) => {
            deleted.push(backup.key);
            ctx.record({
              deleted: uriOf(location.store, backup.key),
              manifest: manifest === undefined ? null : uriOf(location.store, manifest),
              last_modified: backup.lastModified.toISOString(),
            });
          });
        } catch (error) {
          throw storeFailure(`${NAME} (${deleted.length} of ${planned.length} deleted)`, location.uri, error, ctx.signal);
        }
      }
      ctx.log(
        args.dry_run
          ? `dry run: ${plan.keep.length} kept, ${planned.length} would be deleted (dry_run: false deletes them)`
          : `${plan.keep.length} kept, ${deleted.length} deleted`,
      );
      return { kept: plan.keep.length, deleted: deleted.length, deleted_keys: deleted, planned_keys: planned, dry_run: args.dry_run };
    },
  });
}

export const backupPrune = backupPruneAction();
