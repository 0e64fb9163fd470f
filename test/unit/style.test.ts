import { describe, expect, it } from 'vitest';
import { colorEnabled, colorLevel, styleFor } from '../../src/io/style.js';

/** A stream that is a terminal, or a pipe. */
const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as unknown as NodeJS.WriteStream;

describe('colour as Node and chalk read the environment', () => {
  it('colours a terminal (256 colours) and never a pipe when nothing is set', () => {
    expect(colorLevel(tty, {})).toBe(2);
    expect(colorLevel(pipe, {})).toBe(0);
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
  });

  it.each([
    ['0', 0],
    ['false', 0],
    ['', 1],
    ['1', 1],
    ['true', 1],
    ['2', 2],
    ['3', 3],
    ['7', 3],
  ] as const)('FORCE_COLOR=%j gives level %i, on a terminal and in a pipe alike', (value, level) => {
    expect(colorLevel(tty, { FORCE_COLOR: value })).toBe(level);
    expect(colorLevel(pipe, { FORCE_COLOR: value })).toBe(level);
  });

  it('FORCE_COLOR with a value Node and chalk do not know is ignored', () => {
    for (const value of ['yes', 'always', '-1', '1.5']) {
      expect(colorLevel(tty, { FORCE_COLOR: value })).toBe(2);
      expect(colorLevel(pipe, { FORCE_COLOR: value })).toBe(0);
    }
  });

  it('NO_COLOR turns colour off when it is not empty; an empty NO_COLOR changes nothing', () => {
    expect(colorLevel(tty, { NO_COLOR: '1' })).toBe(0);
    expect(colorLevel(tty, { NO_COLOR: 'false' })).toBe(0);
    expect(colorLevel(tty, { NO_COLOR: '' })).toBe(2);
  });

  it('NODE_DISABLE_COLORS turns colour off, as it does in Node', () => {
    expect(colorLevel(tty, { NODE_DISABLE_COLORS: '1' })).toBe(0);
  });

  it('FORCE_COLOR wins over NO_COLOR, CI and TERM=dumb, as in Node', () => {
    expect(colorLevel(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(1);
    expect(colorLevel(pipe, { FORCE_COLOR: '3', CI: 'true' })).toBe(3);
    expect(colorLevel(tty, { FORCE_COLOR: '2', TERM: 'dumb' })).toBe(2);
    expect(colorLevel(tty, { FORCE_COLOR: '0', NO_COLOR: '' })).toBe(0);
  });

  it('CI turns colour off on a terminal unless it is empty or "false"', () => {
    expect(colorLevel(tty, { CI: 'true' })).toBe(0);
    expect(colorLevel(tty, { CI: '1' })).toBe(0);
    expect(colorLevel(tty, { CI: '' })).toBe(2);
    expect(colorLevel(tty, { CI: 'false' })).toBe(2);
  });

  it('TERM=dumb gets no colour', () => {
    expect(colorLevel(tty, { TERM: 'dumb' })).toBe(0);
    expect(colorLevel(tty, { TERM: 'xterm-256color' })).toBe(2);
  });

  it('styleFor gives chalk the level of process.env', () => {
    const saved = process.env.FORCE_COLOR;
    try {
      process.env.FORCE_COLOR = '3';
      expect(styleFor(pipe).level).toBe(3);
      expect(styleFor(pipe).red('x')).toBe('\u001b[31mx\u001b[39m');
      process.env.FORCE_COLOR = 'false';
      expect(styleFor(tty).level).toBe(0);
      expect(styleFor(tty).red('x')).toBe('x');
    } finally {
      if (saved === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = saved;
    }
  });
});
