import { formatDuration } from '../util/duration.js';
import type { ReportStep, RunReport } from './build.js';

/** Seconds as the terminal shows durations; `-` for a time the run did not measure. */
export const fmt = (s: number | null): string => (s === null ? '-' : formatDuration(s * 1000));

/** " (corrected from X by user@host at T: why)": how the incident start came to be what it is; empty when never corrected. */
export function correctionText(r: RunReport): string {
  return r.incident_start_corrections
    .map((c) => ` (corrected from ${c.from} by ${c.user}@${c.host} at ${c.at}${c.reason ? `: ${c.reason}` : ''})`)
    .join('');
}

/** Each piece of integrity evidence in one line: what was fingerprinted, and whether it matched what it was compared with. */
export function integrityLines(r: RunReport): Array<{ step: string; text: string; ok: boolean | null }> {
  const count = (n: number | null, word: string): string => (n === null ? `? ${word}s` : `${n} ${word}${n === 1 ? '' : 's'}`);
  return (r.integrity ?? []).map((i) => {
    const db = i.database ?? 'the database';
    const what = `${count(i.tables, 'table')}, ${count(i.rows, 'row')}`;
    const text =
      i.ok === null
        ? `fingerprint of ${db} taken: ${what}`
        : i.ok
          ? `${db} matches ${i.compared_with ?? 'the expected fingerprint'}: ${what}`
          : `${db} differs from ${i.compared_with ?? 'the expected fingerprint'}: ${i.differences.join('; ')}`;
    return { step: i.step, text, ok: i.ok };
  });
}

/** A step's status as the reports say it: a failure the run went on past is marked so. */
export function stepStatus(s: ReportStep): string {
  const status = s.continued ? 'failed, allowed' : s.status;
  return s.runs !== undefined ? `${status}, runs: ${s.runs}` : status;
}

export function xml(text: string): string {
  return controlPictures(text).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * A command's error output and a note may hold control characters (ESC of an escape sequence, BEL):
 * the md, html and JUnit reports show them as their Unicode pictures (␛, ␇), so `drctl report` never
 * drives the terminal and the XML stays XML 1.0 (which has no place for them). The C1 controls
 * (U+0080 to U+009F: CSI, a terminal reads as ESC [), which have no pictures, show as `\u009b`, and so
 * do the bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069): a
 * right-to-left override in a step's title would show the step id and status after it reversed.
 * Tab, line feed and carriage return stay; JSON keeps the raw text, escaped.
 */
export function controlPictures(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c > '\u007f'
      ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
      : String.fromCharCode(0x2400 + (c === '\u007f' ? 0x21 : c.charCodeAt(0))),
  );
}
