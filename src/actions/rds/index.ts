import type { ActionDefinition } from '../types.js';

/** The rds actions, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const rdsActions: Array<ActionDefinition<any>> = [];
