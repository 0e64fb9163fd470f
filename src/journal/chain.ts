import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { sha256Hash } from '../util/sha256.js';

/**
 * The journal's hash chain. Every line drctl writes carries, in `prev`, the sha256 (hex) of the
 * exact bytes of the line before it (without its newline); the first line (run.started) carries
 * `prev: null`. Journals written before the chain carry no `prev`: they stay readable, and a line
 * appended to one chains on its last line from then on.
 *
 * Changing, removing, inserting or reordering a line breaks the chain at that place. The last line
 * is protected by its hash, the head: a report, a sign-off or a copy kept elsewhere records it.
 * Anyone who can write the file can also rebuild a whole chain, so the chain makes tampering
 * evident only against a head recorded somewhere the tamperer cannot reach.
 */

/** sha256 (hex) of one journal line's exact bytes, without its newline. */
export function lineHash(line: string | Uint8Array): string {
  return sha256Hash().update(line).digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;
const CHUNK = 64 * 1024;

function readAt(fd: number, buffer: Buffer, position: number): void {
  let done = 0;
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (read === 0) throw new Error('the journal got shorter while it was read');
    done += read;
  }
}

/**
 * The last complete line of the first `size` bytes of an open journal (a torn line after it, a
 * write cut short, is not one), read backwards from the end; and how many bytes the complete lines
 * take (where a torn tail starts).
 */
export function lastCompleteLine(fd: number, size: number): { line: Buffer | undefined; completeBytes: number } {
  let tail = Buffer.alloc(0);
  let position = size;
  while (position > 0) {
    const length = Math.min(CHUNK, position);
    position -= length;
    const chunk = Buffer.alloc(length);
    readAt(fd, chunk, position);
    tail = tail.length === 0 ? chunk : Buffer.concat([chunk, tail]);
    const end = tail.lastIndexOf(0x0a);
    if (end < 0) continue;
    const before = end === 0 ? -1 : tail.lastIndexOf(0x0a, end - 1);
    if (before >= 0 || position === 0) return { line: tail.subarray(before + 1, end), completeBytes: position + end + 1 };
  }
  return { line: undefined, completeBytes: 0 };
}

/**
 * The journal's head now: the sha256 of its last complete line (null when it has none). A sign-off
 * records it as what it covers; report.json shows it.
 */
export function journalHead(file: string): string | null {
  const fd = openSync(file, 'r');
  try {
    const { line } = lastCompleteLine(fd, fstatSync(fd).size);
    return line === undefined ? null : lineHash(line);
  } finally {
    closeSync(fd);
  }
}

/** What the chain of a journal's text says. Lines are numbered from 1, as an editor shows them. */
export interface ChainCheck {
  /** Complete lines (a torn last line is not counted). */
  entries: number;
  /** sha256 of the last complete line; null when no line carries `prev` (a journal older than the chain). */
  head: string | null;
  /** The first line the chain covers (1: all of it); null when no line carries `prev`. */
  chainedFrom: number | null;
  /** The journal ends in a line cut short (a crash mid-write): it is outside the chain. */
  tornTail: boolean;
  /** The first place the chain is broken, named by the line to look at. */
  broken: { line: number; message: string } | null;
  /** The sign-offs read before any break: each one's line, and the last line of what it signed. */
  signed: { line: number; covers: number }[];
}

/** A line as the chain reads it: its `prev` (a hash, null on a first line, absent, or something else), and what a sign-off covers. */
type ChainLink =
  | { kind: 'unreadable'; covers?: undefined }
  | { kind: 'absent'; covers: string | undefined }
  | { kind: 'value'; value: unknown; covers: string | undefined };

function linkOf(line: Buffer): ChainLink {
  let entry: unknown;
  try {
    entry = JSON.parse(line.toString('utf8'));
  } catch {
    return { kind: 'unreadable' };
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return { kind: 'unreadable' };
  const { type, covers } = entry as { type?: unknown; covers?: unknown };
  const signed = type === 'review.sign_off' && typeof covers === 'string' ? covers : undefined;
  return Object.prototype.hasOwnProperty.call(entry, 'prev')
    ? { kind: 'value', value: (entry as { prev: unknown }).prev, covers: signed }
    : { kind: 'absent', covers: signed };
}

function splitLines(text: Buffer): { lines: Buffer[]; tornTail: boolean } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = text.indexOf(0x0a); end >= 0; end = text.indexOf(0x0a, start)) {
    lines.push(text.subarray(start, end));
    start = end + 1;
  }
  return { lines, tornTail: start < text.length };
}

/**
 * Check a journal's chain line by line; the first break is named by the line that was tampered
 * with, as far as the chain can tell. A sign-off (`review.sign_off`) names the head it signed
 * (`covers`): that must be the hash of a line before it, or the lines it signed were changed.
 */
export function checkChain(text: Buffer): ChainCheck {
  const { lines, tornTail } = splitLines(text);
  const hashes = lines.map((line) => lineHash(line));
  const links = lines.map((line) => linkOf(line));
  const signed: ChainCheck['signed'] = [];
  let chainedFrom: number | null = null;
  const result = (broken: ChainCheck['broken']): ChainCheck => ({
    entries: lines.length,
    head: chainedFrom === null || lines.length === 0 ? null : hashes[lines.length - 1]!,
    chainedFrom,
    tornTail,
    broken,
    signed,
  });
  /** What is wrong with line i's link to the line before it, if anything. */
  const brokenLink = (i: number): ChainCheck['broken'] => {
    const link = links[i]!;
    const n = i + 1;
    if (link.kind === 'unreadable')
      return { line: n, message: `line ${n} is not a journal entry (not a JSON object): it was changed or cut` };
    if (link.kind === 'absent') {
      if (chainedFrom === null) return null;
      return {
        line: n,
        message: `line ${n} carries no prev although the chain covers the journal from line ${chainedFrom}: it was added or rewritten by hand`,
      };
    }
    const value = link.value;
    if (value === null) {
      if (i === 0) {
        chainedFrom = 1;
        return null;
      }
      return {
        line: n,
        message: `line ${n} claims to be a journal's first line (prev is null): it was added by hand or taken from another journal`,
      };
    }
    if (typeof value !== 'string' || !HASH.test(value)) {
      return { line: n, message: `line ${n} has a prev that is not a sha256 hash: it was added or changed by hand` };
    }
    chainedFrom ??= n;
    if (i > 0 && value === hashes[i - 1]) return null;
    return locateBreak(i, value, hashes, links);
  };
  for (let i = 0; i < lines.length; i++) {
    const broken = brokenLink(i);
    if (broken) {
      chainedFrom ??= i + 1;
      return result(broken);
    }
    const covers = links[i]!.covers;
    if (covers === undefined) continue;
    const covered = i === 0 ? -1 : hashes.lastIndexOf(covers, i - 1);
    if (covered < 0) {
      return result({
        line: i + 1,
        message: `line ${i + 1} is a sign-off of a journal head that no line before it has: the lines it signed were changed after it was signed`,
      });
    }
    signed.push({ line: i + 1, covers: covered + 1 });
  }
  return result(null);
}

/**
 * Line `i` does not chain on the line before it. Say which line was tampered with: the chain tells
 * a line out of order (it chains on a line further down), an inserted line (the line after it
 * chains on the one before it, or it chains further up), and otherwise a changed line or a gap
 * (the line it chains on is nowhere). A changed line and lines removed after it look the same.
 */
function locateBreak(
  i: number,
  prev: string,
  hashes: readonly string[],
  prevs: ReturnType<typeof linkOf>[],
): { line: number; message: string } {
  const n = i + 1;
  const next = prevs[i + 1];
  const later = hashes.indexOf(prev, i + 1);
  if (later >= 0) {
    return { line: n, message: `line ${n} is out of order: it chains on line ${later + 1}, which comes after it (lines were moved)` };
  }
  if (i > 0 && next?.kind === 'value' && next.value === hashes[i - 1]) {
    return { line: n, message: `line ${n} was inserted: line ${n + 1} chains on line ${n - 1}` };
  }
  const earlier = i >= 2 ? hashes.lastIndexOf(prev, i - 2) : -1;
  if (earlier >= 0) {
    if (next === undefined && earlier === i - 2) {
      return { line: n, message: `line ${n} was added by hand: it chains on line ${earlier + 1}, as line ${n - 1} does` };
    }
    const first = earlier + 2;
    const range = first === n - 1 ? `line ${first} was` : `lines ${first}-${n - 1} were`;
    return { line: first, message: `${range} inserted: line ${n} chains on line ${earlier + 1}` };
  }
  if (i === 0) {
    return {
      line: 1,
      message: 'line 1 is not the first line of the journal it was written in (its prev is not null): lines before it were removed',
    };
  }
  const last = next === undefined ? `, or line ${n} was added by hand` : '';
  return {
    line: n - 1,
    message: `line ${n - 1} was changed after it was written, or lines after it were removed${last}: line ${n} chains on a line that is not in the journal`,
  };
}
