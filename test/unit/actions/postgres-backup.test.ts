import { describe, expect, it } from 'vitest';
import { parseLocation } from '../../../src/actions/backup/location.js';
import type { Location } from '../../../src/actions/backup/location.js';
import { backupKey, compactUtc, DEFAULT_NAME } from '../../../src/actions/postgres/backup.js';

const at = new Date('2026-11-30T02:15:07.123Z');
const location = (text: string): Location => parseLocation(text) as Location;

describe('postgres.backup names', () => {
  it('writes the time as UTC yyyymmddThhmmssZ', () => {
    expect(compactUtc(at)).toBe('20261130T021507Z');
  });

  it('adds the format’s ending: .sql.gz, .dump, or / for a folder', () => {
    const s3 = location('s3://backups/pg');
    expect(backupKey(s3, DEFAULT_NAME, 'shop', at, 'plain-gzip')).toBe('pg/shop-20261130T021507Z.sql.gz');
    expect(backupKey(s3, DEFAULT_NAME, 'shop', at, 'custom')).toBe('pg/shop-20261130T021507Z.dump');
    expect(backupKey(s3, DEFAULT_NAME, 'shop', at, 'directory')).toBe('pg/shop-20261130T021507Z/');
    expect(backupKey(location('file:///var/backups/'), 'nightly/{database}_{time}', 'shop', at, 'plain-gzip')).toBe(
      '/var/backups/nightly/shop_20261130T021507Z.sql.gz',
    );
  });

  it('keeps a database name from making a path: anything but letters, digits, . _ - becomes _', () => {
    expect(backupKey(location('s3://backups/'), DEFAULT_NAME, '../x y/ü', at, 'custom')).toBe('.._x_y__-20261130T021507Z.dump');
    // A database named "." or "..", alone between slashes of the name, would climb out of the location.
    expect(backupKey(location('file:///var/backups/'), '{database}/{time}', '..', at, 'custom')).toBe(
      '/var/backups/__/20261130T021507Z.dump',
    );
    expect(backupKey(location('s3://backups/pg/'), '{database}/{time}', '.', at, 'custom')).toBe('pg/_/20261130T021507Z.dump');
  });
});
