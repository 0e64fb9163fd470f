/**
 * The most text one output event carries, and the most of a line without a newline held back at a
 * time (twice this). A command that prints megabytes, on one line or on millions, costs memory and
 * time in proportion to what it printed, never more. Small events matter too: the terminal renders
 * each one as a single string, and a string of some 128 KB or more goes where only a full garbage
 * collection frees it, so a stream of huge events would grow memory by hundreds of megabytes.
 */
export const LINE_PIECE_LIMIT = 16 * 1024;

type Stream = 'stdout' | 'stderr';

/**
 * Emits output in whole lines, so a secret split across two chunks of the pipe is still masked
 * whole, and in events of at most LINE_PIECE_LIMIT characters.
 *
 * A line longer than that is masked with `redact` as a whole first, then emitted in pieces. A line
 * that has no newline yet is held back until it is longer than twice the limit; then what is held
 * is masked, the last LINE_PIECE_LIMIT characters are kept back and the rest is emitted. A secret
 * of at most LINE_PIECE_LIMIT characters that ends in a later chunk starts inside what was kept
 * back, so it is still masked whole. (A longer secret on a longer line, or a secret that spans a
 * newline, may be cut in two.) Without `redact` nothing is masked here; callers that mask secrets
 * pass their masking, and may mask each event again: masked text has no secret left to find.
 */
export class LineSplitter {
  private readonly pending: Record<Stream, string> = { stdout: '', stderr: '' };

  constructor(
    private readonly emit: (stream: Stream, text: string) => void,
    private readonly redact: (text: string) => string = (text) => text,
    private readonly pieceLimit: number = LINE_PIECE_LIMIT,
  ) {}

  push(stream: Stream, chunk: string): void {
    const last = chunk.lastIndexOf('\n');
    if (last < 0) {
      this.pending[stream] += chunk;
      if (this.pending[stream].length > 2 * this.pieceLimit) this.emitHeldBack(stream);
      return;
    }
    // The line held back ends at the chunk's first newline; the chunk's other whole lines are
    // sliced from the chunk itself, never copied onto what was held back.
    const first = chunk.indexOf('\n');
    this.emitLines(stream, this.pending[stream] + chunk.slice(0, first + 1));
    if (last > first) this.emitLines(stream, chunk.slice(first + 1, last + 1));
    this.pending[stream] = chunk.slice(last + 1);
    if (this.pending[stream].length > 2 * this.pieceLimit) this.emitHeldBack(stream);
  }

  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream]) this.emitLines(stream, `${this.pending[stream]}\n`);
      this.pending[stream] = '';
    }
  }

  /** Whole lines (the text ends with a newline), in events of at most the limit, cut at newlines. */
  private emitLines(stream: Stream, text: string): void {
    const limit = this.pieceLimit;
    let from = 0;
    while (text.length - from > limit) {
      const cut = text.lastIndexOf('\n', from + limit - 1);
      if (cut >= from) {
        this.emit(stream, text.slice(from, cut + 1));
        from = cut + 1;
        continue;
      }
      // One line longer than the limit: it is all here, so mask it whole, then cut it freely.
      const end = text.indexOf('\n', from + limit);
      this.emitPieces(stream, this.redact(text.slice(from, end + 1)));
      from = end + 1;
    }
    if (from < text.length) this.emit(stream, from === 0 ? text : text.slice(from));
  }

  /** A line without a newline grew past twice the limit: emit all but its masked last stretch. */
  private emitHeldBack(stream: Stream): void {
    const masked = this.redact(this.pending[stream]);
    const keep = safeCut(masked, masked.length - this.pieceLimit);
    if (keep <= 0) {
      // Masking shortened it: hold it until more arrives.
      this.pending[stream] = masked;
      return;
    }
    this.pending[stream] = masked.slice(keep);
    this.emitPieces(stream, masked.slice(0, keep));
  }

  /** Already masked text, in pieces of at most the limit. */
  private emitPieces(stream: Stream, text: string): void {
    let from = 0;
    while (text.length - from > this.pieceLimit) {
      const cut = safeCut(text, from + this.pieceLimit);
      this.emit(stream, text.slice(from, cut));
      from = cut;
    }
    if (from < text.length) this.emit(stream, from === 0 ? text : text.slice(from));
  }
}

/** `at`, or one less when that would cut a character written as two UTF-16 units (an emoji) in half. */
function safeCut(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return at > 0 && code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}
