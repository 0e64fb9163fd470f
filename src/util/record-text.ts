/**
 * Text an operator gives for a run's record (an environment, a participant, a finding, a
 * remediation, a sign-off): checked before anything is journaled, so that a report never holds a
 * control character that could rewrite a terminal, nor a paragraph where a name belongs.
 */

/** A name, a role, an environment, a remediation's owner: one short line. */
export const MAX_NAME_LENGTH = 200;

/** A finding or a remediation: a paragraph, kept to one journal line (as a note). */
export const MAX_REVIEW_TEXT_LENGTH = 4000;

// C0 and C1 control characters (a tab, a newline, an escape) and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Bidirectional embeddings, overrides and isolates: they reorder the text after them where a report
// is read (the terminal drops them), so a report would show other text than the operator saw.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
// Unicode's line and paragraph separators: a line break where one line belongs.
const SEPARATOR = /[\u2028\u2029]/;

/**
 * Why `value` cannot stand as `what` (empty, too long, a control character), or undefined when it
 * can. `value` is taken as given: the callers trim it first.
 */
export function textProblem(what: string, value: string, max: number): string | undefined {
  if (value === '') return `${what} is empty`;
  if (value.length > max) return `${what} is ${value.length} characters long; it holds at most ${max}`;
  const control = CONTROL.exec(value);
  if (control) return `${what} holds a control character (${codeOf(control[0])})`;
  const bidi = BIDI.exec(value);
  if (bidi) return `${what} holds a bidirectional control character (${codeOf(bidi[0])})`;
  const separator = SEPARATOR.exec(value);
  if (separator) return `${what} holds a line separator (${codeOf(separator[0])})`;
  return undefined;
}

function codeOf(char: string): string {
  return `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A person of the record: a name, and a role when one was given. */
export interface Person {
  name: string;
  role: string | null;
}

/** "Name, role" (the role after the first comma, optional): the person, or why it is not one. */
export function parsePerson(what: string, text: string): Person | { problem: string } {
  const comma = text.indexOf(',');
  const name = (comma < 0 ? text : text.slice(0, comma)).trim();
  const role = comma < 0 ? '' : text.slice(comma + 1).trim();
  const problem =
    textProblem(`${what}'s name`, name, MAX_NAME_LENGTH) ??
    (comma >= 0 ? textProblem(`${what}'s role (after the comma)`, role, MAX_NAME_LENGTH) : undefined);
  if (problem) return { problem };
  return { name, role: comma < 0 ? null : role };
}

/** A remediation: what is to be done, by whom, by when. */
export interface Remediation {
  text: string;
  owner: string | null;
  /** YYYY-MM-DD. */
  due: string | null;
}

/**
 * "<text>; owner: <name>; due: <YYYY-MM-DD>": the text, then the owner and the due date in either
 * order, each optional. A `;` inside the text stays in it: only trailing `owner:` and `due:` parts
 * are read as such.
 */
export function parseRemediation(value: string): Remediation | { problem: string } {
  const parts = value.split(';');
  const found: { owner?: string; due?: string } = {};
  while (parts.length > 1) {
    const match = /^\s*(owner|due)\s*:(.*)$/is.exec(parts[parts.length - 1]!);
    if (!match) break;
    const key = match[1]!.toLowerCase() as 'owner' | 'due';
    if (found[key] !== undefined) return { problem: `it names the ${key} twice` };
    found[key] = match[2]!.trim();
    parts.pop();
  }
  const text = parts.join(';').trim();
  const problem =
    textProblem('its text', text, MAX_REVIEW_TEXT_LENGTH) ??
    (found.owner !== undefined ? textProblem('its owner', found.owner, MAX_NAME_LENGTH) : undefined) ??
    (found.due !== undefined ? dateProblem(found.due) : undefined);
  if (problem) return { problem };
  return { text, owner: found.owner ?? null, due: found.due ?? null };
}

/** Why `value` is not a calendar date written YYYY-MM-DD (2026-02-30 is not one), or undefined. */
export function dateProblem(value: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return `its due date "${value}" is not written YYYY-MM-DD`;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return `its due date ${value} is not a date of the calendar`;
  return undefined;
}
