import type { BackupStore, StoredObject } from '../../ports/backup-store.js';
import { isDumpFileName, partialProblem } from './directory.js';
import type { Location } from './location.js';
import { manifestKeyFor, MANIFEST_SUFFIX } from './manifest.js';

export interface Series {
  /**
   * The backups: every object under the location whose name matches, manifests and folder markers
   * left out. A folder with a manifest beside it (`<dir>.manifest.json`: a directory-format dump),
   * or holding pg_dump's files, is one backup, keyed `<dir>/`, of the time of its newest file and
   * the size of all of them, once complete (its toc.dat there: src/actions/backup/directory.ts).
   */
  backups: StoredObject[];
  /** The keys of the manifests found, for deleting one with its backup. */
  manifests: Set<string>;
  /** The objects of each folder backup, by its key. */
  members: Map<string, string[]>;
  /**
   * Directory-format backups that are not complete (pg_dump's files without their toc.dat: the
   * backup stopped part way), left out of `backups`; `problem` says so in a line.
   */
  partial: Array<{ key: string; lastModified: Date; problem: string }>;
  pages: number;
  listed: number;
}

/**
 * The backups of a location, across every page of the listing (S3 lists 1,000 keys a page in key
 * order). `pattern` tests an object's name under the location (backup.latest's `match` glob; a
 * folder backup's name is tested with and without its trailing /). A backup's time is its object's
 * last-modified time: when S3 finished storing it, or the file's mtime.
 */
export async function listSeries(
  store: BackupStore,
  location: Location,
  pattern: RegExp | undefined,
  signal: AbortSignal,
): Promise<Series> {
  const series: Series = { backups: [], manifests: new Set(), members: new Map(), partial: [], pages: 0, listed: 0 };
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await store.listPage(location.prefix, token, signal);
    series.pages++;
    for (const object of page.objects) {
      series.listed++;
      if (object.key.endsWith(MANIFEST_SUFFIX)) series.manifests.add(object.key);
      else objects.push(object);
    }
    token = page.next;
  } while (token !== undefined);

  // The folder of a manifest `<dir>.manifest.json` holding objects is a directory-format backup.
  const folders = new Map<string, StoredObject>();
  const folderOf = (key: string): string | undefined => {
    for (let slash = key.indexOf('/', location.prefix.length); slash >= 0; slash = key.indexOf('/', slash + 1)) {
      const folder = key.slice(0, slash + 1);
      if (series.manifests.has(manifestKeyFor(folder))) return folder;
    }
    return undefined;
  };
  // A folder of pg_dump's files (toc.dat, 3001.dat.gz...) below the location is a directory-format
  // backup too, with or without a manifest beside it.
  const dumpFolderOf = (key: string): string | undefined => {
    const slash = key.lastIndexOf('/');
    if (slash < location.prefix.length || !isDumpFileName(key.slice(slash + 1))) return undefined;
    return key.slice(0, slash + 1);
  };
  const matches = (name: string): boolean => !pattern || pattern.test(name) || (name.endsWith('/') && pattern.test(name.slice(0, -1)));
  for (const object of objects) {
    const name = object.key.slice(location.prefix.length);
    // Folder markers ("prefix/sub/", 0 bytes) are not backups.
    if (!name || name.endsWith('/')) continue;
    const folder = folderOf(object.key) ?? dumpFolderOf(object.key);
    if (folder === undefined) {
      if (matches(name)) series.backups.push(object);
      continue;
    }
    if (!matches(folder.slice(location.prefix.length))) continue;
    const group = folders.get(folder);
    if (!group) {
      folders.set(folder, { key: folder, lastModified: object.lastModified, size: object.size });
      series.members.set(folder, [object.key]);
    } else {
      if (object.lastModified > group.lastModified) group.lastModified = object.lastModified;
      group.size += object.size;
      series.members.get(folder)!.push(object.key);
    }
  }
  for (const [folder, group] of folders) {
    const names = series.members
      .get(folder)!
      .filter((key) => key.lastIndexOf('/') === folder.length - 1)
      .map((key) => key.slice(folder.length));
    const problem = partialProblem(names);
    if (problem === undefined) continue;
    folders.delete(folder);
    series.members.delete(folder);
    series.partial.push({ key: folder, lastModified: group.lastModified, problem });
  }
  series.backups.push(...folders.values());
  return series;
}
