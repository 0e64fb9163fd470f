import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, onlyRunId, readJournal, requireBuild, workspace } from './helpers.js';

/** What --yes says it approved. */

beforeAll(() => requireBuild());

describe('confirm: with a question string', () => {
  it('shows the question with its expressions resolved (validate checks them as expressions)', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('question', 'Question')}objectives: { rto: 1h }
inputs:
  target: { default: prod-db }
steps:
  - id: restore
    title: Restore
    confirm: "Restore into \${{ inputs.target }} now?"
    run: touch restored.txt
`,
    );
    const validate = drctl(['validate', 'rb.yaml'], { cwd: ws.dir });
    expect(validate.status, validate.all).toBe(0);
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(ws.exists('restored.txt')).toBe(true);
    expect(result.stderr).toContain('confirmed by --yes: Restore into prod-db now?');
    expect(result.stderr).not.toContain('${{');
  });

  it('asks "Run <title>?" when confirm is true, and journals the question and the answer', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('question-default', 'Default question')}objectives: { rto: 1h }
steps:
  - id: restore
    title: Restore the database
    confirm: true
    run: touch restored.txt
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(result.stderr).toContain('confirmed by --yes: Run "Restore the database"?');
    const journal = readJournal(ws.stateDir, onlyRunId(ws.stateDir));
    expect(journal.find((e) => e.type === 'prompt.asked')).toMatchObject({ step: 'restore', question: 'step.confirm' });
    expect(journal.find((e) => e.type === 'prompt.answered')).toMatchObject({ step: 'restore', question: 'step.confirm', answer: true });
    expect(typeof journal.find((e) => e.type === 'prompt.answered')!.wait_ms).toBe('number');
  });
});
