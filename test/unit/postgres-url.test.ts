import { describe, expect, it } from 'vitest';
import { parsePostgresUrl, PostgresUrlError } from '../../src/runbook/postgres-url.js';

/** The problem drctl reports for a URL it refuses (the error's message). */
function refusal(url: string): string {
  try {
    parsePostgresUrl(url);
  } catch (error) {
    expect(error).toBeInstanceOf(PostgresUrlError);
    return (error as Error).message;
  }
  throw new Error('the URL was accepted');
}

describe('a PostgreSQL URL as libpq environment variables', () => {
  it('gives host, port, user and database, and the password only to the password file', () => {
    const settings = parsePostgresUrl('postgresql://restore:hunter2@db.internal:6432/shop');
    expect(settings.env).toEqual({ PGHOST: 'db.internal', PGPORT: '6432', PGUSER: 'restore', PGDATABASE: 'shop' });
    expect(settings.password).toBe('hunter2');
    expect(Object.values(settings.env).join('\n')).not.toContain('hunter2');
    expect(settings.passfileLine).toBe('db.internal:6432:*:restore:hunter2\n');
  });

  it('takes postgres:// as well as postgresql://, in any case', () => {
    expect(parsePostgresUrl('postgres://app@db/x').env).toEqual({ PGHOST: 'db', PGUSER: 'app', PGDATABASE: 'x' });
    expect(parsePostgresUrl('PostgreSQL://app@db/x').env.PGHOST).toBe('db');
  });

  it('percent-decodes the user, the password, the host and the database', () => {
    const settings = parsePostgresUrl('postgresql://us%40er:p%40ss%2Fw%3Ard%25@%2Fvar%2Frun%2Fpostgresql/my%20db');
    expect(settings.env).toEqual({ PGUSER: 'us@er', PGHOST: '/var/run/postgresql', PGDATABASE: 'my db' });
    expect(settings.password).toBe('p@ss/w:rd%');
    // Both the password as written and decoded are masked.
    expect(settings.secrets).toEqual(expect.arrayContaining(['p@ss/w:rd%', 'p%40ss%2Fw%3Ard%25']));
    // A socket folder is not a host name a password file can match: any host.
    expect(settings.passfileLine).toBe('*:*:*:us@er:p@ss/w\\:rd%\n');
  });

  it('escapes ":" and "\\" of a password in the password file', () => {
    const settings = parsePostgresUrl('postgresql://app:a%3Ab%5Cc:d@db:5432/x');
    expect(settings.password).toBe('a:b\\c:d');
    expect(settings.passfileLine).toBe('db:5432:*:app:a\\:b\\\\c\\:d\n');
  });

  it('keeps an unescaped "@" and ":" of a password: the host starts after the last "@"', () => {
    const settings = parsePostgresUrl('postgresql://app:p@ss:w@db/x');
    expect(settings.password).toBe('p@ss:w');
    expect(settings.env).toEqual({ PGUSER: 'app', PGHOST: 'db', PGDATABASE: 'x' });
  });

  it('reads an IPv6 address in brackets, with and without a port', () => {
    expect(parsePostgresUrl('postgresql://app:pw@[::1]:5433/x').env).toEqual({
      PGHOST: '::1',
      PGPORT: '5433',
      PGUSER: 'app',
      PGDATABASE: 'x',
    });
    expect(parsePostgresUrl('postgresql://app:pw@[::1]:5433/x').passfileLine).toBe('\\:\\:1:5433:*:app:pw\n');
    expect(parsePostgresUrl('postgresql://[2001:db8::7]/x').env).toEqual({ PGHOST: '2001:db8::7', PGDATABASE: 'x' });
    expect(parsePostgresUrl('postgresql://[fe80::1%25eth0]/x').env.PGHOST).toBe('fe80::1%eth0');
  });

  it('sets only what the URL gives: missing parts are left to libpq and the environment', () => {
    expect(parsePostgresUrl('postgresql://').env).toEqual({});
    expect(parsePostgresUrl('postgresql:///shop').env).toEqual({ PGDATABASE: 'shop' });
    expect(parsePostgresUrl('postgresql://db').env).toEqual({ PGHOST: 'db' });
    expect(parsePostgresUrl('postgresql://db:5433').env).toEqual({ PGHOST: 'db', PGPORT: '5433' });
    expect(parsePostgresUrl('postgresql://app@db').env).toEqual({ PGHOST: 'db', PGUSER: 'app' });
    const noPassword = parsePostgresUrl('postgresql://app@db/x');
    expect(noPassword.password).toBeUndefined();
    expect(noPassword.passfileLine).toBeUndefined();
    expect(noPassword.secrets).toEqual([]);
    // An empty password is no password.
    expect(parsePostgresUrl('postgresql://app:@db/x').passfileLine).toBeUndefined();
    // A password without a user or host matches any of them.
    expect(parsePostgresUrl('postgresql://:pw@/x').passfileLine).toBe('*:*:*:*:pw\n');
  });

  it('turns query parameters into their variables: sslmode, connect_timeout, application_name, options', () => {
    const settings = parsePostgresUrl(
      'postgresql://app:pw@db/x?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5&application_name=drctl&options=-c%20statement_timeout%3D0',
    );
    expect(settings.env).toEqual({
      PGHOST: 'db',
      PGUSER: 'app',
      PGDATABASE: 'x',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/etc/ca.pem',
      PGCONNECT_TIMEOUT: '5',
      PGAPPNAME: 'drctl',
      PGOPTIONS: '-c statement_timeout=0',
    });
  });

  it('takes user, password, host, port and dbname from the query too', () => {
    const settings = parsePostgresUrl('postgresql:///?host=db&port=5433&user=app&password=s%3Acret&dbname=shop');
    expect(settings.env).toEqual({ PGHOST: 'db', PGPORT: '5433', PGUSER: 'app', PGDATABASE: 'shop' });
    expect(settings.password).toBe('s:cret');
    expect(settings.passfileLine).toBe('db:5433:*:app:s\\:cret\n');
  });

  it('gives several hosts as libpq lists, and a password file line for any of them', () => {
    const settings = parsePostgresUrl('postgresql://app:pw@db1:5432,db2:5433/x?target_session_attrs=read-write');
    expect(settings.env).toEqual({
      PGHOST: 'db1,db2',
      PGPORT: '5432,5433',
      PGUSER: 'app',
      PGDATABASE: 'x',
      PGTARGETSESSIONATTRS: 'read-write',
    });
    expect(settings.passfileLine).toBe('*:*:*:app:pw\n');
  });

  it('refuses what it cannot represent, and never quotes the URL', () => {
    const secret = 'topsecret-9f2';
    const cases: Array<[string, string]> = [
      [`mysql://app:${secret}@db/x`, 'expected a postgres:// or postgresql:// URL'],
      [`db.internal:5432/${secret}`, 'expected a postgres:// or postgresql:// URL'],
      [`postgresql://app:${secret}@db:port/x`, 'the port is not a number from 1 to 65535'],
      [`postgresql://app:${secret}@db:70000/x`, 'the port is not a number from 1 to 65535'],
      [`postgresql://app:${secret}%zz@db/x`, 'the password holds a malformed %-escape'],
      [`postgresql://app:${secret}%0A@db/x`, 'the password holds a line break, which a password file cannot hold'],
      [`postgresql://app:${secret}%00@db/x`, 'the password holds a NUL byte'],
      [`postgresql://app:${secret}@[::1/x`, 'an IPv6 address in the URL has no closing "]"'],
      [`postgresql://app:${secret}@db/x?sslpassword=${secret}`, 'the URL parameter "sslpassword" has no libpq environment variable'],
      [`postgresql://app:${secret}@db/x?keepalives=1`, 'the URL parameter "keepalives" has no libpq environment variable'],
      [`postgresql://app@db/x?passfile=/tmp/${secret}`, 'the URL names a passfile'],
      [`postgresql://app:${secret}@db/x#frag`, 'the URL has a #fragment'],
      [`postgresql://app@db/x?${secret}=1`, 'a URL parameter has no libpq environment variable'],
    ];
    for (const [url, problem] of cases) {
      const message = refusal(url);
      expect(message, url).toContain(problem);
      expect(message, url).not.toContain(secret);
    }
    // A parameter name that is not a plain word is not quoted either.
    expect(refusal('postgresql://db/x?Pass%3Dword=1')).toBe(
      'a URL parameter has no libpq environment variable, so drctl cannot pass it without the URL',
    );
  });
});
