import { describe, expect, it } from 'vitest';
import type { BackupManifest } from '../../../src/actions/backup/manifest.js';
import { manifestKeyFor, parseManifest, serializeManifest } from '../../../src/actions/backup/manifest.js';
import type { TableFingerprint } from '../../../src/actions/postgres/fingerprint-core.js';
import { compareFingerprints, describeDifference, selectedBy } from '../../../src/actions/postgres/fingerprint-core.js';
import { ActionError } from '../../../src/actions/types.js';

const hex = (c: string): string => c.repeat(64);
const table = (name: string, rows: number, sha = hex('a'), schema = 'public'): TableFingerprint => ({
  schema,
  table: name,
  rows,
  sha256: sha,
  ordered_by: 'primary key',
});

describe('comparing fingerprints', () => {
  it('finds nothing when every table has the same count and checksum', () => {
    const tables = [table('orders', 210001), table('users', 10, hex('b'))];
    expect(compareFingerprints(tables, structuredClone(tables))).toEqual([]);
  });

  it('names each table that differs, in order, with one line each', () => {
    const expected = [table('users', 10), table('orders', 210001), table('gone', 3), table('events', 0, hex('c'), 'audit')];
    const actual = [table('orders', 210001, hex('d')), table('users', 9), table('new', 1), table('events', 0, hex('c'), 'audit')];
    const differences = compareFingerprints(expected, actual);
    expect(differences.map((d) => [`${d.schema}.${d.table}`, d.problem])).toEqual([
      ['public.gone', 'missing'],
      ['public.new', 'extra'],
      ['public.orders', 'content'],
      ['public.users', 'rows'],
    ]);
    expect(differences.map(describeDifference)).toEqual([
      'public.gone: missing (expected 3 rows)',
      'public.new: not expected (1 row here)',
      'public.orders: content differs (row count 210001 in both)',
      'public.users: 9 rows, expected 10',
    ]);
  });

  it('tells a table apart by schema as well as name', () => {
    const differences = compareFingerprints([table('t', 1, hex('a'), 'a')], [table('t', 1, hex('a'), 'b')]);
    expect(differences.map(describeDifference)).toEqual(['a.t: missing (expected 1 row)', 'b.t: not expected (1 row here)']);
  });

  it('selects tables by schema, by schema.table and by bare name', () => {
    expect(selectedBy({}, 'public', 'x')).toBe(true);
    expect(selectedBy({ schemas: ['sales'] }, 'public', 'x')).toBe(false);
    expect(selectedBy({ tables: ['public.x'] }, 'public', 'x')).toBe(true);
    expect(selectedBy({ tables: ['x'] }, 'audit', 'x')).toBe(true);
    expect(selectedBy({ tables: ['audit.x'] }, 'public', 'x')).toBe(false);
  });
});

describe('backup manifests', () => {
  const manifest: BackupManifest = {
    manifest_version: 1,
    tool: 'drctl',
    database: 'shop',
    server_version: '15.18',
    format: 'plain-gzip',
    started_at: '2026-11-30T00:00:00.000Z',
    finished_at: '2026-11-30T00:00:05.000Z',
    size: 1234,
    sha256: hex('e'),
    object: 's3://backups/shop/2026-11-30.sql.gz',
    tables: [table('orders', 3)],
  };

  it('sits beside its object', () => {
    expect(manifestKeyFor('shop/2026-11-30.sql.gz')).toBe('shop/2026-11-30.sql.gz.manifest.json');
  });

  it('reads back what it wrote', () => {
    expect(parseManifest(serializeManifest(manifest), 'x')).toEqual(manifest);
  });

  it('refuses text that is not JSON in one line naming where it came from', () => {
    const error = (() => {
      try {
        parseManifest('{"manifest_version": 1,', 's3://backups/a.manifest.json');
      } catch (e) {
        return e as ActionError;
      }
    })();
    expect(error).toBeInstanceOf(ActionError);
    expect(error?.permanent).toBe(true);
    expect(error?.message).toMatch(/^s3:\/\/backups\/a\.manifest\.json: not a backup manifest: not JSON/);
    expect(error?.message).not.toContain('\n');
  });

  it('names the first key that is wrong', () => {
    const bad = { ...manifest, tables: [{ ...manifest.tables[0], rows: -1 }] };
    expect(() => parseManifest(JSON.stringify(bad), 'file:///b/a.manifest.json')).toThrow(
      /^file:\/\/\/b\/a\.manifest\.json: not a valid backup manifest: tables\[0\]\.rows: /,
    );
    expect(() => parseManifest(JSON.stringify({ ...manifest, manifest_version: 2 }), 'm')).toThrow(
      'm: not a valid backup manifest: manifest_version: expected 1 (this drctl reads manifest version 1)',
    );
    expect(() => parseManifest(JSON.stringify({ ...manifest, format: 'tar' }), 'm')).toThrow(/^m: not a valid backup manifest: format: /);
  });

  it('carries how its checksums were made; one of an earlier drctl names no method, one of a later drctl an unknown one', () => {
    const current = { ...manifest, fingerprint_method: 'drctl-fp2' as const };
    expect(parseManifest(serializeManifest(current), 'x').fingerprint_method).toBe('drctl-fp2');
    expect(parseManifest(serializeManifest(manifest), 'x').fingerprint_method).toBeUndefined();
    expect(() => parseManifest(JSON.stringify({ ...manifest, fingerprint_method: 'drctl-fp9' }), 'm')).toThrow(
      'm: not a valid backup manifest: fingerprint_method: expected drctl-fp1 or drctl-fp2 (a manifest of a later drctl?)',
    );
  });
});
