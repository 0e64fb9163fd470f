import { displayWidth, hang, wrapLine } from './layout.js';

export interface TableOptions {
  align?: Array<'left' | 'right'>;
  /** The columns the table may take; with `wrap`, a wider table is made to fit. */
  width?: number;
  /** The columns of free text that give up room when the table is wider than `width`, the widest first: their cells wrap at spaces. */
  wrap?: number | number[];
  /**
   * A column of long text (a description) that, when the table is wider than `width`, goes on the
   * lines under its row, indented, instead of beside it.
   */
  below?: number;
}

/** Below this, a column of free text is not narrowed further (the lines that still overflow wrap as any line does). */
const MIN_WRAPPED = 12;

/**
 * A plain text table: columns padded to their widest cell (colour codes do not count, wide
 * characters count two). Given a width and a column of free text, a table wider than the width
 * narrows that column and wraps its cells onto more lines, so the other columns stay aligned.
 */
export function table(rows: string[][], options: TableOptions = {}): string {
  const { below } = options;
  if (below !== undefined && options.width !== undefined && tableWidth(widthsOf(rows)) > options.width) {
    const beside = rows.map((row) => row.filter((_, i) => i !== below));
    const wrap = [options.wrap ?? []].flat().map((i) => (i > below ? i - 1 : i));
    const align = options.align?.filter((_, i) => i !== below);
    const lines = table(beside, { width: options.width, wrap, ...(align ? { align } : {}) }).split('\n');
    // A wrapped row takes more than one line: the text below goes after the last of them.
    const out: string[] = [];
    let at = 0;
    for (const [r, row] of rows.entries()) {
      const height = rowHeight(beside[r]!, beside, options.width, wrap);
      out.push(...lines.slice(at, at + height));
      at += height;
      const text = row[below] ?? '';
      if (text !== '') out.push(`    ${hang(0)}${text}`);
    }
    return out.join('\n');
  }
  const widths = widthsOf(rows);
  const wrap = options.wrap === undefined ? [] : [options.wrap].flat().filter((i) => widths[i] !== undefined);
  if (options.width !== undefined) narrow(widths, wrap, options.width);
  return rows.flatMap((row) => rowLines(row, widths, wrap, options.align)).join('\n');
}

function widthsOf(rows: string[][]): number[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  return widths;
}

function tableWidth(widths: number[]): number {
  return widths.reduce((sum, w) => sum + w, 0) + 2 * Math.max(0, widths.length - 1);
}

/** The lines one row takes once its free-text cells wrap. */
function rowHeight(row: string[], rows: string[][], width: number, wrap: number[]): number {
  const widths = widthsOf(rows);
  narrow(widths, wrap, width);
  return rowLines(row, widths, wrap, undefined).length;
}

function rowLines(row: string[], widths: number[], wrap: number[], align: TableOptions['align']): string[] {
  const cells = row.map((cell, i) => (wrap.includes(i) && displayWidth(cell) > widths[i]! ? wrapLine(hang(0) + cell, widths[i]!) : [cell]));
  const height = Math.max(...cells.map((c) => c.length));
  const lines: string[] = [];
  for (let n = 0; n < height; n++) {
    const line = row.map((_, i) => {
      const cell = cells[i]![n] ?? '';
      const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(cell)));
      if (i === row.length - 1 && align?.[i] !== 'right') return cell;
      return align?.[i] === 'right' ? pad + cell : cell + pad;
    });
    // The lines a wrapped cell adds have blank cells after it: no trailing spaces.
    lines.push(n === 0 ? line.join('  ') : line.join('  ').trimEnd());
  }
  return lines;
}

/** Narrows the free-text columns, the widest first, until the table fits or each is as narrow as it may be. */
function narrow(widths: number[], wrap: number[], width: number): void {
  let over = tableWidth(widths) - width;
  const floor = new Map(wrap.map((i) => [i, Math.min(MIN_WRAPPED, widths[i]!)]));
  while (over > 0) {
    const widest = wrap.filter((i) => widths[i]! > floor.get(i)!).sort((a, b) => widths[b]! - widths[a]!)[0];
    if (widest === undefined) return;
    widths[widest]!--;
    over--;
  }
}
