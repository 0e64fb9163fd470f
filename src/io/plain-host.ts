import type { Answer, Host, Question, RunEvent } from '../engine/events.js';
import type { Notifier } from './notifier.js';
import { eventLine } from './render-run.js';
import { layout, terminalWidth } from './layout.js';
import { inline } from './markdown.js';
import { sanitizeOutput } from './sanitize.js';
import type { Style } from './style.js';
import { styleFor } from './style.js';

/**
 * The non-interactive host (--yes, CI): prints every event as lines and answers each question with
 * its default. It never waits for input, so it can never hang.
 */
export class PlainHost implements Host {
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
    // A command's output may hold escape sequences: only its colours reach the terminal. Its text is
    // cleaned before it is cut into lines (a lone carriage return becomes a line of its own); any
    // other line, which may quote a command's output (a preflight check's last line), after.
    const clean = { colour: this.style.level > 0 };
    const output = event.type === 'step.output' ? { ...event, text: sanitizeOutput(event.text, clean) } : undefined;
    const rendered = eventLine(output ?? event, this.style);
    if (rendered === undefined) return;
    const stream = event.type === 'run.summary' ? this.results : this.out;
    // Lines drctl laid out are fitted to the stream's width; a command's output is shown as it came.
    const line = output ? rendered : layout(sanitizeOutput(rendered, clean), terminalWidth(stream));
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
