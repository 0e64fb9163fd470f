import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';

describe.skipIf(!hasPostgres())('the test PostgreSQL server', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.stop());

  it('accepts SQL from the real psql on its loopback port', () => {
    pg.createDatabase('shop');
    pg.psql('CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2);', 'shop');
    expect(pg.psql('SELECT count(*) FROM t', 'shop')).toBe('2');
  });
});

describe.skipIf(!hasMoto())('the test AWS emulator', () => {
  let moto: TestMoto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(() => moto?.stop());

  it('serves S3 to the real aws CLI through AWS_ENDPOINT_URL', () => {
    const env = { ...process.env, ...moto.env };
    execFileSync('aws', ['s3', 'mb', 's3://probe-bucket'], { env });
    expect(execFileSync('aws', ['s3', 'ls'], { env, encoding: 'utf8' })).toContain('probe-bucket');
  });
});
