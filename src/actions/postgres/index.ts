import type { ActionDefinition } from '../types.js';

/** The postgres actions, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const postgresActions: Array<ActionDefinition<any>> = [];
