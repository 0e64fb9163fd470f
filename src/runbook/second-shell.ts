/**
 * Commands that hand their argument to another shell, which reads it as code. drctl quotes a value
 * for the shell that runs the step's script; the second shell parses what the first one expanded,
 * so a value reaching it can run commands. `validate` warns wherever an expression reaches one.
 */
const SECOND_SHELLS: ReadonlyArray<[RegExp, string]> = [
  [/(^|[\s/])(ba|z|k|da|a|fi)?sh\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*c(\s|$)/, 'sh -c'],
  [/(^|\s)eval(\s|$)/, 'eval'],
  [/(^|\s)trap(\s|$)/, 'trap'],
  [/(^|[\s/])ssh(\s|$)/, 'ssh'],
  [/(^|[\s/])kubectl\s(.*\s)?exec\s(.*\s)?--(\s|$)/, 'kubectl exec --'],
  [/(^|[\s/])(docker|podman|oc)\s(.*\s)?exec\s/, 'a container exec'],
  [/(^|[\s/])su(\s.*)?\s-c(\s|$)/, 'su -c'],
  [/(^|[\s/])runuser(\s.*)?\s-c(\s|$)/, 'runuser -c'],
  [/(^|\s)(source|\.)\s+<\(/, 'source <(...)'],
];

/** A word every command above holds: most commands hold none, and are passed over at once. */
const ANY_SECOND_SHELL = /sh|eval|trap|exec|su|runuser|source|\. /;

/** The second shell a `run:` command reaches, given the command's text up to the expression. */
export function secondShell(command: string): string | undefined {
  if (!ANY_SECOND_SHELL.test(command)) return undefined;
  for (const [pattern, name] of SECOND_SHELLS) if (pattern.test(command)) return name;
  return undefined;
}

/** The second shell an `exec:` argument at `index` reaches (`[sh, -c, ...]`, `[ssh, host, ...]`, `[kubectl, exec, ..., --, ...]`). */
export function secondShellInArgv(argv: readonly string[], index: number): string | undefined {
  return secondShell(argv.slice(0, index).join(' ') + ' ');
}
