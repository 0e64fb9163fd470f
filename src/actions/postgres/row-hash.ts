import { sha256Hash } from '../../util/sha256.js';

/**
 * The content fingerprint `drctl-fp2`: the rows of a table as `COPY … TO STDOUT` writes them in
 * text format (the very lines of a plain pg_dump's data blocks), each line hashed to 64 bits and
 * the hashes SUMMED modulo 2^64, with the row count.
 *
 * - A sum does not depend on the order of the rows (pg_dump writes them in whatever order the
 *   table is read), and two identical rows count twice (a sum, not an XOR, where they would cancel).
 * - The hash is non-cryptographic (two 32-bit multiply-rotate lanes over the line's bytes, read 4
 *   at a time little-endian, with the line's length, crossed and finished with MurmurHash3's
 *   finaliser; every step is invertible, so a line with one 4-byte word changed always hashes
 *   differently): fast enough to run on every row of a dump as it streams past. A changed row goes
 *   unnoticed only if its new line hashes to the same 64 bits as the old one, about 2^-64 for an
 *   accident. It detects corruption and lost,
 *   duplicated or altered rows; it is no proof against someone who crafts rows to keep the sum
 *   (the backup object's sha256 is the cryptographic check of the bytes).
 * - Hashing is incremental: a line split across chunks, or a row of any size, is hashed as its
 *   bytes arrive, in constant memory.
 */
export const ROW_HASH_METHOD = 'drctl-fp2';

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const SEED1 = 0x9747b28c | 0;
const SEED2 = 0x2f0b3e5d | 0;

export interface RowSum {
  rows: number;
  lo: number;
  hi: number;
}

export const emptySum = (): RowSum => ({ rows: 0, lo: 0, hi: 0 });

/** The table's sha256 as manifests and fingerprints carry it. */
export function rowSumDigest(sum: RowSum): string {
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  return sha256Hash()
    .update(`${ROW_HASH_METHOD}:${sum.rows}:${hex(sum.hi)}${hex(sum.lo)}`)
    .digest('hex');
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The last (partial, zero-padded) word `k` and the length, the finaliser, and the line's hash added to `sum`. */
function addLine(sum: RowSum, h1: number, h2: number, k: number, length: number): void {
  h1 = Math.imul(h1 ^ k, P1);
  h2 = Math.imul((h2 + k) | 0, P2);
  h1 ^= length;
  h2 ^= length;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  const lo = sum.lo + (h1 >>> 0);
  if (lo >= 0x100000000) {
    sum.lo = lo - 0x100000000;
    sum.hi = (sum.hi + (h2 >>> 0) + 1) >>> 0;
  } else {
    sum.lo = lo;
    sum.hi = (sum.hi + (h2 >>> 0)) >>> 0;
  }
  sum.rows++;
}

/**
 * Hashes lines incrementally and adds each finished line to a {@link RowSum}. `update` takes a
 * piece of the current line (no newline in it); `finish` ends the line.
 */
export class LineHasher {
  private h1 = SEED1;
  private h2 = SEED2;
  private length = 0;
  /** Bytes of an unfinished 4-byte word (0–3 of them), little-endian in `pending`. */
  private pendingBytes = 0;
  private pending = 0;

  /** Bytes `start` to `end` of `buf` (`view` is a DataView over `buf`). */
  update(buf: Uint8Array, view: DataView, start: number, end: number): void {
    let i = start;
    this.length += end - start;
    let h1 = this.h1;
    let h2 = this.h2;
    if (this.pendingBytes > 0) {
      while (this.pendingBytes < 4 && i < end) this.pending |= buf[i++]! << (8 * this.pendingBytes++);
      if (this.pendingBytes < 4) return;
      const k = this.pending;
      this.pendingBytes = 0;
      this.pending = 0;
      h1 = Math.imul(h1 ^ k, P1);
      h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul((h2 + k) | 0, P2);
      h2 = (h2 << 17) | (h2 >>> 15);
    }
    const words = end - ((end - i) & 3);
    for (; i < words; i += 4) {
      const k = view.getUint32(i, true) | 0;
      h1 = Math.imul(h1 ^ k, P1);
      h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul((h2 + k) | 0, P2);
      h2 = (h2 << 17) | (h2 >>> 15);
    }
    this.h1 = h1;
    this.h2 = h2;
    while (i < end) this.pending |= buf[i++]! << (8 * this.pendingBytes++);
  }

  /** End the line: add its hash to `sum`, and start the next line afresh. */
  finish(sum: RowSum): void {
    addLine(sum, this.h1, this.h2, this.pending, this.length);
    this.reset();
  }

  /** Forget the line begun (it was not a row). */
  reset(): void {
    this.h1 = SEED1;
    this.h2 = SEED2;
    this.length = 0;
    this.pendingBytes = 0;
    this.pending = 0;
  }
}

const NEWLINE = 0x0a;

/**
 * The sum of a table's `COPY … TO STDOUT` text as it streams: each chunk may end anywhere, a line
 * is complete at its newline. The end-of-data line `\.` (which a server's COPY TO does not send,
 * but a dump holds) is not a row.
 */
export class CopyTextSum {
  private readonly hasher = new LineHasher();
  /** Bytes of the current line so far, and its first two (to know `\.`). */
  private lineLength = 0;
  private first = -1;
  private second = -1;

  constructor(readonly sum: RowSum = emptySum()) {}

  /** A server's `COPY … TO STDOUT` output, chunk by chunk. */
  write(chunk: Uint8Array): void {
    for (let pos = 0; pos !== -1 && pos < chunk.length;) pos = this.feed(chunk, pos);
  }

  /**
   * Rows from `chunk` at `pos`: -1 when the chunk is used up, or the position just past the
   * end-of-data line `\.` (not a row), where what follows the data begins.
   */
  feed(chunk: Uint8Array, pos: number): number {
    const end = chunk.length;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const sum = this.sum;
    while (pos < end) {
      const nl = chunk.indexOf(NEWLINE, pos);
      if (this.lineLength > 0 || nl === -1) {
        // A line split across chunks: hashed piece by piece.
        const stop = nl === -1 ? end : nl;
        if (stop > pos) this.take(chunk, view, pos, stop);
        if (nl === -1) return -1;
        pos = nl + 1;
        if (this.endLine()) return pos;
        continue;
      }
      // A whole line in this chunk (the usual case): what LineHasher computes, in local variables.
      const length = nl - pos;
      if (length === 2 && chunk[pos] === 0x5c && chunk[pos + 1] === 0x2e) return nl + 1;
      let h1 = SEED1;
      let h2 = SEED2;
      let i = pos;
      // Two words a turn, then the odd one: the same steps as LineHasher.update, in fewer turns.
      const pairs = nl - (length & 7);
      for (; i < pairs; i += 8) {
        let k = view.getInt32(i, true);
        h1 = Math.imul(h1 ^ k, P1);
        h1 = (h1 << 13) | (h1 >>> 19);
        h2 = Math.imul((h2 + k) | 0, P2);
        h2 = (h2 << 17) | (h2 >>> 15);
        k = view.getInt32(i + 4, true);
        h1 = Math.imul(h1 ^ k, P1);
        h1 = (h1 << 13) | (h1 >>> 19);
        h2 = Math.imul((h2 + k) | 0, P2);
        h2 = (h2 << 17) | (h2 >>> 15);
      }
      if (nl - i >= 4) {
        const k = view.getInt32(i, true);
        h1 = Math.imul(h1 ^ k, P1);
        h1 = (h1 << 13) | (h1 >>> 19);
        h2 = Math.imul((h2 + k) | 0, P2);
        h2 = (h2 << 17) | (h2 >>> 15);
        i += 4;
      }
      let k = 0;
      for (let shift = 0; i < nl; i++, shift += 8) k |= chunk[i]! << shift;
      addLine(sum, h1, h2, k, length);
      pos = nl + 1;
    }
    return -1;
  }

  private take(chunk: Uint8Array, view: DataView, start: number, stop: number): void {
    if (this.lineLength === 0) this.first = chunk[start]!;
    if (this.lineLength <= 1 && start + 1 - this.lineLength < stop) this.second = chunk[start + 1 - this.lineLength]!;
    this.lineLength += stop - start;
    this.hasher.update(chunk, view, start, stop);
  }

  /** End the current line: true when it was `\.`. */
  private endLine(): boolean {
    const terminator = this.lineLength === 2 && this.first === 0x5c && this.second === 0x2e;
    if (terminator) this.hasher.reset();
    else this.hasher.finish(this.sum);
    this.lineLength = 0;
    this.first = -1;
    this.second = -1;
    return terminator;
  }

  /** Whether a line is begun but not ended (COPY TO output always ends with a newline). */
  get partial(): boolean {
    return this.lineLength > 0;
  }
}
