/**
 * Retention of a backup series: keep-daily, keep-weekly and keep-monthly, as seed 004 sets them
 * (7 daily, 4 weekly, 12 monthly). Pure: the caller lists the backups and deletes what the plan says.
 *
 * Each rule keeps the newest backup of each of the N most recent periods that hold a backup: UTC
 * days, ISO weeks (Monday to Sunday, UTC) and UTC calendar months. The rules count apart, so one
 * backup may be kept by several. The newest backup is always kept. Anything not older than the
 * oldest backup a rule keeps is kept too (the series is never thinned out between kept backups),
 * so only the tail older than that is deleted.
 */

export interface TimedBackup {
  key: string;
  lastModified: Date;
}

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

/** Seed 004's retention. */
export const DEFAULT_RETENTION: RetentionPolicy = { daily: 7, weekly: 4, monthly: 12 };

/**
 * Why a backup is kept: the newest of the series; the newest of one of the N most recent days,
 * weeks or months; or `newer`: not older than the oldest backup kept for a rule.
 */
export type KeepReason = 'newest' | 'daily' | 'weekly' | 'monthly' | 'newer';

export interface RetentionPlan<T extends TimedBackup> {
  /** Newest first, each with every reason it is kept for. */
  keep: Array<{ backup: T; reasons: KeepReason[] }>;
  /** Newest first: all strictly older than the oldest kept backup. */
  delete: T[];
}

/** Newer first; at the same instant the greater key first (as backup.latest picks). */
export function newestFirst(a: TimedBackup, b: TimedBackup): number {
  const diff = b.lastModified.getTime() - a.lastModified.getTime();
  if (diff !== 0) return diff;
  return a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function dayOf(at: Date): string {
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
}

/** The ISO week: 2026-W48. Its year is the year of the week's Thursday. */
export function weekOf(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${pad(week)}`;
}

export function monthOf(at: Date): string {
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}`;
}

const RULES: Array<{ reason: 'daily' | 'weekly' | 'monthly'; period: (at: Date) => string; count: (p: RetentionPolicy) => number }> = [
  { reason: 'daily', period: dayOf, count: (p) => p.daily },
  { reason: 'weekly', period: weekOf, count: (p) => p.weekly },
  { reason: 'monthly', period: monthOf, count: (p) => p.monthly },
];

/** What to keep and what to delete. Counts below 0 count as 0. */
export function planRetention<T extends TimedBackup>(backups: readonly T[], policy: RetentionPolicy): RetentionPlan<T> {
  const sorted = [...backups].sort(newestFirst);
  if (sorted.length === 0) return { keep: [], delete: [] };
  const reasons = sorted.map((): KeepReason[] => []);
  reasons[0]!.push('newest');
  for (const rule of RULES) {
    const count = Math.max(0, Math.floor(rule.count(policy)));
    const seen = new Set<string>();
    for (let i = 0; i < sorted.length && seen.size < count; i++) {
      const period = rule.period(sorted[i]!.lastModified);
      if (seen.has(period)) continue;
      seen.add(period);
      reasons[i]!.push(rule.reason);
    }
  }
  let oldest = 0;
  reasons.forEach((r, i) => {
    if (r.length > 0) oldest = i;
  });
  const cutoff = sorted[oldest]!.lastModified.getTime();
  const plan: RetentionPlan<T> = { keep: [], delete: [] };
  sorted.forEach((backup, i) => {
    if (backup.lastModified.getTime() < cutoff) plan.delete.push(backup);
    else plan.keep.push({ backup, reasons: reasons[i]!.length > 0 ? reasons[i]! : ['newer'] });
  });
  return plan;
}
