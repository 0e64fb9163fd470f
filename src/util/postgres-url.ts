/**
 * A PostgreSQL connection URL turned into what libpq reads from the environment, so that `psql`,
 * `pg_dump` and `pg_restore` connect without the URL on their command line (where `ps` shows it to
 * every user of the host). The password is not among the variables: it goes into a password file
 * (see engine/libpq-env.ts).
 *
 * Problems never quote the URL or any part of it: it holds a password.
 */

/** libpq's environment variable for each URL query parameter it has one for. */
const PARAMETER_VARIABLES: Readonly<Record<string, string>> = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  service: 'PGSERVICE',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  client_encoding: 'PGCLIENTENCODING',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  require_auth: 'PGREQUIREAUTH',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  channel_binding: 'PGCHANNELBINDING',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

export interface LibpqSettings {
  /** libpq's environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE...), without the password. */
  env: Record<string, string>;
  /** The password, decoded; undefined when the URL gives none. */
  password?: string | undefined;
  /** Every form of the password as the URL holds it (written and decoded): values to mask. */
  secrets: string[];
  /** The line of a password file (`host:port:database:user:password`) that gives this password to this connection. */
  passfileLine?: string | undefined;
}

/** The URL cannot be handed over: `problem` says why, without quoting the URL. */
export class PostgresUrlError extends Error {}

const PARAMETER_NAME = /^[a-z_]{1,40}$/;

function decode(text: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw new PostgresUrlError(`the ${what} holds a malformed %-escape`);
  }
  if (decoded.includes('\0')) throw new PostgresUrlError(`the ${what} holds a NUL byte, which no program can be given`);
  return decoded;
}

/** One field of a password file: `\` and `:` escaped with a backslash. */
function passfileField(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

interface HostPort {
  host: string;
  port: string;
}

function parseHostPort(spec: string): HostPort {
  let host: string;
  let rest: string;
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']');
    if (close < 0) throw new PostgresUrlError('an IPv6 address in the URL has no closing "]"');
    host = spec.slice(1, close);
    rest = spec.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':'))
      throw new PostgresUrlError('an IPv6 address in the URL is followed by something other than :port');
  } else {
    const colon = spec.indexOf(':');
    host = colon < 0 ? spec : spec.slice(0, colon);
    rest = colon < 0 ? '' : spec.slice(colon);
  }
  const port = rest.startsWith(':') ? rest.slice(1) : '';
  if (port !== '' && !validPort(port)) throw new PostgresUrlError('the port is not a number from 1 to 65535');
  return { host: decode(host, 'host'), port };
}

function validPort(port: string): boolean {
  return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/**
 * libpq's variables for a postgres:// or postgresql:// URL. Throws PostgresUrlError for what libpq's
 * environment cannot carry: another scheme, a malformed escape or port, a parameter without a
 * variable (such as `sslpassword`), a password file of its own, a line break in a credential.
 */
export function parsePostgresUrl(url: string): LibpqSettings {
  const scheme = /^postgres(?:ql)?:\/\//i.exec(url);
  if (!scheme) throw new PostgresUrlError('expected a postgres:// or postgresql:// URL');
  let rest = url.slice(scheme[0].length);
  if (rest.includes('#')) throw new PostgresUrlError('the URL has a #fragment, which libpq does not accept');
  let query = '';
  const question = rest.indexOf('?');
  if (question >= 0) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);
  // The password may hold an unescaped "@": the host starts after the last one.
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority.slice(0, at);
  const hostspec = at < 0 ? authority : authority.slice(at + 1);

  const env: Record<string, string> = {};
  let password: string | undefined;
  const written: string[] = [];
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
    if (user !== '') env.PGUSER = user;
    if (colon >= 0 && colon < userinfo.length - 1) {
      written.push(userinfo.slice(colon + 1));
      password = decode(userinfo.slice(colon + 1), 'password');
    }
  }
  if (hostspec !== '') {
    const hosts = hostspec.split(',').map(parseHostPort);
    if (hosts.some((h) => h.host !== '')) env.PGHOST = hosts.map((h) => h.host).join(',');
    if (hosts.some((h) => h.port !== '')) env.PGPORT = hosts.map((h) => h.port).join(',');
  }
  if (path !== '') env.PGDATABASE = decode(path, 'database name');

  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    const name = decode(rawName, 'name of a URL parameter');
    const value = decode(equals < 0 ? '' : pair.slice(equals + 1), 'value of a URL parameter');
    const named = PARAMETER_NAME.test(name) ? `the URL parameter "${name}"` : 'a URL parameter';
    if (name === 'password') {
      written.push(pair.slice(equals + 1));
      password = value === '' ? undefined : value;
      continue;
    }
    if (name === 'passfile')
      throw new PostgresUrlError('the URL names a passfile: drctl writes the password file itself; give the password in the URL');
    const variable = PARAMETER_VARIABLES[name];
    if (variable === undefined)
      throw new PostgresUrlError(`${named} has no libpq environment variable, so drctl cannot pass it without the URL`);
    if (name === 'port' && !value.split(',').every((p) => p === '' || validPort(p)))
      throw new PostgresUrlError('the port is not a number from 1 to 65535');
    env[variable] = value;
  }

  for (const [variable, value] of Object.entries(env)) {
    if (/[\n\r]/.test(value)) throw new PostgresUrlError(`the URL gives ${variable} a line break`);
  }
  if (password !== undefined && /[\n\r]/.test(password))
    throw new PostgresUrlError('the password holds a line break, which a password file cannot hold');

  const settings: LibpqSettings = { env, password, secrets: [] };
  if (password !== undefined) {
    settings.secrets = [...new Set([password, ...written])];
    const host = env.PGHOST;
    // A single host name or address is matched exactly; a list of hosts, a socket folder or none matches any.
    const hostField = host !== undefined && host !== '' && !host.includes(',') && !host.startsWith('/') ? passfileField(host) : '*';
    const port = env.PGPORT;
    const portField = port !== undefined && validPort(port) ? port : '*';
    const userField = env.PGUSER !== undefined ? passfileField(env.PGUSER) : '*';
    settings.passfileLine = `${hostField}:${portField}:*:${userField}:${passfileField(password)}\n`;
  }
  return settings;
}
