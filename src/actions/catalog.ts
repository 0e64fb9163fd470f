/**
 * The built-in actions a step may name in `uses:`, with the outputs each declares, so that
 * `validate` can check `uses:` names and references to their outputs without loading any SDK.
 */
export interface ActionInfo {
  summary: string;
  outputs: readonly string[];
}

export const ACTION_CATALOG = {
  'backup.latest': { summary: 'Find the newest backup at a location', outputs: ['uri', 'key', 'last_modified', 'age_s', 'size'] },
  'backup.download': { summary: 'Download a backup and verify it', outputs: ['path', 'bytes', 'sha256'] },
  'backup.upload': { summary: 'Upload a file as a backup', outputs: ['uri', 'bytes', 'sha256'] },
  'rds.restore-pitr': { summary: 'Restore an RDS instance to a point in time', outputs: ['endpoint', 'arn', 'restored_to'] },
  'rds.restore-snapshot': { summary: 'Restore an RDS instance from a snapshot', outputs: ['endpoint', 'arn', 'snapshot'] },
  'rds.promote-replica': { summary: 'Promote an RDS read replica', outputs: ['endpoint'] },
  'rds.snapshot': { summary: 'Take an RDS snapshot', outputs: ['snapshot_id'] },
  'rds.wait': { summary: 'Wait for an RDS instance to reach a status', outputs: ['status', 'endpoint'] },
  'route53.upsert': { summary: 'Create or update a Route 53 record', outputs: ['change_id', 'previous'] },
  'postgres.query': { summary: 'Run a SQL query', outputs: ['rows', 'row_count', 'value'] },
  'postgres.check': { summary: 'Run SQL checks with expectations', outputs: ['results'] },
  'postgres.wait': { summary: 'Wait until PostgreSQL accepts connections', outputs: ['server_version'] },
  'http.check': { summary: 'Check an HTTP endpoint', outputs: ['status', 'duration_ms'] },
  sleep: { summary: 'Wait for a duration', outputs: [] },
} as const satisfies Record<string, ActionInfo>;

export type ActionName = keyof typeof ACTION_CATALOG;

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(ACTION_CATALOG, name);
}
