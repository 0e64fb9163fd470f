import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, onlyRunId, readJournal, readReport, requireBuild, workspace } from './helpers.js';

/**
 * `drctl note` and `drctl review` from a terminal other than the run's: the run's secret values are
 * never journaled, so they can mask only what this terminal knows: the password of any URL, and the
 * value of a secret input taken from an environment variable that is set here too.
 */

beforeAll(() => requireBuild());

const SECRET_URL = 'postgres://app:hunter2secret@db.internal:5432/shop';
const TOKEN = 'tok-5f3a9c1e77';

const RUNBOOK = `${header('secret-elsewhere', 'Secret elsewhere')}inputs:
  database_url: { secret: true, env: ELSEWHERE_DATABASE_URL, description: The shop database }
  api_token: { secret: true, env: ELSEWHERE_API_TOKEN, description: The API token }
steps:
  - id: check
    title: Check the database
    env: { DB: "\${{ inputs.database_url }}", TOKEN: "\${{ inputs.api_token }}" }
    run: echo checked
`;

const SECRETS = { ELSEWHERE_DATABASE_URL: SECRET_URL, ELSEWHERE_API_TOKEN: TOKEN };

describe('a note or a review typed in another terminal that quotes a secret', () => {
  it('masks any URL password, and a secret input whose environment variable is set there too; another secret is not known there', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    const run = drctl(['run', 'rb.yaml', '--yes', '--state-dir', 'st'], { cwd: ws.dir, env: SECRETS });
    expect(run.status, run.all).toBe(0);
    const runId = onlyRunId(ws.path('st'));

    // Without the variables: the URL's password is masked by its shape, the token is not known here.
    const bare = drctl(['note', runId, `tried ${SECRET_URL} with ${TOKEN}`, '--state-dir', 'st'], { cwd: ws.dir });
    expect(bare.status, bare.all).toBe(0);
    // With them set, as in the run's terminal: both values are masked whole.
    const told = drctl(['note', runId, `tried ${SECRET_URL} with ${TOKEN}`, '--state-dir', 'st'], { cwd: ws.dir, env: SECRETS });
    expect(told.status, told.all).toBe(0);
    const review = drctl(
      [
        'review',
        runId,
        '--finding',
        `the replica took ${TOKEN}`,
        '--remediation',
        `rotate ${SECRET_URL}; owner: ${TOKEN}`,
        '--state-dir',
        'st',
      ],
      { cwd: ws.dir, env: SECRETS },
    );
    expect(review.status, review.all).toBe(0);
    expect(review.stdout).not.toContain(TOKEN);
    expect(review.stdout).not.toContain('hunter2secret');

    const notes = readJournal(ws.path('st'), runId).filter((e) => e.type === 'note');
    expect(notes.map((n) => String(n.text))).toEqual([
      `tried postgres://app:***@db.internal:5432/shop with ${TOKEN}`,
      'tried *** with ***',
    ]);
    const journal = readJournal(ws.path('st'), runId);
    expect(journal.filter((e) => e.type.startsWith('review.'))).toMatchObject([
      { type: 'review.finding', text: 'the replica took ***' },
      { type: 'review.remediation', text: 'rotate ***', owner: '***' },
    ]);
    const report = readReport(ws.path('st'), runId);
    expect(JSON.stringify(report)).not.toContain('hunter2secret');
    expect(report.notes.map((n) => n.text)).toEqual(notes.map((n) => String(n.text)));
  });
});
