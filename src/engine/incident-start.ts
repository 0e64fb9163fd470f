import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from '../util/duration.js';
import { UserError } from '../util/errors.js';

/** The earliest incident start drctl takes: older times are typos (1900, 0026), not incidents. */
export const EARLIEST_INCIDENT_START = '2000-01-01T00:00:00Z';
/** How far ahead of this machine's clock an incident start may be: clocks disagree a little. */
export const CLOCK_SKEW_MS = 60_000;

const TIME_HINT = 'write an ISO time such as 2026-11-22T03:00:00Z (or 2026-11-22T04:00:00+01:00), or an offset such as -45m';

/**
 * An ISO 8601 date, or date and time: 2026-11-22, 2026-11-22T03:00, 2026-11-22T03:00:00.5Z,
 * 2026-11-22T04:00:00+01:00. Read as JavaScript reads it (a date alone is UTC midnight; a time
 * without a zone is local time), but only once every field is a real one.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

/** `--incident-start`: an ISO time, or an offset back from now such as -45m or -1h30m. */
export function parseIncidentStart(text: string | undefined, now: Date): Date {
  if (text === undefined) return now;
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) return fromOffset(text, trimmed.slice(1), now);
  const match = ISO_TIME.exec(trimmed);
  if (!match) throw new UserError(`--incident-start ${JSON.stringify(text)} is not a time`, { hint: TIME_HINT });
  const problem = fieldProblem(match);
  if (problem) throw new UserError(`--incident-start ${JSON.stringify(text)} is not a real time: ${problem}`, { hint: TIME_HINT });
  const time = new Date(normalized(match));
  if (Number.isNaN(time.getTime())) throw new UserError(`--incident-start ${JSON.stringify(text)} is not a time`, { hint: TIME_HINT });
  if (time.getTime() < Date.parse(EARLIEST_INCIDENT_START)) {
    throw new UserError(`--incident-start ${time.toISOString()} is before ${EARLIEST_INCIDENT_START.slice(0, 10)}`, {
      hint: 'the incident start is when this disaster began; check the year',
    });
  }
  if (time.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw new UserError(`--incident-start ${time.toISOString()} is in the future`, {
      hint: 'the incident start is when the disaster began',
    });
  }
  return time;
}

function fromOffset(text: string, duration: string, now: Date): Date {
  const ms = parseDuration(duration);
  if (ms === undefined)
    throw new UserError(`--incident-start ${JSON.stringify(text)} is not an offset`, {
      hint: 'write e.g. -45m or -1h30m, or an ISO time such as 2026-11-22T03:00:00Z',
    });
  if (!(ms <= MAX_DURATION_MS)) {
    throw new UserError(`--incident-start ${JSON.stringify(text)} goes back more than ${MAX_DURATION_TEXT}`, {
      hint: 'for an older incident, give the ISO time it began, e.g. 2026-11-02T03:00:00Z',
    });
  }
  return new Date(now.getTime() - ms);
}

/** The same time in the one form every JavaScript engine reads alike. */
function normalized(match: RegExpExecArray): string {
  const [, year, month, day, hour, minute, second, fraction, utc, sign, zoneHour, zoneMinute] = match;
  if (hour === undefined) return `${year}-${month}-${day}`;
  const zone = utc ? 'Z' : sign ? `${sign}${zoneHour}:${zoneMinute}` : '';
  return `${year}-${month}-${day}T${hour}:${minute}:${second ?? '00'}${(fraction ?? '').slice(0, 4)}${zone}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The first field that is out of range: 30 February, hour 24, minute 60, an offset past 14:00. */
function fieldProblem(match: RegExpExecArray): string | undefined {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => (match[i] === undefined ? undefined : Number(match[i])));
  if (month! < 1 || month! > 12) return `there is no month ${match[2]}`;
  if (day! < 1 || day! > daysIn(year!, month!)) return `${MONTHS[month! - 1]} ${year} has ${daysIn(year!, month!)} days`;
  if (hour !== undefined && hour > 23) return `there is no hour ${match[4]} (00 to 23)`;
  if (minute !== undefined && minute > 59) return `there is no minute ${match[5]} (00 to 59)`;
  if (second !== undefined && second > 59) return `there is no second ${match[6]} (00 to 59)`;
  const [sign, zoneHour, zoneMinute] = [match[9], Number(match[10]), Number(match[11])];
  if (sign !== undefined && (zoneHour > 14 || zoneMinute > 59 || (zoneHour === 14 && zoneMinute > 0))) {
    return `${sign}${match[10]}:${match[11]} is not a time zone offset (-14:00 to +14:00)`;
  }
  return undefined;
}
