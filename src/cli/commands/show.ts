import { renderShow } from '../../io/render-show.js';
import { layout, terminalWidth } from '../../io/layout.js';
import { styleFor } from '../../io/style.js';
import { loadRunbook } from '../load.js';

export function showCommand(ref: string, options: { dir?: string }): number {
  const runbook = loadRunbook(ref, options.dir);
  const width = terminalWidth(process.stdout);
  process.stdout.write(layout(renderShow(runbook, styleFor(process.stdout), width), width));
  return 0;
}
