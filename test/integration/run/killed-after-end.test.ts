import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, onlyRunId, requireBuild, workspace } from './helpers.js';

beforeAll(() => requireBuild());

describe('a drctl killed after it journaled the end of the run, before report.json', () => {
  it('`drctl report` and `drctl resume` put report.json in place from the journal', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', `${header('ended', 'Ended')}steps:\n  - { id: a, title: A, run: "true" }\n`);
    expect(drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    const runId = onlyRunId(ws.stateDir);
    const reportFile = join(ws.stateDir, 'runs', runId, 'report.json');
    const written = ws.read(`state/runs/${runId}/report.json`);

    rmSync(reportFile);
    const resumed = drctl(['resume', runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status).toBe(2);
    expect(resumed.stderr).toContain(`run ${runId} already finished: succeeded`);
    expect(ws.read(`state/runs/${runId}/report.json`)).toBe(written);

    rmSync(reportFile);
    expect(drctl(['report', runId, '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    expect(JSON.parse(ws.read(`state/runs/${runId}/report.json`))).toEqual(JSON.parse(written));
  });
});
