import { stripVTControlCharacters } from 'node:util';
import type { ClockView, RunEvent } from '../engine/events.js';
import { formatDuration } from '../util/duration.js';
import { displayWidth } from './layout.js';
import type { Style } from './style.js';

/**
 * The clock the operator watches: T+ since the incident start against the RTO, and the projected
 * finish (elapsed plus the budgets still to run), kept live between the engine's events. The card
 * prints the clock once, into the scrollback; the prompts and the spinner redraw it each second
 * from what is tracked here.
 */

/**
 * The first of `candidates` (longest first) that fits in `width` columns, so a line never wraps and
 * a redraw stays on one line. When none fits, the last one cut to the width with "…" (its colours
 * are dropped: a cut could split an escape sequence).
 */
export function fitLine(candidates: readonly string[], width: number): string {
  for (const candidate of candidates) if (displayWidth(candidate) <= width) return candidate;
  const plain = [...stripVTControlCharacters(candidates.at(-1) ?? '')];
  return width <= 0 ? '' : plain.length <= width ? plain.join('') : `${plain.slice(0, width - 1).join('')}…`;
}

/** "T+12m30s of RTO 1h", or "T+12m30s since incident start" with no RTO. */
function sinceStart(clock: ClockView): string {
  const elapsed = `T+${formatDuration(clock.elapsedMs)}`;
  return clock.rtoMs === undefined ? `${elapsed} since incident start` : `${elapsed} of RTO ${formatDuration(clock.rtoMs)}`;
}

/** "11m30s inside the RTO" in green, "3m PAST THE RTO" in red; `short` drops "the RTO". */
function margin(clock: ClockView & { rtoMs: number }, style: Style, short = false): string {
  const left = clock.rtoMs - clock.projectedMs;
  return left >= 0
    ? style.green(`${formatDuration(left)} inside${short ? '' : ' the RTO'}`)
    : style.red(`${formatDuration(-left)} PAST${short ? '' : ' THE RTO'}`);
}

/** The card's clock: "T+12m30s of RTO 1h · projected finish T+48m (11m30s inside the RTO)". */
export function clockText(clock: ClockView, style: Style): string {
  const projection = `projected finish T+${formatDuration(clock.projectedMs)}`;
  if (clock.rtoMs === undefined) return `${sinceStart(clock)} · ${projection} · no RTO set`;
  return `${sinceStart(clock)} · ${projection} (${margin({ ...clock, rtoMs: clock.rtoMs }, style)})`;
}

/** The projection, longest wording first; none while rolling back (no budgets are left to add up). */
function projections(clock: ClockView, style: Style, projected: boolean): string[] {
  if (!projected) return [];
  const finish = `finish T+${formatDuration(clock.projectedMs)}`;
  if (clock.rtoMs === undefined) return [`projected ${finish}`, finish];
  const rto = { ...clock, rtoMs: clock.rtoMs };
  return [`projected ${finish} (${margin(rto, style)})`, `${finish} (${margin(rto, style)})`, `${finish} (${margin(rto, style, true)})`];
}

/**
 * The line over a waiting prompt, within `width` columns:
 * "clock T+12m30s of RTO 1h · projected finish T+48m (11m30s inside the RTO)", shortened to fit.
 */
export function waitingLine(clock: ClockView, style: Style, width: number, projected = true): string {
  const since = sinceStart(clock);
  const label = style.dim('clock');
  const ahead = projections(clock, style, projected);
  return fitLine(
    [...ahead.map((p) => `${label} ${since} · ${p}`), ...ahead.map((p) => `${since} · ${p}`), `${label} ${since}`, since],
    width,
  );
}

export interface StepTime {
  id: string;
  elapsedMs: number;
  budgetMs?: number | undefined;
}

/**
 * The line of a step at work (the spinner of a command, the prompt of a manual step), within
 * `width` columns: "restore-database 1m02s of 15m budget · T+12m30s of RTO 1h · finish T+48m (…)".
 */
export function stepLine(step: StepTime, clock: ClockView, style: Style, width: number, projected = true): string {
  const over = step.budgetMs !== undefined && step.elapsedMs > step.budgetMs;
  const budget = step.budgetMs === undefined ? '' : ` of ${formatDuration(step.budgetMs)}`;
  const time = `${step.id} ${formatDuration(step.elapsedMs)}`;
  const long = `${time}${budget}${step.budgetMs === undefined ? '' : ' budget'}${over ? style.red(' (over budget)') : ''}`;
  const short = `${time}${budget}${over ? style.red(' (over)') : ''}`;
  const since = sinceStart(clock);
  return fitLine(
    [
      ...projections(clock, style, projected).map((p) => `${long} · ${since} · ${p}`),
      `${long} · ${since}`,
      `${short} · ${since}`,
      `${short} · T+${formatDuration(clock.elapsedMs)}`,
      short,
    ],
    width,
  );
}

/**
 * Follows the run's events and answers "what does the clock say now?". The elapsed time comes from
 * the last card's clock plus the time since it was shown; the budgets still to run from that card's
 * projection, less what the step at work has used of its own budget.
 */
export class LiveClock {
  private base: { clock: ClockView; at: number } | undefined;
  private header: { start: number; rtoMs?: number | undefined } | undefined;
  /** expectedMs: what the projection counts for the card's step (its past median, else its budget). */
  private card: { id: string; budgetMs?: number | undefined; expectedMs?: number | undefined } | undefined;
  /** The step at work; `onCard` when it is the card's step (a step run again is not), whose budget the projection holds. */
  private working:
    { id: string; budgetMs?: number | undefined; expectedMs?: number | undefined; since: number; onCard: boolean } | undefined;
  private rollingBack = false;

  constructor(private readonly now: () => number = Date.now) {}

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'run.header': {
        const start = Date.parse(event.incidentStart);
        if (!Number.isNaN(start)) this.header = { start, rtoMs: event.rtoMs };
        break;
      }
      case 'step.card':
        this.base = { clock: event.card.clock, at: this.now() };
        this.card = { id: event.card.id, budgetMs: event.card.budgetMs, expectedMs: event.card.history?.ms ?? event.card.budgetMs };
        this.working = undefined;
        break;
      case 'step.started':
        this.working =
          this.card?.id === event.step
            ? { id: event.step, budgetMs: this.card.budgetMs, expectedMs: this.card.expectedMs, since: this.now(), onCard: true }
            : { id: event.step, since: this.now(), onCard: false };
        break;
      case 'step.attempt.started':
        // A step run again from the menu has no card of its own: its budget comes with its attempt.
        if (this.working?.id === event.id && !this.working.onCard) this.working.budgetMs = event.budgetMs;
        break;
      case 'step.failed':
      case 'step.finished':
        this.working = undefined;
        break;
      case 'rollback.started':
        this.rollingBack = true;
        this.working = undefined;
        break;
      default:
        break;
    }
  }

  /** The clock now, or undefined before the run has a clock (no header and no card yet). */
  clock(): ClockView | undefined {
    const now = this.now();
    if (this.base) {
      const { clock, at } = this.base;
      const elapsedMs = clock.elapsedMs + (now - at);
      let remaining = Math.max(0, clock.projectedMs - clock.elapsedMs);
      const expected = this.working?.onCard ? this.working.expectedMs : undefined;
      if (expected !== undefined) remaining -= Math.min(now - this.working!.since, expected);
      return { elapsedMs, rtoMs: clock.rtoMs, projectedMs: elapsedMs + Math.max(0, remaining) };
    }
    if (this.header) return { elapsedMs: now - this.header.start, rtoMs: this.header.rtoMs, projectedMs: now - this.header.start };
    return undefined;
  }

  /** The step at work (a command running, a manual step being done) and its time so far. */
  step(): StepTime | undefined {
    if (!this.working) return undefined;
    return { id: this.working.id, elapsedMs: this.now() - this.working.since, budgetMs: this.working.budgetMs };
  }

  /** The line for the screen now, within `width` columns: the step at work and the clock, or the clock alone. */
  line(style: Style, width: number): string | undefined {
    const clock = this.clock();
    if (!clock) return undefined;
    const projected = this.base !== undefined && !this.rollingBack;
    const step = this.step();
    return step ? stepLine(step, clock, style, width, projected) : waitingLine(clock, style, width, projected);
  }
}
