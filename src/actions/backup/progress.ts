import { formatDuration } from '../../util/duration.js';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function rate(bytes: number, ms: number): string {
  return ms > 0 ? `${formatBytes((bytes * 1000) / ms)}/s` : 'instant';
}

/**
 * Progress lines for a transfer: one at each further 10%, never more than one every ~2 s, and at
 * least one every 30 s while bytes flow (a slow transfer of a large backup still shows it is alive).
 */
export function progressReporter(
  log: (text: string) => void,
  verb: string,
  what: string,
  total: number,
  now: () => number = Date.now,
): { update(bytes: number): void; elapsedMs(): number } {
  const started = now();
  let lastAt = started;
  let lastTenth = 0;
  return {
    update(bytes) {
      const t = now();
      const tenth = total > 0 ? Math.floor((bytes * 10) / total) : 0;
      if (bytes >= total || t - lastAt < 2000) return;
      if (tenth <= lastTenth && t - lastAt < 30_000) return;
      lastAt = t;
      lastTenth = tenth;
      const percent = Math.floor((bytes * 100) / total);
      log(
        `${verb} ${what}: ${percent}% (${formatBytes(bytes)} of ${formatBytes(total)}, ${rate(bytes, t - started)}, ${formatDuration(t - started)})`,
      );
    },
    elapsedMs: () => now() - started,
  };
}
