import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/engine/events.js';
import { notifyAfter } from '../../src/cli/run-support.js';
import { Notifier } from '../../src/io/notifier.js';

const BEL = '\u0007';

/** A stream that keeps what is written to it. */
function fakeTerminal(): { write(text: string): boolean; text: string } {
  return {
    text: '',
    write(text: string) {
      this.text += text;
      return true;
    },
  };
}

function finished(step: string, durationMs: number, status: 'succeeded' | 'failed' | 'skipped' = 'succeeded'): RunEvent {
  return {
    type: 'step.finished',
    step,
    number: 1,
    status,
    attempts: 1,
    exit_code: 0,
    duration_ms: durationMs,
    waiting_ms: 0,
    budget_ms: null,
    over_budget: false,
  } as unknown as RunEvent;
}

const started = (step: string): RunEvent => ({ type: 'step.started', step, number: 2, kind: 'run' });

describe('notifications (--notify)', () => {
  it('rings the bell and sends OSC 9 and OSC 777 when input is awaited after a long step', () => {
    const out = fakeTerminal();
    const notifier = new Notifier(out, 30_000);
    notifier.onEvent(finished('restore-database', 62_000));
    expect(out.text).toBe('');
    notifier.beforeAsk();
    const text = 'restore-database succeeded after 1m02s, drctl waits for you';
    expect(out.text).toBe(`${BEL}\u001B]9;drctl: ${text}${BEL}\u001B]777;notify;drctl;${text}${BEL}`);
    // Once for each long step: the next question does not ring again.
    notifier.beforeAsk();
    expect(out.text.split(BEL)).toHaveLength(4);
  });

  it('when the next step starts on its own (run all) or the run ends, says the long step ended', () => {
    const out = fakeTerminal();
    const notifier = new Notifier(out, 30_000);
    notifier.onEvent(finished('download', 45_000));
    notifier.onEvent(started('restore'));
    expect(out.text).toContain('\u001B]9;drctl: download succeeded after 45s\u0007');
    const before = out.text;
    notifier.onEvent(finished('restore', 31_000));
    notifier.onEvent({ type: 'run.interrupted', signal: 'SIGINT' });
    expect(out.text.slice(before.length)).toContain(']9;drctl: restore succeeded after 31s');
  });

  it('stays quiet for short steps, skipped steps and manual steps (the operator was there)', () => {
    const out = fakeTerminal();
    const notifier = new Notifier(out, 30_000);
    notifier.onEvent(finished('quick', 29_999));
    notifier.onEvent(finished('skipped', 60_000, 'skipped'));
    notifier.onEvent({ ...(finished('flip-dns', 0) as object), waiting_ms: 600_000 } as RunEvent);
    notifier.beforeAsk();
    notifier.flush();
    expect(out.text).toBe('');
  });

  it('tells a long failure once, at the failure prompt, not again when the decision is recorded', () => {
    const out = fakeTerminal();
    const notifier = new Notifier(out, 1000);
    notifier.onEvent({ type: 'step.failed', number: 1, id: 'check', durationMs: 5000, reason: 'exit code 1; a;b' });
    notifier.beforeAsk();
    expect(out.text).toContain(']9;drctl: check failed after 5s, drctl waits for you');
    const before = out.text.length;
    notifier.onEvent(finished('check', 5000, 'failed'));
    notifier.flush();
    expect(out.text.length).toBe(before);
  });

  it('keeps control characters out of the escape sequence', () => {
    const out = fakeTerminal();
    const notifier = new Notifier(out, 0);
    notifier.onEvent(finished('evil\u001B]0;title\u0007', 1));
    notifier.flush();
    expect(out.text.split(BEL)).toHaveLength(4);
    expect(out.text.split('\u001B')).toHaveLength(3);
  });
});

describe('--notify, --notify-after and DRCTL_NOTIFY', () => {
  it('turn notifications on for steps of 30s or more, or of the given duration', () => {
    expect(notifyAfter({}, {})).toBeUndefined();
    expect(notifyAfter({ notify: true }, {})).toBe(30_000);
    expect(notifyAfter({}, { DRCTL_NOTIFY: '1' })).toBe(30_000);
    expect(notifyAfter({}, { DRCTL_NOTIFY: '0' })).toBeUndefined();
    expect(notifyAfter({ notifyAfter: '2m' }, {})).toBe(120_000);
    expect(() => notifyAfter({ notifyAfter: 'soon' }, {})).toThrow('--notify-after soon: not a duration');
  });
});
