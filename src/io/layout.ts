import { eastAsianWidth } from 'get-east-asian-width';
import { stripVTControlCharacters } from 'node:util';

/**
 * Layout for the terminal in front of the operator: every line drctl lays out itself is cut to
 * the terminal's width at spaces, so a word, a timestamp or a path is never split, and the
 * continuation lines are indented under their line.
 *
 * Renderers do not need to know the width: they produce their lines as they read best, and
 * `layout` wraps what they produced, whoever wrote the line. Two marks, made of Unicode's
 * noncharacters (kept for a program's own use, never found in text), say more where it matters;
 * layout removes them:
 *
 * - `VERBATIM` anywhere in a line: the line is printed as it is (a command, a code block). A
 *   command is shown exactly as it runs: the terminal folds a long one, and copying it from the
 *   screen gives it back whole, where a break of drctl's would change what a paste runs.
 * - `hang(n)`: continuation lines start n columns after the place of the mark (a paragraph: 0,
 *   a list item: the width of its bullet, a table row: its last column).
 *
 * Without a mark a long line continues two columns in from its own indentation. A line made of
 * parts joined by " · " (the run header) breaks between the parts rather than inside one.
 */

export const VERBATIM = '\uFDD0';
/** A hang: this mark, the columns in digits, and HANG_END. */
const HANG = '\uFDD1';
const HANG_END = '\uFDD2';
const MARKS = /\uFDD0|\uFDD1\d*\uFDD2/g;

/** A mark: the lines this line continues onto start `columns` after the mark's place. */
export function hang(columns: number): string {
  return `${HANG}${Math.max(0, Math.round(columns))}${HANG_END}`;
}

/** The text without layout's marks (for text that is not laid out, such as a prompt's message). */
export function unmarked(text: string): string {
  return text.replace(MARKS, '');
}

/** The narrowest width drctl lays out for: below it, every word would be a line. */
const MIN_WIDTH = 20;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The width to lay out for: a terminal's own width; elsewhere (a pipe, a file, a CI log) COLUMNS
 * when it is set, else none: lines are left whole. What reads a pipe either wraps for itself (a
 * pager, a CI log in a browser) or looks for whole lines (grep), and a break of drctl's would only
 * split the line it looks for.
 */
export function terminalWidth(stream: NodeJS.WriteStream, env: Env = process.env): number | undefined {
  const columns = stream.isTTY === true ? stream.columns : undefined;
  if (columns !== undefined && columns > 0) return Math.max(columns, MIN_WIDTH);
  const fromEnv = env.COLUMNS !== undefined && /^[0-9]+$/.test(env.COLUMNS) ? Number(env.COLUMNS) : 0;
  return fromEnv > 0 ? Math.max(fromEnv, MIN_WIDTH) : undefined;
}

const PLAIN = /^[\x20-\x7e]*$/;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;

/** The columns text takes on a terminal: colour codes count nothing, East Asian wide characters two. */
export function displayWidth(text: string): number {
  if (PLAIN.test(text)) return text.length;
  const visible = stripVTControlCharacters(text).replace(MARKS, '');
  if (PLAIN.test(visible)) return visible.length;
  let width = 0;
  for (const char of visible) {
    const code = char.codePointAt(0)!;
    if (code >= 0xfe00 && code <= 0xfe0f) continue; // variation selectors
    if (ZERO_WIDTH.test(char)) continue;
    width += eastAsianWidth(code);
  }
  return width;
}

/** Each line of `text` cut to `width` columns (see the top of this file); the marks removed. No width: lines left whole. */
export function layout(text: string, width: number | undefined): string {
  if (width === undefined) return unmarked(text);
  if (!text.includes('\n')) return wrapLine(text, width).join('\n');
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width))
    .join('\n');
}

// eslint-disable-next-line no-control-regex -- colour codes are what is looked for
const PIECES = /[^\S\n]+|(?:\u001b\[[0-?]*[ -/]*[@-~]|[^\s\u001b]|\u001b)+/g;
// eslint-disable-next-line no-control-regex -- colour codes are what is looked for
const CODES = /\u001b\[[0-?]*[ -/]*[@-~]/g;

/** A word (with the colour codes inside or around it) or the spaces between two words. */
interface Piece {
  kind: 'space' | 'word';
  text: string;
  width: number;
}

/** One line cut into lines of at most `width` columns, breaking at spaces only. */
export function wrapLine(line: string, width: number): string[] {
  if (PLAIN.test(line) && line.length <= width) return [line];
  if (line.includes(VERBATIM)) return [unmarked(line)];
  let hangAt: number | undefined;
  const mark = line.indexOf(HANG);
  if (mark >= 0) hangAt = displayWidth(line.slice(0, mark)) + Number(/^\d*/.exec(line.slice(mark + 1))![0] || 0);
  const text = mark >= 0 ? unmarked(line) : line;
  if (displayWidth(text) <= width) return [text];

  const pieces: Piece[] = [];
  for (const [piece] of text.matchAll(PIECES)) {
    if (/^\s/.test(piece)) pieces.push({ kind: 'space', text: piece, width: piece.length });
    else pieces.push({ kind: 'word', text: piece, width: displayWidth(piece) });
  }
  const indent = /^ */.exec(stripVTControlCharacters(text))![0].length;
  let continuation = hangAt ?? indent + 2;
  // A hang so deep that little room would be left: continue under the line's own indentation, or less.
  const room = Math.min(MIN_WIDTH, Math.floor(width / 2));
  if (continuation > width - room) continuation = Math.min(indent, width - room);

  const lines: Piece[][] = [];
  let current: Piece[] = [];
  let used = 0; // columns taken on the current line
  let hasWord = false;
  const columnsOf = (list: Piece[]): number => list.reduce((sum, p) => sum + p.width, 0);
  for (const piece of pieces) {
    if (piece.kind !== 'word' || piece.width === 0) {
      current.push(piece);
      used += piece.width;
      continue;
    }
    // The spaces before the word are counted in `used`: they are printed when the word follows them.
    if (hasWord && used + piece.width > width) {
      const carry = breakAt(current, width);
      lines.push(trimEnd(current.slice(0, carry)));
      current = trimStart(current.slice(carry));
      used = continuation + columnsOf(current);
      hasWord = current.some((p) => p.kind === 'word');
      // A part carried over (" · incident start") may leave no room for the word behind it.
      if (hasWord && used + piece.width > width) {
        lines.push(trimEnd(current));
        current = [];
        used = continuation;
        hasWord = false;
      }
    }
    current.push(piece);
    used += piece.width;
    hasWord = true;
  }
  lines.push(trimEnd(current));
  return render(lines, continuation);
}

/**
 * Where a full line ends: at its end, or before its last " · " when that leaves the line at least
 * half full, so the parts of a line such as the run header stay whole.
 */
function breakAt(pieces: Piece[], width: number): number {
  let column = 0;
  let separator = -1;
  let words = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (piece.kind === 'word') {
      if (stripVTControlCharacters(piece.text) === '·' && words > 0 && column >= width / 2) separator = i;
      words++;
    }
    column += piece.width;
  }
  return separator >= 0 ? separator : pieces.length;
}

function trimEnd(pieces: Piece[]): Piece[] {
  const out = [...pieces];
  while (out.length > 0 && out[out.length - 1]!.kind === 'space') out.pop();
  return out;
}

function trimStart(pieces: Piece[]): Piece[] {
  const first = pieces.findIndex((piece) => piece.kind === 'word');
  return first < 0 ? [] : pieces.slice(first);
}

/**
 * The lines as text. A colour or style open at a break is closed at the end of the line and
 * opened again after the next line's indentation, so the indentation is never struck through or
 * underlined and every line stands alone.
 */
function render(lines: Piece[][], continuation: number): string[] {
  let open: string[] = [];
  return lines.map((pieces, index) => {
    let out = index === 0 ? '' : ' '.repeat(continuation) + open.join('');
    for (const piece of pieces) {
      out += piece.text;
      if (piece.kind === 'word') for (const [code] of piece.text.matchAll(CODES)) open = styleAfter(open, code);
    }
    return open.length > 0 && index < lines.length - 1 ? `${out}\u001b[0m` : out;
  });
}

/** What each closing code of a style closes: the first parameters of the codes it ends. */
const CLOSES: Record<number, (first: number) => boolean> = {
  22: (n) => n === 1 || n === 2,
  23: (n) => n === 3,
  24: (n) => n === 4,
  27: (n) => n === 7,
  28: (n) => n === 8,
  29: (n) => n === 9,
  39: (n) => (n >= 30 && n <= 38) || (n >= 90 && n <= 97),
  49: (n) => (n >= 40 && n <= 48) || (n >= 100 && n <= 107),
};

/** The styles still open after `code` (a colour code or another escape, which changes nothing). */
function styleAfter(open: string[], code: string): string[] {
  // eslint-disable-next-line no-control-regex -- a colour code is what is looked for
  const sgr = /^\u001b\[([0-9;:]*)m$/.exec(code);
  if (!sgr) return open;
  const first = Number(sgr[1]!.split(/[;:]/)[0] || 0);
  if (first === 0) return [];
  const closes = CLOSES[first];
  if (!closes) return [...open, code];
  return open.filter((opened) => !closes(Number(/\[([0-9]*)/.exec(opened)![1] || 0)));
}
