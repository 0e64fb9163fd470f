import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, onlyRunId, requireBuild, workspace } from './helpers.js';

/**
 * A failed step's error output and an operator's note reach every report. The journal keeps them
 * raw; the md, html and JUnit reports must not carry a command's control characters: printed by
 * `drctl report` they would drive the terminal (a window title, a cleared screen), and XML 1.0
 * has no place for them at all, so a CI server could not read the JUnit file.
 */

beforeAll(() => requireBuild());

const RUNBOOK = `${header('hostile-tail', 'Hostile tail')}steps:
  - id: bad
    title: Bad
    run: |
      printf 'evil \\033]0;pwned\\007 \\033[2J done\\n' >&2; exit 1
`;

// eslint-disable-next-line no-control-regex -- C0 controls other than tab, newline and carriage return: none is allowed in XML 1.0.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

describe('control characters in a failed step’s error output and in a note', () => {
  it('are shown as control pictures in the md, html and JUnit reports, and the JSON report keeps them escaped', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    const run = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(run.status, run.all).toBe(1);
    const runId = onlyRunId(ws.stateDir);
    const note = drctl(['note', runId, 'pasted \u001b[31mred\u001b[0m text', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(note.status, note.all).toBe(0);
    for (const format of ['md', 'html', 'junit']) {
      const report = drctl(['report', runId, '--format', format, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(report.status, report.all).toBe(0);
      expect(report.stdout, format).not.toMatch(CONTROL);
      expect(report.stdout, format).toContain('evil ␛]0;pwned␇ ␛[2J done');
      // Markdown escapes the brackets; JUnit has no notes.
      if (format !== 'junit') expect(report.stdout, format).toMatch(/pasted ␛\\?\[31mred␛\\?\[0m text/);
    }
    const json = JSON.parse(drctl(['report', runId, '--format', 'json', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout) as {
      steps: Array<{ error_tail?: string }>;
    };
    expect(json.steps[0]!.error_tail).toBe('evil \u001b]0;pwned\u0007 \u001b[2J done');
  });
});
