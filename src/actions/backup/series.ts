import type { BackupStore, StoredObject } from '../../ports/backup-store.js';
import type { Location } from './location.js';

/** A backup's manifest sits beside it as `<key>.manifest.json`: part of that backup, not one of the series. */
export const MANIFEST_SUFFIX = '.manifest.json';

export interface Series {
  /** The backups: every object under the location whose name matches, manifests and folder markers left out. */
  backups: StoredObject[];
  /** The keys of the manifests found, for deleting one with its backup. */
  manifests: Set<string>;
  pages: number;
  listed: number;
}

/**
 * The backups of a location, across every page of the listing (S3 lists 1,000 keys a page in key
 * order). `pattern` tests an object's name under the location (backup.latest's `match` glob).
 * A backup's time is its object's last-modified time: when S3 finished storing it, or the file's mtime.
 */
export async function listSeries(
  store: BackupStore,
  location: Location,
  pattern: RegExp | undefined,
  signal: AbortSignal,
): Promise<Series> {
  const series: Series = { backups: [], manifests: new Set(), pages: 0, listed: 0 };
  let token: string | undefined;
  do {
    const page = await store.listPage(location.prefix, token, signal);
    series.pages++;
    for (const object of page.objects) {
      series.listed++;
      const name = object.key.slice(location.prefix.length);
      if (name.endsWith(MANIFEST_SUFFIX)) {
        series.manifests.add(object.key);
        continue;
      }
      // Folder markers ("prefix/sub/", 0 bytes) are not backups.
      if (!name || name.endsWith('/') || (pattern && !pattern.test(name))) continue;
      series.backups.push(object);
    }
    token = page.next;
  } while (token !== undefined);
  return series;
}
