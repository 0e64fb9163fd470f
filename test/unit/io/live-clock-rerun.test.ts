import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { ClockView, RunEvent, StepCard } from '../../../src/engine/events.js';
import { LiveClock } from '../../../src/io/live-clock.js';

/**
 * A finished step run again from the step menu runs under the card of the step the operator was
 * at: the spinner still shows the rerun step's time against its own budget, and the projection
 * stays the card's (the rerun's budget is not among the steps still to run).
 */

const plain = new Chalk({ level: 0 });
const MIN = 60_000;
const CLOCK: ClockView = { elapsedMs: 12 * MIN + 30_000, rtoMs: 60 * MIN, projectedMs: 47 * MIN + 30_000 };

function card(id: string, budgetMs: number): RunEvent {
  return {
    type: 'step.card',
    card: { number: 5, total: 6, id, title: id, budgetMs, clock: CLOCK, confirm: 'none', manual: false } as unknown as StepCard,
  };
}

describe('the live clock while a step runs again', () => {
  it("shows the rerun step's time against its own budget, and leaves the card's projection alone", () => {
    let now = 0;
    const live = new LiveClock(() => now);
    live.onEvent(card('verify', 3 * MIN));
    live.onEvent({ type: 'step.started', step: 'slow', number: 2, kind: 'run' });
    live.onEvent({ type: 'step.attempt.started', number: 2, id: 'slow', attempt: 1, attempts: 1, budgetMs: MIN });
    now = 2 * MIN;
    expect(live.step()).toEqual({ id: 'slow', elapsedMs: 2 * MIN, budgetMs: MIN });
    expect(live.clock()?.projectedMs).toBe(CLOCK.projectedMs + 2 * MIN);
    expect(live.line(plain, 79)).toBe('slow 2m of 1m budget (over budget) · T+14m30s of RTO 1h');
  });
});
