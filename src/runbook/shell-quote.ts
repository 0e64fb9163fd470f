const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One shell word for any value: bare when it holds only safe characters, else single-quoted
 * (inside single quotes bash interprets nothing, so `$()`, backticks, `;` and newlines stay data).
 */
export function shellQuote(value: string): string {
  if (SAFE_WORD.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
