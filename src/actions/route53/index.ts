import type { ActionDefinition } from '../types.js';
import { route53Upsert } from './upsert.js';

/** The route53 actions, one file each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const route53Actions: Array<ActionDefinition<any>> = [route53Upsert];
