import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod as drctl uses it: Zod Mini, zod's functional API over the same core (the same parsing, the
 * same issues, the same JSON Schema). Its schemas carry no methods of their own, so building the
 * few hundred that the runbook format and the actions declare costs far less: `validate` of the
 * shipped runbooks starts some 7 ms sooner than with the classic API (bench/startup.sh).
 *
 * Set up here, before any schema is built: messages in English (Zod Mini loads no language by
 * itself), and no compiled parsers. zod compiles each object schema into a function the first
 * time it parses with it, if the schema was built while that was allowed; drctl parses a handful
 * of documents per command, and such compiled code never reaches the code cache
 * (src/cli/launch.ts), so compiling costs more than it saves. Every module builds its schemas
 * with zod as exported from here, so no schema is built before these settings are made.
 */
config({ ...en(), jitless: true });

export * from 'zod/mini';
