import { eventText } from '../../io/render-run.js';
import { styleFor } from '../../io/style.js';
import { journalHead } from '../../journal/chain.js';
import type { JournalEntryBody } from '../../journal/entries.js';
import { readJournal } from '../../journal/journal.js';
import { UserError } from '../../util/errors.js';
import { currentOperator } from '../../util/operator.js';
import { MAX_REVIEW_TEXT_LENGTH, parsePerson, parseRemediation, textProblem } from '../../util/record-text.js';
import { printable } from '../record-options.js';
import { appendEntry, hasEnded, runToAppendTo, writeReportOf } from '../run-journal.js';

export interface ReviewOptions {
  finding: string[];
  remediation: string[];
  signOff: string[];
  stateDir?: string;
}

type ReviewEntry = Extract<JournalEntryBody, { type: 'review.finding' | 'review.remediation' | 'review.sign_off' }>;
type ReviewBody = ReviewEntry extends infer E ? (E extends ReviewEntry ? Omit<E, 'user' | 'host' | 'covers'> : never) : never;

/**
 * The review of a run that ended, appended to its journal so the record stays append-only: findings,
 * remediation (with owner and due date) and sign-offs, each with who wrote it; a sign-off names the
 * journal's head hash, which it signs. Every value is checked before anything is written; then
 * report.json is written again. Without options it shows the review so far.
 */
export function reviewCommand(runRef: string, options: ReviewOptions): number {
  const additions = checkedReview(options);
  const run = runToAppendTo(runRef, options.stateDir);
  const { record } = run;
  if (run.active || !hasEnded(record)) {
    const state = run.active ? 'still running' : record.finished ? `${record.finished.status}, not ended` : 'stopped, not ended';
    throw new UserError(`run ${record.runId} has not ended (${state}): a run is reviewed once it ended`, {
      hint: run.active
        ? 'wait for it to end, then review it'
        : `finish it (drctl resume ${record.runId}) or end it for good (drctl abandon ${record.runId}), then review it`,
    });
  }
  const style = styleFor(process.stdout);
  const line = (entry: ReviewEntry): string => eventText(entry, style, process.stdout.columns || undefined) ?? '';
  if (additions.length === 0) {
    const entries = readJournal(run.journal).entries.filter((e): e is ReviewEntry & { t: string } => e.type.startsWith('review.'));
    const { findings, remediation, signOffs } = record.review;
    const counts = `${count(findings.length, 'finding')}, ${remediation.length} remediation, ${count(signOffs.length, 'sign-off')}`;
    process.stdout.write(`Review of run ${record.runId} (${record.finished!.status}): ${counts}\n`);
    for (const entry of entries) process.stdout.write(`  ${line(entry)}\n`);
    return 0;
  }
  const { user, host } = currentOperator();
  const added: ReviewEntry[] = [];
  for (const body of additions) {
    // A sign-off signs the journal as it is now: its head hash, every entry up to it (findings added just before included),
    // the hash of its last line even in a journal older than the chain, whose report.json has no head.
    const entry: ReviewEntry =
      body.type === 'review.sign_off' ? { ...body, covers: journalHead(run.journal), user, host } : { ...body, user, host };
    // As journaled: a secret the text quoted is masked (see appendEntry).
    added.push(appendEntry(run, entry) as ReviewEntry);
  }
  const file = writeReportOf(run);
  process.stdout.write(`Added to the review of run ${record.runId} (${record.finished!.status}) as ${user}@${host}:\n`);
  for (const entry of added) process.stdout.write(`  ${line(entry)}\n`);
  process.stdout.write(`Report: ${file}\n`);
  return 0;
}

function count(n: number, what: string): string {
  return `${n === 0 ? 'no' : n} ${what}${n === 1 ? '' : 's'}`;
}

/** Every value checked before anything is written: the first that cannot be journaled is named, and nothing is. */
function checkedReview(options: ReviewOptions): ReviewBody[] {
  const findings = options.finding.map((value): ReviewBody => {
    const text = value.trim();
    const problem = textProblem('the finding', text, MAX_REVIEW_TEXT_LENGTH);
    if (problem) throw new UserError(`--finding "${printable(value)}": ${problem}`, { hint: 'one line of text per --finding' });
    return { type: 'review.finding', text };
  });
  const remediation = options.remediation.map((value): ReviewBody => {
    const parsed = parseRemediation(value.trim());
    if ('problem' in parsed)
      throw new UserError(`--remediation "${printable(value)}": ${parsed.problem}`, {
        hint: '--remediation "<what to do>; owner: <name>; due: <YYYY-MM-DD>" (owner and due are optional)',
      });
    return { type: 'review.remediation', ...parsed };
  });
  const signOffs = options.signOff.map((value): ReviewBody => {
    const person = parsePerson('the sign-off', value.trim());
    if ('problem' in person)
      throw new UserError(`--sign-off "${printable(value)}": ${person.problem}`, {
        hint: '--sign-off "Grace Hopper, head of operations" (the role after the comma is optional)',
      });
    return { type: 'review.sign_off', ...person };
  });
  // Sign-offs last: each covers the findings and remediation added with it.
  return [...findings, ...remediation, ...signOffs];
}
