import { hang, VERBATIM } from './layout.js';
import type { Style } from './style.js';

/**
 * The Markdown of descriptions and manual text, for the terminal: the small part of Markdown that
 * runbooks use, rendered by hand so a step card renders at once.
 *
 * - Paragraphs are joined into one line each (runbook text is wrapped by its author, at whatever
 *   width the YAML had), to be wrapped again at the terminal's width by `layout`.
 * - Lists (`-`, `*`, `+`, `1.`) keep their numbers; `-` is the bullet for all three kinds. A
 *   checklist item `- [ ]` shows `☐` (`☑` when ticked). Continuation lines hang under the text.
 * - Code blocks (fenced, or indented four columns past their paragraph) are printed as written.
 * - `**bold**`, `__bold__` are bold; `code` is cyan; `*emphasis*`, `_emphasis_` plain;
 *   `[text](url)` is `text (url)`; `# Heading` is bold; `\*` is `*`.
 *
 * Without colour the markers go, and `code` keeps its backticks: they are quotes then, and show
 * where a command with spaces in it begins and ends.
 *
 * Returns lines, each marked for `layout` (see src/io/layout.ts); the caller indents them.
 */
export function renderMarkdown(text: string, style: Style): string[] {
  const source = text.replace(/\r\n?/g, '\n').replace(/\s+$/, '').split('\n');
  const out: string[] = [];
  /** Content columns of the open list items, innermost last. */
  const items: number[] = [];
  let blankBefore = true;
  let i = 0;
  const blank = (): void => {
    if (out.length > 0 && out[out.length - 1] !== '') out.push('');
  };

  while (i < source.length) {
    const line = source[i]!;
    if (line.trim() === '') {
      blank();
      blankBefore = true;
      i++;
      continue;
    }
    const indent = indentOf(line);
    while (items.length > 0 && indent < items[items.length - 1]!) items.pop();
    const base = items[items.length - 1] ?? 0;

    const fence = /^ *(`{3,}|~{3,})/.exec(line);
    if (fence) {
      const close = new RegExp(`^ *${fence[1]![0]}{${fence[1]!.length},}\\s*$`);
      const fenceIndent = indent;
      i++;
      while (i < source.length && !close.test(source[i]!)) {
        const code = source[i]!;
        out.push(`${VERBATIM}${' '.repeat(base)}${code.slice(Math.min(fenceIndent, indentOf(code)))}`);
        i++;
      }
      i++; // the closing fence
      blankBefore = false;
      continue;
    }
    if (indent >= base + 4 && (blankBefore || out[out.length - 1]?.startsWith(VERBATIM))) {
      // An indented code block, such as a message template inside a numbered item.
      out.push(`${VERBATIM}${line.trimEnd()}`);
      blankBefore = false;
      i++;
      continue;
    }
    const item = ITEM.exec(line);
    if (item) {
      const [, lead, marker, gap, rest] = item as unknown as [string, string, string, string, string];
      const content = lead.length + marker.length + Math.min(gap.length, 4);
      items.push(content);
      const { text: body, next } = paragraph(source, i + 1, rest);
      i = next;
      const check = /^\[([ xX])\]\s+/.exec(body);
      const bullet = check ? (check[1] === ' ' ? '☐' : '☑') : /^[-*+]$/.test(marker) ? '-' : marker;
      const shown = check ? body.slice(check[0].length) : body;
      for (const [n, piece] of hardBreaks(shown).entries())
        out.push(
          n === 0
            ? `${' '.repeat(lead.length)}${hang(bullet.length + 1)}${bullet} ${inline(piece, style)}`
            : `${' '.repeat(lead.length + bullet.length + 1)}${hang(0)}${inline(piece, style)}`,
        );
      blankBefore = false;
      continue;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      out.push(`${hang(0)}${style.bold(inline(heading[1]!, style))}`);
      blankBefore = false;
      i++;
      continue;
    }
    const { text: body, next } = paragraph(source, i + 1, line.trimStart());
    i = next;
    const at = Math.max(base, Math.min(indent, base + 3));
    for (const piece of hardBreaks(body)) out.push(`${' '.repeat(at)}${hang(0)}${inline(piece, style)}`);
    blankBefore = false;
  }
  while (out[out.length - 1] === '') out.pop();
  return out;
}

const ITEM = /^( *)([-*+]|\d{1,9}[.)])( +)(\S.*)$/;
const HARD_BREAK = '\uFDD3';

function indentOf(line: string): number {
  return /^ */.exec(line)![0].length;
}

/**
 * A paragraph's text from `first` on: the lines that follow, up to a blank line, a list item, a
 * fence or a heading, joined by spaces. A line ended by two spaces or a backslash keeps its break.
 */
function paragraph(source: string[], from: number, first: string): { text: string; next: number } {
  let text = first;
  let i = from;
  for (; i < source.length; i++) {
    const line = source[i]!;
    if (line.trim() === '' || ITEM.test(line) || /^ *(`{3,}|~{3,}|#{1,6}\s)/.test(line)) break;
    text += breakAfter(text) + line.trimStart();
  }
  return { text: text.trimEnd(), next: i };
}

function breakAfter(text: string): string {
  return / {2,}$|\\$/.test(text) ? HARD_BREAK : text.endsWith(' ') ? '' : ' ';
}

function hardBreaks(text: string): string[] {
  return text.split(new RegExp(`(?: {2,}|\\\\)?${HARD_BREAK}`)).map((piece) => piece.trimEnd());
}

/** Inline Markdown: code spans, links, bold, emphasis and backslash escapes. */
export function inline(text: string, style: Style): string {
  const colour = style.level > 0;
  const codes: string[] = [];
  // Code spans are put aside first: nothing inside one is Markdown, and bold may run across one.
  const rest = text.replace(/(`+)(.+?)\1(?!`)/g, (_, _ticks: string, inner: string) => {
    const code = inner.replace(/^ (.*) $/, '$1');
    return `\uFDD4${codes.push(colour ? style.cyan(code) : `\`${code}\``) - 1}\uFDD5`;
  });
  return spans(rest, style).replace(/\uFDD4(\d+)\uFDD5/g, (_, n: string) => codes[Number(n)]!);
}

/** Punctuation that a backslash turns into itself, as CommonMark has it. */
const ESCAPABLE = /\\([!-/:-@[-`{-~])/g;

function spans(text: string, style: Style): string {
  if (!/[*_[\\]/.test(text)) return text;
  const escapes: string[] = [];
  // Escaped characters are put aside so no rule below takes them for a marker.
  let out = text.replace(ESCAPABLE, (_, char: string) => `\uFDD6${escapes.push(char) - 1}\uFDD7`);
  // A masked secret (***) standing alone is text, never emphasis: "password *** and pin ***" stays as it is.
  out = out.replace(/(?<![\w*])\*\*\*(?![\w*])/g, () => `\uFDD6${escapes.push('***') - 1}\uFDD7`);
  out = out.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label: string, url: string) => `${label} (${url})`);
  out = out.replace(/(^|[^\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])/g, (_, before: string, inner: string) => before + style.bold(inner));
  out = out.replace(/(^|[^\w])__(?=\S)(.+?)(?<=\S)__(?!\w)/g, (_, before: string, inner: string) => before + style.bold(inner));
  out = out.replace(/(^|[\s(["'])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])/g, '$1$2');
  out = out.replace(/(^|[\s(["'])_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)/g, '$1$2');
  return out.replace(/\uFDD6(\d+)\uFDD7/g, (_, n: string) => escapes[Number(n)]!);
}
