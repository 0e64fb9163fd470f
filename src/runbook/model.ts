import type { ExpectationDoc, InputType, OutputDoc } from './schema.js';

/** A validated runbook, normalised for planning and execution. Durations are in milliseconds. */
export interface Runbook {
  file: string;
  /** sha256 of the file's bytes: a resumed run refuses a runbook that changed. */
  digest: string;
  name: string;
  title: string;
  description?: string | undefined;
  severity?: string | undefined;
  owner?: string | undefined;
  tags: string[];
  /** `metadata.version`: the runbook's own version, free text. */
  version?: string | undefined;
  /** drillEveryMs: how often the runbook is to be drilled (`objectives.drill_every`). */
  objectives: { rtoMs?: number | undefined; rpoMs?: number | undefined; drillEveryMs?: number | undefined };
  inputs: InputSpec[];
  env: Record<string, string>;
  preflight: PreflightItem[];
  steps: Step[];
}

export interface InputSpec {
  name: string;
  type: InputType;
  description?: string | undefined;
  default?: string | number | boolean | undefined;
  options?: Array<string | number | boolean> | undefined;
  secret: boolean;
  env?: string | undefined;
}

export type Body =
  | { kind: 'run'; script: string }
  | { kind: 'exec'; argv: string[] }
  | { kind: 'uses'; action: string; with: Record<string, unknown> }
  | { kind: 'manual'; text: string };

export type CommandBody = Exclude<Body, { kind: 'manual' }>;

export type PreflightItem =
  | { kind: 'require'; index: number; tools: string[] }
  | {
      kind: 'check';
      index: number;
      title: string;
      body: CommandBody;
      env: Record<string, string>;
      /** A PostgreSQL URL handed over through libpq's environment (engine/libpq-env.ts). */
      postgres?: string | undefined;
      cwd?: string | undefined;
      timeoutMs?: number | undefined;
      expect?: ExpectationDoc | undefined;
    };

export interface RetryPolicy {
  attempts: number;
  delayMs: number;
  backoff: number;
}

export type Confirm = { kind: 'none' } | { kind: 'ask'; question?: string | undefined } | { kind: 'type'; text: string };

export interface Rollback {
  body: CommandBody;
  env: Record<string, string>;
  /** A PostgreSQL URL handed over through libpq's environment (engine/libpq-env.ts). */
  postgres?: string | undefined;
  cwd?: string | undefined;
  timeoutMs?: number | undefined;
  /** Safe to run again when a resumed run finds it was in flight (drctl never repeats it otherwise). */
  idempotent: boolean;
}

export interface Step {
  index: number;
  id: string;
  title: string;
  description?: string | undefined;
  body: Body;
  budgetMs?: number | undefined;
  timeoutMs?: number | undefined;
  retry: RetryPolicy;
  until?: ExpectationDoc | undefined;
  intervalMs: number;
  if?: string | boolean | undefined;
  confirm: Confirm;
  /** Stop "run all" before this step and ask the operator again. */
  pause: boolean;
  env: Record<string, string>;
  /** A PostgreSQL URL handed over through libpq's environment (engine/libpq-env.ts). */
  postgres?: string | undefined;
  cwd?: string | undefined;
  expect?: ExpectationDoc | undefined;
  outputs: Record<string, OutputDoc>;
  onFailure: 'abort' | 'continue' | 'rollback';
  rollback?: Rollback | undefined;
  idempotent: boolean;
}

export const DEFAULT_POLL_INTERVAL_MS = 5_000;
