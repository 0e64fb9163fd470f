import type * as Prompts from '@inquirer/prompts';
import type { Ora } from 'ora';
import type oraFactory from 'ora';
import type { Answer, Host, NoteAnswer, Question, RunEvent } from '../engine/events.js';
import { TYPED_ABORT, TYPED_NOTE, TYPED_SKIP } from '../engine/events.js';
import { MAX_NOTE_LENGTH } from '../journal/entries.js';
import { formatDuration } from '../util/duration.js';
import { clockPrompts } from './clock-prompts.js';
import { LiveClock } from './live-clock.js';
import type { Notifier } from './notifier.js';
import { eventText } from './render-run.js';
import { terminalWidth } from './layout.js';
import { inline } from './markdown.js';
import type { Style } from './style.js';
import { colorEnabled, styleFor } from './style.js';

/** The "note…" choice of every menu: the host asks for the text, and the engine journals it and asks again. */
const NOTE = 'note…';
const NOTE_CHOICE = { name: NOTE, value: NOTE, description: "add a note to the run's journal and report, then choose again" } as const;

/** The step menu's choice to run a finished step again, and the way back from the list of them. */
const RERUN = 'run an earlier step again…';
const BACK = '\u0000back';

interface Widgets {
  input: typeof Prompts.input;
  select: typeof Prompts.select;
  ora: typeof oraFactory;
}

/**
 * The interactive host: the step card, prompts (run / skip / abort / run all; retry / skip /
 * roll back / abort), output streamed live, and a spinner with elapsed time against the budget
 * while a step is quiet. With colour on, the clock lives: a line above each prompt and the spinner's
 * text are drawn again each second (T+ against the RTO, the projected finish, the step at work).
 * With colour off nothing is drawn twice, so a log of the session stays clean.
 */
export class TerminalHost implements Host {
  private readonly style: Style;
  private spinner: Ora | undefined;
  private ticker: NodeJS.Timeout | undefined;
  /** The clock as it is now, kept from the run's events; none with colour off (no redraws). */
  private readonly live: LiveClock | undefined;

  private constructor(
    private readonly widgets: Widgets,
    private readonly onInterrupt: () => void,
    private readonly out: NodeJS.WriteStream,
    private readonly notifier: Notifier | undefined,
  ) {
    this.style = styleFor(out);
    this.live = colorEnabled(out) ? new LiveClock() : undefined;
  }

  /** The prompt and spinner libraries load here, when a run is interactive, and not before. */
  static async open(onInterrupt: () => void, out: NodeJS.WriteStream = process.stdout, notifier?: Notifier): Promise<TerminalHost> {
    // With colour on, the prompts draw the live clock above the question (built on @inquirer/core);
    // with colour off, inquirer's own. The prompts ask the host for the line only once they are
    // drawn, when it exists.
    const live = colorEnabled(out);
    const [prompts, { default: ora }, core] = await Promise.all([
      live ? undefined : import('@inquirer/prompts'),
      import('ora'),
      live ? import('@inquirer/core') : undefined,
    ]);
    const clock = core ? clockPrompts(core, styleFor(out), () => host.clockLine(1, '  ')) : undefined;
    const host: TerminalHost = new TerminalHost(
      { input: clock?.input ?? prompts!.input, select: clock?.select ?? prompts!.select, ora },
      onInterrupt,
      out,
      notifier,
    );
    return host;
  }

  /**
   * The live clock after `indent`, fitted to the terminal with `reserved` columns left free (the
   * last column, a spinner's frame); undefined with colour off.
   */
  private clockLine(reserved: number, indent = ''): string | undefined {
    const line = this.live?.line(this.style, (this.out.columns || 80) - reserved - indent.length);
    return line === undefined ? undefined : `${indent}${line}`;
  }

  emit(event: RunEvent): void {
    this.live?.onEvent(event);
    this.notifier?.onEvent(event);
    if (event.type === 'step.attempt.started') this.startSpinner(event.id, event.budgetMs);
    if (event.type === 'step.attempt' || event.type === 'step.failed' || event.type === 'step.finished' || event.type === 'run.interrupted')
      this.stopSpinner();
    const line = eventText(event, this.style, terminalWidth(this.out));
    if (line === undefined) return;
    this.spinner?.clear();
    this.out.write(`${line}\n`);
    this.spinner?.render();
  }

  private startSpinner(id: string, budgetMs: number | undefined): void {
    this.stopSpinner();
    if (!colorEnabled(this.out)) return;
    const started = Date.now();
    const text = (): string => {
      const elapsed = Date.now() - started;
      const of = budgetMs === undefined ? '' : ` of ${formatDuration(budgetMs)} budget`;
      const over = budgetMs !== undefined && elapsed > budgetMs;
      return `${id}: ${formatDuration(elapsed)}${of}${over ? this.style.red(' (over budget)') : ''}`;
    };
    // ora works out the rows to clear as if the frame and a suffix took four columns beside the
    // text: a longer line makes it clear a row too many, erasing the line above the spinner.
    const live = (): string => this.clockLine(4) ?? text();
    this.spinner = this.widgets.ora({ text: live(), stream: this.out, discardStdin: false }).start();
    this.ticker = setInterval(() => {
      if (this.spinner) this.spinner.text = live();
    }, 1000);
  }

  private stopSpinner(): void {
    clearInterval(this.ticker);
    this.spinner?.stop();
    this.spinner = undefined;
  }

  async ask<Q extends Question>(question: Q, signal: AbortSignal): Promise<Answer<Q> | NoteAnswer> {
    this.stopSpinner();
    this.notifier?.beforeAsk();
    const context = { signal, output: this.out };
    try {
      for (;;) {
        const answer = await this.prompt(question, context);
        if (answer !== NOTE) return answer as Answer<Q>;
        const note = await this.noteText(context);
        // An empty note goes back to the question.
        if (note !== '') return { note };
      }
    } catch (error) {
      // Ctrl-C inside a prompt ends the prompt, not the process: treat it as an interruption.
      if ((error as Error).name === 'ExitPromptError') this.onInterrupt();
      throw error;
    }
  }

  private async noteText(context: { signal: AbortSignal; output: NodeJS.WriteStream }): Promise<string> {
    const text = await this.widgets.input(
      {
        message: 'Note for the journal and the report (empty to go back):',
        // The note may quote a secret, which the host cannot mask: the answered prompt does not
        // repeat it, and the note's line below shows it as journaled, masked.
        transformer: (value, { isFinal }) => (isFinal ? (value.trim() === '' ? 'back' : 'noted') : value),
        validate: (value) => value.length <= MAX_NOTE_LENGTH || `a note holds at most ${MAX_NOTE_LENGTH} characters`,
      },
      context,
    );
    return text.trim();
  }

  private async prompt(question: Question, context: { signal: AbortSignal; output: NodeJS.WriteStream }): Promise<unknown> {
    switch (question.kind) {
      case 'step.action':
        return this.widgets.select(
          {
            message: `${question.pause ? 'Pause, look before going on. ' : ''}Step ${question.card.number}/${question.card.total}: ${question.card.title}`,
            choices: [
              { name: 'run', value: 'run', description: 'run this step' },
              { name: 'skip', value: 'skip', description: 'record it as skipped and go on' },
              { name: 'run all', value: 'all', description: 'run the remaining steps without asking (confirmations and pauses still ask)' },
              { name: 'abort', value: 'abort', description: 'stop the run here (nothing is rolled back)' },
              ...(question.choices.includes('rerun')
                ? [{ name: RERUN, value: 'rerun', description: 'choose a finished step and run it again, then come back here' }]
                : []),
              NOTE_CHOICE,
            ],
            default: 'run',
          },
          context,
        );
      case 'step.rerun': {
        const chosen = await this.widgets.select(
          {
            message: 'Run which step again?',
            choices: [
              ...question.steps.map((s) => ({
                name: `${s.number}. ${s.title} [${s.id}] (${s.status})`,
                value: s.id,
                description: s.idempotent ? 'asks you to confirm' : 'not idempotent: asks you to type its id',
              })),
              { name: 'back to the menu', value: BACK },
              NOTE_CHOICE,
            ],
          },
          context,
        );
        return chosen === BACK ? null : chosen;
      }
      case 'step.confirm': {
        // y or n, as a confirm prompt takes them; "note" adds a note; Enter alone is no.
        const typed = await this.widgets.input(
          {
            message: `${question.question} (y/N, or "${TYPED_NOTE}")`,
            validate: (value) =>
              /^(y|yes|n|no|)$/i.test(value.trim()) || value.trim() === TYPED_NOTE || `answer y or n (or "${TYPED_NOTE}" to add a note)`,
          },
          context,
        );
        const answer = typed.trim();
        return answer === TYPED_NOTE ? NOTE : /^(y|yes)$/i.test(answer);
      }
      case 'step.type': {
        // A typo must never decide anything: only the exact text, "skip" or "abort" are accepted.
        const typed = await this.widgets.input(
          {
            message: question.again
              ? `${question.id} is not idempotent: running it again may repeat what it did. Type ${this.style.bold(question.expected)} to run it again (or "${TYPED_SKIP}" to go back; "${TYPED_NOTE}" adds a note):`
              : `This step is destructive. Type ${this.style.bold(question.expected)} to run it (or "${TYPED_SKIP}" / "${TYPED_ABORT}"; "${TYPED_NOTE}" adds a note):`,
            validate: (value) =>
              question.matches(value) ||
              value === TYPED_SKIP ||
              value === TYPED_ABORT ||
              value === TYPED_NOTE ||
              `that is not "${question.expected}": type it exactly, or "${TYPED_SKIP}" or "${TYPED_ABORT}"`,
          },
          context,
        );
        // The text asked for wins: a step whose confirmation text is "note" runs when it is typed.
        if (question.matches(typed)) return 'confirmed';
        return typed === TYPED_NOTE ? NOTE : typed;
      }
      // The step card above shows the text, once.
      case 'manual.done':
        return this.widgets.select(
          {
            message: 'When it is done:',
            choices: [{ name: 'done', value: 'done' as const }, { name: 'abort the run', value: 'abort' as const }, NOTE_CHOICE],
          },
          context,
        );
      case 'manual.item':
        // The answered prompt is cleared: the journaled answer's line (✓ 1/3 ...) stands for it.
        return this.widgets.select(
          {
            message: `Checklist ${question.index}/${question.total}: ${inline(question.text, this.style)}`,
            choices: [
              { name: 'done', value: 'done' as const },
              { name: 'skip this item', value: 'skip' as const, description: 'record it as skipped and go on with the next item' },
              { name: 'abort the run', value: 'abort' as const },
              NOTE_CHOICE,
            ],
            default: 'done',
          },
          { ...context, clearPromptOnDone: true },
        );
      case 'failure.action':
        return this.widgets.select(
          {
            message: `${question.id} failed (the reason is just above). What now?`,
            choices: [
              { name: 'retry', value: 'retry' },
              { name: 'skip (record it as failed and go on)', value: 'continue' },
              ...(question.canRollback ? [{ name: 'roll back the steps done so far, newest first', value: 'rollback' }] : []),
              { name: 'abort (stop here, roll back nothing)', value: 'abort' },
              NOTE_CHOICE,
            ],
            // The runbook's on_failure is the choice offered first; on_failure: abort offers the operator's abort.
            default: question.default === 'fail' || (question.default === 'rollback' && !question.canRollback) ? 'abort' : question.default,
          },
          context,
        );
      case 'inflight.action':
        return this.widgets.select(
          {
            message: `"${question.title}" was running when the run stopped and is not marked idempotent. It may have done part of its work.`,
            choices: [
              { name: 'run it again', value: 'rerun' },
              { name: 'skip it (I checked: it is done)', value: 'skip' },
              { name: 'abort', value: 'abort' },
              NOTE_CHOICE,
            ],
            default: 'abort',
          },
          context,
        );
      case 'inflight.rollback':
        return this.widgets.select(
          {
            message: `The rollback of "${question.title}" was running when the run stopped and is not marked idempotent. It may have done part of its work.`,
            choices: [
              { name: 'run the rollback again', value: 'rerun' },
              { name: 'it is done (I checked): record it as rolled back', value: 'done' },
              { name: 'leave it: record the rollback as failed and go on', value: 'failed' },
              NOTE_CHOICE,
            ],
            default: 'failed',
          },
          context,
        );
      case 'run.participant': {
        // No "note" here: the journal does not exist yet. An empty answer ends the list.
        const typed = await this.widgets.input(
          {
            message:
              question.number === 1
                ? 'Who takes part in this drill? One person at a time, as "Name, role" (empty to start):'
                : `Participant ${question.number} ("Name, role"; empty when that is everyone):`,
            validate: (value) => value.trim() === '' || (question.check(value.trim()) ?? true),
          },
          context,
        );
        return typed.trim();
      }
    }
  }

  close(): void {
    this.stopSpinner();
    this.notifier?.flush();
  }
}
