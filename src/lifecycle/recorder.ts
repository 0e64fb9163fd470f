import type { RunChannel } from '../engine/executor.js';
import type { Answer, Host, NoteAnswer, Question, RunEvent } from '../engine/events.js';
import { isDisplayEvent } from '../engine/events.js';
import type { Redactor } from '../engine/redact.js';
import type { JournalEntryType } from '../journal/entries.js';
import type { JournalWriter } from '../journal/journal.js';
import { JournalFullError } from '../journal/journal.js';
import type { RunRecord } from '../journal/record.js';
import { applyEntry, rebuildRun } from '../journal/record.js';

/** Details a step's next transition follows within moments: flushed to disk with it, not alone. */
const FLUSHED_WITH_NEXT: ReadonlySet<JournalEntryType> = new Set(['step.process', 'step.attempt', 'action.record']);

/**
 * The one journal writer: it subscribes to the run's events, appends every journal entry, and
 * keeps the live record of the run up to date with the same code that reads a journal back.
 *
 * A full disk stops the run at its next step, never in the middle of one: the entry that did not
 * fit is written again into the space the journal kept in reserve, and `onFull` is told.
 */
export class Recorder {
  private full: JournalFullError | undefined;
  private live: RunRecord | undefined;

  /** `record`: the run as its journal had it (a resume); a new run's record begins with its run.started. */
  constructor(
    private readonly writer: JournalWriter,
    record: RunRecord | undefined,
    private readonly onFull: (error: JournalFullError) => void,
  ) {
    this.live = record;
  }

  get record(): RunRecord {
    if (!this.live) throw new Error('the run has not started');
    return this.live;
  }

  /** Why the journal could not be written, once the disk filled up. */
  get diskFull(): JournalFullError | undefined {
    return this.full;
  }

  handle(event: RunEvent): void {
    if (isDisplayEvent(event)) return;
    const sync = !FLUSHED_WITH_NEXT.has(event.type);
    let entry;
    try {
      entry = this.writer.append(event, { sync });
    } catch (error) {
      if (!(error instanceof JournalFullError)) throw error;
      this.noteFull(error);
      try {
        entry = this.writer.append(event, { sync });
      } catch (again) {
        if (!(again instanceof JournalFullError)) throw again;
        // Not even the reserve holds it: the journal ends on its last whole entry, resumable.
        return;
      }
    }
    if (entry.type === 'run.started') this.live = rebuildRun([entry]);
    else applyEntry(this.record, entry);
  }

  close(): void {
    this.writer.close();
  }

  private noteFull(error: JournalFullError): void {
    if (this.full) return;
    this.full = error;
    this.onFull(error);
  }
}

/** Wire the executor to the journal and the host; secrets are masked before either sees an event. */
export function runChannel(host: Host, recorder: Recorder, redactor: Redactor): RunChannel {
  return {
    emit(event: RunEvent): void {
      const safe = redactor.value(event);
      // Journaled first: what the operator sees is already on disk.
      recorder.handle(safe);
      host.emit(safe);
    },
    ask<Q extends Question>(question: Q, signal: AbortSignal): Promise<Answer<Q> | NoteAnswer> {
      return host.ask(redactor.value(question), signal);
    },
    answersByDefault: host.answersByDefault,
  };
}
