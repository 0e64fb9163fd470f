import { checkFreshness } from '../../actions/backup/freshness.js';
import type { Location } from '../../actions/backup/location.js';
import { globProblem, globToRegExp, parseLocation, uriOf } from '../../actions/backup/location.js';
import { executePrune, PARTIAL_LEFT, planPrune, reasonsText } from '../../actions/backup/prune.js';
import type { RetentionPolicy, TimedBackup } from '../../actions/backup/retention.js';
import { DEFAULT_RETENTION } from '../../actions/backup/retention.js';
import { listSeries } from '../../actions/backup/series.js';
import { openStore, storeFailure } from '../../actions/backup/store.js';
import type { BackupStore } from '../../ports/backup-store.js';
import { durationLimitProblem, parseDuration } from '../../util/duration.js';
import { UserError } from '../../util/errors.js';
import { awsSettings } from '../run-support.js';

/**
 * `drctl backup check` and `drctl backup prune`: freshness against an RPO and retention, for cron
 * jobs and CI. Exit codes: 0 fresh (check) or done (prune), 3 not fresh enough (check), 2 bad
 * usage, 1 the store could not be listed or a deletion failed.
 */

/** The gap check looks this far back unless --since says otherwise. */
export const DEFAULT_SINCE = '24h';

export interface BackupCommonOptions {
  match?: string;
  json?: boolean;
  profile?: string;
  region?: string;
}

export interface BackupCheckOptions extends BackupCommonOptions {
  rpo?: string;
  since?: string;
}

export interface BackupPruneOptions extends BackupCommonOptions {
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  yes?: boolean;
}

const out = (line: string): boolean => process.stdout.write(`${line}\n`);

function location(text: string, command: string): Location {
  const parsed = parseLocation(text);
  if (typeof parsed === 'string') throw new UserError(`backup ${command}: ${JSON.stringify(text)}: ${parsed}`);
  return parsed;
}

function duration(text: string | undefined, option: string, command: string): number {
  if (text === undefined) throw new UserError(`backup ${command}: ${option} is required`, { hint: `e.g. ${option} 15m` });
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new UserError(`backup ${command}: ${option} ${JSON.stringify(text)} is not a duration`, { hint: 'e.g. 15m, 1h30m, 24h' });
  const limit = durationLimitProblem(text);
  if (limit !== undefined) throw new UserError(`backup ${command}: ${option} ${limit}`);
  if (ms <= 0) throw new UserError(`backup ${command}: ${option} must be longer than 0s`);
  return ms;
}

function pattern(match: string | undefined, command: string): RegExp | undefined {
  if (match === undefined) return undefined;
  const problem = globProblem(match) ?? (match === '' ? 'empty' : undefined);
  if (problem !== undefined) throw new UserError(`backup ${command}: --match ${JSON.stringify(match)}: ${problem}`);
  return globToRegExp(match);
}

function count(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,6}$/.test(text)) throw new UserError(`backup prune: ${option} ${JSON.stringify(text)} is not a whole number of 0 or more`);
  return Number(text);
}

/** What a file system error means for a folder being listed, in words. */
const FOLDER_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such folder',
  ENOTDIR: 'not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
};

/** An error of the store: one line on stderr, exit 1 (the location could not be listed). */
function storeError(command: string, where: Location, error: unknown, listing = true): number {
  const e = (error ?? {}) as { code?: unknown; path?: unknown };
  const problem = typeof e.code === 'string' ? FOLDER_PROBLEMS[e.code] : undefined;
  let line: string;
  if (listing && where.store.scheme === 'file' && problem !== undefined) {
    // The folder itself, or one found under it while listing (removed meanwhile, unreadable).
    const folder = where.prefix.length > 1 ? where.prefix.slice(0, -1) : where.prefix;
    const inside = typeof e.path === 'string' && e.path !== folder ? ` (${e.path})` : '';
    line = `backup ${command}: ${where.uri}: cannot be read: ${problem}${inside}`;
  } else {
    line = storeFailure(`backup ${command}`, where.uri, error, new AbortController().signal).message;
  }
  process.stderr.write(`drctl: ${line}\n`);
  return 1;
}

export async function backupCheckCommand(text: string, options: BackupCheckOptions): Promise<number> {
  const where = location(text, 'check');
  const rpoMs = duration(options.rpo, '--rpo', 'check');
  const sinceMs = duration(options.since ?? DEFAULT_SINCE, '--since', 'check');
  const regex = pattern(options.match, 'check');
  const signal = new AbortController().signal;
  let backups;
  let partial;
  try {
    const store = await openStore(where.store, awsSettings(options));
    ({ backups, partial } = await listSeries(store, where, regex, signal));
  } catch (error) {
    return storeError('check', where, error);
  }
  // A directory-format backup that stopped part way does not count: said on stderr, the verdict stays one line.
  for (const p of partial) process.stderr.write(`drctl: backup check: ${uriOf(where.store, p.key)}: ${p.problem}: left out\n`);
  const name = (b: TimedBackup): string => b.key.slice(where.prefix.length);
  const matched = options.match === undefined ? '' : ` matching "${options.match}"`;
  const result = checkFreshness(backups, { now: new Date(), rpoMs, sinceMs, name, where: `${matched} in ${where.uri}` });
  const entry = (b: TimedBackup) => ({ key: b.key, uri: uriOf(where.store, b.key), last_modified: b.lastModified.toISOString() });
  if (options.json) {
    out(
      JSON.stringify(
        {
          status: result.status,
          location: where.uri,
          match: options.match ?? null,
          backups: backups.length,
          partial: partial.map((p) => uriOf(where.store, p.key)),
          newest: result.newest ? entry(result.newest) : null,
          age_s: result.ageMs === undefined ? null : Math.round(result.ageMs) / 1000,
          rpo_s: rpoMs / 1000,
          since: result.since.toISOString(),
          gaps: result.gaps.map((g) => ({ after: entry(g.after), before: entry(g.before), gap_s: g.ms / 1000 })),
          line: result.line,
        },
        null,
        2,
      ),
    );
  } else {
    out(result.line);
  }
  return result.status === 'fresh' ? 0 : 3;
}

export async function backupPruneCommand(text: string, options: BackupPruneOptions): Promise<number> {
  const where = location(text, 'prune');
  const policy: RetentionPolicy = {
    daily: count(options.keepDaily, '--keep-daily', DEFAULT_RETENTION.daily),
    weekly: count(options.keepWeekly, '--keep-weekly', DEFAULT_RETENTION.weekly),
    monthly: count(options.keepMonthly, '--keep-monthly', DEFAULT_RETENTION.monthly),
  };
  pattern(options.match, 'prune');
  const signal = new AbortController().signal;
  const dryRun = options.yes !== true;
  let store: BackupStore;
  let prune;
  try {
    store = await openStore(where.store, awsSettings(options));
    prune = await planPrune(store, where, policy, options.match, signal);
  } catch (error) {
    return storeError('prune', where, error);
  }
  const { plan } = prune;
  const name = (key: string): string => key.slice(where.prefix.length);
  const deleted: string[] = [];
  let failure: number | undefined;
  if (!options.json) {
    out(
      `${where.uri}: ${plan.keep.length + plan.delete.length} backup(s); keeping the newest of the last ${policy.daily} day(s), ${policy.weekly} week(s) and ${policy.monthly} month(s) that hold one, and everything newer`,
    );
    for (const { backup, reasons } of plan.keep)
      out(`  keep          ${name(backup.key)}  ${backup.lastModified.toISOString()}  ${reasonsText(reasons)}`);
    for (const p of prune.partial) out(`  left          ${name(p.key)}  ${p.lastModified.toISOString()}  ${p.problem}: ${PARTIAL_LEFT}`);
    if (dryRun) {
      for (const backup of plan.delete)
        out(
          `  would delete  ${name(backup.key)}  ${backup.lastModified.toISOString()}${prune.manifestOf.has(backup.key) ? '  and its manifest' : ''}`,
        );
    }
  }
  if (!dryRun) {
    try {
      await executePrune(store, prune, signal, (backup, manifest) => {
        deleted.push(backup.key);
        if (!options.json)
          out(
            `  deleted       ${name(backup.key)}  ${backup.lastModified.toISOString()}${manifest === undefined ? '' : '  and its manifest'}`,
          );
      });
    } catch (error) {
      failure = storeError(`prune (${deleted.length} of ${plan.delete.length} deleted)`, where, error, false);
    }
  }
  const entry = (key: string) => ({ key, uri: uriOf(where.store, key) });
  if (options.json) {
    out(
      JSON.stringify(
        {
          location: where.uri,
          match: options.match ?? null,
          dry_run: dryRun,
          keep_daily: policy.daily,
          keep_weekly: policy.weekly,
          keep_monthly: policy.monthly,
          kept: plan.keep.map(({ backup, reasons }) => ({
            ...entry(backup.key),
            last_modified: backup.lastModified.toISOString(),
            reasons,
          })),
          to_delete: plan.delete.map((b) => ({
            ...entry(b.key),
            last_modified: b.lastModified.toISOString(),
            manifest: prune.manifestOf.has(b.key) ? uriOf(where.store, prune.manifestOf.get(b.key)!) : null,
          })),
          deleted: deleted.map(entry),
          partial: prune.partial.map((p) => ({ ...entry(p.key), last_modified: p.lastModified.toISOString(), problem: p.problem })),
        },
        null,
        2,
      ),
    );
  } else if (dryRun) {
    out(`Dry run: ${plan.keep.length} kept, ${plan.delete.length} would be deleted. Nothing was deleted; --yes deletes them.`);
  } else if (failure === undefined) {
    out(`${plan.keep.length} kept, ${deleted.length} deleted.`);
  }
  return failure ?? 0;
}
