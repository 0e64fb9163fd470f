/** What stands in for a secret value wherever drctl shows one. */
export const SECRET_MASK = '***';

/**
 * How a secret value is shown. A database connection URL shows where it points, with only its
 * credentials masked: `postgres://app:***@db.internal:5432/orders`. The operator about to restore
 * into it needs the host, port and database, and none of those is the secret. Anything else, or a
 * URL that cannot be read without doubt, is masked whole.
 *
 * Only schemes whose path names a database are shown this way: the path of an https URL (a webhook,
 * say) may be the secret itself.
 */
export function secretDisplay(value: string): string {
  const shown = connectionUrlDisplay(value);
  if (shown === undefined) return SECRET_MASK;
  // A URL with nothing to mask (no password: a password file or IAM gives it) would read as the
  // secret itself, which is masked wherever it appears: without its scheme it still says where it points.
  return shown === value ? shown.slice(shown.indexOf('://') + 3) : shown;
}

const DATABASE_SCHEMES = new Set(['postgres', 'postgresql', 'mysql', 'mariadb', 'mongodb', 'mongodb+srv']);

/** Query parameters whose values say where and how to connect, never who with. Others are masked. */
const SHOWN_PARAMETERS = new Set([
  'host',
  'hostaddr',
  'port',
  'dbname',
  'sslmode',
  'connect_timeout',
  'application_name',
  'target_session_attrs',
  'load_balance_hosts',
  'client_encoding',
  'authsource',
  'replicaset',
  'tls',
  'ssl',
]);

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^\s]*)$/;

/**
 * A database URL with its password and every query value that may hold a credential masked;
 * undefined when the value is not a database URL. A password may hold an unescaped `/`, `?` or
 * `#`, which would move where the host seems to start: a URL with an `@` after its authority, or
 * with a fragment, cannot be split without doubt and is masked whole.
 */
export function connectionUrlDisplay(value: string): string | undefined {
  const shape = URL_SHAPE.exec(value);
  if (!shape) return undefined;
  const scheme = shape[1]!;
  if (!DATABASE_SCHEMES.has(scheme.toLowerCase())) return undefined;
  const rest = shape[2]!;
  if (rest.includes('#')) return SECRET_MASK;
  const end = rest.search(/[/?]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const after = end < 0 ? '' : rest.slice(end);
  if (after.includes('@')) return SECRET_MASK;
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority.slice(0, at);
  const hosts = at < 0 ? authority : authority.slice(at + 1);

  const question = after.indexOf('?');
  const path = question < 0 ? after : after.slice(0, question);
  const query = question < 0 ? undefined : after.slice(question + 1);

  // Every form of a credential in the URL: a part of the display that holds one is masked too
  // (a user name the same as the password, say).
  const credentials: string[] = [];
  let user: string | undefined;
  let hasPassword = false;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) {
      hasPassword = true;
      credentials.push(...forms(userinfo.slice(colon + 1)));
    }
  }
  const parameters = (query ?? '')
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      const raw = equals < 0 ? undefined : pair.slice(equals + 1);
      const shown = SHOWN_PARAMETERS.has(decoded(name).toLowerCase());
      if (!shown && raw !== undefined) credentials.push(...forms(raw));
      return { name, raw, shown };
    });
  const safe = (part: string): string => (credentials.some((c) => c !== '' && part.includes(c)) ? SECRET_MASK : part);

  let display = `${scheme}://`;
  if (userinfo !== undefined) display += `${user === '' ? '' : safe(user!)}${hasPassword ? `:${SECRET_MASK}` : ''}@`;
  display += safe(hosts);
  display += path === '' ? '' : safe(path);
  if (query !== undefined) {
    const pairs = parameters.map(({ name, raw, shown }) =>
      raw === undefined ? safe(name) : `${safe(name)}=${shown ? safe(raw) : SECRET_MASK}`,
    );
    display += `?${pairs.join('&')}`;
  }
  return display;
}

/** A credential as written and percent-decoded. */
function forms(written: string): string[] {
  const plain = decoded(written);
  return plain === written ? [written] : [written, plain];
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
