import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderDigest, isDumpFileName, partialProblem } from '../../../src/actions/backup/directory.js';
import type { Location } from '../../../src/actions/backup/location.js';
import { parseLocation } from '../../../src/actions/backup/location.js';
import { listSeries } from '../../../src/actions/backup/series.js';
import { openStore } from '../../../src/actions/backup/store.js';
import type { BackupStore, ObjectPage, StoredObject } from '../../../src/ports/backup-store.js';
import { sha256Hash } from '../../../src/util/sha256.js';

const T0 = Date.parse('2026-11-30T12:00:00.000Z');
const object = (key: string, ageMs: number, size = 10): StoredObject => ({ key: `pg/${key}`, lastModified: new Date(T0 - ageMs), size });
const storeOf = (listing: StoredObject[]): BackupStore =>
  ({ listPage: async (): Promise<ObjectPage> => ({ objects: listing }) }) as unknown as BackupStore;

describe('directory-format backups in a listing', () => {
  it("a folder of pg_dump's files is one backup with or without a manifest; without toc.dat it is partial and left out", async () => {
    const series = await listSeries(
      storeOf([
        object('complete/toc.dat', 3000),
        object('complete/3001.dat.gz', 3500),
        object('complete.manifest.json', 2000),
        object('by-hand/toc.dat', 5000),
        object('by-hand/3001.dat.gz', 5000),
        object('by-hand/blobs_3002.toc', 5000),
        object('cut/3001.dat.gz', 1000),
        object('cut/3002.dat.gz', 900),
        object('cut-with-manifest/3001.dat.gz', 800),
        object('cut-with-manifest.manifest.json', 700),
        object('notes/readme.txt', 100),
        object('3001.dat', 100),
      ]),
      parseLocation('s3://bkt/pg/') as Location,
      undefined,
      new AbortController().signal,
    );
    expect(series.backups.map((b) => [b.key, b.size]).sort()).toEqual(
      [
        ['pg/3001.dat', 10],
        ['pg/by-hand/', 30],
        ['pg/complete/', 20],
        ['pg/notes/readme.txt', 10],
      ].sort(),
    );
    expect(series.partial.map((p) => [p.key, p.problem]).sort()).toEqual([
      ['pg/cut-with-manifest/', 'a partial directory-format backup: 1 file and no toc.dat (it stopped before it was complete)'],
      ['pg/cut/', 'a partial directory-format backup: 2 files and no toc.dat (it stopped before it was complete)'],
    ]);
    expect(series.members.has('pg/cut/')).toBe(false);
  });

  it('a file:// folder is the same: complete with its toc.dat, partial without; a folder being written (hidden) is not listed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-dirseries-'));
    try {
      for (const [folder, names] of [
        ['done', ['toc.dat', '3001.dat.gz']],
        ['cut', ['3001.dat.gz']],
        ['.done.drctl-partial-1-abcd', ['3001.dat.gz']],
      ] as const) {
        mkdirSync(join(dir, folder));
        for (const name of names) writeFileSync(join(dir, folder, name), 'x');
      }
      const location = parseLocation(`file://${dir}/`) as Location;
      const series = await listSeries(await openStore(location.store, {}), location, undefined, new AbortController().signal);
      expect(series.backups.map((b) => b.key)).toEqual([`${dir}/done/`]);
      expect(series.partial.map((p) => p.key)).toEqual([`${dir}/cut/`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("pg_dump's file names, the partial rule, and the digest sha256sum would print", () => {
    for (const name of [
      'toc.dat',
      '3001.dat',
      '3001.dat.gz',
      '3001.dat.lz4',
      '3001.dat.zst',
      'blobs.toc',
      'blobs_12.toc',
      'blob_16384.dat.gz',
    ])
      expect(isDumpFileName(name), name).toBe(true);
    for (const name of ['readme.txt', 'toc.dat.bak', 'x3001.dat', '../3001.dat', 'dump.sql.gz'])
      expect(isDumpFileName(name), name).toBe(false);
    expect(partialProblem(['toc.dat'])).toBeUndefined();
    expect(partialProblem([])).toBe('an empty folder, not a backup');
    const files = [
      { name: 'toc.dat', sha256: 'b'.repeat(64) },
      { name: '3001.dat.gz', sha256: 'a'.repeat(64) },
    ];
    expect(folderDigest(files)).toBe(
      sha256Hash()
        .update(`${'a'.repeat(64)}  3001.dat.gz\n${'b'.repeat(64)}  toc.dat\n`)
        .digest('hex'),
    );
  });
});
