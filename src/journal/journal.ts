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
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { loadFileLocks, withFileLock } from '../util/file-lock.js';
import { lastCompleteLine, lineHash } from './chain.js';
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
 * Every line carries in `prev` the hash of the line before it (see chain.ts). The writer keeps the
 * hash of the line it wrote last; when the journal has grown since (a note from another terminal),
 * it reads the new last line and chains on that. Reading the last line and appending are done under
 * the journal's file lock, which every writer of the journal takes, so no two lines chain on one.
 *
 * A full disk never leaves a torn line behind: the write is undone (the chain does not move on),
 * the reserve file beside the journal is given back to the disk, and the caller gets a
 * JournalFullError. It can then journal how the run stopped (the reserve makes room for that) and
 * leave the run resumable.
 */
export class JournalWriter {
  private fd: number | undefined;
  private readonly reserve: string;
  /** The hash of the journal's last line and the size the journal had after it, once known. */
  private chain: { head: string | null; size: number } | undefined;

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
    private readonly fs: JournalFs = realFs,
  ) {
    loadFileLocks();
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.fd = openSync(file, 'a+', 0o600);
    this.reserve = join(dirname(file), '.reserve');
    this.keepReserve();
  }

  /**
   * Append one entry. It reaches the operating system at once (a killed drctl loses nothing);
   * `sync: false` leaves the flush to disk to the next transition, for details such as an
   * attempt's output that a step's finish follows within microseconds.
   */
  append(body: JournalEntryBody, options: { sync?: boolean; t?: string } = {}): JournalEntry {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`journal ${this.file} is closed`);
    return withFileLock(fd, () => {
      const size = fstatSync(fd).size;
      const head = this.chain?.size === size ? this.chain.head : headOf(fd, size);
      const entry = { ...body, t: options.t ?? this.now().toISOString(), prev: head } as JournalEntry;
      const line = JSON.stringify(entry);
      const bytes = Buffer.byteLength(line) + 1;
      try {
        const written = this.fs.writeSync(fd, `${line}\n`);
        if (written !== bytes) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        if (options.sync !== false) fdatasyncSync(fd);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
        // Undo the part of the line that reached the file, and make room to journal the stop.
        ftruncateSync(fd, size);
        rmSync(this.reserve, { force: true });
        throw new JournalFullError(this.file, bytes);
      }
      this.chain = { head: lineHash(line), size: size + bytes };
      return entry;
    });
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

/**
 * Read a journal; a torn last line (a crash mid-write) is dropped, a broken line elsewhere is an
 * error. `head`: the sha256 of the last complete line, null for a journal older than the chain (no
 * line carries `prev`). The chain itself is checked by `drctl verify`, not here.
 */
export function readJournal(file: string): { entries: JournalEntry[]; tornTail: boolean; head: string | null } {
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
  const chained = entries.some((entry) => entry.prev !== undefined);
  return { entries, tornTail, head: chained ? lineHash(lines[lines.length - 1]!) : null };
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

/** The hash of the last complete line of the first `size` bytes of an open journal; null for an empty one. */
function headOf(fd: number, size: number): string | null {
  const { line } = lastCompleteLine(fd, size);
  return line === undefined ? null : lineHash(line);
}

/**
 * Append one entry to the journal of a run that another drctl may be writing at this moment (a
 * note from a second terminal). Under the journal's file lock, which the run's own writer takes
 * too, the entry is chained on the journal's last line and written as one whole line in one write
 * call (O_APPEND), so the two processes' lines never mix, overwrite each other or chain on the
 * same line. The journal must exist: this never starts one. `cutTornTail` (only for a run no drctl
 * is writing) first cuts a line a crash left half written, so the entry starts on a line of its
 * own and chains on the last whole line.
 */
export function appendToJournal(file: string, body: JournalEntryBody, options: { cutTornTail: boolean; now?: Date }): JournalEntry {
  const fd = openSync(file, constants.O_RDWR | constants.O_APPEND);
  try {
    return withFileLock(fd, () => {
      let size = fstatSync(fd).size;
      const { line: last, completeBytes } = lastCompleteLine(fd, size);
      if (options.cutTornTail && completeBytes < size) {
        ftruncateSync(fd, completeBytes);
        size = completeBytes;
      }
      const entry = {
        ...body,
        t: (options.now ?? new Date()).toISOString(),
        prev: last === undefined ? null : lineHash(last),
      } as JournalEntry;
      const line = `${JSON.stringify(entry)}\n`;
      let written = 0;
      try {
        written = writeSync(fd, line);
        if (written !== Buffer.byteLength(line)) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        fdatasyncSync(fd);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
        // Take back a part line: under the lock nobody appended after it.
        if (written > 0) ftruncateSync(fd, size);
        throw new UserError(`cannot add to ${file}: the disk is full`, { hint: 'make room, then try again' });
      }
      return entry;
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Run `work` holding the journal's file lock, which every writer of the journal takes to append: no
 * line is added meanwhile, so what `work` reads of the journal is its end until `work` returns.
 */
export function withJournalLocked<T>(file: string, work: () => T): T {
  const fd = openSync(file, constants.O_RDWR | constants.O_APPEND);
  try {
    return withFileLock(fd, work);
  } finally {
    closeSync(fd);
  }
}

/** Cut a torn last line (a crash mid-write) so the entries appended next start on a line of their own. */
export function dropTornTail(file: string): boolean {
  const fd = openSync(file, 'r+');
  try {
    return withFileLock(fd, () => {
      const size = fstatSync(fd).size;
      const { completeBytes } = lastCompleteLine(fd, size);
      if (completeBytes === size) return false;
      ftruncateSync(fd, completeBytes);
      return true;
    });
  } finally {
    closeSync(fd);
  }
}
