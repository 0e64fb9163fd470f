import { config } from 'zod';

// zod compiles each object schema into a function the first time it parses with it, if the schema
// was built while that was allowed. drctl parses a handful of documents per command, and such
// compiled code never reaches the code cache (src/cli/launch.ts), so compiling costs more than it
// saves: parse as written instead. Every module builds its schemas with zod as exported from
// here, so no schema can be built before this setting is made, whichever module loads first.
config({ jitless: true });

export * from 'zod';
