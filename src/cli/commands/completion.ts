import { buildProgram } from '../program.js';
import type { Shell } from '../completion.js';
import { completionCandidates, completionScript, realSources } from '../completion.js';

/** `drctl completion <shell>`: the script to load in the shell. */
export function completionCommand(shell: Shell): number {
  process.stdout.write(completionScript(shell));
  return 0;
}

/** `drctl __complete -- <words...>`, called by the scripts: the candidates, one a line. */
export function completeCommand(words: string[]): number {
  const candidates = completionCandidates(buildProgram(), words.length === 0 ? [''] : words, realSources(process.env));
  process.stdout.write(candidates.map((c) => `${c}\n`).join(''));
  return 0;
}
