import { parseDuration } from '../runbook/duration.js';
import { UserError } from '../util/errors.js';

/** `--incident-start`: an ISO time, or an offset back from now such as -45m or -1h30m. */
export function parseIncidentStart(text: string | undefined, now: Date): Date {
  if (text === undefined) return now;
  const offset = /^-(.+)$/.exec(text.trim());
  if (offset) {
    const ms = parseDuration(offset[1]!);
    if (ms === undefined) throw new UserError(`--incident-start "${text}" is not an offset`, { hint: 'write e.g. -45m or -1h30m, or an ISO time such as 2026-11-22T03:00:00Z' });
    return new Date(now.getTime() - ms);
  }
  const time = new Date(text);
  if (Number.isNaN(time.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    throw new UserError(`--incident-start "${text}" is not a time`, { hint: 'write an ISO time such as 2026-11-22T03:00:00Z, or an offset such as -45m' });
  }
  if (time.getTime() > now.getTime() + 60_000) throw new UserError(`--incident-start ${time.toISOString()} is in the future`, { hint: 'the incident start is when the disaster began' });
  return time;
}
