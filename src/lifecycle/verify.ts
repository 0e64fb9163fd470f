import { lstatSync, readFileSync } from 'node:fs';
import type { ChainCheck } from '../journal/chain.js';
import { checkChain } from '../journal/chain.js';
import { journalFile, loadRun } from '../journal/runs.js';
import { buildReport } from '../report/build.js';
import { UserError } from '../util/errors.js';
import { reportJsonFile } from './reports.js';

/** What `drctl verify` found: the journal's chain, and report.json against the journal. */
export interface Verification {
  runId: string;
  journal: string;
  chain: ChainCheck;
  report: ReportCheck;
  /** The chain is intact (or the journal is older than it) and report.json matches the journal. */
  ok: boolean;
}

export type ReportCheck =
  /** `earlier_version`: report.json was written by a drctl before the hash chain; the fields it has match. */
  | { file: string; status: 'matches'; earlier_version?: true }
  /** `field`: the first field that differs, as a path (`steps[1].status`); the two values as JSON. */
  | { file: string; status: 'differs'; field: string; in_report: string; from_journal: string }
  /** report.json is missing, is not JSON, or the journal cannot be rebuilt into a report. */
  | { file: string; status: 'missing' | 'unreadable'; message: string }
  /** The run has not ended: its report.json is written again when it does. */
  | { file: string; status: 'not_ended' };

/**
 * Check a run's record: the journal's hash chain line by line, then report.json against the report
 * rebuilt from the journal, as `drctl report` would build it.
 */
export function verifyRun(stateDir: string, runId: string): Verification {
  const journal = journalFile(stateDir, runId);
  let bytes: Buffer;
  try {
    // A pipe or a device in the journal's place would hang the read; a symlink is not the run's own file.
    if (!lstatSync(journal).isFile()) {
      throw new UserError(`cannot read the journal of run ${runId}: ${journal} is not a regular file`, {
        hint: 'a run journal is a regular file written by drctl',
      });
    }
    bytes = readFileSync(journal);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read the journal of run ${runId}: ${journal} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  const chain = checkChain(bytes);
  // A run started by a drctl before the chain (its first line has no prev) has the report.json that drctl wrote.
  const report = checkReport(stateDir, runId, chain.chainedFrom !== 1);
  return { runId, journal, chain, report, ok: chain.broken === null && (report.status === 'matches' || report.status === 'not_ended') };
}

function checkReport(stateDir: string, runId: string, startedBeforeChain: boolean): ReportCheck {
  const file = reportJsonFile(stateDir, runId);
  let rebuilt: unknown;
  let ended: boolean;
  try {
    const record = loadRun(stateDir, runId);
    ended = record.finished !== undefined && record.finished.status !== 'interrupted';
    rebuilt = JSON.parse(JSON.stringify(buildReport(record))) as unknown;
  } catch (error) {
    // A journal edited by hand may hold a line of the right type with fields no drctl wrote: what
    // verify is for, so it is said like any other unreadable journal, beside the broken chain. A
    // fault of drctl's own is not passed off as a damaged record.
    if (!(error instanceof UserError)) throw error;
    return { file, status: 'unreadable', message: `the journal cannot be rebuilt into a report: ${error.message}` };
  }
  let text: string;
  try {
    // drctl writes report.json as a regular file, never through a symlink; a pipe or /dev/zero would hang the read.
    if (!lstatSync(file).isFile()) return { file, status: 'unreadable', message: 'it is not a regular file written by drctl' };
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      return { file, status: 'unreadable', message: `cannot read it (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})` };
    }
    return ended
      ? { file, status: 'missing', message: `the run ended but it has no report.json (drctl report ${runId} writes it again)` }
      : { file, status: 'not_ended' };
  }
  if (!ended) return { file, status: 'not_ended' };
  let written: unknown;
  try {
    written = JSON.parse(text) as unknown;
  } catch {
    return { file, status: 'unreadable', message: 'it is not JSON' };
  }
  // A report.json without the journal field was written before the hash chain, by a drctl that
  // wrote fewer fields: those it has must match, and the ones added since are not missing from it.
  // A report of a run started since then always has the field, and is compared whole.
  const earlier = startedBeforeChain && written !== null && typeof written === 'object' && !Object.hasOwn(written, 'journal');
  const difference = firstDifference(written, rebuilt, '', earlier ? mayLackFromEarlierVersion : () => false);
  if (!difference) return earlier ? { file, status: 'matches', earlier_version: true } : { file, status: 'matches' };
  return {
    file,
    status: 'differs',
    field: difference.path || '(the whole report)',
    in_report: show(difference.written),
    from_journal: show(difference.rebuilt),
  };
}

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/**
 * The fields of report.json that came with the hash chain or in the same release, which a report
 * written by a drctl before it does not have: only these may be absent from it. Any other field
 * missing (its status, verdicts or steps) is a difference, as in any report.
 */
const ADDED_WITH_CHAIN = {
  report: new Set([
    'journal',
    'tool',
    'runbook_file',
    'scope',
    'participants',
    'decisions',
    'interruptions',
    'drill_every_s',
    'next_drill_due',
    'findings',
    'remediation',
    'sign_offs',
  ]),
  step: new Set(['started_at', 'finished_at', 'confirmed_by', 'attempt_log']),
  operator: new Set(['version']),
};

function mayLackFromEarlierVersion(path: string, key: string): boolean {
  if (path === '') return ADDED_WITH_CHAIN.report.has(key);
  if (/^steps\[\d+\]$/.test(path)) return ADDED_WITH_CHAIN.step.has(key);
  if (/^operators\[\d+\]$/.test(path)) return ADDED_WITH_CHAIN.operator.has(key);
  return false;
}

/**
 * The first place, in the rebuilt report's order of fields, where the two differ; extra fields of the
 * file after that. `mayLack`: a field the file may lack (one its drctl did not write yet).
 */
function firstDifference(
  written: unknown,
  rebuilt: unknown,
  path: string,
  mayLack: (path: string, key: string) => boolean,
): { path: string; written: unknown; rebuilt: unknown } | undefined {
  if (Array.isArray(rebuilt)) {
    if (!Array.isArray(written)) return { path, written, rebuilt };
    for (let i = 0; i < Math.max(rebuilt.length, written.length); i++) {
      const found = firstDifference(written[i], rebuilt[i], `${path}[${i}]`, mayLack);
      if (found) return found;
    }
    return undefined;
  }
  if (rebuilt !== null && typeof rebuilt === 'object') {
    if (written === null || typeof written !== 'object' || Array.isArray(written)) return { path, written, rebuilt };
    const a = written as Record<string, unknown>;
    const b = rebuilt as Record<string, unknown>;
    for (const key of [...Object.keys(b), ...Object.keys(a).filter((k) => !Object.hasOwn(b, k))]) {
      if (!Object.hasOwn(a, key) && mayLack(path, key)) continue;
      const found = firstDifference(a[key], b[key], path ? `${path}.${key}` : key, mayLack);
      if (found) return found;
    }
    return undefined;
  }
  return written === rebuilt ? undefined : { path, written, rebuilt };
}
