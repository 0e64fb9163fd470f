import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { JournalEntry, JournalEntryBody, JournalEntryType } from './entries.js';
import { hasEntryFields, isJournalEntryType } from './entries.js';

/** Space kept aside beside the journal so that a full disk still lets drctl journal how it stopped. */
export const JOURNAL_RESERVE_BYTES = 256 * 1024;

/** The disk is full: the entry was not written, the journal ends on a whole line and can be resumed. */
export class JournalFullError extends Error {
  constructor(
    readonly file: string,
    readonly neededBytes: number,
  ) {
    super(`the disk holding ${file} is full: ${neededBytes} bytes more were needed to journal the run`);
    this.name = 'JournalFullError';
  }
}

/** The file operations the writer uses, injectable so that tests can fill the disk. */
export interface JournalFs {
  writeSync(fd: number, text: string): number;
}

const realFs: JournalFs = { writeSync: (fd, text) => writeSync(fd, text) };

/**
 * The append-only run journal: one JSON entry per line, written and flushed to disk at every
 * transition, so a crash or a closed laptop never loses more than the entry being written.
 *
 * A full disk never leaves a torn line behind: the write is undone, the reserve file beside the
 * journal is given back to the disk, and the caller gets a JournalFullError. It can then journal
 * how the run stopped (the reserve makes room for that) and leave the run resumable.
 */
export class JournalWriter {
  private fd: number | undefined;
  private readonly reserve: string;

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
    private readonly fs: JournalFs = realFs,
  ) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.fd = openSync(file, 'a', 0o600);
    this.reserve = join(dirname(file), '.reserve');
    this.keepReserve();
  }

  /**
   * Append one entry. It reaches the operating system at once (a killed drctl loses nothing);
   * `sync: false` leaves the flush to disk to the next transition, for details such as an
   * attempt's output that a step's finish follows within microseconds.
   */
  append(body: JournalEntryBody, options: { sync?: boolean; t?: string } = {}): JournalEntry {
    if (this.fd === undefined) throw new Error(`journal ${this.file} is closed`);
    const entry = { ...body, t: options.t ?? this.now().toISOString() } as JournalEntry;
    const line = `${JSON.stringify(entry)}\n`;
    const size = fstatSync(this.fd).size;
    try {
      const written = this.fs.writeSync(this.fd, line);
      if (written !== Buffer.byteLength(line)) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
      if (options.sync !== false) fdatasyncSync(this.fd);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
      // Undo the part of the line that reached the file, and make room to journal the stop.
      ftruncateSync(this.fd, size);
      rmSync(this.reserve, { force: true });
      throw new JournalFullError(this.file, Buffer.byteLength(line));
    }
    return entry;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.reserve, { force: true });
  }

  /** Hold some disk space for the last entries of a run; on a disk already full, do without. */
  private keepReserve(): void {
    try {
      const fd = openSync(this.reserve, 'w', 0o600);
      try {
        writeSync(fd, Buffer.alloc(JOURNAL_RESERVE_BYTES));
      } finally {
        closeSync(fd);
      }
    } catch {
      rmSync(this.reserve, { force: true });
    }
  }
}

/** Read a journal; a torn last line (a crash mid-write) is dropped, a broken line elsewhere is an error. */
export function readJournal(file: string): { entries: JournalEntry[]; tornTail: boolean } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read the run journal ${file}${code === 'ENOENT' ? ': no such file' : `: ${code}`}`);
  }
  const lines = text.split('\n');
  const complete = lines.pop() === '';
  const entries: JournalEntry[] = [];
  const tornTail = !complete;
  lines.forEach((line, index) => {
    const entry = parseEntry(line);
    if (!entry)
      throw new UserError(`${file}:${index + 1}:1: the run journal is damaged (not a drctl journal entry)`, {
        hint: 'the journal is append-only; restore it from a backup or start a new run',
      });
    entries.push(entry);
  });
  if (entries[0]?.type !== 'run.started') {
    throw new UserError(`${file}:1:1: not a drctl run journal (it does not start with run.started)`);
  }
  return { entries, tornTail };
}

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const entry = JSON.parse(line) as { type?: unknown; t?: unknown } | null;
    if (entry === null || typeof entry !== 'object' || typeof entry.t !== 'string' || !isJournalEntryType(entry.type)) return undefined;
    if (!hasEntryFields(entry as { type: JournalEntryType } & Record<string, unknown>)) return undefined;
    return entry as JournalEntry;
  } catch {
    return undefined;
  }
}

/**
 * Append one entry to the journal of a run that another drctl may be writing at this moment (a
 * note from a second terminal). Both open the journal with O_APPEND and write each entry as one
 * whole line in one write call: the kernel puts every such write at the end of the file as it is
 * then, so the two processes' lines never mix or overwrite each other. The journal must exist:
 * this never starts one. `cutTornTail` (only for a run no drctl is writing) first cuts a line a
 * crash left half written, so the entry starts on a line of its own.
 */
export function appendToJournal(file: string, body: JournalEntryBody, options: { cutTornTail: boolean; now?: Date }): JournalEntry {
  const entry = { ...body, t: (options.now ?? new Date()).toISOString() } as JournalEntry;
  const line = `${JSON.stringify(entry)}\n`;
  if (options.cutTornTail) dropTornTail(file);
  const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND);
  try {
    const size = fstatSync(fd).size;
    let written = 0;
    try {
      written = writeSync(fd, line);
      if (written !== Buffer.byteLength(line)) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
      fdatasyncSync(fd);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
      // Take back a part line, only when nothing was appended after it.
      if (written > 0 && fstatSync(fd).size === size + written) ftruncateSync(fd, size);
      throw new UserError(`cannot add to ${file}: the disk is full`, { hint: 'make room, then try again' });
    }
  } finally {
    closeSync(fd);
  }
  return entry;
}

/** Cut a torn last line (a crash mid-write) so the entries appended next start on a line of their own. */
export function dropTornTail(file: string): boolean {
  const text = readFileSync(file);
  if (text.length === 0 || text[text.length - 1] === 0x0a) return false;
  truncateSync(file, text.lastIndexOf(0x0a) + 1);
  return true;
}
