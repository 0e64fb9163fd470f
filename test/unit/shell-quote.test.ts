import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/runbook/shell-quote.js';

/** What bash receives as argv after parsing `printf '%s\0' <quoted>`. */
function bashWords(quoted: string): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${quoted}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shell quoting', () => {
  const hostile = [
    "it's",
    'say "hi"',
    '$(touch /tmp/drctl-pwned)',
    '`id`',
    'a; rm -rf /',
    'line one\nline two',
    'tab\there',
    'ünïcødé ✓ 数据库',
    '',
    '*',
    '~root',
    '$HOME',
    '\\',
    "'; echo injected; '",
    '-n',
  ];

  for (const value of hostile) {
    it(`turns ${JSON.stringify(value)} into exactly one word that bash reads back unchanged`, () => {
      expect(bashWords(shellQuote(value))).toEqual([value]);
    });
  }

  it('leaves plain words bare so commands stay readable', () => {
    expect(shellQuote('hospital-erp-system')).toBe('hospital-erp-system');
    expect(shellQuote('s3://bucket/postgres/backup_2026.sql.gz')).toBe('s3://bucket/postgres/backup_2026.sql.gz');
  });
});
