import type { ActionDefinition } from '../types.js';

/** The backup actions, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const backupActions: Array<ActionDefinition<any>> = [];
