import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliResult } from '../../support/cli.js';
import { drctlAsync } from '../../support/cli.js';
import type { RecordingKubectl } from '../../support/kubectl.js';
import { recordingKubectl } from '../../support/kubectl.js';

export { ROOT } from '../../support/cli.js';

/**
 * One rehearsal of a shipped runbook: a temp folder, a recording kubectl first on PATH (no
 * Kubernetes API server exists here), and drctl run as an operator's CI job would (CI=1).
 */
export interface Rehearsal {
  dir: string;
  stateDir: string;
  kubectl: RecordingKubectl;
  /** Run drctl (asynchronously, so servers in this process keep answering). */
  drctl(args: string[], env?: Record<string, string>): Promise<CliResult>;
  report(): Record<string, unknown> & {
    status: string;
    steps: Array<{ id: string; status: string; outputs: Record<string, unknown>; reason?: string }>;
  };
  journal(): Array<Record<string, unknown> & { type: string }>;
}

export function rehearsal(options: { kubeContext?: string; env?: Record<string, string> } = {}): Rehearsal {
  const dir = mkdtempSync(join(tmpdir(), 'drctl-rehearsal-'));
  const stateDir = join(dir, 'state');
  const kubectl = recordingKubectl(dir, { context: options.kubeContext ?? 'test-context' });
  const runId = (): string => {
    const runs = readdirSync(join(stateDir, 'runs'));
    if (runs.length !== 1) throw new Error(`expected one run, found ${runs.length}`);
    return runs[0]!;
  };
  return {
    dir,
    stateDir,
    kubectl,
    drctl: (args, env = {}) =>
      drctlAsync([...args, '--state-dir', stateDir], { cwd: dir, env: { CI: '1', ...options.env, ...env }, path: [kubectl.binDir] }),
    report: () => JSON.parse(readFileSync(join(stateDir, 'runs', runId(), 'report.json'), 'utf8')),
    journal: () =>
      readFileSync(join(stateDir, 'runs', runId(), 'journal.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}
