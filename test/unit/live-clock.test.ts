import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { ClockView, RunEvent, StepCard } from '../../src/engine/events.js';
import { displayWidth } from '../../src/io/layout.js';
import { clockText, fitLine, LiveClock, stepLine, waitingLine } from '../../src/io/live-clock.js';

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 2 });

const MIN = 60_000;

/** 12m30s after the incident start, RTO 1h, 35m of budgets still to run. */
const CLOCK: ClockView = { elapsedMs: 12 * MIN + 30_000, rtoMs: 60 * MIN, projectedMs: 47 * MIN + 30_000 };

function card(id: string, clock: ClockView, budgetMs?: number): RunEvent {
  const view: StepCard = {
    number: 1,
    total: 2,
    id,
    title: id,
    command: { kind: 'run', script: 'true' } as unknown as StepCard['command'],
    budgetMs,
    clock,
    confirm: 'none',
    manual: false,
  } as StepCard;
  return { type: 'step.card', card: view };
}

describe('the clock line over a waiting prompt', () => {
  it('says T+ against the RTO, the projected finish and how far inside the RTO it is', () => {
    expect(waitingLine(CLOCK, plain, 200)).toBe('clock T+12m30s of RTO 1h · projected finish T+47m30s (12m30s inside the RTO)');
  });

  it('says how far past the RTO a projection goes', () => {
    const late = { ...CLOCK, projectedMs: 63 * MIN };
    expect(waitingLine(late, plain, 200)).toBe('clock T+12m30s of RTO 1h · projected finish T+1h03m (3m PAST THE RTO)');
  });

  it('without an RTO, counts from the incident start', () => {
    expect(waitingLine({ elapsedMs: 90_000, projectedMs: 10 * MIN }, plain, 200)).toBe(
      'clock T+1m30s since incident start · projected finish T+10m',
    );
  });

  it('shortens its wording to stay on one line of a narrow terminal, never wider than asked', () => {
    const widths = [79, 70, 60, 50, 40, 30, 20, 10];
    const lines = widths.map((width) => waitingLine(CLOCK, plain, width));
    widths.forEach((width, i) => expect(displayWidth(lines[i]!)).toBeLessThanOrEqual(width));
    // Colours take no column: the coloured line is the same words.
    widths.forEach((width, i) => expect(displayWidth(waitingLine(CLOCK, colour, width))).toBe(displayWidth(lines[i]!)));
    expect(lines[0]).toContain('T+12m30s of RTO 1h');
    expect(lines[2]).toContain('(12m30s inside)');
    expect(lines.at(-1)).toMatch(/…$/);
  });

  it('is the wording of the card, which prints it once', () => {
    expect(clockText(CLOCK, plain)).toBe('T+12m30s of RTO 1h · projected finish T+47m30s (12m30s inside the RTO)');
    expect(clockText({ elapsedMs: 0, projectedMs: MIN }, plain)).toBe('T+0s since incident start · projected finish T+1m · no RTO set');
  });
});

describe('the line of a step at work', () => {
  it("shows the step's time against its budget and T+ against the RTO", () => {
    const line = stepLine({ id: 'restore-database', elapsedMs: 62_000, budgetMs: 15 * MIN }, CLOCK, plain, 79);
    expect(line).toBe('restore-database 1m02s of 15m budget · T+12m30s of RTO 1h');
  });

  it('adds the projection when the terminal is wide enough, and marks a step over its budget', () => {
    const line = stepLine({ id: 'check', elapsedMs: 2 * MIN, budgetMs: MIN }, CLOCK, plain, 200);
    expect(line).toBe('check 2m of 1m budget (over budget) · T+12m30s of RTO 1h · projected finish T+47m30s (12m30s inside the RTO)');
  });

  it('never goes past the width, however long the step id', () => {
    const line = stepLine({ id: 'x'.repeat(120), elapsedMs: 1000 }, CLOCK, colour, 77);
    expect(displayWidth(line)).toBe(77);
  });
});

describe('fitLine', () => {
  it('takes the first candidate that fits, counting no escape sequence', () => {
    expect(fitLine([colour.red('a'.repeat(10)), 'short'], 10)).toBe(colour.red('a'.repeat(10)));
    expect(fitLine(['a'.repeat(11), 'short'], 10)).toBe('short');
    expect(fitLine(['a'.repeat(11), 'b'.repeat(12)], 10)).toBe(`${'b'.repeat(9)}…`);
  });
});

describe('LiveClock', () => {
  it("moves the card's clock on with the time, and the projection with it while the operator reads", () => {
    let now = 1_000_000;
    const live = new LiveClock(() => now);
    live.onEvent(card('restore', CLOCK, 15 * MIN));
    now += 25_000;
    expect(live.clock()).toEqual({ elapsedMs: CLOCK.elapsedMs + 25_000, rtoMs: CLOCK.rtoMs, projectedMs: CLOCK.projectedMs + 25_000 });
    expect(live.line(plain, 200)).toBe('clock T+12m55s of RTO 1h · projected finish T+47m55s (12m05s inside the RTO)');
  });

  it('while a step runs, counts its time and takes it off its budget until the budget is spent', () => {
    let now = 0;
    const live = new LiveClock(() => now);
    live.onEvent(card('restore', CLOCK, 15 * MIN));
    live.onEvent({ type: 'step.started', step: 'restore', number: 1, kind: 'run' });
    now = 5 * MIN;
    expect(live.step()).toEqual({ id: 'restore', elapsedMs: 5 * MIN, budgetMs: 15 * MIN });
    // Within its budget, the step's time is budgeted already: the projected finish stays put.
    expect(live.clock()?.projectedMs).toBe(CLOCK.projectedMs);
    now = 20 * MIN;
    // Five minutes past its budget: the finish moves five minutes later.
    expect(live.clock()?.projectedMs).toBe(CLOCK.projectedMs + 5 * MIN);
    expect(live.line(plain, 79)).toBe('restore 20m of 15m budget (over budget) · T+32m30s of RTO 1h');
    live.onEvent({ type: 'step.failed', number: 1, id: 'restore', durationMs: 20 * MIN, reason: 'exit code 1' });
    expect(live.step()).toBeUndefined();
  });

  it('before any card, counts from the incident start of the run header', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    const live = new LiveClock(() => start + 90_000);
    expect(live.line(plain, 200)).toBeUndefined();
    live.onEvent({
      type: 'run.header',
      runId: 'r',
      runbook: 'rb',
      title: 't',
      mode: 'real',
      incidentStart: '2026-01-01T00:00:00.000Z',
      resumed: true,
      totalSteps: 1,
      rtoMs: MIN * 60,
    });
    expect(live.line(plain, 200)).toBe('clock T+1m30s of RTO 1h');
  });

  it('drops the projection once a rollback begins', () => {
    let now = 0;
    const live = new LiveClock(() => now);
    live.onEvent(card('restore', CLOCK, 15 * MIN));
    live.onEvent({ type: 'rollback.started', steps: ['restore'] } as RunEvent);
    now = 1000;
    expect(live.line(plain, 200)).toBe('clock T+12m31s of RTO 1h');
  });
});
