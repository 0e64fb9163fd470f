import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { checkRunId, listRuns, RUN_ID_PATTERN } from './runs.js';

/** The word that names the newest run wherever a run id is taken. */
export const LATEST_RUN = 'latest';

/**
 * A prefix is a name as much as a run id is: only the characters of one (`[a-z0-9-]`, and the T and
 * Z of its time), never "/" or "..".
 */
const PREFIX_PATTERN = /^[a-z0-9TZ-]+$/;
const MAX_PREFIX_LENGTH = 200;

/**
 * The run that the operator named on the command line: undefined for the latest run (nothing given,
 * or "latest"), the run id itself when it is a whole one, or the one run whose id starts with the
 * given prefix. An ambiguous prefix, or one that names no run, is refused (exit 2) with the ids to
 * choose from. Anything but a run id or a prefix of `[a-z0-9-]` is refused before it reaches the
 * file system.
 */
export function resolveRunRef(stateDirs: readonly string[], given: string | undefined): string | undefined {
  if (given === undefined || given === LATEST_RUN) return undefined;
  if (RUN_ID_PATTERN.test(given) || given.length > MAX_PREFIX_LENGTH || !PREFIX_PATTERN.test(given)) {
    checkRunId(given);
    return given;
  }
  const names = new Set<string>();
  for (const stateDir of stateDirs) {
    try {
      for (const name of readdirSync(join(stateDir, 'runs'))) names.add(name);
    } catch {
      // no runs kept here
    }
  }
  const matches = [...names].filter((name) => name.startsWith(given) && RUN_ID_PATTERN.test(name)).sort();
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    const recent = stateDirs
      .flatMap((stateDir) => listRuns(stateDir).runs)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, 5)
      .map((r) => r.runId);
    throw new UserError(`no run ${given} in ${stateDirs.join(' or ')}`, {
      hint: recent.length ? `recent runs: ${recent.join(', ')}` : 'see drctl runs',
    });
  }
  const shown = matches.slice(0, 10).join(', ');
  throw new UserError(`run id prefix ${given} matches ${matches.length} runs: ${shown}${matches.length > 10 ? ', ...' : ''}`, {
    hint: 'give more of the run id (see drctl runs)',
  });
}
