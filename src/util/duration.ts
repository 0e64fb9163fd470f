/** Durations as runbooks write them: 500ms, 90s, 15m, 1h30m, 2h. */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|h|m|s))+$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const PART_RE = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * The longest duration drctl takes anywhere (budgets, timeouts, intervals, RTO and RPO, action
 * arguments, duration inputs, --incident-start offsets): 14 days. Anything longer is a typo, and
 * a timer past 24.8 days (2^31 ms) would fire at once instead of never.
 */
export const MAX_DURATION_MS = 336 * 3_600_000;
export const MAX_DURATION_TEXT = '336h (14 days)';

export function isDuration(text: string): boolean {
  return DURATION_RE.test(text);
}

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART_RE)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** Why a duration that parses is still refused (longer than the maximum), or undefined. */
export function durationLimitProblem(text: string): string | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && !(ms <= MAX_DURATION_MS)
    ? `${JSON.stringify(text)} is longer than ${MAX_DURATION_TEXT}, the longest duration drctl takes`
    : undefined;
}

/**
 * 0s, 950ms, 4.2s, 42s, 3m05s, 1h02m: short, fixed-width enough for a table. The one formatter of
 * durations for the terminal, the reports and the actions. The value is rounded to the unit shown
 * before it is split, so a carry moves up a place: 59.96s is 1m and 299.8s is 5m, never 60s in a
 * minute's place.
 */
export function formatDuration(ms: number): string {
  const text = formatMagnitude(Math.abs(ms));
  return ms < 0 && text !== '0s' ? `-${text}` : text;
}

function formatMagnitude(abs: number): string {
  const millis = Math.round(abs);
  if (millis === 0) return '0s';
  if (millis < 1000) return `${millis}ms`;
  // Tenths below 10s: 4.2s, and 3s rather than 3.0s.
  const tenths = Math.round(abs / 100);
  if (tenths < 100) return tenths % 10 === 0 ? `${tenths / 10}s` : `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(abs / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return withPart(Math.floor(seconds / 60), 'm', seconds % 60, 's');
  const minutes = Math.round(abs / 60_000);
  return withPart(Math.floor(minutes / 60), 'h', minutes % 60, 'm');
}

/** 3m05s, or 3m when the smaller part is zero. */
function withPart(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit}${String(small).padStart(2, '0')}${smallUnit}`;
}

/**
 * How often a runbook is to be drilled (`objectives.drill_every`): the units of every duration plus
 * `d` (days), as in 90d or 1d12h, and longer than the other durations may be, up to MAX_INTERVAL_MS.
 * Only this key takes days: a budget or a timeout in days is a typo.
 */
export const INTERVAL_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|d|h|m|s))+$';
const INTERVAL_RE = new RegExp(INTERVAL_PATTERN);
const INTERVAL_PART_RE = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/g;
const DAY_MS = 86_400_000;
/** The longest drill interval: about three years (1096 days). */
export const MAX_INTERVAL_MS = 1096 * DAY_MS;
export const MAX_INTERVAL_TEXT = '1096d (about three years)';

/** Milliseconds of a drill interval (90d, 12h, 1d12h), or undefined when the text is not one. */
export function parseInterval(text: string): number | undefined {
  if (!INTERVAL_RE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(INTERVAL_PART_RE)) {
    const unit = match[2]!;
    total += Number(match[1]) * (unit === 'd' ? DAY_MS : UNIT_MS[unit as keyof typeof UNIT_MS]);
  }
  return Math.round(total);
}

/** Why a drill interval that parses is still refused (zero, or longer than the maximum), or undefined. */
export function intervalLimitProblem(text: string): string | undefined {
  const ms = parseInterval(text);
  if (ms === undefined) return undefined;
  if (ms <= 0) return `${JSON.stringify(text)} is no time at all: a drill interval must be longer than 0`;
  return ms <= MAX_INTERVAL_MS
    ? undefined
    : `${JSON.stringify(text)} is longer than ${MAX_INTERVAL_TEXT}, the longest drill interval drctl takes`;
}

/** A drill interval as a runbook would write it: 90d, 1d12h, or formatDuration's text below a day. */
export function formatInterval(ms: number): string {
  if (ms < DAY_MS) return formatDuration(ms);
  const days = Math.floor(ms / DAY_MS);
  const rest = ms - days * DAY_MS;
  return rest === 0 ? `${days}d` : `${days}d${formatDuration(rest)}`;
}
