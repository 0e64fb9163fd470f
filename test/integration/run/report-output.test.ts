import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, requireBuild, workspace } from './helpers.js';

/** `drctl report --output` writes where it is told, as `run --report` does: a missing folder is made. */

beforeAll(() => requireBuild());

describe('drctl report --output', () => {
  it('makes the folders a new path needs, and writes the report there', () => {
    const ws = workspace();
    const file = ws.runbook('rb.yaml', `${header('output', 'Output')}steps:\n  - id: one\n    title: One\n    run: echo one\n`);
    const run = drctl(['run', file, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(run.status, run.all).toBe(0);
    const out = drctl(['report', '--format', 'md', '--output', 'reports/2026/q4/drill.md', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(out.status, out.all).toBe(0);
    expect(readFileSync(ws.path('reports/2026/q4/drill.md'), 'utf8')).toContain('# Output');
  });

  it('a path whose folder cannot be made: one line, exit 2', () => {
    const ws = workspace();
    const file = ws.runbook('rb.yaml', `${header('output', 'Output')}steps:\n  - id: one\n    title: One\n    run: echo one\n`);
    expect(drctl(['run', file, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    ws.write('taken', 'a file, not a folder');
    const out = drctl(['report', '--output', 'taken/drill.json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(out.status, out.all).toBe(2);
    expect(out.stderr).toMatch(/^drctl: --output taken\/drill\.json: cannot write there \(.+\)\n/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });
});
