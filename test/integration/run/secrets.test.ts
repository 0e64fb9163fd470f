import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, journalPath, onlyRunId, readJournal, readReport, reportPath, requireBuild, stepOf, workspace } from './helpers.js';

/** A secret input reaches the commands that need it and nowhere else: every display shows ***. */

beforeAll(() => requireBuild());

const SECRET = 'S3cr3t-Tok3n-9f8e7d';

describe('a secret input given through its environment variable', () => {
  it('appears nowhere drctl writes or prints: output, journal, report.json, --report files', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('secretive', 'Secrets')}inputs:
  token: { secret: true, env: DR_TOKEN, description: API token }
  user: { default: admin }
steps:
  - id: use-secret
    title: Uses the token
    env: { TOKEN: "\${{ inputs.token }}", URL: "https://\${{ inputs.user }}:\${{ inputs.token }}@db.example:5432/app" }
    run: |
      printf '%s' "$TOKEN" > seen-by-step.txt
      echo "token is $TOKEN"
      echo "url=$URL"
      echo "stderr has $TOKEN too" >&2
    outputs:
      url: { from: stdout, regex: "url=(\\\\S+)" }
      all: { from: stdout }
      err: { from: stderr }
  - id: inline
    title: Secret on the command line
    run: printf '%s' \${{ inputs.token }} | wc -c > length.txt
  - id: from-output
    title: Uses an output that holds the secret
    run: echo "connecting to \${{ steps.use-secret.outputs.url }}"
  - id: failing-check
    title: A failed expectation quotes what the step printed
    run: echo "got $TOKEN"
    env: { TOKEN: "\${{ inputs.token }}" }
    expect: { stdout: { equals: "something else" } }
    on_failure: continue
`,
    );
    const result = drctl(
      [
        'run',
        'rb.yaml',
        '--yes',
        '--report',
        'md:report.md',
        '--report',
        'junit:report.xml',
        '--report',
        'json:copy.json',
        '--state-dir',
        ws.stateDir,
      ],
      {
        cwd: ws.dir,
        env: { DR_TOKEN: SECRET },
      },
    );
    expect(result.status, result.all).toBe(0);
    // The steps had the real value.
    expect(ws.read('seen-by-step.txt')).toBe(SECRET);
    expect(ws.read('length.txt').trim()).toBe(String(SECRET.length));

    const runId = onlyRunId(ws.stateDir);
    const places: Record<string, string> = {
      'drctl stdout': result.stdout,
      'drctl stderr': result.stderr,
      journal: readFileSync(journalPath(ws.stateDir, runId), 'utf8'),
      'report.json': readFileSync(reportPath(ws.stateDir, runId), 'utf8'),
      'md report': ws.read('report.md'),
      'junit report': ws.read('report.xml'),
      'json report': ws.read('copy.json'),
    };
    for (const [where, text] of Object.entries(places)) expect(text.includes(SECRET), `the secret appears in ${where}`).toBe(false);

    // *** stands in its place.
    expect(result.stderr).toContain('  │ token is ***');
    expect(result.stderr).toContain('  │ url=https://admin:***@db.example:5432/app');
    expect(result.stderr).toContain('  │ stderr has *** too');
    expect(result.stderr).toContain("$ printf '%s' *** | wc -c > length.txt");
    expect(result.stderr).toContain('  │ connecting to https://admin:***@db.example:5432/app');
    const report = readReport(ws.stateDir, runId);
    expect(stepOf(report, 'use-secret').outputs).toEqual({
      url: 'https://admin:***@db.example:5432/app',
      all: 'token is ***\nurl=https://admin:***@db.example:5432/app',
      err: 'stderr has *** too',
    });
    expect(stepOf(report, 'failing-check').reason).toContain('got ***');
    // Markdown shows the *** as written (escaped, so it is no emphasis).
    expect(ws.read('report.md')).toContain('got \\*\\*\\*');
    const journal = readJournal(ws.stateDir, runId);
    expect(journal[0]!.inputs).toEqual({ user: 'admin' });
    expect(journal[0]!.secret_inputs).toEqual(['token']);
    expect(journal.find((e) => e.type === 'step.attempt' && e.step === 'use-secret')!.stdout_tail).toBe(
      'token is ***\nurl=https://admin:***@db.example:5432/app\n',
    );
  });

  it('is masked in a failing preflight message too', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('secret-preflight', 'Secret preflight')}inputs:
  token: { secret: true, env: DR_TOKEN }
preflight:
  - title: token is accepted
    env: { TOKEN: "\${{ inputs.token }}" }
    run: echo "rejected $TOKEN"; exit 1
steps:
  - id: one
    title: One
    run: touch ran.txt
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: { DR_TOKEN: SECRET } });
    expect(result.status, result.all).toBe(2);
    expect(result.all).not.toContain(SECRET);
    expect(result.stderr).toContain('rejected ***');
    expect(ws.exists('ran.txt')).toBe(false);
  });

  it("is masked in a manual step's instructions when --yes acknowledges them", () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('secret-manual', 'Secret in a manual step')}inputs:
  token: { secret: true, env: DR_TOKEN }
steps:
  - id: by-hand
    title: Log in by hand
    manual: Log in to the console with \${{ inputs.token }} and rotate it.
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--accept-manual', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { DR_TOKEN: SECRET },
    });
    expect(result.status, result.all).toBe(0);
    expect(result.stderr).toContain('manual: Log in to the console with *** and rotate it.');
    expect(result.stderr).toContain('manual step acknowledged (--accept-manual): Log in to the console with *** and rotate it.');
    expect(result.all).not.toContain(SECRET);
  });

  it('is masked in a typed confirmation that --yes approves', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('secret-typed', 'Secret in a typed confirmation')}inputs:
  token: { secret: true, env: DR_TOKEN }
steps:
  - id: typed
    title: Destroy the old key
    confirm: { type: "\${{ inputs.token }}" }
    run: touch destroyed.txt
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: { DR_TOKEN: SECRET } });
    expect(result.status, result.all).toBe(0);
    expect(ws.exists('destroyed.txt')).toBe(true);
    expect(result.stderr).toContain('confirmed by --yes (would ask to type "***")');
    expect(result.all).not.toContain(SECRET);
  });
});

describe('a short secret that is also a word drctl writes ("run", "a")', () => {
  it('masks it in what commands print and leaves the journal readable: the run finishes, is listed and reports as any other', () => {
    for (const password of ['run', 'a', 'step']) {
      const ws = workspace();
      ws.runbook(
        'rb.yaml',
        `${header('short-secret', 'Short secret')}inputs:
  db: { secret: true, env: DATABASE_URL, description: The database }
steps:
  - id: run-step
    title: Connects
    env: { DB: "\${{ inputs.db }}" }
    run: echo "connecting to $DB"
  - id: after
    title: Goes on
    confirm: "Go on with \${{ inputs.db }}?"
    run: echo done
`,
      );
      const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
        cwd: ws.dir,
        env: { DATABASE_URL: `postgres://app:${password}@db.internal:5432/shop` },
      });
      expect(result.status, result.all).toBe(0);
      const runId = onlyRunId(ws.stateDir);
      const journal = readJournal(ws.stateDir, runId);
      expect(journal.map((e) => e.type)).toContain('run.started');
      expect(journal.map((e) => e.type)).toContain('run.finished');
      expect(journal.filter((e) => e.type === 'step.finished').map((e) => e.step)).toEqual(['run-step', 'after']);
      expect(journal.filter((e) => e.type === 'prompt.asked').map((e) => e.question)).toEqual(['step.confirm']);
      expect(readReport(ws.stateDir, runId).status).toBe('succeeded');
      expect(result.all).not.toContain(`app:${password}@`);
      const runs = drctl(['runs', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(runs.status).toBe(0);
      expect((JSON.parse(runs.stdout) as Array<{ run_id: string; status: string }>).map((r) => [r.run_id, r.status])).toEqual([
        [runId, 'succeeded'],
      ]);
    }
  });
});
