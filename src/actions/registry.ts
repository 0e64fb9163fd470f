import { backupActions } from './backup/index.js';
import { httpCheck } from './http/check.js';
import { postgresActions } from './postgres/index.js';
import { rdsActions } from './rds/index.js';
import { route53Actions } from './route53/index.js';
import { sleepAction } from './sleep.js';
import type { ActionDefinition } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyAction = ActionDefinition<any>;

/** Every built-in action by name. Loading this loads no SDK: implementations import theirs on use. */
export const ACTIONS: ReadonlyMap<string, AnyAction> = new Map(
  [...backupActions, ...rdsActions, ...route53Actions, ...postgresActions, httpCheck, sleepAction].map((action) => [action.name, action]),
);

export function actionNamed(name: string): AnyAction | undefined {
  return ACTIONS.get(name);
}
