import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderScript } from '../../src/engine/render.js';
import type { Evaluated, Scope } from '../../src/runbook/expression.js';

const scopeWith = (value: string): Scope => ({ resolve: (): Evaluated => ({ value, secret: false }) });

/** Render a run: script with the hostile value, run it with bash in an empty folder, return stdout. */
function runWith(template: string, value: string): { stdout: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'drctl-ctx-'));
  const { script, env } = renderScript(template, scopeWith(value));
  const stdout = execFileSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  return { stdout, files: readdirSync(dir) };
}

const HOSTILE = [
  "it's",
  'say "hi"',
  '$(touch PWNED)',
  '`touch PWNED`',
  "x'; touch PWNED; echo '",
  'x"; touch PWNED; echo "',
  'a\nEOFX\ntouch PWNED',
  '\\$(touch PWNED)\\',
  'line1\nline2',
  '${HOME}',
  'ünïcødé ✓',
  '',
];

const CONTEXTS: Array<[string, string, (v: string) => string]> = [
  ['a bare word', "printf '%s' ${{ inputs.v }}", (v) => v],
  ['inside double quotes', 'printf \'%s\' "before ${{ inputs.v }} after"', (v) => `before ${v} after`],
  ['inside single quotes', "printf '%s' 'before ${{ inputs.v }} after'", (v) => `before ${v} after`],
  ['inside $( ) inside double quotes', "printf '%s' \"$(printf '%s' ${{ inputs.v }})\"", (v) => v.replace(/\n+$/, '')],
  ['an unquoted here-document', 'cat <<EOF\n${{ inputs.v }}\nEOF', (v) => `${v}\n`],
  ['a comment', "# note: ${{ inputs.v }}\nprintf '%s' done", () => 'done'],
  ['a line after a shift inside $(( ))', "echo $((1<<2)) >/dev/null\nprintf '%s' ${{ inputs.v }}", (v) => v],
  ['a here-document inside $( )', 'body=$(cat <<EOF\n${{ inputs.v }}\nEOF\n)\nprintf \'%s\' "$body"', (v) => v.replace(/\n+$/, '')],
  ['after an arithmetic command (( ))', "(( 1 << 3 )) || true\nprintf '%s' ${{ inputs.v }}", (v) => v],
];

describe('a substituted value never injects shell syntax, wherever it stands in run:', () => {
  for (const [where, template, expected] of CONTEXTS) {
    for (const value of HOSTILE) {
      it(`${where}: ${JSON.stringify(value)}`, () => {
        const { stdout, files } = runWith(template, value);
        expect(files).toEqual([]);
        expect(stdout).toBe(expected(value));
      });
    }
  }

  it('a value holding the here-document delimiter line cannot end the document early: it is expanded, never read', () => {
    expect(runWith('cat <<EOF\n${{ inputs.v }}\nEOF\n', 'x\nEOF\ntouch PWNED')).toEqual({ stdout: 'x\nEOF\ntouch PWNED\n', files: [] });
  });

  it('refuses an expression in a quoted here-document, which expands nothing, naming the expression and never the value', () => {
    expect(() => renderScript("cat <<'EOF'\n${{ inputs.v }}\nEOF\n", scopeWith('s3cr3t'))).toThrow(/quoted here-document <<'EOF'/);
    expect(() => renderScript("cat <<'EOF'\n${{ inputs.v }}\nEOF\n", scopeWith('s3cr3t'))).not.toThrow(/s3cr3t/);
  });

  it('refuses an expression inside backticks, which cannot be quoted safely', () => {
    expect(() => renderScript('echo `echo ${{ inputs.v }}`', scopeWith('x'))).toThrow(/backticks/);
  });

  it('allows only a whole number inside $(( ))', () => {
    expect(runWith("printf '%s' $(( ${{ inputs.v }} + 1 ))", '41').stdout).toBe('42');
    expect(() => renderScript('echo $(( ${{ inputs.v }} + 1 ))', scopeWith('a[$(touch PWNED)]'))).toThrow(/not a whole number/);
  });

  it('treats the text after a here-document as ordinary script again', () => {
    const { stdout } = runWith("cat <<EOF\nbody\nEOF\nprintf '%s' ${{ inputs.v }}", "a b'c");
    expect(stdout).toBe("body\na b'c");
  });
});
