import { closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../util/errors.js';

/** One line of the journal. `type` says what happened; `t` is when (ISO). */
export interface JournalEvent {
  t: string;
  type: string;
  [key: string]: unknown;
}

/**
 * The append-only run journal: one JSON event per line, written and flushed to disk at every
 * transition, so a crash or a closed laptop never loses more than the event being written.
 */
export class JournalWriter {
  private fd: number | undefined;

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.fd = openSync(file, 'a', 0o600);
  }

  /**
   * Write one event. It reaches the operating system at once (a killed drctl loses nothing);
   * `sync: false` leaves the flush to disk to the next transition, for details such as an
   * attempt's output that a step's finish follows within microseconds.
   */
  append(type: string, fields: Record<string, unknown> = {}, options: { sync?: boolean } = {}): JournalEvent {
    if (this.fd === undefined) throw new Error(`journal ${this.file} is closed`);
    const event: JournalEvent = { t: this.now().toISOString(), type, ...fields };
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
    if (options.sync !== false) fdatasyncSync(this.fd);
    return event;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Read a journal; a torn last line (a crash mid-write) is dropped, a broken line elsewhere is an error. */
export function readJournal(file: string): { events: JournalEvent[]; tornTail: boolean } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read the run journal ${file}${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const events: JournalEvent[] = [];
  let tornTail = false;
  lines.forEach((line, index) => {
    try {
      const event = JSON.parse(line) as JournalEvent;
      if (typeof event?.type !== 'string') throw new Error('no type');
      events.push(event);
    } catch {
      if (index === lines.length - 1) tornTail = true;
      else throw new UserError(`${file}:${index + 1}:1: the run journal is damaged (not a JSON event)`, { hint: 'the journal is append-only; restore it from a backup or start a new run' });
    }
  });
  if (events.length === 0 || events[0]!.type !== 'run.started') {
    throw new UserError(`${file}:1:1: not a drctl run journal (it does not start with run.started)`);
  }
  return { events, tornTail };
}

/** Cut a torn last line (a crash mid-write) so the events appended next start on a line of their own. */
export function dropTornTail(file: string): boolean {
  const text = readFileSync(file);
  if (text.length === 0 || text[text.length - 1] === 0x0a) return false;
  truncateSync(file, text.lastIndexOf(0x0a) + 1);
  return true;
}
