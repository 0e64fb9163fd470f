// The parser lives in util, where the postgres actions (below the runbook) use it too.
export type { LibpqSettings } from '../util/postgres-url.js';
export { parsePostgresUrl, PostgresUrlError } from '../util/postgres-url.js';
