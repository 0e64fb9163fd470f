import { renderShow } from '../../io/render-show.js';
import { styleFor } from '../../io/style.js';
import { loadRunbook } from '../load.js';

export function showCommand(ref: string, options: { dir?: string }): number {
  const runbook = loadRunbook(ref, options.dir);
  process.stdout.write(renderShow(runbook, styleFor(process.stdout)));
  return 0;
}
