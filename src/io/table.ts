import { stripVTControlCharacters } from 'node:util';

/** A plain text table: columns padded to their widest cell (ANSI colour codes do not count). */
export function table(rows: string[][], options: { align?: Array<'left' | 'right'> } = {}): string {
  const width = (text: string): number => stripVTControlCharacters(text).length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat((widths[i] ?? 0) - width(cell));
          if (i === row.length - 1 && options.align?.[i] !== 'right') return cell;
          return options.align?.[i] === 'right' ? pad + cell : cell + pad;
        })
        .join('  '),
    )
    .join('\n');
}
