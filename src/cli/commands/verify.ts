import { existsSync } from 'node:fs';
import { resolveRunRef } from '../../journal/run-ref.js';
import { journalFile, runIdsIn, stateDirsOf } from '../../journal/runs.js';
import type { Verification } from '../../lifecycle/verify.js';
import { verifyRun } from '../../lifecycle/verify.js';
import { UserError } from '../../util/errors.js';

/**
 * `drctl verify <run>`: the journal's hash chain and report.json against the journal. Exit 0 when
 * both hold, 1 when a line was tampered with or report.json does not match, 2 for a mistake.
 *
 * The run is found by its folder, not by reading its journal: a journal damaged by an edit is what
 * this command is for, and `latest` must not pass over it to an older run.
 */
export function verifyCommand(runRef: string | undefined, options: { stateDir?: string; json?: boolean }): number {
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  const runId = resolveRunRef(stateDirs, runRef) ?? runIdsIn(stateDirs)[0];
  if (runId === undefined) throw new UserError(`no runs in ${stateDirs.join(' or ')}`, { hint: 'see drctl runs' });
  const stateDir = stateDirs.find((dir) => existsSync(journalFile(dir, runId)));
  if (stateDir === undefined) throw new UserError(`no run ${runId} in ${stateDirs.join(' or ')}`, { hint: 'see drctl runs' });
  const result = verifyRun(stateDir, runId);
  process.stdout.write(options.json ? `${JSON.stringify(jsonOf(result), null, 2)}\n` : textOf(result));
  return result.ok ? 0 : 1;
}

function jsonOf(result: Verification): unknown {
  const { chain } = result;
  return {
    run_id: result.runId,
    ok: result.ok,
    journal: {
      file: result.journal,
      entries: chain.entries,
      head: chain.head,
      chained_from: chain.chainedFrom,
      torn_tail: chain.tornTail,
      broken: chain.broken,
      signed: chain.signed,
    },
    report: result.report,
  };
}

function textOf(result: Verification): string {
  const { chain, report } = result;
  const lines: string[] = [];
  if (chain.broken) lines.push(`${result.journal}:${chain.broken.line}:1: error: ${chain.broken.message}`);
  if (report.status === 'differs') {
    lines.push(
      `${report.file}: error: report.json does not match the journal at ${shown(report.field)}: ${shown(report.in_report)} in report.json, ${shown(report.from_journal)} from the journal`,
    );
  } else if (report.status === 'missing' || report.status === 'unreadable') {
    lines.push(`${report.file}: error: ${shown(report.message)}`);
  }
  lines.push(`run ${result.runId}: ${chain.entries} journal ${chain.entries === 1 ? 'entry' : 'entries'}, ${result.journal}`);
  lines.push(`  chain:       ${chainText(chain)}`);
  lines.push(`  head:        ${chain.head ?? '(none: the journal predates the hash chain)'}`);
  for (const { line, covers } of chain.signed) lines.push(`  signed:      the sign-off on line ${line} covers lines 1-${covers}`);
  lines.push(`  report.json: ${reportText(report)}`);
  lines.push(verdictText(result));
  return `${lines.join('\n')}\n`;
}

/** The last line: what was verified, and no more than that. */
function verdictText({ ok, chain, report, runId }: Verification): string {
  if (!ok) {
    return chain.broken || report.status === 'differs'
      ? 'NOT verified: the record was changed after it was written (see above)'
      : `NOT verified: report.json cannot be compared with the journal (see above; drctl report ${runId} writes it again from the journal)`;
  }
  if (chain.chainedFrom === null) {
    return 'not tampered with as far as can be told: this journal predates the hash chain, so its lines cannot be checked';
  }
  const lines = chain.chainedFrom === 1 ? 'every line chains' : `every line from line ${chain.chainedFrom} on chains`;
  if (report.status === 'not_ended') {
    return `verified so far: ${lines} on the one before it; report.json is checked once the run ended; compare the head with one kept elsewhere`;
  }
  return `verified: ${lines} on the one before it, and report.json matches the journal; compare the head with the one signed or kept elsewhere`;
}

function chainText(chain: Verification['chain']): string {
  const torn = chain.tornTail ? '; a torn last line (a write cut short) is outside it' : '';
  if (chain.broken) return `broken at line ${chain.broken.line}${torn}`;
  if (chain.chainedFrom === null) return `none: the journal predates the hash chain (drctl before it wrote no prev)${torn}`;
  if (chain.chainedFrom === 1) return `intact, lines 1-${chain.entries}${torn}`;
  return `intact from line ${chain.chainedFrom} to ${chain.entries}; lines 1-${chain.chainedFrom - 1} predate the hash chain${torn}`;
}

function reportText(report: Verification['report']): string {
  switch (report.status) {
    case 'matches':
      return report.earlier_version
        ? 'matches the journal in every field it has (written by a drctl before the hash chain, which wrote fewer)'
        : 'matches the journal';
    case 'differs':
      return `differs from the journal at ${shown(report.field)}`;
    case 'missing':
      return 'missing';
    case 'unreadable':
      return 'cannot be checked';
    case 'not_ended':
      return 'not checked: the run has not ended (its report is written when it does)';
  }
}

// C0 and C1 controls, DEL, bidirectional marks, overrides and isolates, line and paragraph separators.
// eslint-disable-next-line no-control-regex
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
const MAX_SHOWN = 200;

/**
 * Text taken from report.json (a field's name, its value), which anyone may have edited, as the
 * terminal gets it: what could drive the terminal or reorder the line written as \u escapes, and a
 * long value cut (--json gives it whole).
 */
function shown(text: string): string {
  const escaped = text.replace(UNSHOWABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > MAX_SHOWN ? `${escaped.slice(0, MAX_SHOWN - 3)}...` : escaped;
}
