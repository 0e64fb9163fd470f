import { describe, expect, it } from 'vitest';
import { sanitizeOutput } from '../../src/io/sanitize.js';

const ESC = '\u001b';
const colour = (text: string): string => sanitizeOutput(text, { colour: true });
const plain = (text: string): string => sanitizeOutput(text, { colour: false });

describe("a command's output on the operator's terminal", () => {
  it('keeps plain text, tabs, newlines and Unicode as they are', () => {
    const text = 'restored 42 rows\tin 3s ✓ ünïcødé 数据库 😀\n';
    expect(colour(text)).toBe(text);
  });

  it('keeps colours, and resets them at the end so they cannot bleed into drctl lines', () => {
    expect(colour(`${ESC}[31mred${ESC}[0m and ${ESC}[1;38;5;208mbold orange`)).toBe(
      `${ESC}[31mred${ESC}[0m and ${ESC}[1;38;5;208mbold orange${ESC}[0m`,
    );
    expect(colour(`${ESC}[38:2::255:0:0mtruecolour`)).toBe(`${ESC}[38:2::255:0:0mtruecolour${ESC}[0m`);
  });

  it('drops colours too when the stream shows none (NO_COLOR, CI, not a terminal)', () => {
    expect(plain(`${ESC}[31mred${ESC}[0m`)).toBe('red');
  });

  it('removes cursor movement, erasing, scrolling and mode changes', () => {
    for (const sequence of ['[2A', '[10;1H', '[H', '[2J', '[K', '[1S', '[?25l', '[?1049h', '[6n', '[s', '[u', '[3;5r']) {
      expect(colour(`before${ESC}${sequence}after`), sequence).toBe('beforeafter');
    }
  });

  it('removes window titles, hyperlinks and other OSC, DCS and APC strings whole', () => {
    expect(colour(`a${ESC}]0;pwned title\u0007b`)).toBe('ab');
    expect(colour(`a${ESC}]2;pwned title${ESC}\\b`)).toBe('ab');
    expect(colour(`a${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\b`)).toBe('aclickb');
    expect(colour(`a${ESC}]52;c;cm0gLXJmIC8K\u0007b`)).toBe('ab');
    expect(colour(`a${ESC}P1$r0m${ESC}\\b`)).toBe('ab');
    expect(colour(`a${ESC}_hidden${ESC}\\b`)).toBe('ab');
    // An unfinished one swallows the rest of the text, as a terminal would: none of it reaches the terminal.
    expect(colour(`a${ESC}]0;never ends`)).toBe('a');
  });

  it('removes other escape sequences: save and restore cursor, reset, character sets', () => {
    expect(colour(`a${ESC}7b${ESC}8c${ESC}cd${ESC}(0e${ESC}Mf${ESC}`)).toBe('abcdef');
  });

  it('removes C1 controls, the 8-bit form of ESC [', () => {
    expect(colour('a\u009b2Jb\u0085c')).toBe('a2Jbc');
  });

  it('shows a lone carriage return as a line break, so a line cannot be overwritten', () => {
    expect(colour('all good\rFAILED\n')).toBe('all good\nFAILED\n');
    expect(colour('windows line\r\n')).toBe('windows line\n');
  });

  it('shows NUL, BEL, backspace and other controls as visible symbols', () => {
    expect(colour('x\u0000y\u0007z\u0008w\u000cv\u007f')).toBe('x␀y␇z␈w␌v␡');
  });

  it('removes bidirectional overrides, so text shows in the order it was printed', () => {
    expect(colour('file\u202Etxt.exe\u202C and \u2066isolated\u2069')).toBe('filetxt.exe and isolated');
  });

  it('takes time in proportion to the text, even when it is all escape sequences', () => {
    const hostile = `${ESC}[2A${ESC}]0;t\u0007\r`.repeat(200_000) + `${ESC}]`.repeat(200_000);
    expect(colour(hostile)).toBe('\n'.repeat(200_000));
  });
});
