import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderScript } from '../../src/engine/render.js';
import { makeScope } from '../../src/engine/scope.js';
import type { Scope } from '../../src/runbook/expression.js';
import { parseTemplate } from '../../src/runbook/expression.js';
import { ShellSubstitutionError } from '../../src/runbook/shell-context.js';

/**
 * The injection property: for every bash context in the grammar below, crossed with every
 * payload, with the value coming from an input and from a step's output, the script drctl builds
 * is run with the real bash, and no payload runs. `X` (and `Y`) in a context stand for the
 * expression; `M` in a payload for a marker file that exists only if the payload ran.
 *
 * A positive control proves the harness sees an injection in each context: the same values
 * pasted into the script as text (what a naive substitution does) run a payload there.
 */

const CONTEXTS: ReadonlyArray<[string, string]> = [
  ['a bare word', "printf '%s\\n' X"],
  ['double quotes', 'printf \'%s\\n\' "a X b"'],
  ['single quotes', "printf '%s\\n' 'a X b'"],
  ['ANSI-C quotes', "printf '%s\\n' $'a X b'"],
  ['ANSI-C quotes after an escaped quote', "printf '%s\\n' $'a\\' X'"],
  ['an assignment', 'v=X; printf \'%s\\n\' "$v"'],
  ['export', 'export V=X; printf \'%s\\n\' "$V"'],
  ['an array literal', 'arr=(X); printf \'%s\\n\' "${arr[@]}"'],
  ['a for list', 'for i in X; do printf \'%s\\n\' "$i"; done'],
  ['a function body', "f() { printf '%s\\n' X; }; f"],
  ['a here-document', 'cat <<EOF\nX\nEOF'],
  ['a here-document with <<-', 'cat <<-EOF\n\tX\n\tEOF'],
  ['two expressions making up a here-document line', 'cat <<EOF\nXY\nEOF\necho after'],
  ['a here-document inside $( )', 'v=$(cat <<EOF\nX\nEOF\n)\nprintf \'%s\\n\' "$v"'],
  ["an unusual delimiter <<'EOF'_END", "cat <<'EOF'_END\nX\nEOF_END\necho after"],
  ['an unusual delimiter <<EOF_END', 'cat <<EOF_END\nX\nEOF_END\necho after'],
  ['a quoted here-document', "cat <<'EOF'\nX\nEOF"],
  ['a here-string', 'cat <<< X'],
  ['a quoted here-string', 'cat <<< "X"'],
  ['$( )', "printf '%s\\n' \"$(printf '%s' X)\""],
  ['$( ) inside single quotes inside double quotes', "printf '%s\\n' \"a $(printf '%s' 'b X') c\""],
  ['process substitution', "cat <(printf '%s\\n' X)"],
  ['a case word', 'case X in *) echo matched;; esac'],
  ['a case pattern', 'case a in X) echo m;; *) echo other;; esac'],
  ['case inside $( ) inside double quotes', 'echo "$(case a in a) echo X;; esac)"'],
  ['a comment', '# note: X\necho done'],
  ['a comment after a command', 'echo done # X'],
  ['a default value ${v:-X}', 'printf \'%s\\n\' "${UNSET_VAR:-X}"'],
  ['an unquoted default value ${v:-X}', "printf '%s\\n' ${UNSET_VAR:-X}"],
  ['a replacement ${v/b/X}', 'v=abc; printf \'%s\\n\' "${v/b/X}"'],
  ['a line after $[1<<2]', "echo $[1<<2]\nprintf '%s\\n' X"],
  ['a line after $((1<<2))', "echo $((1<<2))\nprintf '%s\\n' X"],
  ['a [[ ]] string comparison', '[[ X == a ]] && echo yes || echo no'],
  ['a [ ] integer comparison', '[ X -gt 0 ] 2>/dev/null && echo yes || echo no'],
  ['a redirection target', 'printf x > X; echo done'],
  // Contexts where bash evaluates a value as arithmetic: only whole numbers pass.
  ['$(( ))', 'echo $(( X + 1 ))'],
  ['(( ))', '(( X > 0 )) && echo pos || echo not'],
  ['$[ ]', 'echo $[ X + 1 ]'],
  ['an array subscript assignment', 'arr[X]=1; echo "${arr[@]}"'],
  ['an array subscript expansion', 'arr=(a b); echo "${arr[X]}"'],
  ['a substring offset', 's=abcdef; echo "${s:X}"'],
  ['a substring length', 's=abcdef; echo "${s:1:X}"'],
  ['a [[ ]] arithmetic comparison', '[[ X -gt 0 ]] && echo yes || echo no'],
  ['a [[ ]] comparison with the value on the right', '[[ 5 -lt X ]] && echo yes || echo no'],
  ['let', 'let n=X; echo "$n"'],
  ['declare -i and a later assignment', 'declare -i n; n=X; echo "$n"'],
  ['declare -i with the assignment', 'declare -i n=X; echo "$n"'],
  ['$( ) inside $(( ))', "echo $(( $(printf '%s' X) + 1 ))"],
];

const PAYLOADS: readonly string[] = [
  '$(touch M)',
  '`touch M`',
  ';touch M',
  '; touch M;',
  '|touch M',
  '&& touch M',
  '\ntouch M',
  '\ntouch M\n',
  'a[$(touch M)]',
  'x[$(touch M)]+1',
  '0+a[$(touch M)]',
  "'; touch M; '",
  '"; touch M; "',
  "x'\ntouch M\n'",
  "x\\'; touch M; #",
  '${IFS}touch${IFS}M',
  'x\\',
  '\\',
  'EOF\ntouch M',
  'EOF_END\ntouch M',
  ')\ntouch M\n(',
  ') touch M; (',
  ';; *) touch M;;',
  '$((a[$(touch M)]))',
  '$[a[$(touch M)]]',
  '<(touch M)',
  '$(touch M)#',
  '1;touch M',
  '1$(touch M)',
  'n=a[$(touch M)]',
  "$'\\ntouch M'",
  '}\ntouch M\n{',
  '-a[$(touch M)]',
];

function scopeFor(source: 'input' | 'output', x: string, y: string): Scope {
  return makeScope({
    inputs: { x, y },
    secretInputs: new Set(),
    env: {},
    run: { id: 'r', mode: 'drill', incident_start: '2026-11-29T00:00:00Z' },
    steps: new Map([['s', { status: 'succeeded', outputs: { x, y } }]]),
    unknownSteps: 'empty',
  });
}

function template(context: string, source: 'input' | 'output'): string {
  const ref = (name: string): string => (source === 'input' ? `\${{ inputs.${name} }}` : `\${{ steps.s.outputs.${name} }}`);
  return context.replace(/X/g, ref('x')).replace(/Y/g, ref('y'));
}

const dir = mkdtempSync(join(tmpdir(), 'drctl-injection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let sequence = 0;

/** Run a script with bash in a scratch folder; true when the payload's marker appeared. */
function ran(script: string, env: Record<string, string>, marker: string): boolean {
  spawnSync('bash', ['-o', 'pipefail', '-c', script], {
    cwd: dir,
    env: { PATH: process.env.PATH, ...env },
    stdio: 'ignore',
    timeout: 10_000,
  });
  const hit = existsSync(marker);
  rmSync(marker, { force: true });
  return hit;
}

/** The payload for one run, its marker, and the two values (Y splits X's payload where a context has two expressions). */
function values(payload: string): { marker: string; x: string; y: string } {
  const marker = join(dir, `ran-${++sequence}`);
  const value = payload.replace(/M/g, marker);
  return { marker, x: value, y: value };
}

describe('no value substituted into run: ever runs as code (the injection property, with the real bash)', () => {
  for (const source of ['input', 'output'] as const) {
    it(`${CONTEXTS.length} contexts x ${PAYLOADS.length} payloads, values from ${source === 'input' ? 'inputs' : 'step outputs'}: 0 payloads ran`, () => {
      const executed: string[] = [];
      for (const [name, context] of CONTEXTS) {
        const text = template(context, source);
        for (const payload of PAYLOADS) {
          const { marker, x, y } = values(payload);
          // Two expressions on one line make up E + OF = the delimiter, in the case made for it.
          const [vx, vy] = context.includes('XY') ? ['E', `OF\ntouch ${marker}`] : [x, y];
          let rendered;
          try {
            rendered = renderScript(text, scopeFor(source, vx, vy));
          } catch (error) {
            if (error instanceof ShellSubstitutionError) continue; // refused: nothing runs
            throw error;
          }
          if (ran(rendered.script, rendered.env, marker)) executed.push(`${name} <- ${JSON.stringify(payload)}\n${rendered.script}`);
        }
      }
      expect(executed, `payloads that ran:\n\n${executed.join('\n\n')}`).toEqual([]);
    });
  }

  it('the harness sees an injection: pasted in as text, the same payloads run in every context', () => {
    const blind: string[] = [];
    for (const [name, context] of CONTEXTS) {
      const segments = parseTemplate(template(context, 'input'));
      const hit = PAYLOADS.some((payload) => {
        const { marker, x } = values(payload);
        const [vx, vy] = context.includes('XY') ? ['E', `OF\ntouch ${marker}`] : [x, x];
        let expressions = 0;
        const naive = segments.map((s) => (s.kind === 'text' ? s.text : expressions++ === 0 ? vx : vy)).join('');
        return ran(naive, {}, marker);
      });
      if (!hit) blind.push(name);
    }
    // A quoted here-document with an unusual delimiter is the one place a pasted value cannot escape.
    expect(blind).toEqual([]);
  });

  it('arithmetic contexts take whole numbers, from inputs and outputs alike', () => {
    for (const source of ['input', 'output'] as const) {
      const rendered = renderScript(template('echo $(( X + 1 ))', source), scopeFor(source, '41', ''));
      const out = spawnSync('bash', ['-c', rendered.script], { env: { PATH: process.env.PATH, ...rendered.env }, encoding: 'utf8' });
      expect(out.stdout).toBe('42\n');
      expect(() => renderScript(template('echo $(( X + 1 ))', source), scopeFor(source, '4x', ''))).toThrow(
        /stands in \$\(\( \)\), \(\( \)\) or \$\[ \], where bash evaluates it as arithmetic, and its value is not a whole number/,
      );
    }
  });
});
