import type { ActionDefinition } from '../types.js';
import { rdsPromoteReplica } from './promote-replica.js';
import { rdsRestorePitr } from './restore-pitr.js';
import { rdsRestoreSnapshot } from './restore-snapshot.js';
import { rdsSnapshot } from './snapshot.js';
import { rdsWait } from './wait.js';

/** The rds actions, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const rdsActions: Array<ActionDefinition<any>> = [rdsRestorePitr, rdsRestoreSnapshot, rdsPromoteReplica, rdsSnapshot, rdsWait];
