import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/actions/registry.js';

/** Section 5 of the format contract: every built-in action and the outputs it declares. */
const CONTRACT: Record<string, string[]> = {
  'backup.latest': ['uri', 'key', 'last_modified', 'age_s', 'size'],
  'backup.download': ['path', 'bytes', 'sha256'],
  'backup.upload': ['uri', 'bytes', 'sha256'],
  'backup.verify': ['tables', 'rows', 'differences', 'restore_s', 'summary'],
  'backup.prune': ['kept', 'deleted', 'deleted_keys'],
  'rds.restore-pitr': ['endpoint', 'arn', 'restored_to'],
  'rds.restore-snapshot': ['endpoint', 'arn', 'snapshot'],
  'rds.promote-replica': ['endpoint'],
  'rds.snapshot': ['snapshot_id'],
  'rds.wait': ['status', 'endpoint'],
  'route53.upsert': ['change_id', 'previous'],
  'postgres.query': ['rows', 'row_count', 'value'],
  'postgres.check': ['results'],
  'postgres.wait': ['server_version'],
  'postgres.fingerprint': ['fingerprint', 'tables', 'rows', 'differences', 'summary'],
  'postgres.backup': ['location', 'key', 'size', 'sha256', 'manifest', 'format', 'duration_s'],
  'postgres.restore': ['format', 'bytes', 'duration_s', 'tables', 'sha256'],
  'postgres.local': ['url', 'host', 'port', 'database', 'data_dir', 'folder', 'bindir', 'version'],
  'http.check': ['status', 'duration_ms'],
  sleep: [],
};

/** Outputs drctl adds to the contract's (an extension never removes or renames one). */
const EXTENSIONS: Record<string, string[]> = {
  // As an operator reads them, for a confirmation to quote: "7m30s", "1.2 MiB".
  // The manifest beside the chosen backup ('' when it has none), for postgres.fingerprint to compare with.
  'backup.latest': ['age', 'size_text', 'manifest'],
  // What a dry run would delete, and whether it was one.
  'backup.prune': ['planned_keys', 'dry_run'],
  // Where it connected, for a confirmation to name the target.
  'postgres.wait': ['host', 'port', 'database'],
};

describe('the action registry', () => {
  it('holds exactly the actions of the contract, each declaring the contract outputs and the extensions', () => {
    expect([...ACTIONS.keys()].sort()).toEqual(Object.keys(CONTRACT).sort());
    for (const [name, outputs] of Object.entries(CONTRACT)) {
      expect([...ACTIONS.get(name)!.outputs].sort(), name).toEqual([...outputs, ...(EXTENSIONS[name] ?? [])].sort());
    }
  });

  it("treats backup.verify's scratch database URL as a secret", () => {
    expect(ACTIONS.get('backup.verify')!.secretArgs).toEqual(['scratch']);
  });

  it('treats connection strings as secrets', () => {
    for (const name of ['postgres.query', 'postgres.check', 'postgres.wait', 'postgres.fingerprint', 'postgres.backup', 'postgres.restore'])
      expect(ACTIONS.get(name)!.secretArgs, name).toContain('url');
  });
});
