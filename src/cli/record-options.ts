import { UserError } from '../util/errors.js';
import type { Person } from '../util/record-text.js';
import { MAX_NAME_LENGTH, parsePerson, textProblem } from '../util/record-text.js';

/**
 * The options of `run` and `resume` that go into the run's record as given: who takes part and
 * where the run happens. Each is checked before anything runs: a mistake is one line and exit 2.
 */

/** --participant "Name, role" (repeatable). */
export function parseParticipants(values: readonly string[]): Person[] {
  return values.map((value) => {
    const person = parsePerson('the participant', value.trim());
    if ('problem' in person)
      throw new UserError(`--participant "${printable(value)}": ${person.problem}`, {
        hint: '--participant "Ada Lovelace, incident commander" (the role after the comma is optional)',
      });
    return person;
  });
}

/** --environment <name>: free text, one short line. */
export function parseEnvironment(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const problem = textProblem('the environment', value.trim(), MAX_NAME_LENGTH);
  if (problem) throw new UserError(`--environment: ${problem}`, { hint: '--environment staging' });
  return value.trim();
}

/** A value quoted in a message: control characters, bidirectional overrides and line separators shown as escapes, a long value cut. */
export function printable(value: string): string {
  const shown = JSON.stringify(value)
    .slice(1, -1)
    .replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
}
