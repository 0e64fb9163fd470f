import { formatDuration } from '../../util/duration.js';
import type { TimedBackup } from './retention.js';
import { newestFirst } from './retention.js';

/**
 * Is a backup series fresh enough for the RPO? Pure: the newest backup must be younger than the RPO,
 * and no two consecutive backups in the window checked (the last `sinceMs` before `now`) may be
 * further apart than the RPO. The pair that straddles the start of the window counts: its gap
 * reaches into the window.
 */

export type FreshnessStatus = 'fresh' | 'stale' | 'gap' | 'none';

export interface Gap<T extends TimedBackup> {
  after: T;
  before: T;
  ms: number;
}

export interface Freshness<T extends TimedBackup> {
  status: FreshnessStatus;
  newest: T | undefined;
  /** How old the newest backup is (0 when its time is ahead of `now`). */
  ageMs: number | undefined;
  /** Gaps longer than the RPO in the window, longest first. */
  gaps: Array<Gap<T>>;
  since: Date;
  /** The one line an operator reads. */
  line: string;
}

export interface FreshnessOptions {
  now: Date;
  rpoMs: number;
  sinceMs: number;
  /** How a backup is named in the line (its name under the location). */
  name: (backup: TimedBackup) => string;
  /** Said after "no backups", e.g. ` matching "db-*"` or ` in s3://bkt/pg/`. */
  where?: string;
}

export function checkFreshness<T extends TimedBackup>(backups: readonly T[], options: FreshnessOptions): Freshness<T> {
  const { now, rpoMs, sinceMs, name } = options;
  const since = new Date(now.getTime() - sinceMs);
  const rpo = formatDuration(rpoMs);
  const sorted = [...backups].sort(newestFirst);
  const newest = sorted[0];
  if (!newest) {
    return {
      status: 'none',
      newest,
      ageMs: undefined,
      gaps: [],
      since,
      line: `no backups${options.where ?? ''}: nothing is within the RPO of ${rpo}`,
    };
  }
  const ageMs = Math.max(0, now.getTime() - newest.lastModified.getTime());
  const gaps: Array<Gap<T>> = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const before = sorted[i]!;
    const after = sorted[i + 1]!;
    if (before.lastModified.getTime() <= since.getTime()) break;
    const ms = before.lastModified.getTime() - after.lastModified.getTime();
    if (ms > rpoMs) gaps.push({ after, before, ms });
  }
  gaps.sort((a, b) => b.ms - a.ms || b.before.lastModified.getTime() - a.before.lastModified.getTime());
  const at = (b: TimedBackup): string => `${name(b)} (${b.lastModified.toISOString()})`;
  const window = `in the last ${formatDuration(sinceMs)}`;
  const gapText = (gap: Gap<T>): string =>
    `gap of ${formatDuration(gap.ms)} between ${at(gap.after)} and ${at(gap.before)}, longer than the RPO of ${rpo}` +
    (gaps.length > 1 ? ` (${gaps.length} gaps over the RPO ${window})` : '');
  if (ageMs > rpoMs) {
    const also = gaps.length > 0 ? `; also a ${gapText(gaps[0]!)}` : '';
    return {
      status: 'stale',
      newest,
      ageMs,
      gaps,
      since,
      line: `newest backup ${at(newest)} is ${formatDuration(ageMs)} old, past the RPO of ${rpo}${also}`,
    };
  }
  if (gaps.length > 0) return { status: 'gap', newest, ageMs, gaps, since, line: gapText(gaps[0]!) };
  return {
    status: 'fresh',
    newest,
    ageMs,
    gaps,
    since,
    line: `fresh: newest backup ${at(newest)} is ${formatDuration(ageMs)} old (RPO ${rpo}), no gap over ${rpo} since ${since.toISOString()}`,
  };
}
