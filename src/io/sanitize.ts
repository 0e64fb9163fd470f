/**
 * What a command prints is shown to the operator, but it must not drive the operator's terminal:
 * move the cursor over drctl's own lines, clear the screen, set the window title, or switch the
 * character set. This keeps text, tabs and newlines, and (when `colour` is on) SGR colour and
 * style sequences such as ESC[31m and ESC[0m; everything else that a terminal would act on is
 * taken out or shown as a visible symbol:
 *
 * - CSI sequences other than SGR (cursor movement, erase, scroll, modes, reports): removed;
 * - OSC (window title, hyperlinks, clipboard), DCS, SOS, PM and APC strings: removed whole;
 * - any other ESC sequence (save/restore cursor, reset, charset, keypad): removed;
 * - C1 control characters U+0080 to U+009F (a terminal may read U+009B as ESC[): removed;
 * - a carriage return that does not end a line is shown as a line break, so it cannot overwrite
 *   the start of a line ("\r\n" stays a plain newline);
 * - other C0 controls (NUL, BEL, backspace, form feed, ...) and DEL: shown as their Unicode control
 *   pictures (␀, ␇, ␈, ...), so the operator sees that something was there;
 * - bidirectional overrides and isolates (U+202A to U+202E, U+2066 to U+2069): removed, so text
 *   cannot display in an order other than the one it was printed in.
 *
 * When a colour was kept, a reset (ESC[0m) is added at the end, so a colour a command left on does
 * not bleed into drctl's next line. Time is linear in the text.
 */
/** Every character that is not plain text: C0 controls but tab and newline, DEL, C1 controls, bidirectional controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SPECIAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function sanitizeOutput(text: string, options: { colour: boolean }): string {
  SPECIAL.lastIndex = 0;
  if (!SPECIAL.test(text)) return text;
  let out = '';
  let keptColour = false;
  let start = 0; // of the plain text not yet copied to out
  const n = text.length;
  let i = SPECIAL.lastIndex - 1;
  while (i < n) {
    const code = text.charCodeAt(i);
    out += text.slice(start, i);
    if (code === 0x1b) {
      const end = escapeEnd(text, i);
      if (options.colour && isSgr(text, i, end)) {
        out += text.slice(i, end);
        keptColour = true;
      }
      i = end;
    } else if (code === 0x0d) {
      // "\r\n" is a line end; a lone "\r" would return to the start of the line and overwrite it.
      if (text.charCodeAt(i + 1) !== 0x0a) out += '\n';
      i++;
    } else if (code < 0x20) {
      out += String.fromCharCode(0x2400 + code);
      i++;
    } else if (code === 0x7f) {
      out += '\u2421';
      i++;
    } else {
      // C1 controls and bidirectional controls: dropped.
      i++;
    }
    start = i;
    // On to the next character that needs care: the regular expression skips plain text far faster than a loop.
    SPECIAL.lastIndex = i;
    i = SPECIAL.test(text) ? SPECIAL.lastIndex - 1 : n;
  }
  out += text.slice(start);
  return keptColour ? `${out}\u001b[0m` : out;
}

/** The index just past the escape sequence that starts at `at` (an ESC); an unfinished one runs to the end of the text. */
function escapeEnd(text: string, at: number): number {
  const n = text.length;
  const kind = at + 1 < n ? text.charCodeAt(at + 1) : -1;
  if (kind === 0x5b) {
    // CSI: parameter bytes 0x30-0x3F, intermediate bytes 0x20-0x2F, one final byte 0x40-0x7E.
    let i = at + 2;
    while (i < n && isIn(text.charCodeAt(i), 0x30, 0x3f)) i++;
    while (i < n && isIn(text.charCodeAt(i), 0x20, 0x2f)) i++;
    return i < n && isIn(text.charCodeAt(i), 0x40, 0x7e) ? i + 1 : i;
  }
  if (kind === 0x5d || kind === 0x50 || kind === 0x58 || kind === 0x5e || kind === 0x5f) {
    // OSC, DCS, SOS, PM, APC: a string up to BEL (OSC) or ST (ESC \). Left unfinished, it runs to
    // the end of this text, which a terminal would swallow too.
    for (let i = at + 2; i < n; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x07 && kind === 0x5d) return i + 1;
      if (code === 0x9c) return i + 1;
      if (code === 0x1b && text.charCodeAt(i + 1) === 0x5c) return i + 2;
    }
    return n;
  }
  // Any other ESC sequence: intermediate bytes, then one final byte.
  let i = at + 1;
  while (i < n && isIn(text.charCodeAt(i), 0x20, 0x2f)) i++;
  return i < n && isIn(text.charCodeAt(i), 0x30, 0x7e) ? i + 1 : i;
}

/** ESC [ digits ; : ... m: colours and text styles, which move nothing. */
function isSgr(text: string, start: number, end: number): boolean {
  if (end - start < 3 || text.charCodeAt(start + 1) !== 0x5b || text.charCodeAt(end - 1) !== 0x6d) return false;
  for (let i = start + 2; i < end - 1; i++) {
    const code = text.charCodeAt(i);
    if (!(isIn(code, 0x30, 0x39) || code === 0x3b || code === 0x3a)) return false;
  }
  return true;
}

function isIn(code: number, low: number, high: number): boolean {
  return code >= low && code <= high;
}
