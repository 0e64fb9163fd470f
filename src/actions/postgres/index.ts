import type { ActionDefinition } from '../types.js';
import { postgresBackup } from './backup.js';
import { postgresCheck } from './check.js';
import { postgresFingerprint } from './fingerprint.js';
import { postgresLocal } from './local.js';
import { postgresQuery } from './query.js';
import { postgresRestore } from './restore.js';
import { postgresWait } from './wait.js';

/** The postgres actions, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const postgresActions: Array<ActionDefinition<any>> = [
  postgresQuery,
  postgresCheck,
  postgresWait,
  postgresBackup,
  postgresFingerprint,
  postgresRestore,
  postgresLocal,
];
