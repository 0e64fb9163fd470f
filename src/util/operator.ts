import { readlinkSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { isatty } from 'node:tty';

/** Who is at the keyboard: the user, the host, and the terminal ("none" without one). */
export interface Operator {
  user: string;
  host: string;
  terminal: string;
}

function userName(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return userInfo().username;
  } catch {
    // No entry in the password database (a container's arbitrary uid): the environment, else the uid.
    return env.USER || env.LOGNAME || `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** The terminal of the first standard stream that is one, as in `tty` (pts/3); "none" without one. */
function terminalName(): string {
  for (const fd of [0, 1, 2]) {
    if (!isatty(fd)) continue;
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).replace(/^\/dev\//, '');
    } catch {
      return 'a terminal';
    }
  }
  return 'none';
}

export function currentOperator(env: Readonly<Record<string, string | undefined>> = process.env): Operator {
  return { user: userName(env), host: hostname(), terminal: terminalName() };
}
