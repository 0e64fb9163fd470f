import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../run/helpers.js';
import { drctl, header, onlyRunId, readReport, requireBuild, stepOf, workspace } from '../run/helpers.js';

/** The backup actions on file:// locations, run by the built drctl in a temporary folder. */

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
// Ten minutes ago, so the run meets its 1h RTO whenever the test runs.
const INCIDENT = new Date(Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000);
const before = (s: number): Date => new Date(INCIDENT.getTime() - s * 1000);

function run(ws: Workspace, yaml: string, extra: string[] = []) {
  ws.runbook('rb.yaml', yaml);
  const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, '--incident-start', INCIDENT.toISOString(), ...extra], {
    cwd: ws.dir,
  });
  return { ...result, report: readReport(ws.stateDir, onlyRunId(ws.stateDir)) };
}

/** A backup folder: two dumps before the incident, one after it, and a file that is no dump. */
function backups(ws: Workspace): void {
  const files: Array<[string, string, number]> = [
    ['backups/pg/backup_0100.sql.gz', 'older dump\n', 3600],
    ['backups/pg/backup_0245.sql.gz', 'the newest dump before the incident\n', 412],
    ['backups/pg/backup_0315.sql.gz', 'taken after the incident\n', -900],
    ['backups/pg/README.txt', 'not a dump\n', 10],
  ];
  for (const [file, text, age] of files) {
    ws.write(file, text);
    utimesSync(ws.path(file), before(age), before(age));
  }
}

describe('backup actions on file:// locations', () => {
  beforeAll(() => requireBuild());

  it('latest (absolute file:///) → download → a step that checks the file; the RPO evidence is the file URI', () => {
    const ws = workspace('drctl-backup-file-');
    backups(ws);
    const { status, all, report } = run(
      ws,
      `${header('restore', 'Restore')}objectives: { rto: 1h, rpo: 15m }
steps:
  - id: find
    title: Find the newest dump
    uses: backup.latest
    with: { location: "file://${ws.path('backups', 'pg')}/", match: "backup_*.sql.gz" }
  - id: fetch
    title: Copy it here
    uses: backup.download
    with: { uri: "\${{ steps.find.outputs.uri }}", to: restore/ }
  - id: check
    title: Check it
    run: grep -qx 'the newest dump before the incident' restore/backup_0245.sql.gz
`,
    );
    expect(status, all).toBe(0);
    const path = ws.path('backups', 'pg', 'backup_0245.sql.gz');
    expect(stepOf(report, 'find').outputs).toEqual({
      uri: `file://${path}`,
      key: path,
      last_modified: before(412).toISOString(),
      age_s: 412,
      age: '6m52s',
      size: 36,
      size_text: '36 B',
      manifest: '',
    });
    expect(report.rpo).toEqual({ target_s: 900, achieved_s: 412, met: true, verdict: 'met', evidence: `file://${path}` });
    expect(stepOf(report, 'fetch').outputs).toEqual({
      path: ws.path('restore', 'backup_0245.sql.gz'),
      bytes: 36,
      sha256: sha256('the newest dump before the incident\n'),
    });
    expect(stepOf(report, 'check').status).toBe('succeeded');
  });

  it('a relative file:// location resolves against the working directory; an RPO missed is exit 3', () => {
    const ws = workspace('drctl-backup-file-');
    backups(ws);
    const { status, all, report } = run(
      ws,
      `${header('restore', 'Restore')}objectives: { rpo: 5m }\nsteps:\n  - { id: find, title: Find, uses: backup.latest, with: { location: "file://backups/pg", match: "*.gz" } }\n`,
    );
    expect(status, all).toBe(3);
    expect(report.rpo).toEqual({
      target_s: 300,
      achieved_s: 412,
      met: false,
      verdict: 'missed',
      evidence: `file://${ws.path('backups', 'pg', 'backup_0245.sql.gz')}`,
    });
  });

  it('an empty folder: exit 1, "no backups"; a missing one: exit 1, one line with ENOENT', () => {
    const ws = workspace('drctl-backup-file-');
    ws.write('empty/.keep', '');
    const empty = run(
      ws,
      `${header('restore', 'Restore')}steps:\n  - { id: find, title: Find, uses: backup.latest, with: { location: "file://${ws.path('empty')}/", match: "*.gz" } }\n`,
    );
    expect(empty.status, empty.all).toBe(1);
    expect(empty.all).toContain(`backup.latest: file://${ws.path('empty')}/: no backups matching "*.gz"`);
    const other = workspace('drctl-backup-file-');
    const missing = run(
      other,
      `${header('restore', 'Restore')}steps:\n  - { id: find, title: Find, uses: backup.latest, with: { location: "file:///nonexistent/backups/" } }\n`,
    );
    expect(missing.status, missing.all).toBe(1);
    expect(missing.all).toContain('backup.latest: file:///nonexistent/backups/: ENOENT: no such file or directory');
  });

  it('upload to a file:// folder then download: the same bytes, no partial files left', () => {
    const ws = workspace('drctl-backup-file-');
    const data = randomBytes(5 * 1024 * 1024 + 3);
    writeFileSync(ws.path('dump.bin'), data);
    const { status, all, report } = run(
      ws,
      `${header('roundtrip', 'Round trip')}steps:
  - id: put
    title: Upload
    uses: backup.upload
    with: { from: dump.bin, uri: "file://store/" }
  - id: get
    title: Download
    uses: backup.download
    with: { uri: "\${{ steps.put.outputs.uri }}", to: back/copy.bin, keep: true }
`,
    );
    expect(status, all).toBe(0);
    expect(stepOf(report, 'put').outputs).toEqual({
      uri: `file://${ws.path('store', 'dump.bin')}`,
      bytes: data.length,
      sha256: sha256(data),
    });
    expect(stepOf(report, 'get').outputs).toEqual({ path: ws.path('back', 'copy.bin'), bytes: data.length, sha256: sha256(data) });
    // (not toEqual: a byte-by-byte diff of 5 MiB takes vitest half a minute)
    expect(readFileSync(ws.path('back', 'copy.bin')).equals(data)).toBe(true);
    expect(readdirSync(ws.path('store'))).toEqual(['dump.bin']);
    expect(readdirSync(ws.path('back'))).toEqual(['copy.bin']);
  });

  it('validate names a bad location before anything runs', () => {
    const ws = workspace('drctl-backup-file-');
    ws.runbook(
      'rb.yaml',
      `${header('restore', 'Restore')}steps:\n  - { id: find, title: Find, uses: backup.latest, with: { location: "/var/backups", mach: "*.gz" } }\n`,
    );
    const result = drctl(['validate', 'rb.yaml'], { cwd: ws.dir });
    expect(result.status).toBe(2);
    expect(result.all).toContain(
      'backup.latest: argument location: not an s3:// or file:// URI: expected s3://bucket/prefix/ or file:///dir/',
    );
    expect(result.all).toContain('backup.latest has no argument "mach"');
  });
});
