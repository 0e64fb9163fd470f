/**
 * Where a `run:` script hands a shell variable to another program as an argument: the places
 * where its value ends up in that program's argv, which every user of the host can read (ps,
 * /proc/<pid>/cmdline). A heuristic reading of bash, used only for a warning:
 *
 * - a reference is `$NAME` or `${NAME...}` outside single quotes;
 * - it counts when it stands in the name or an argument of a command that bash starts as a
 *   program: not in an assignment (`x=$NAME`), a redirection target (`> $FILE`, `<<< "$X"`), a
 *   here-document body, a comment, or the arguments of a builtin that runs no program (`echo`,
 *   `printf`, `test`, `[`, `[[`, `export`, `local`, `read`, ...), including in a pipeline;
 * - `exec`, `command`, `builtin` and `time` look through to the command they run; `eval`, `env`,
 *   `sudo`, `xargs` and any other program count like any command;
 * - a `${{ ... }}` expression counts the same way: drctl passes its value to the script through
 *   the environment and writes a reference to it where it stands;
 * - a variable assigned from a secret (`url=$DATABASE_URL`, `local t=${{ inputs.token }}`) holds
 *   a secret from then on, in the order the script is read;
 * - commands inside `$( )`, backticks and `<( )` are read too.
 *
 * It does not follow functions, aliases or second shells (`bash -c '...'`), and reads a `case`
 * pattern as a command of its own.
 */

/** A variable (`$NAME`, `${NAME...}`) or, without a name, a `${{ }}` expression, at its offset in the script. */
interface Ref {
  name?: string | undefined;
  offset: number;
}

type ScriptEvent = { kind: 'argument'; refs: Ref[]; command?: string | undefined } | { kind: 'assignment'; name: string; refs: Ref[] };

/** A secret the script hands to a program as an argument. */
export interface SecretArgument<T> {
  /** What the secret is (as the caller described it). */
  source: T;
  /** The variable it is handed over in, when it is one. */
  variable?: string | undefined;
  /** Offset of the `$` of the reference in the script. */
  offset: number;
  /** The command it is handed to, when the command's name is plain text. */
  command?: string | undefined;
}

/** Builtins whose arguments that look like NAME=value are assignments. */
const DECLARATIONS = new Set(['export', 'local', 'declare', 'typeset', 'readonly']);

/** Builtins and keywords whose arguments reach no program's argv. */
const NO_PROGRAM = new Set([
  'echo',
  'printf',
  'test',
  '[',
  '[[',
  ':',
  'true',
  'false',
  'export',
  'local',
  'declare',
  'typeset',
  'readonly',
  'read',
  'mapfile',
  'readarray',
  'set',
  'unset',
  'shift',
  'return',
  'exit',
  'cd',
  'pushd',
  'popd',
  'let',
  'for',
  'case',
  'select',
  'in',
  'esac',
  'wait',
  'kill',
  'getopts',
  'hash',
  'type',
  'umask',
  'ulimit',
  'shopt',
  'source',
  '.',
  'break',
  'continue',
]);

/** Keywords and prefixes after which the next word is the command. */
const PREFIXES = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  '!',
  '{',
  '}',
  'time',
  'exec',
  'command',
  'builtin',
]);

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=/;

interface Word {
  /** The word as written, with quotes removed where that was simple: for naming the command. */
  literal: string;
  /** False once the word holds an expansion: its literal is not its value. */
  plain: boolean;
  /** Unquoted text seen so far (an assignment's NAME= must be unquoted). */
  raw: string;
  refs: Ref[];
  started: boolean;
}

function newWord(): Word {
  return { literal: '', plain: true, raw: '', refs: [], started: false };
}

class Scanner {
  readonly events: ScriptEvent[] = [];
  private i = 0;
  private readonly heredocs: Array<{ delimiter: string; strip: boolean }> = [];

  constructor(private readonly s: string) {}

  /** Read commands until `end` (a closing `)` or backtick) or the end of the script. */
  commands(end?: string): void {
    const s = this.s;
    let command: string | undefined;
    let counted = false; // a command name was read for the current simple command
    let redirectNext = false;
    let word = newWord();

    const endCommand = (): void => {
      command = undefined;
      counted = false;
      redirectNext = false;
    };
    const endWord = (): void => {
      if (!word.started) return;
      const w = word;
      word = newWord();
      if (redirectNext) {
        redirectNext = false;
        return;
      }
      const assignment = ASSIGNMENT.exec(w.raw);
      if (assignment && (!counted || (command !== undefined && DECLARATIONS.has(command)))) {
        this.events.push({ kind: 'assignment', name: /^[A-Za-z_][A-Za-z0-9_]*/.exec(w.raw)![0], refs: w.refs });
        return;
      }
      if (!counted) {
        if (w.plain && PREFIXES.has(w.literal)) return;
        counted = true;
        command = w.plain ? w.literal : undefined;
        if (w.refs.length > 0) this.events.push({ kind: 'argument', refs: w.refs });
        return;
      }
      if (command !== undefined && NO_PROGRAM.has(command)) return;
      if (w.refs.length > 0) this.events.push({ kind: 'argument', refs: w.refs, command });
    };

    while (this.i < s.length) {
      const c = s[this.i]!;
      if (end !== undefined && c === end) {
        endWord();
        this.i++;
        return;
      }
      if (c === '\n') {
        endWord();
        endCommand();
        this.i++;
        this.skipHeredocBodies();
        continue;
      }
      if (c === ' ' || c === '\t') {
        endWord();
        this.i++;
        continue;
      }
      if (c === '#' && !word.started) {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
        continue;
      }
      if (c === ';' || c === '&' || c === '|' || c === '(' || c === ')') {
        endWord();
        if (c === '&' && s[this.i + 1] === '>') {
          this.i += s[this.i + 2] === '>' ? 3 : 2;
          redirectNext = true;
          continue;
        }
        endCommand();
        this.i++;
        continue;
      }
      if (c === '<' || c === '>') {
        // A word of digits just before is a file descriptor (2>), not a word of the command.
        if (word.started && /^\d+$/.test(word.raw) && word.plain) word = newWord();
        else endWord();
        if (s[this.i + 1] === '(') {
          this.i += 2;
          this.commands(')');
          continue;
        }
        if (c === '<' && s.startsWith('<<<', this.i)) {
          this.i += 3;
          redirectNext = true;
          continue;
        }
        if (c === '<' && s[this.i + 1] === '<') {
          this.i += 2;
          const strip = s[this.i] === '-';
          if (strip) this.i++;
          this.readHeredocDelimiter(strip);
          continue;
        }
        this.i++;
        while (this.i < s.length && '<>&|-'.includes(s[this.i]!)) this.i++;
        redirectNext = true;
        continue;
      }
      this.wordChar(word);
    }
    endWord();
  }

  /** One character (or quoted run, or expansion) of a word. */
  private wordChar(word: Word): void {
    const s = this.s;
    const c = s[this.i]!;
    word.started = true;
    if (c === '\\') {
      if (s[this.i + 1] !== '\n') word.literal += s[this.i + 1] ?? '';
      word.raw += '_';
      this.i += 2;
      return;
    }
    if (c === "'") {
      const close = s.indexOf("'", this.i + 1);
      const stop = close < 0 ? s.length : close;
      word.literal += s.slice(this.i + 1, stop);
      word.raw += '_';
      this.i = stop + 1;
      return;
    }
    if (c === '"') {
      word.raw += '_';
      this.i++;
      while (this.i < s.length && s[this.i] !== '"') {
        const d = s[this.i]!;
        if (d === '\\') {
          word.literal += s[this.i + 1] ?? '';
          this.i += 2;
        } else if (d === '$') {
          this.dollar(word);
        } else if (d === '`') {
          word.plain = false;
          this.i++;
          this.commands('`');
        } else {
          word.literal += d;
          this.i++;
        }
      }
      this.i++;
      return;
    }
    if (c === '$') {
      word.raw += '_';
      this.dollar(word);
      return;
    }
    if (c === '`') {
      word.plain = false;
      word.raw += '_';
      this.i++;
      this.commands('`');
      return;
    }
    word.literal += c;
    word.raw += c;
    this.i++;
  }

  /** At a `$`: an expression, a variable, a command substitution or arithmetic. */
  private dollar(word: Word): void {
    const s = this.s;
    const start = this.i;
    const next = s[this.i + 1];
    if (s.startsWith('${{', this.i)) {
      const close = s.indexOf('}}', this.i + 3);
      this.i = close < 0 ? s.length : close + 2;
      word.refs.push({ offset: start });
      word.plain = false;
      return;
    }
    if (next === "'") {
      // $'...': ANSI-C quoting, a backslash escapes the next character.
      this.i += 2;
      while (this.i < s.length && s[this.i] !== "'") this.i += s[this.i] === '\\' ? 2 : 1;
      this.i++;
      word.plain = false;
      return;
    }
    if (s.startsWith('$((', this.i)) {
      this.i = this.skipBalanced(this.i + 3, '(', ')', 2);
      word.plain = false;
      return;
    }
    if (next === '(') {
      this.i += 2;
      word.plain = false;
      this.commands(')');
      return;
    }
    if (next === '{') {
      let j = this.i + 2;
      if (s[j] === '!' || s[j] === '#') j++;
      const nameStart = j;
      while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
      if (j > nameStart && NAME_START.test(s[nameStart]!)) word.refs.push({ name: s.slice(nameStart, j), offset: start });
      this.i = this.skipBalanced(this.i + 2, '{', '}', 1);
      word.plain = false;
      return;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = this.i + 1;
      while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
      word.refs.push({ name: s.slice(this.i + 1, j), offset: start });
      this.i = j;
      word.plain = false;
      return;
    }
    // $1, $@, $?, a lone $: no named variable.
    word.literal += '$';
    this.i++;
  }

  /** The index after `depth` closing characters that balance the opening ones from `from`. */
  private skipBalanced(from: number, open: string, close: string, depth: number): number {
    let j = from;
    let level = depth;
    while (j < this.s.length && level > 0) {
      const c = this.s[j]!;
      if (c === '\\') j++;
      else if (c === open) level++;
      else if (c === close) level--;
      j++;
    }
    return j;
  }

  private readHeredocDelimiter(strip: boolean): void {
    const s = this.s;
    while (s[this.i] === ' ' || s[this.i] === '\t') this.i++;
    let delimiter = '';
    while (this.i < s.length && !/[\s;&|<>()]/.test(s[this.i]!)) {
      const c = s[this.i]!;
      if (c === "'" || c === '"') {
        const close = s.indexOf(c, this.i + 1);
        const stop = close < 0 ? s.length : close;
        delimiter += s.slice(this.i + 1, stop);
        this.i = stop + 1;
      } else if (c === '\\') {
        delimiter += s[this.i + 1] ?? '';
        this.i += 2;
      } else {
        delimiter += c;
        this.i++;
      }
    }
    this.heredocs.push({ delimiter, strip });
  }

  /** After a newline: the bodies of the here-documents opened on the line before. */
  private skipHeredocBodies(): void {
    while (this.heredocs.length > 0) {
      const { delimiter, strip } = this.heredocs.shift()!;
      while (this.i < this.s.length) {
        const eol = this.s.indexOf('\n', this.i);
        const stop = eol < 0 ? this.s.length : eol;
        const line = this.s.slice(this.i, stop);
        this.i = stop + 1;
        if ((strip ? line.replace(/^\t+/, '') : line) === delimiter) break;
      }
    }
  }
}

/**
 * The secrets a script hands to programs as arguments. `variables` are the variables that hold a
 * secret when the script starts; `expression` says what secret the `${{ }}` expression at an offset
 * names, if any. Variables assigned from a secret join them as the script is read.
 */
export function secretArguments<T>(
  script: string,
  variables: ReadonlyMap<string, T>,
  expression: (offset: number) => T | undefined,
): Array<SecretArgument<T>> {
  const scanner = new Scanner(script);
  scanner.commands();
  const secret = new Map(variables);
  const sourceOf = (ref: Ref): T | undefined => (ref.name === undefined ? expression(ref.offset) : secret.get(ref.name));
  const found: Array<SecretArgument<T>> = [];
  for (const event of scanner.events) {
    if (event.kind === 'assignment') {
      const source = event.refs.map(sourceOf).find((s) => s !== undefined);
      if (source === undefined) secret.delete(event.name);
      else secret.set(event.name, source);
      continue;
    }
    for (const ref of event.refs) {
      const source = sourceOf(ref);
      if (source !== undefined) found.push({ source, variable: ref.name, offset: ref.offset, command: event.command });
    }
  }
  return found;
}
