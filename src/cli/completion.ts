import type { Command, Option } from 'commander';
import { LATEST_RUN } from '../journal/run-ref.js';
import { runIdsIn, stateDirsOf } from '../journal/runs.js';
import { discoverRunbooks, findRunbookFile, runbooksDir } from '../runbook/lookup.js';
import { validateFile } from '../runbook/validate.js';
import { REPORT_FORMATS } from '../report/render.js';

/**
 * Shell completion. The scripts of `drctl completion <shell>` call `drctl __complete -- <words>`
 * with the words after `drctl` up to the one being completed (possibly empty), and offer what it
 * prints, one candidate a line. A line `:files` says file names fit there too: the shell adds them.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Printed among the candidates when file and folder names fit the word being completed. */
export const FILES = ':files';

/** Where candidates come from: the runbooks, their steps and the runs of this machine. */
export interface CompletionSources {
  /** metadata.name of every runbook in the folder (undefined: --dir's default) and the shipped ones. */
  runbookNames(dir: string | undefined): string[];
  /** The step ids of a runbook given by name or path; none when it cannot be read. */
  stepIds(runbook: string, dir: string | undefined): string[];
  /** The run ids kept in the state directory (undefined: the default folders), newest first. */
  runIds(stateDir: string | undefined): string[];
}

export function realSources(env: Readonly<Record<string, string | undefined>>, cwd: string = process.cwd()): CompletionSources {
  return {
    runbookNames: (dir) => discoverRunbooks(runbooksDir(dir, env)).entries.map((e) => e.name),
    stepIds: (runbook, dir) => validateFile(findRunbookFile(runbook, runbooksDir(dir, env))).runbook?.steps.map((s) => s.id) ?? [],
    runIds: (stateDir) => runIdsIn(stateDirsOf(stateDir, env, cwd)),
  };
}

/** Options whose value is a file or folder name. */
const PATH_OPTIONS = new Set(['--dir', '--state-dir', '--inputs-file', '--output']);

/** What fills each positional argument of a command, by position (a run: its id, or latest). */
type Slot = 'runbook' | 'run' | 'shell' | 'command' | 'path';
const POSITIONALS: Record<string, Slot[]> = {
  show: ['runbook'],
  plan: ['runbook'],
  run: ['runbook'],
  validate: ['path'],
  resume: ['run'],
  report: ['run'],
  verify: ['run'],
  cleanup: ['run'],
  logs: ['run'],
  history: ['runbook'],
  note: ['run'],
  review: ['run'],
  abandon: ['run'],
  completion: ['shell'],
  help: ['command'],
};

/**
 * The candidates for the last of `words` (the words after `drctl`, the last one being completed),
 * those that start with it. Nothing that goes wrong reading runbooks or runs is an error here: the
 * candidates it would have given are left out.
 */
export function completionCandidates(program: Command, line: readonly string[], sources: CompletionSources): string[] {
  // drctl's own options (--debug) may come before the command.
  let words = line;
  while (words.length > 1 && words[0]!.startsWith('-')) words = words.slice(1);
  const current = words[words.length - 1] ?? '';
  const help = program.createHelp();
  const commands = help.visibleCommands(program);
  const matching = (candidates: readonly string[]): string[] => [...new Set(candidates.filter((c) => c.startsWith(current)))];

  if (words.length <= 1) {
    if (current.startsWith('-')) return matching(longFlags(help.visibleOptions(program)));
    return matching(commands.map((c) => c.name()));
  }

  let command = commands.find((c) => c.name() === words[0] || c.aliases().includes(words[0]!));
  if (!command) return [];
  let rest = words.slice(1);
  // A group of commands (backup check|prune): first its command, then that command's words.
  const subcommands = help.visibleCommands(command);
  if (subcommands.length > 0) {
    if (rest.length <= 1) {
      if (current.startsWith('-')) return matching(longFlags(help.visibleOptions(command)));
      return matching(subcommands.map((c) => c.name()).filter((name) => name !== 'help'));
    }
    const subcommand = subcommands.find((c) => c.name() === rest[0] || c.aliases().includes(rest[0]!));
    if (!subcommand) return [];
    command = subcommand;
    rest = rest.slice(1);
  }
  const options = [...help.visibleOptions(command), ...help.visibleGlobalOptions(command)];
  const { positionals, values, valueOf, afterDashes } = readWords(rest.slice(0, -1), options);
  const dir = values.get('--dir');

  if (valueOf !== undefined) return [...valueCandidates(valueOf, command.name(), { positionals, dir }, sources, matching)];
  if (current.startsWith('-') && !afterDashes) return matching(longFlags(options));

  const slot = POSITIONALS[command.name()]?.[positionals.length] ?? (command.name() === 'validate' ? 'path' : undefined);
  switch (slot) {
    case 'runbook':
      return [...matching(attempt(() => sources.runbookNames(dir))), FILES];
    case 'run':
      return matching([...attempt(() => sources.runIds(values.get('--state-dir'))), LATEST_RUN]);
    case 'shell':
      return matching(SHELLS);
    case 'command':
      return matching(commands.map((c) => c.name()).filter((name) => name !== 'help'));
    case 'path':
      return [FILES];
    case undefined:
      return [];
  }
}

function valueCandidates(
  option: Option,
  command: string,
  line: { positionals: string[]; dir: string | undefined },
  sources: CompletionSources,
  matching: (candidates: readonly string[]) => string[],
): string[] {
  const name = option.long ?? '';
  if (PATH_OPTIONS.has(name)) return [FILES];
  if (name === '--start-at') {
    const runbook = line.positionals[0];
    return runbook === undefined ? [] : matching(attempt(() => sources.stepIds(runbook, line.dir)));
  }
  if (name === '--runbook') return matching(attempt(() => sources.runbookNames(undefined)));
  if (name === '--format' && command === 'report') return matching(REPORT_FORMATS);
  if (name === '--report') return matching(REPORT_FORMATS.map((format) => `${format}:`));
  return [];
}

function longFlags(options: readonly Option[]): string[] {
  return options.flatMap((o) => (o.long === undefined ? [] : [o.long]));
}

/**
 * The completed words after the command: its positional arguments, the values given to options,
 * and the option whose value is being completed when the last of them asks for one.
 */
function readWords(
  words: readonly string[],
  options: readonly Option[],
): { positionals: string[]; values: Map<string, string>; valueOf: Option | undefined; afterDashes: boolean } {
  const positionals: string[] = [];
  const values = new Map<string, string>();
  let afterDashes = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (afterDashes || !word.startsWith('-') || word === '-') {
      positionals.push(word);
      continue;
    }
    if (word === '--') {
      afterDashes = true;
      continue;
    }
    const equals = word.indexOf('=');
    const flag = equals > 0 ? word.slice(0, equals) : word;
    const option = options.find((o) => o.long === flag || o.short === flag);
    if (option === undefined || !(option.required || option.optional)) continue;
    if (equals > 0 && option.long !== undefined) {
      values.set(option.long, word.slice(equals + 1));
      continue;
    }
    if (i === words.length - 1) return { positionals, values, valueOf: option, afterDashes };
    if (option.long !== undefined) values.set(option.long, words[i + 1]!);
    i++;
  }
  return { positionals, values, valueOf: undefined, afterDashes };
}

function attempt(read: () => string[]): string[] {
  try {
    return read();
  } catch {
    return [];
  }
}

/** The completion script of a shell: it calls `drctl __complete` for every completion. */
export function completionScript(shell: Shell): string {
  return SCRIPTS[shell];
}

const SCRIPTS: Record<Shell, string> = {
  bash: `# drctl completion for bash. Load it in ~/.bashrc with:
#   source <(drctl completion bash)
_drctl() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local -a out
  out=($(drctl __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  COMPREPLY=()
  local line files=0
  for line in "\${out[@]}"; do
    if [[ $line == '${FILES}' ]]; then files=1; else COMPREPLY+=("$line"); fi
  done
  if ((files)); then
    compopt -o filenames 2>/dev/null
    COMPREPLY+=($(compgen -f -- "$cur"))
  fi
}
complete -F _drctl drctl
`,
  zsh: `#compdef drctl
# drctl completion for zsh. Load it in ~/.zshrc (after compinit) with:
#   source <(drctl completion zsh)
# or save it as _drctl in a folder of $fpath.
_drctl() {
  local -a out candidates
  local line files=0
  out=("\${(@f)$(drctl __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  for line in "\${out[@]}"; do
    if [[ $line == '${FILES}' ]]; then files=1; elif [[ -n $line ]]; then candidates+=("$line"); fi
  done
  (( \${#candidates} )) && compadd -- "\${candidates[@]}"
  (( files )) && _files
  return 0
}
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _drctl "$@"
else
  compdef _drctl drctl
fi
`,
  fish: `# drctl completion for fish. Save it with:
#   drctl completion fish > ~/.config/fish/completions/drctl.fish
function __drctl_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    for line in (drctl __complete -- $words[2..-1] "$current" 2>/dev/null)
        if test "$line" = '${FILES}'
            __fish_complete_path (commandline -ct)
        else
            echo $line
        end
    end
end
complete -c drctl -f -a '(__drctl_complete)'
`,
};
