import { shellQuote } from '../runbook/shell-quote.js';
import type { Question } from './events.js';
import { SECRET_MASK } from './render.js';

/**
 * Replaces every secret value in text with ***: for output, errors, outputs and the journal.
 *
 * A secret is masked as it is and in every form drctl itself may give it before the text is masked:
 * JSON-escaped (a message quoting a value, the journal), shell-quoted (a command shown with its
 * values), escaped inside double quotes, URL-encoded (`%20` or `+` for a space), HTML-escaped, and
 * base64. The password of any URL, secret or not, is masked too, as written and percent-decoded.
 */
export class Redactor {
  /** Every form of every secret, longest first, so a form that contains another is masked whole. */
  private forms: string[] = [];
  private readonly formSet = new Set<string>();
  private readonly known = new Set<string>();

  constructor(values: Iterable<string>) {
    this.add(...values);
  }

  /** Mask these values from now on too, and the password of any URL in them. */
  add(...values: string[]): void {
    const fresh: string[] = [];
    for (const value of values) {
      if (!value) continue;
      fresh.push(value);
      fresh.push(...urlPasswords(value, 1));
    }
    this.remember(fresh);
  }

  /**
   * Mask the password of every URL in these values (strings, or arrays and objects holding them),
   * secret or not: `postgres://app:pw@db/shop` is masked as `postgres://app:***@db/shop`.
   */
  addUrlPasswords(...values: unknown[]): void {
    const found: string[] = [];
    const visit = (value: unknown): void => {
      if (typeof value === 'string') found.push(...urlPasswords(value));
      else if (Array.isArray(value)) value.forEach(visit);
      else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
    };
    values.forEach(visit);
    this.remember(found);
  }

  private remember(secrets: string[]): void {
    let changed = false;
    for (const secret of secrets) {
      if (this.known.has(secret)) continue;
      this.known.add(secret);
      for (const form of encodedForms(secret)) {
        if (form.length > 0 && !this.formSet.has(form)) {
          this.formSet.add(form);
          changed = true;
        }
      }
    }
    if (changed) this.forms = [...this.formSet].sort((a, b) => b.length - a.length);
  }

  /** The text with every secret masked, and the password of any URL in it (learned, so it is masked alone from now on too). */
  text(value: string): string {
    if (value.includes('://')) this.remember(urlPasswords(value));
    let out = value;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(SECRET_MASK);
    return out;
  }

  /**
   * Deep copy with every string redacted, except drctl's own words under the keys of STRUCTURAL
   * (entry types, step ids, statuses, answers): a short secret ("run", "a") must not turn
   * `run.started` into `***.started` and make the journal unreadable.
   */
  value<T>(value: T, key?: string, named = false): T {
    if (typeof value === 'string') return (!named && isStructural(key, value) ? value : this.text(value)) as T;
    if (Array.isArray(value)) return value.map((item) => this.value(item, key, named)) as T;
    if (value !== null && typeof value === 'object') {
      const inside = named || (key !== undefined && NAMED_BY_OTHERS.has(key));
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v, k, inside)])) as T;
    }
    return value;
  }
}

/**
 * Keys whose values are drctl's own vocabulary or the runbook's identifiers, never a command's text
 * or a value given at run time: event and entry types, question kinds, statuses, decisions and
 * answers, run modes, run and step ids (a list of step ids too), the stream an output came from, and
 * the incident start and its corrections (ISO times that drctl formats).
 */
const STRUCTURAL = new Set([
  'type',
  'kind',
  'status',
  'then',
  'answer',
  'mode',
  'run_id',
  'runId',
  'step',
  'steps',
  'id',
  'stream',
  'ended',
  'previous',
  'result',
  // Times drctl wrote itself: the incident start and a correction's from and to.
  'incident_start',
  'from',
  'to',
]);

/**
 * Maps whose keys the runbook or an action names, not drctl: a step's outputs, the run's inputs, an
 * action's record, `env:` and `with:`. An output called `id` or `status` holds a command's text, so
 * nothing inside them is left unmasked for its key.
 */
const NAMED_BY_OTHERS = new Set(['outputs', 'inputs', 'record', 'env', 'with']);

/**
 * `question` is a question's kind in the journal (`step.action`) but the text of a confirmation in
 * the question itself: only the kinds are left as they are.
 */
const QUESTION_KINDS = new Set<string>([
  'step.action',
  'step.confirm',
  'step.type',
  'step.rerun',
  'manual.done',
  'manual.item',
  'failure.action',
  'inflight.action',
  'inflight.rollback',
] satisfies Array<Question['kind']>);

function isStructural(key: string | undefined, value: string): boolean {
  if (key === undefined) return false;
  return STRUCTURAL.has(key) || (key === 'question' && QUESTION_KINDS.has(value));
}

/** Base64 of a shorter value matches too much unrelated text to be worth masking. */
const MIN_BASE64_SECRET = 4;

/** A secret as it is and as drctl or a common tool may encode it. */
export function encodedForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  forms.add(JSON.stringify(secret).slice(1, -1));
  forms.add(shellQuote(secret));
  forms.add(secret.replaceAll("'", `'\\''`)); // inside single quotes
  forms.add(secret.replace(/[$`"\\]/g, '\\$&')); // inside double quotes
  forms.add(secret.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!));
  const uri = encodeURIComponent(secret);
  forms.add(uri);
  forms.add(uri.replaceAll('%20', '+'));
  forms.add(new URLSearchParams([['', secret]]).toString().slice(1)); // form encoding: also encodes ' ( ) ! ~
  forms.add(encodeURI(secret));
  if (secret.length >= MIN_BASE64_SECRET) {
    const bytes = Buffer.from(secret, 'utf8');
    for (const encoded of [bytes.toString('base64'), bytes.toString('base64url')]) {
      forms.add(encoded);
      forms.add(encoded.replace(/=+$/, ''));
    }
  }
  return [...forms];
}

/** Where a URL may start in text: a scheme and `//`. */
const URL_START = /[A-Za-z][A-Za-z0-9+.-]*:\/\//g;

/** Passwords shorter than this are not masked on their own when found in a value nobody declared secret. */
const MIN_FOUND_PASSWORD = 3;

/**
 * The passwords of the URLs in text (`scheme://user:password@host`, or a `password=` query
 * parameter), each as written and percent-decoded. Linear in the length of the text.
 */
export function urlPasswords(text: string, minLength = MIN_FOUND_PASSWORD): string[] {
  if (!text.includes('://')) return [];
  const found = new Set<string>();
  const starts = [...text.matchAll(URL_START)].map((m) => m.index);
  starts.forEach((start, i) => {
    // A URL ends at white space, an angle bracket or a backquote, or where the next one starts (a
    // quote does not end it: a password may hold one).
    const rest = text.slice(start, starts[i + 1] ?? text.length);
    const candidate = /^[^\s<>`]*/.exec(rest)![0];
    for (const password of passwordsOf(candidate)) {
      if (password.length < minLength) continue;
      found.add(password);
      const decoded = percentDecoded(password);
      if (decoded.length >= minLength) found.add(decoded);
    }
  });
  return [...found];
}

function passwordsOf(candidate: string): string[] {
  const passwords: string[] = [];
  let parsed: URL | undefined;
  try {
    parsed = new URL(candidate);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    // The parser percent-encodes what it must; the text holds the password as written.
    if (parsed.password) passwords.push(parsed.password, asWritten(candidate) ?? parsed.password);
    for (const [key, value] of parsed.searchParams) if (key.toLowerCase() === 'password' && value) passwords.push(value);
  } else {
    const written = asWritten(candidate);
    if (written) passwords.push(written);
  }
  return passwords;
}

/** The password in `scheme://user:password@host...` as the text writes it: up to the last @ before the path. */
function asWritten(candidate: string): string | undefined {
  const afterScheme = candidate.indexOf('://') + 3;
  const pathStart = candidate.slice(afterScheme).search(/[/?#]/);
  const authority = pathStart < 0 ? candidate.slice(afterScheme) : candidate.slice(afterScheme, afterScheme + pathStart);
  const at = authority.lastIndexOf('@');
  if (at < 0) return undefined;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return undefined;
  return userinfo.slice(colon + 1) || undefined;
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
