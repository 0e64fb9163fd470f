import { styleFor } from '../../io/style.js';
import { diagnosticAnnotation, onGitHubActions } from '../../io/workflow-commands.js';
import { countBySeverity, formatDiagnostic } from '../../runbook/diagnostics.js';
import { runbooksDir } from '../../runbook/lookup.js';
import { validatePaths } from '../../runbook/validate.js';

export function validateCommand(paths: string[], options: { dir?: string; json?: boolean }): number {
  const targets = paths.length ? paths : [runbooksDir(options.dir, process.env)];
  const results = validatePaths(targets);
  const all = results.flatMap((r) => r.diagnostics);
  const { errors, warnings } = countBySeverity(all);
  const invalid = results.filter((r) => r.diagnostics.some((d) => d.severity === 'error')).length;
  // Under GitHub Actions each problem is also an annotation on its file and line (on standard
  // error, so --json output stays one JSON document).
  if (onGitHubActions()) {
    const annotations = all.map((d) => `${diagnosticAnnotation(d)}\n`).join('');
    if (annotations) process.stderr.write(annotations);
  }
  if (options.json) {
    const report = {
      valid: errors === 0,
      errors,
      warnings,
      files: results.map((r) => ({
        file: r.file,
        valid: !r.diagnostics.some((d) => d.severity === 'error'),
        runbook: r.runbook?.name ?? null,
        diagnostics: r.diagnostics,
      })),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return errors ? 2 : 0;
  }
  const style = styleFor(process.stdout);
  const out: string[] = [];
  for (const result of results) {
    if (result.diagnostics.length === 0) {
      out.push(
        `${style.green('ok')} ${result.file} (${result.runbook!.name}, ${result.runbook!.steps.length} step${result.runbook!.steps.length === 1 ? '' : 's'})`,
      );
      continue;
    }
    for (const d of result.diagnostics) {
      const text = formatDiagnostic(d, result.text);
      out.push(
        d.severity === 'error'
          ? text.replace(': error: ', `: ${style.red('error')}: `)
          : text.replace(': warning: ', `: ${style.yellow('warning')}: `),
      );
    }
  }
  const files = `${results.length} file${results.length === 1 ? '' : 's'}`;
  const summary = errors
    ? style.red(`${errors} error${errors === 1 ? '' : 's'}`) +
      `, ${warnings} warning${warnings === 1 ? '' : 's'} in ${files} (${invalid} invalid)`
    : `${files} valid` + (warnings ? `, ${style.yellow(`${warnings} warning${warnings === 1 ? '' : 's'}`)}` : '');
  out.push(summary);
  process.stdout.write(`${out.join('\n')}\n`);
  return errors ? 2 : 0;
}
