import type { Scope } from '../runbook/expression.js';
import { Redactor } from './redact.js';
import { renderString } from './render.js';
import { connectionUrlDisplay } from './url-display.js';

/** One variable a step's process receives from its `env:`, as the operator sees it. */
export interface EnvEntry {
  name: string;
  value: string;
}

/** What a step hands its process besides its command: its `env:`, and the database its `postgres:` names. */
export interface StepEnvView {
  env: EnvEntry[];
  /** The connection of `postgres:`, shown as `postgres://user:***@host:port/db`. */
  postgres?: string | undefined;
}

/**
 * A step's `env:` and `postgres:` with their expressions resolved and secrets masked: a secret is
 * `***`, a secret database URL shows where it points with only its password masked, and the
 * password of any URL written in the runbook itself is masked too.
 */
export function stepEnvView(step: { env: Readonly<Record<string, string>>; postgres?: string | undefined }, scope: Scope): StepEnvView {
  const env = Object.entries(step.env).map(([name, value]) => ({ name, value: shownValue(renderString(value, scope).display) }));
  return step.postgres === undefined ? { env } : { env, postgres: shownValue(renderString(step.postgres, scope).display) };
}

/** A step's `env:` and `postgres:` as written, before any expression is resolved (for `show`), URL passwords masked. */
export function writtenEnvView(step: { env: Readonly<Record<string, string>>; postgres?: string | undefined }): StepEnvView {
  const env = Object.entries(step.env).map(([name, value]) => ({ name, value: shownValue(value) }));
  return step.postgres === undefined ? { env } : { env, postgres: shownValue(step.postgres) };
}

/** The runbook's own `env:` (resolved already, secrets masked), for show and plan. */
export function envEntries(display: Readonly<Record<string, string>>): EnvEntry[] {
  return Object.entries(display).map(([name, value]) => ({ name, value: shownValue(value) }));
}

/**
 * A displayed value with the password of any URL in it masked, secret or not. A database URL is
 * read as a whole (so a password holding `/` or `?` is still found, or the URL masked whole);
 * other text goes through the redactor's own URL reading.
 */
export function shownValue(display: string): string {
  if (!display.includes('://')) return display;
  return connectionUrlDisplay(display) ?? new Redactor([]).text(display);
}
