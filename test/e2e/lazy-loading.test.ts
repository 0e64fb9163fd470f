import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const HEAVY = ['@aws-sdk/', 'pg', '@inquirer/', 'ora', 'execa'];

/** Run the built CLI with a module hook that logs every import it resolves. */
function importsOf(args: string[], dir = mkdtempSync(join(tmpdir(), 'drctl-imports-'))): string[] {
  const log = join(dir, 'imports.log');
  writeFileSync(log, '');
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  appendFileSync(${JSON.stringify(log)}, specifier + '\\\\n');
  return next(specifier, context);
}\`));
`,
  );
  const result = spawnSync(process.execPath, ['--import', hook, join(ROOT, 'bin', 'drctl.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

describe('start-up stays light', () => {
  for (const args of [['--help'], ['list'], ['validate', 'runbooks']]) {
    it(`drctl ${args.join(' ')} loads neither the AWS SDK, pg, nor the prompt and process libraries`, () => {
      const imports = importsOf(args);
      expect(imports.length).toBeGreaterThan(1);
      const heavy = imports.filter((specifier) => HEAVY.some((name) => specifier === name || specifier.startsWith(name)));
      expect(heavy).toEqual([]);
    });
  }

  it('the hook does see a heavy library when a command needs it (drctl run loads execa)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-imports-'));
    const runbook = join(dir, 'one.yaml');
    writeFileSync(runbook, 'apiVersion: drctl/v1\nkind: Runbook\nmetadata: { name: one, title: One }\nobjectives: { rto: 1m }\nsteps:\n  - { id: a, title: A, run: "true" }\n');
    expect(importsOf(['run', runbook, '--yes', '--state-dir', join(dir, 'state')], dir)).toContain('execa');
  });
});
