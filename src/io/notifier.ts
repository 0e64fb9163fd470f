import type { RunEvent } from '../engine/events.js';
import { formatDuration } from '../util/duration.js';

const BEL = '\u0007';
const OSC = '\u001B]';

/** Text safe inside an escape sequence: no control characters, no ";" (OSC 777 separates its fields with it). */
function oscText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001F\u007F-\u009F]/g, ' ').replace(/;/g, ',');
}

/**
 * The bell and a desktop notification when a long step ends, for the operator who looked away:
 * the terminal bell, OSC 9 and OSC 777 (the two desktop-notification sequences terminals use). A
 * terminal that knows neither ignores them.
 *
 * One notification for each long step: when the run next waits for an answer ("… ended; drctl
 * waits for you"), or when the next step starts or the run ends, whichever comes first.
 */
export class Notifier {
  private pending: string | undefined;
  private failed: string | undefined;

  constructor(
    private readonly out: { write(text: string): unknown },
    /** A step that ran this long or longer is worth a notification when it ends. */
    private readonly afterMs: number,
  ) {}

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'step.failed':
        this.failed = event.id;
        if (event.durationMs >= this.afterMs) this.pending = `${event.id} failed after ${formatDuration(event.durationMs)}`;
        break;
      case 'step.finished':
        // A failure was told when it happened (step.failed); this only records what the operator chose.
        if (event.status === 'failed' && this.failed === event.step) break;
        if (event.status !== 'skipped' && event.duration_ms >= this.afterMs)
          this.pending = `${event.step} ${event.status} after ${formatDuration(event.duration_ms)}`;
        break;
      case 'step.started':
        this.failed = undefined;
        this.flush();
        break;
      case 'run.summary':
      case 'run.interrupted':
        this.flush();
        break;
      default:
        break;
    }
  }

  /** The run waits for the operator now: tell them, if a long step has just ended. */
  beforeAsk(): void {
    if (this.pending !== undefined) this.notify(`${this.pending}; drctl waits for you`);
    this.pending = undefined;
  }

  flush(): void {
    if (this.pending !== undefined) this.notify(this.pending);
    this.pending = undefined;
  }

  private notify(text: string): void {
    const body = oscText(text);
    this.out.write(`${BEL}${OSC}9;drctl: ${body}${BEL}${OSC}777;notify;drctl;${body}${BEL}`);
  }
}
