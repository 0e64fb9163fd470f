import { sha256Hash } from '../../util/sha256.js';

/**
 * What drctl knows of a directory-format dump (`pg_dump -Fd`): a folder of files, `toc.dat` its
 * table of contents. drctl makes one complete in a single last move: on file:// the folder is
 * written under a hidden name and renamed into place; on S3 its toc.dat is uploaded only once every
 * other file is stored (its manifest after that). A folder of pg_dump's files without its toc.dat
 * is a backup that stopped part way: listings leave it out with a note, restores refuse it.
 */

/** The table of contents: pg_restore reads nothing without it, and drctl stores it last. */
export const TOC_FILE = 'toc.dat';

/** The names pg_dump gives the files of a directory-format dump. */
const DUMP_FILE = /^(?:toc\.dat|\d+\.dat(?:\.(?:gz|lz4|zst))?|blobs(?:_\d+)?\.toc|blob_\d+\.dat(?:\.(?:gz|lz4|zst))?)$/;

export function isDumpFileName(name: string): boolean {
  return DUMP_FILE.test(name);
}

/** One file of a directory-format backup, as its manifest records it. */
export interface DumpFile {
  name: string;
  size: number;
  sha256: string;
}

/** The sha256 of a directory-format backup: of its files' sha256 lines (`<sha256>  <name>`, by name), as sha256sum writes them. */
export function folderDigest(files: ReadonlyArray<{ name: string; sha256: string }>): string {
  const listing = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join('');
  return sha256Hash().update(listing).digest('hex');
}

/** Why a directory-format backup holding `names` is not complete, or undefined when it is. */
export function partialProblem(names: ReadonlyArray<string>): string | undefined {
  if (names.includes(TOC_FILE)) return undefined;
  return names.length === 0
    ? 'an empty folder, not a backup'
    : `a partial directory-format backup: ${names.length} file${names.length === 1 ? '' : 's'} and no ${TOC_FILE} (it stopped before it was complete)`;
}
