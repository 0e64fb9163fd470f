import { describe, expect, it } from 'vitest';
import { LINE_PIECE_LIMIT, LineSplitter } from '../../src/engine/line-splitter.js';
import { Redactor } from '../../src/engine/redact.js';
import { OUTPUT_TAIL_LIMIT, TailBuffer } from '../../src/engine/tail-buffer.js';

/** A splitter wired the way a run wires it: every event masked again on its way out, and recorded. */
function recording(secrets: string[] = [], limit = LINE_PIECE_LIMIT) {
  const redactor = new Redactor(secrets);
  const events: Array<{ stream: string; text: string }> = [];
  let held = 0;
  const splitter = new LineSplitter(
    (stream, text) => events.push({ stream, text: redactor.text(text) }),
    (text) => redactor.text(text),
    limit,
  );
  const heldBack = (): number => (splitter as unknown as { pending: { stdout: string } }).pending.stdout.length;
  return {
    splitter,
    events,
    push(chunk: string) {
      splitter.push('stdout', chunk);
      held = Math.max(held, heldBack());
    },
    shown: () => events.map((e) => e.text).join(''),
    maxHeld: () => held,
  };
}

describe('the line splitter', () => {
  it('emits whole lines, and what was held back when it is flushed', () => {
    const r = recording();
    r.push('first li');
    r.push('ne\nsecond\nthi');
    expect(r.shown()).toBe('first line\nsecond\n');
    r.splitter.flush();
    expect(r.shown()).toBe('first line\nsecond\nthi\n');
  });

  it('holds at most twice its limit of a line that never ends, and shows all of it', () => {
    const r = recording();
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 200; i++) r.push(chunk); // 12.5 MiB without a newline
    r.splitter.flush();
    expect(r.maxHeld()).toBeLessThanOrEqual(2 * LINE_PIECE_LIMIT);
    expect(r.shown().length).toBe(200 * chunk.length + 1);
    expect(Math.max(...r.events.map((e) => e.text.length))).toBeLessThanOrEqual(LINE_PIECE_LIMIT + 1);
  });

  it('cuts a chunk of many lines into events of at most its limit, at line ends', () => {
    const r = recording();
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`).join('');
    r.push(lines);
    expect(r.shown()).toBe(lines);
    for (const event of r.events) {
      expect(event.text.length).toBeLessThanOrEqual(LINE_PIECE_LIMIT);
      expect(event.text.endsWith('\n')).toBe(true);
    }
  });

  it('masks a secret split across two chunks, on a short line', () => {
    const r = recording(['tok-SUPERSECRET-123']);
    r.push('Authorization: Bearer tok-SUPER');
    r.push('SECRET-123 ok\n');
    expect(r.shown()).toBe('Authorization: Bearer *** ok\n');
  });

  it('masks a secret split across two chunks in the middle of a line far longer than its limit', () => {
    const secret = 'tok-SUPERSECRET-123';
    // At every offset around the place where pieces are cut, and with a small limit so many cuts happen.
    for (let offset = 0; offset < 64; offset++) {
      const r = recording([secret], 32);
      const text = `${'a'.repeat(100 + offset)}${secret}${'b'.repeat(100)}${secret}${'c'.repeat(7)}`;
      for (let i = 0; i < text.length; i += 13) r.push(text.slice(i, i + 13));
      r.splitter.flush();
      expect(r.shown()).not.toContain('SUPER');
      expect(r.shown()).not.toContain('123');
      expect(r.shown().match(/\*\*\*/g)).toHaveLength(2);
    }
  });

  it('masks a secret shorter than its limit inside a long line that arrives whole', () => {
    const secret = 's3cr3t-value';
    const r = recording([secret], 32);
    r.push(`${'a'.repeat(25)}${secret}${'b'.repeat(100)}\n`);
    expect(r.shown()).toBe(`${'a'.repeat(25)}***${'b'.repeat(100)}\n`);
  });

  it('never cuts a character written as two UTF-16 units in half', () => {
    const r = recording([], 16);
    const text = '😀'.repeat(100);
    for (let i = 0; i < text.length; i += 7) r.push(text.slice(i, i + 7));
    r.splitter.flush();
    for (const event of r.events) expect(event.text).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
    expect(r.shown()).toBe(`${text}\n`);
  });
});

describe('the tail kept of each stream', () => {
  it('keeps only its limit of a huge stream, from a line boundary, and says it dropped the rest', () => {
    const tail = new TailBuffer(OUTPUT_TAIL_LIMIT);
    const chunk = `${'y'.repeat(1000)}\n`;
    for (let i = 0; i < 20_000; i++) tail.push(chunk); // 20 MB
    const text = tail.toString();
    expect(tail.truncated).toBe(true);
    expect(text.length).toBeLessThanOrEqual(OUTPUT_TAIL_LIMIT);
    expect(text.length).toBeGreaterThan(OUTPUT_TAIL_LIMIT - 2 * chunk.length);
    expect(text.startsWith('y')).toBe(true);
  });

  it('keeps nothing of a single line longer than its limit: a cut line could hold part of a secret', () => {
    const tail = new TailBuffer(1024);
    for (let i = 0; i < 100; i++) tail.push('z'.repeat(4096));
    expect(tail.toString()).toBe('');
    expect(tail.truncated).toBe(true);
  });

  it('keeps everything, not truncated, while the stream fits', () => {
    const tail = new TailBuffer(1024);
    tail.push('a\n');
    tail.push('b'.repeat(1022));
    expect(tail.toString()).toBe(`a\n${'b'.repeat(1022)}`);
    expect(tail.truncated).toBe(false);
  });
});
