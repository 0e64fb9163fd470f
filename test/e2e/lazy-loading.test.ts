import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, drctl, ROOT } from './drctl.js';

const HEAVY = ['@aws-sdk/', 'pg', '@inquirer/', 'ora', 'execa', 'node:child_process'];
/** Node's own modules that a short command has no use for: hashing, and terminals (chalk is told the colour level). */
const NOT_AT_START = ['node:crypto', 'node:tty'];

/**
 * Run the built CLI with a preloaded hook that logs every ES module import it resolves and, at
 * exit, every CommonJS module it required and every module of Node's it loaded: between them,
 * everything the command loaded.
 */
function importsOf(args: string[], dir = mkdtempSync(join(tmpdir(), 'drctl-imports-'))): string[] {
  const log = join(dir, 'imports.log');
  writeFileSync(log, '');
  const hook = join(dir, 'hook.cjs');
  writeFileSync(
    hook,
    `const { appendFileSync } = require('node:fs');
require('node:module').register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  appendFileSync(${JSON.stringify(log)}, specifier + '\\\\n');
  return next(specifier, context);
}\`));
process.on('exit', () => appendFileSync(${JSON.stringify(log)}, [...Object.keys(require.cache), ...process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => 'node:' + m.slice(13))].join('\\n') + '\\n'));
`,
  );
  const result = drctl(args, { cwd: ROOT, command: [process.execPath, '--require', hook, BIN] });
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

/** A package named by a specifier, or loaded from its folder under node_modules. */
const isHeavy = (entry: string): boolean =>
  HEAVY.some(
    (name) => entry === name || entry.startsWith(name.endsWith('/') ? name : `${name}/`) || entry.includes(`/node_modules/${name}`),
  );

describe('start-up stays light', () => {
  for (const args of [['--help'], ['list'], ['validate', 'runbooks'], ['backup', 'check', '--help']]) {
    it(`drctl ${args.join(' ')} loads neither the AWS SDK, pg, nor the prompt and process libraries (nor Node's child_process, crypto or tty)`, () => {
      const imports = importsOf(args);
      expect(
        imports.some((entry) => entry.endsWith(join('dist', 'launch.cjs'))),
        'the hook saw drctl start',
      ).toBe(true);
      expect(imports.filter(isHeavy)).toEqual([]);
      expect(imports.filter((entry) => NOT_AT_START.includes(entry))).toEqual([]);
    });
  }

  it('the hook does see the modules of Node a command loads (drctl run hashes its runbook)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-imports-'));
    const runbook = join(dir, 'one.yaml');
    writeFileSync(
      runbook,
      'apiVersion: drctl/v1\nkind: Runbook\nmetadata: { name: one, title: One }\nobjectives: { rto: 1m }\nsteps:\n  - { id: a, title: A, run: "true" }\n',
    );
    expect(importsOf(['run', runbook, '--yes', '--state-dir', join(dir, 'state')], dir)).toContain('node:crypto');
  });

  it('the hook does see a heavy library when a command needs it (drctl run loads execa)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-imports-'));
    const runbook = join(dir, 'one.yaml');
    writeFileSync(
      runbook,
      'apiVersion: drctl/v1\nkind: Runbook\nmetadata: { name: one, title: One }\nobjectives: { rto: 1m }\nsteps:\n  - { id: a, title: A, run: "true" }\n',
    );
    const imports = importsOf(['run', runbook, '--yes', '--state-dir', join(dir, 'state')], dir);
    expect(imports).toContain('execa');
    expect(imports.filter(isHeavy).length).toBeGreaterThan(0);
  });
});
