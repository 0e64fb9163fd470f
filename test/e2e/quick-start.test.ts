import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, drctl, ROOT } from './drctl.js';

describe("the README's quick start", () => {
  it('runs the local restore drill to the end, meeting its RTO and RPO (exit 0)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-quick-'));
    const result = drctl(
      ['run', join(ROOT, 'examples', 'local-restore-drill.yaml'), '--drill', '--yes', '--input', `workdir=${join(dir, 'work')}`],
      { cwd: dir },
    );
    expect(result.status, result.stdout + result.stderr).toBe(0);
    // Kept in $XDG_STATE_HOME/drctl (~/.local/state/drctl), as the quick start says.
    const runs = join(cliEnv().XDG_STATE_HOME!, 'drctl', 'runs');
    const [runId] = readdirSync(runs);
    const report = JSON.parse(readFileSync(join(runs, runId!, 'report.json'), 'utf8')) as {
      mode: string;
      status: string;
      rto: { met: boolean };
      rpo: { met: boolean; achieved_s: number; evidence: string };
    };
    expect(report).toMatchObject({ mode: 'drill', status: 'succeeded', rto: { met: true }, rpo: { met: true } });
    expect(report.rpo.achieved_s).toBeGreaterThanOrEqual(295);
    expect(report.rpo.evidence).toMatch(/^file:\/\/.*backup_\d{8}_\d{6}\.tar\.gz$/);
    expect(readdirSync(join(dir, 'work', 'data')).sort()).toEqual(['order-1.txt', 'order-2.txt', 'order-3.txt']);
  });
});
