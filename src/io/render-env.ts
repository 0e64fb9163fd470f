import type { EnvEntry, StepEnvView } from '../engine/env-view.js';
import type { Style } from './style.js';

/** A value on one line: one holding a line break or a control character is shown quoted, escaped. */
function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(value) ? JSON.stringify(value) : value;
}

/**
 * The variables a step's process receives from its `env:`, and the database of its `postgres:`:
 *
 *     env       BACKUP=/tmp/drctl-.../backup_20260124_140000.sql.gz
 *     postgres  postgres://app:***@db.internal:5432/orders
 */
export function formatEnv(view: StepEnvView | undefined, style: Style, indent: string): string[] {
  if (!view) return [];
  const rows: Array<[string, string]> = view.env.map((entry, i) => [i === 0 ? 'env' : '', `${entry.name}=${oneLine(entry.value)}`]);
  if (view.postgres !== undefined) rows.push(['postgres', oneLine(view.postgres)]);
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, text]) => `${indent}${style.dim(label.padEnd(width))}  ${text}`);
}

/** The runbook's own `env:`, one `NAME=value` a line. */
export function formatEnvEntries(entries: readonly EnvEntry[], indent: string): string[] {
  return entries.map((entry) => `${indent}${entry.name}=${oneLine(entry.value)}`);
}
