import { Chalk } from 'chalk';
import type { ChalkInstance } from 'chalk';

type Env = Readonly<Record<string, string | undefined>>;

/** chalk's levels: 0 none, 1 the 16 basic colours, 2 256 colours, 3 true colour. */
export type ColorLevel = 0 | 1 | 2 | 3;

/**
 * FORCE_COLOR as Node and chalk read it: 0 or false turns colour off, an empty value, 1 or true
 * gives the 16 basic colours, 2 gives 256 and 3 (or more) true colour, on a terminal or not.
 * Anything else is ignored. undefined when it does not decide.
 */
function forcedLevel(value: string | undefined): ColorLevel | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value === 'true') return 1;
  if (value === 'false') return 0;
  if (!/^[0-9]+$/.test(value)) return undefined;
  return Math.min(Number(value), 3) as ColorLevel;
}

/**
 * How much colour a stream gets, in this order: FORCE_COLOR decides when it is set (as in Node,
 * it wins over everything below); then no colour when NO_COLOR is set and not empty, or when
 * NODE_DISABLE_COLORS is set; then none when CI is set (and not empty or "false": a CI log is
 * read later, not watched), or TERM is dumb; otherwise 256 colours on a terminal and none elsewhere.
 * Detecting the terminal's own colour depth would load node:tty; 256 colours are safe everywhere.
 */
export function colorLevel(stream: NodeJS.WriteStream, env: Env = process.env): ColorLevel {
  const forced = forcedLevel(env.FORCE_COLOR);
  if (forced !== undefined) return forced;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.NODE_DISABLE_COLORS !== undefined) return 0;
  if (env.CI !== undefined && env.CI !== '' && env.CI !== 'false') return 0;
  if (env.TERM === 'dumb') return 0;
  return stream.isTTY === true ? 2 : 0;
}

export function colorEnabled(stream: NodeJS.WriteStream, env: Env = process.env): boolean {
  return colorLevel(stream, env) > 0;
}

export function styleFor(stream: NodeJS.WriteStream): ChalkInstance {
  return new Chalk({ level: colorLevel(stream) });
}

export type Style = ChalkInstance;
