/** Keeps the last `limit` characters of a stream, and whether anything was dropped. */
export class TailBuffer {
  private text = '';
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: string): void {
    if (chunk.length >= this.limit) {
      // A chunk that fills the tail by itself replaces it: no copy (a pipe's chunk often does).
      if (this.text.length > 0 || chunk.length > this.limit) this.truncated = true;
      this.text = chunk;
      return;
    }
    this.text += chunk;
    if (this.text.length > this.limit * 2) this.trim();
  }

  private trim(): void {
    if (this.text.length > this.limit) {
      this.text = this.text.slice(this.text.length - this.limit);
      this.truncated = true;
    }
  }

  /** The tail; once truncated, it starts at a line boundary (a cut line could hold part of a secret). */
  toString(): string {
    this.trim();
    if (!this.truncated) return this.text;
    const cut = this.text.indexOf('\n');
    return cut < 0 ? '' : this.text.slice(cut + 1);
  }
}

/** The output kept per step for the journal and outputs: the last 64 KiB of each stream. */
export const OUTPUT_TAIL_LIMIT = 64 * 1024;
