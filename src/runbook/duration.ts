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
  return ms !== undefined && !(ms <= MAX_DURATION_MS) ? `${JSON.stringify(text)} is longer than ${MAX_DURATION_TEXT}, the longest duration drctl takes` : undefined;
}

/** 0s, 950ms, 42s, 3m05s, 1h02m: short, fixed-width enough for a table. */
export function formatDuration(ms: number): string {
  const negative = ms < 0;
  const abs = Math.abs(ms);
  let text: string;
  if (abs < 1000) text = abs === 0 ? '0s' : `${Math.round(abs)}ms`;
  else if (abs < 60_000) text = `${(abs / 1000).toFixed(abs < 10_000 && abs % 1000 >= 50 ? 1 : 0)}s`;
  else if (abs < 3_600_000) {
    const m = Math.floor(abs / 60_000);
    const s = Math.floor((abs % 60_000) / 1000);
    text = s ? `${m}m${String(s).padStart(2, '0')}s` : `${m}m`;
  } else {
    const h = Math.floor(abs / 3_600_000);
    const m = Math.floor((abs % 3_600_000) / 60_000);
    text = m ? `${h}h${String(m).padStart(2, '0')}m` : `${h}h`;
  }
  return negative ? `-${text}` : text;
}
