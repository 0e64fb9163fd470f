import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drctl, ROOT } from './drctl.js';

describe('the packed tarball', () => {
  it('installs elsewhere and runs, with the shipped runbooks travelling with it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-pack-'));
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    const project = join(dir, 'project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball)], { cwd: project, stdio: 'pipe' });
    // The installed bin link, run as a shell would: through its #! line.
    const installed = (...args: string[]) => drctl(args, { cwd: project, command: [join(project, 'node_modules', '.bin', 'drctl')] });
    const list = installed('list', '--json');
    expect(list.status, list.stderr).toBe(0);
    const names = (JSON.parse(list.stdout) as Array<{ name: string; source: string }>).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(['database-loss', 'namespace-deletion', 'cluster-failure', 'regional-failover', 'data-corruption']),
    );
    const validate = installed('validate', join(project, 'node_modules', 'drctl', 'runbooks'));
    expect(validate.status, validate.stdout).toBe(0);
    expect(installed('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 180_000);
});
