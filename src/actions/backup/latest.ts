import * as z from '../../util/zod.js';
import { formatDuration } from '../../util/duration.js';
import { arg } from '../args.js';
import { defineAction, PermanentActionError } from '../types.js';
import { globProblem, globToRegExp, parseLocation, parses, uriOf } from './location.js';
import { manifestKeyFor } from './manifest.js';
import { formatBytes } from './progress.js';
import type { StoredObject } from '../../ports/backup-store.js';
import type { Series } from './series.js';
import { listSeries } from './series.js';
import type { OpenStore } from './store.js';
import { openStore, storeFailure } from './store.js';

const NAME = 'backup.latest';

/** Newer wins; at the same instant (S3 keeps whole seconds) the greater key, so the pick is stable. */
function newer(a: StoredObject, b: StoredObject | undefined): boolean {
  if (!b) return true;
  const diff = a.lastModified.getTime() - b.lastModified.getTime();
  return diff > 0 || (diff === 0 && a.key > b.key);
}

function older(a: StoredObject, b: StoredObject | undefined): boolean {
  return (
    !b || a.lastModified.getTime() < b.lastModified.getTime() || (a.lastModified.getTime() === b.lastModified.getTime() && a.key < b.key)
  );
}

const backupLatestArgs = z.strictObject({
  /** Where the backups are: s3://bucket/prefix/ or file:///dir/. */
  location: arg.text().check(z.superRefine(parses(parseLocation))),
  /** Only objects whose name under the location matches this glob (* does not cross /). */
  match: z.optional(
    arg.text().check(z.refine((v: string) => globProblem(v) === undefined, { error: 'expected a glob such as backup_*.sql.gz' })),
  ),
});

/**
 * The newest backup taken at or before the incident start, across every page of the listing
 * (S3 lists in key order, 1,000 keys a page: the newest may be on any page). It is the run's
 * recovery point: the report's RPO compares its age with the objective.
 */
export function backupLatestAction(open: OpenStore = openStore) {
  return defineAction({
    name: NAME,
    summary: 'Find the newest backup taken at or before the incident start',
    args: backupLatestArgs,
    outputs: ['uri', 'key', 'last_modified', 'age_s', 'age', 'size', 'size_text', 'manifest'],
    async run(args, ctx) {
      const location = parseLocation(args.location);
      if (typeof location === 'string') throw new PermanentActionError(`${NAME}: ${args.location}: ${location}`);
      const pattern = args.match === undefined ? undefined : globToRegExp(args.match);
      const cut = ctx.incidentStart.getTime();
      let best: StoredObject | undefined;
      let oldestNewer: StoredObject | undefined;
      let newerCount = 0;
      // The series as retention and freshness see it: manifests left out, a directory-format dump
      // (a folder with its manifest beside it) one backup, never one of its files.
      let series: Series;
      try {
        const store = await open(location.store, ctx.aws);
        series = await listSeries(store, location, pattern, ctx.signal);
      } catch (error) {
        throw storeFailure(NAME, location.uri, error, ctx.signal);
      }
      const { listed, pages, manifests } = series;
      const matching = series.backups.length;
      // A directory-format backup that stopped part way is never a recovery point.
      for (const partial of series.partial) ctx.log(`${uriOf(location.store, partial.key)}: ${partial.problem}: left out`);
      for (const object of series.backups) {
        if (object.lastModified.getTime() <= cut) {
          if (newer(object, best)) best = object;
        } else {
          newerCount++;
          if (older(object, oldestNewer)) oldestNewer = object;
        }
      }
      const incident = ctx.incidentStart.toISOString();
      const matched = args.match === undefined ? '' : ` matching "${args.match}"`;
      ctx.record({
        location: location.uri,
        match: args.match ?? null,
        pages,
        listed,
        matching,
        newer_than_incident: newerCount,
        incident_start: incident,
        chosen: best ? uriOf(location.store, best.key) : null,
        partial: series.partial.map((p) => uriOf(location.store, p.key)),
      });
      if (!best) {
        const partial = series.partial.length ? ` (${series.partial.length} partial directory-format backup(s) left out)` : '';
        if (!oldestNewer) throw new PermanentActionError(`${NAME}: ${location.uri}: no backups${matched}${partial}`);
        throw new PermanentActionError(
          `${NAME}: ${location.uri}: the only backups${matched} are newer than the incident start (${incident}): the oldest, ${uriOf(location.store, oldestNewer.key)}, was taken at ${oldestNewer.lastModified.toISOString()}; a backup taken after the disaster may hold the damage (set --incident-start if the incident began later)`,
        );
      }
      const uri = uriOf(location.store, best.key);
      const ageMs = cut - best.lastModified.getTime();
      ctx.log(
        `${uri}: taken ${best.lastModified.toISOString()}, ${formatDuration(ageMs)} before the incident start, ${formatBytes(best.size)} (${matching} backup(s)${matched} in ${pages} page(s)${newerCount ? `, ${newerCount} newer than the incident start left out` : ''})`,
      );
      ctx.recoveryPoint(best.lastModified, uri);
      // `age` and `size_text` as an operator reads them (`manifest`: the manifest's URI or ''), for confirmations and messages: "7m30s", "1.2 MiB".
      return {
        uri,
        key: best.key,
        last_modified: best.lastModified.toISOString(),
        age_s: Math.round(ageMs) / 1000,
        age: formatDuration(ageMs),
        size: best.size,
        size_text: formatBytes(best.size),
        // The manifest beside the backup (its tables' row counts and fingerprints), or '' when it has none.
        manifest: manifests.has(manifestKeyFor(best.key)) ? uriOf(location.store, manifestKeyFor(best.key)) : '',
      };
    },
  });
}

export const backupLatest = backupLatestAction();
