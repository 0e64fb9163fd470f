import type { Answer, Host, Question, RunEvent } from '../engine/events.js';
import type { Notifier } from './notifier.js';
import { eventText } from './render-run.js';
import { layout, terminalWidth } from './layout.js';
import { inline } from './markdown.js';
import type { Style } from './style.js';
import { styleFor } from './style.js';

/**
 * The non-interactive host (--yes, CI): prints every event as lines and answers each question with
 * its default. It never waits for input, so it can never hang.
 */
export class PlainHost implements Host {
  readonly answersByDefault = true;
  private readonly style: Style;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly results: NodeJS.WriteStream = process.stdout,
    private readonly notifier?: Notifier,
  ) {
    this.style = styleFor(out);
  }

  emit(event: RunEvent): void {
    this.notifier?.onEvent(event);
    const stream = event.type === 'run.summary' ? this.results : this.out;
    const line = eventText(event, this.style, terminalWidth(stream));
    if (line === undefined) return;
    stream.write(`${line}\n`);
  }

  async ask<Q extends Question>(question: Q): Promise<Answer<Q>> {
    if (question.kind === 'manual.done')
      this.out.write(
        `${layout(`  ${this.style.yellow('manual step acknowledged (--accept-manual)')}: ${inline(question.text.trim().split('\n')[0] ?? '', this.style)}`, terminalWidth(this.out))}\n`,
      );
    if (question.kind === 'step.type')
      this.out.write(`  ${this.style.dim(`confirmed by --yes (would ask to type "${question.expected}")`)}\n`);
    if (question.kind === 'step.confirm') this.out.write(`  ${this.style.dim(`confirmed by --yes: ${question.question}`)}\n`);
    return question.default as Answer<Q>;
  }

  close(): void {
    this.notifier?.flush();
  }
}
