import { randomBytes } from 'node:crypto';

/** database-loss-20261122T031500Z-4f2a: the runbook, when the run began (UTC), and a short random tag. */
export function makeRunId(runbookName: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${runbookName}-${stamp}-${randomBytes(2).toString('hex')}`;
}
