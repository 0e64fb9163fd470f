import type { Diagnostic } from '../runbook/diagnostics.js';
import { countBySeverity, formatDiagnostic } from '../runbook/diagnostics.js';
import { findRunbookFile, runbooksDir } from '../runbook/lookup.js';
import type { Runbook } from '../runbook/model.js';
import { validateFile } from '../runbook/validate.js';
import { UserError } from '../util/errors.js';

/** Every error of an invalid runbook, as one user error (exit 2) raised before anything runs. */
function invalidRunbook(file: string, diagnostics: Diagnostic[], text: string | undefined): UserError {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const count = countBySeverity(diagnostics).errors;
  const lines = errors.map((d) => formatDiagnostic(d, text));
  lines.push(`${file} has ${count} error${count === 1 ? '' : 's'}; nothing was run.`);
  return new UserError(lines.join('\n'), { hint: `drctl validate ${file} lists every problem and warning` });
}

/** Find a runbook by path or name and validate it; throws with every problem when invalid. */
export function loadRunbook(ref: string, dirOption: string | undefined): Runbook {
  const file = findRunbookFile(ref, runbooksDir(dirOption, process.env));
  const result = validateFile(file);
  if (!result.runbook) throw invalidRunbook(file, result.diagnostics, result.text);
  return result.runbook;
}
