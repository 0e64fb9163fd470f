import type { ActionDefinition } from '../types.js';
import { backupDownload } from './download.js';
import { backupLatest } from './latest.js';
import { backupPrune } from './prune.js';
import { backupUpload } from './upload.js';
import { backupVerify } from './verify.js';

/** The backup actions, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const backupActions: Array<ActionDefinition<any>> = [backupLatest, backupDownload, backupUpload, backupPrune, backupVerify];
