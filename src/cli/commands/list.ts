import { renderList, listRows } from '../../io/render-list.js';
import { layout, terminalWidth } from '../../io/layout.js';
import { styleFor } from '../../io/style.js';
import { discoverRunbooks, runbooksDir } from '../../runbook/lookup.js';

export function listCommand(options: { dir?: string; json?: boolean }): number {
  const dir = runbooksDir(options.dir, process.env);
  const { entries, invalid } = discoverRunbooks(dir);
  const rows = listRows(entries);
  if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stderr.write(`drctl: no runbooks in ${dir} and none shipped\n`);
  else {
    const width = terminalWidth(process.stdout);
    process.stdout.write(`${layout(renderList(rows, styleFor(process.stdout), width), width)}\n`);
  }
  for (const result of invalid) {
    process.stderr.write(`drctl: skipped ${result.file}: not a valid runbook (drctl validate ${result.file})\n`);
  }
  return 0;
}
