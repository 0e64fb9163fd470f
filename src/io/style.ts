import { Chalk } from 'chalk';
import type { ChalkInstance } from 'chalk';

/** Colour only on a terminal, and never when NO_COLOR or CI is set. */
export function colorEnabled(stream: NodeJS.WriteStream, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.CI !== undefined && env.CI !== '' && env.CI !== 'false') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function styleFor(stream: NodeJS.WriteStream): ChalkInstance {
  return new Chalk({ level: colorEnabled(stream) ? 2 : 0 });
}

export type Style = ChalkInstance;
