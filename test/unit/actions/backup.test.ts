import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { backupDownloadAction } from '../../../src/actions/backup/download.js';
import { backupLatestAction } from '../../../src/actions/backup/latest.js';
import { globToRegExp, parseLocation, parseObjectUri } from '../../../src/actions/backup/location.js';
import { progressReporter } from '../../../src/actions/backup/progress.js';
import { HashMeter } from '../../../src/util/hash-meter.js';
import { openStore } from '../../../src/actions/backup/store.js';
import { backupUploadAction } from '../../../src/actions/backup/upload.js';
import { checkActionArgs } from '../../../src/actions/validate-args.js';
import type { ActionContext, ActionDefinition } from '../../../src/actions/types.js';
import { ActionError, PermanentActionError } from '../../../src/actions/types.js';
import { objectSha256 } from '../../../src/adapters/s3-store.js';
import type {
  BackupStore,
  ObjectInfo,
  ObjectPage,
  StoredObject,
  StreamWriteOptions,
  StreamWritten,
  WriteOptions,
} from '../../../src/ports/backup-store.js';
import { fakeActionContext, INCIDENT_START } from '../../support/action-context.js';

// ---------------------------------------------------------------------------------------------
// Fakes: a store behind the port (the action context is test/support/action-context.ts).

const at = (offsetS: number): Date => new Date(INCIDENT_START.getTime() + offsetS * 1000);

interface FakeObject {
  data: Buffer;
  lastModified: Date;
  sha256?: string;
  /** Pretend the store says the object is this long. */
  claimedSize?: number;
}

/** An S3-like store: listed in pages of whatever the test says, each page in key order. */
class FakeStore implements BackupStore {
  readonly tokens: Array<string | undefined> = [];
  readonly written = new Map<string, { data: Buffer; sha256: string }>();
  listError: unknown;
  body?: (object: FakeObject) => Readable;

  constructor(
    readonly pages: StoredObject[][] = [],
    readonly objects = new Map<string, FakeObject>(),
  ) {}

  async listPage(_prefix: string, token: string | undefined): Promise<ObjectPage> {
    this.tokens.push(token);
    if (this.listError) throw this.listError;
    const index = token === undefined ? 0 : Number(token);
    return { objects: this.pages[index] ?? [], next: index + 1 < this.pages.length ? String(index + 1) : undefined };
  }

  async read(key: string): Promise<{ info: ObjectInfo; body: Readable }> {
    const object = this.objects.get(key);
    if (!object)
      throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return {
      info: {
        size: object.claimedSize ?? object.data.length,
        lastModified: object.lastModified,
        sha256: object.sha256,
        sha256Source: object.sha256 ? 'metadata sha256' : undefined,
      },
      body: this.body
        ? this.body(object)
        : Readable.from([object.data.subarray(0, object.data.length >> 1), object.data.subarray(object.data.length >> 1)]),
    };
  }

  async write(key: string, body: Readable, options: WriteOptions): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    options.onProgress(data.length);
    this.written.set(key, { data, sha256: options.sha256 });
  }

  async writeStream(key: string, body: Readable, options: StreamWriteOptions): Promise<StreamWritten> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    options.onProgress(data.length);
    const sha256 = createHash('sha256').update(data).digest('hex');
    this.written.set(key, { data, sha256 });
    return { size: data.length, sha256 };
  }

  async remove(key: string): Promise<void> {
    this.written.delete(key);
  }
}

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const awsError = (name: string, message: string, status: number): Error =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function run(action: ActionDefinition<any>, args: Record<string, unknown>, ctx: ActionContext): Promise<Record<string, unknown>> {
  return action.run(action.args.parse(args), ctx);
}

const tmpDirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drctl-backup-unit-'));
  tmpDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tmpDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// backup.latest

/** 3 pages of 1,000 keys in key order, all well before the incident, with the newest on page `newestPage`. */
function threePages(newestPage: number): { pages: StoredObject[][]; newest: StoredObject } {
  const pages: StoredObject[][] = [];
  let newest: StoredObject | undefined;
  for (let p = 0; p < 3; p++) {
    const page: StoredObject[] = [];
    for (let i = 0; i < 1000; i++) {
      const n = p * 1000 + i;
      // Key order is not time order: timestamps are scattered, all at least an hour before the incident.
      page.push({ key: `pg/backup_${String(n).padStart(5, '0')}.sql.gz`, lastModified: at(-3600 - ((n * 7919) % 86_400)), size: 1000 + n });
    }
    if (p === newestPage) {
      newest = { key: `pg/backup_${String(p * 1000 + 437).padStart(5, '0')}.sql.gz`, lastModified: at(-412), size: 123_456 };
      page[437] = newest;
    }
    pages.push(page);
  }
  return { pages, newest: newest! };
}

describe('backup.latest', () => {
  it.each([1, 2, 3])('reads every page: the newest backup (on page %i of 3) wins', async (newestPage) => {
    const { pages, newest } = threePages(newestPage - 1);
    const store = new FakeStore(pages);
    const ctx = fakeActionContext();
    const outputs = await run(
      backupLatestAction(async () => store),
      { location: 's3://bkt/pg/' },
      ctx,
    );
    expect(store.tokens).toEqual([undefined, '1', '2']);
    expect(outputs).toEqual({
      uri: `s3://bkt/${newest.key}`,
      key: newest.key,
      last_modified: '2026-11-22T02:53:08.000Z',
      age_s: 412,
      age: '6m52s',
      size: 123_456,
      size_text: '120.6 KiB',
      manifest: '',
    });
    expect(ctx.points).toEqual([{ at: new Date('2026-11-22T02:53:08.000Z'), evidence: `s3://bkt/${newest.key}` }]);
    expect(ctx.records[0]).toMatchObject({ location: 's3://bkt/pg/', pages: 3, listed: 3000, matching: 3000, newer_than_incident: 0 });
    expect(ctx.logs.join('\n')).toContain('6m52s before the incident start');
  });

  it("names the manifest beside the chosen backup (postgres.backup's), and '' for a backup without one", async () => {
    const store = new FakeStore([
      [
        { key: 'p/shop-20261122T020000Z.sql.gz', lastModified: at(-900), size: 10 },
        { key: 'p/shop-20261122T020000Z.sql.gz.manifest.json', lastModified: at(-899), size: 1 },
        { key: 'p/shop-20261122T021500Z.sql.gz', lastModified: at(-300), size: 10 },
      ],
      [{ key: 'p/shop-20261122T021500Z.sql.gz.manifest.json', lastModified: at(-299), size: 1 }],
    ]);
    const outputs = await run(
      backupLatestAction(async () => store),
      { location: 's3://bkt/p/' },
      fakeActionContext(),
    );
    expect(outputs).toMatchObject({
      key: 'p/shop-20261122T021500Z.sql.gz',
      manifest: 's3://bkt/p/shop-20261122T021500Z.sql.gz.manifest.json',
    });
    const old = new FakeStore([[{ key: 'p/backup_20261122_021500.sql.gz', lastModified: at(-300), size: 10 }]]);
    expect(
      await run(
        backupLatestAction(async () => old),
        { location: 's3://bkt/p/' },
        fakeActionContext(),
      ),
    ).toMatchObject({
      key: 'p/backup_20261122_021500.sql.gz',
      manifest: '',
    });
  });

  it('a directory-format dump (a folder with its manifest beside it) is one backup, never one of its files, named with its manifest', async () => {
    const store = new FakeStore([
      [
        { key: 'p/shop-20261122T020000Z.sql.gz', lastModified: at(-900), size: 10 },
        { key: 'p/shop-20261122T021500Z.manifest.json', lastModified: at(-100), size: 1 },
        { key: 'p/shop-20261122T021500Z/3001.dat.gz', lastModified: at(-200), size: 30 },
        { key: 'p/shop-20261122T021500Z/toc.dat', lastModified: at(-120), size: 5 },
      ],
    ]);
    const ctx = fakeActionContext();
    const outputs = await run(
      backupLatestAction(async () => store),
      { location: 's3://bkt/p/' },
      ctx,
    );
    expect(outputs).toMatchObject({
      uri: 's3://bkt/p/shop-20261122T021500Z/',
      key: 'p/shop-20261122T021500Z/',
      size: 35,
      manifest: 's3://bkt/p/shop-20261122T021500Z.manifest.json',
    });
    expect(ctx.records[0]).toMatchObject({ listed: 4, matching: 2, chosen: 's3://bkt/p/shop-20261122T021500Z/' });
  });

  it('leaves out backups taken after the incident start (they may hold the damage); one taken at that very instant counts', async () => {
    const store = new FakeStore([
      [
        { key: 'p/a.gz', lastModified: at(-900), size: 1 },
        { key: 'p/b.gz', lastModified: at(0), size: 2 },
        { key: 'p/c.gz', lastModified: at(1), size: 3 },
      ],
      [{ key: 'p/d.gz', lastModified: at(3600), size: 4 }],
    ]);
    const ctx = fakeActionContext();
    const outputs = await run(
      backupLatestAction(async () => store),
      { location: 's3://bkt/p' },
      ctx,
    );
    expect(outputs).toMatchObject({ key: 'p/b.gz', age_s: 0, age: '0s', size: 2, size_text: '2 B' });
    expect(ctx.records[0]).toMatchObject({ newer_than_incident: 2, chosen: 's3://bkt/p/b.gz' });
  });

  it('at the same LastModified (S3 keeps whole seconds) picks the greater key, whatever the page order', async () => {
    const same = at(-60);
    const store = new FakeStore([
      [{ key: 'p/backup_2.gz', lastModified: same, size: 1 }],
      [{ key: 'p/backup_1.gz', lastModified: same, size: 1 }],
    ]);
    const outputs = await run(
      backupLatestAction(async () => store),
      { location: 's3://bkt/p/' },
      fakeActionContext(),
    );
    expect(outputs.key).toBe('p/backup_2.gz');
  });

  it('match: a glob on the name under the location, * not crossing /; folder markers are never backups', async () => {
    const store = new FakeStore([
      [
        { key: 'pg/', lastModified: at(-1), size: 0 },
        { key: 'pg/backup_1.sql.gz', lastModified: at(-600), size: 1 },
        { key: 'pg/backup_2.sql.gz.tmp', lastModified: at(-60), size: 2 },
        { key: 'pg/old/backup_3.sql.gz', lastModified: at(-30), size: 3 },
        { key: 'pg/notes.txt', lastModified: at(-10), size: 4 },
      ],
    ]);
    const ctx = fakeActionContext();
    expect(
      await run(
        backupLatestAction(async () => store),
        { location: 's3://bkt/pg/', match: 'backup_*.sql.gz' },
        ctx,
      ),
    ).toMatchObject({ key: 'pg/backup_1.sql.gz' });
    expect(
      await run(
        backupLatestAction(async () => store),
        { location: 's3://bkt/pg/', match: '**/backup_*.sql.gz' },
        ctx,
      ),
    ).toMatchObject({ key: 'pg/old/backup_3.sql.gz' });
    expect(
      await run(
        backupLatestAction(async () => store),
        { location: 's3://bkt/pg/' },
        ctx,
      ),
    ).toMatchObject({ key: 'pg/notes.txt' });
  });

  it('no backups at all: one line naming the action and the location', async () => {
    const store = new FakeStore([[]]);
    await expect(
      run(
        backupLatestAction(async () => store),
        { location: 's3://b/p/' },
        fakeActionContext(),
      ),
    ).rejects.toThrow(new PermanentActionError('backup.latest: s3://b/p/: no backups'));
    const some = new FakeStore([[{ key: 'p/x.txt', lastModified: at(-5), size: 1 }]]);
    await expect(
      run(
        backupLatestAction(async () => some),
        { location: 's3://b/p/', match: '*.gz' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('backup.latest: s3://b/p/: no backups matching "*.gz"');
  });

  it('only backups newer than the incident start: refuses, naming the oldest of them and the incident start', async () => {
    const store = new FakeStore([[{ key: 'p/b.gz', lastModified: at(120), size: 1 }], [{ key: 'p/a.gz', lastModified: at(60), size: 1 }]]);
    const ctx = fakeActionContext();
    const failure = run(
      backupLatestAction(async () => store),
      { location: 's3://b/p/' },
      ctx,
    );
    await expect(failure).rejects.toBeInstanceOf(ActionError);
    await expect(failure).rejects.toThrow(
      /^backup\.latest: s3:\/\/b\/p\/: the only backups are newer than the incident start \(2026-11-22T03:00:00\.000Z\): the oldest, s3:\/\/b\/p\/a\.gz, was taken at 2026-11-22T03:01:00\.000Z; a backup taken after the disaster may hold the damage/,
    );
    expect(ctx.points).toEqual([]);
  });

  it('an AWS failure is one line: the action, the location and the AWS error code', async () => {
    const store = new FakeStore();
    store.listError = awsError('NoSuchBucket', 'The specified bucket does not exist', 404);
    await expect(
      run(
        backupLatestAction(async () => store),
        { location: 's3://nope/p/' },
        fakeActionContext(),
      ),
    ).rejects.toThrow(
      new ActionError('backup.latest: s3://nope/p/: NoSuchBucket: The specified bucket does not exist (HTTP 404)', { permanent: true }),
    );
    store.listError = awsError('AccessDenied', 'Access Denied', 403);
    await expect(
      run(
        backupLatestAction(async () => store),
        { location: 's3://nope/p/' },
        fakeActionContext(),
      ),
    ).rejects.toThrow('backup.latest: s3://nope/p/: AccessDenied: Access Denied (HTTP 403)');
    store.listError = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    await expect(
      run(
        backupLatestAction(async () => store),
        { location: 's3://nope/p/' },
        fakeActionContext(),
      ),
    ).rejects.toThrow(/^backup\.latest: s3:\/\/nope\/p\/: no AWS credentials/);
  });

  it('an interruption passes through untouched (the runner reports it as such)', async () => {
    const ctx = fakeActionContext();
    const store = new FakeStore();
    const aborted = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    store.listError = aborted;
    ctx.controller.abort(new Error('SIGINT'));
    await expect(
      run(
        backupLatestAction(async () => store),
        { location: 's3://b/p/' },
        ctx,
      ),
    ).rejects.toBe(aborted);
  });

  it('file:// locations: the newest file under the folder, its path as key', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'backup_1.sql.gz'), 'one');
    writeFileSync(join(dir, 'backup_2.sql.gz'), 'two!');
    writeFileSync(join(dir, '.backup_3.sql.gz.drctl-partial-1-abcd'), 'partial');
    const { utimesSync } = await import('node:fs');
    utimesSync(join(dir, 'backup_1.sql.gz'), at(-600), at(-600));
    utimesSync(join(dir, 'backup_2.sql.gz'), at(-300), at(-300));
    utimesSync(join(dir, '.backup_3.sql.gz.drctl-partial-1-abcd'), at(-10), at(-10));
    // A directory-format dump still being written (or left by a killed run): its hidden folder's files are no backups.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, '.shop-20261122T025900Z.drctl-partial-1-abcd'));
    writeFileSync(join(dir, '.shop-20261122T025900Z.drctl-partial-1-abcd', 'toc.dat'), 'PGDMP');
    utimesSync(join(dir, '.shop-20261122T025900Z.drctl-partial-1-abcd', 'toc.dat'), at(-5), at(-5));
    const outputs = await run(backupLatestAction(), { location: `file://${dir}/` }, fakeActionContext());
    expect(outputs).toEqual({
      uri: `file://${dir}/backup_2.sql.gz`,
      key: join(dir, 'backup_2.sql.gz'),
      last_modified: at(-300).toISOString(),
      age_s: 300,
      age: '5m',
      size: 4,
      size_text: '4 B',
      manifest: '',
    });
    await expect(run(backupLatestAction(), { location: `file://${dir}/missing/` }, fakeActionContext())).rejects.toThrow(
      `backup.latest: file://${dir}/missing/: ENOENT: no such file or directory`,
    );
  });

  it('validate names unknown and missing arguments and a location that is not s3:// or file://', () => {
    const action = backupLatestAction();
    expect(checkActionArgs(action, { location: 's3://b/p/', mach: '*.gz' })[0]).toMatchObject({
      message: 'backup.latest has no argument "mach"',
      hint: 'did you mean "match"?',
    });
    expect(checkActionArgs(action, {})[0]).toMatchObject({ message: 'backup.latest needs the argument "location"' });
    expect(checkActionArgs(action, { location: 'https://b/p/' })[0]!.message).toBe(
      'backup.latest: argument location: not an s3:// or file:// URI: expected s3://bucket/prefix/ or file:///dir/',
    );
    expect(checkActionArgs(action, { location: '${{ inputs.where }}' })).toEqual([]);
    expect(checkActionArgs(action, { location: 'file:///backups/a\0b/' })[0]!.message).toBe(
      'backup.latest: argument location: holds a NUL byte: expected s3://bucket/prefix/ or file:///dir/',
    );
  });
});

describe('locations and globs', () => {
  it('a location is a folder: the trailing / is implied; file:// paths resolve against the working directory', () => {
    expect(parseLocation('s3://bkt')).toMatchObject({ prefix: '', uri: 's3://bkt/' });
    expect(parseLocation('s3://bkt/pg')).toMatchObject({ prefix: 'pg/', uri: 's3://bkt/pg/' });
    expect(parseLocation('file:///var/backups')).toMatchObject({ prefix: '/var/backups/', uri: 'file:///var/backups/' });
    expect(parseLocation('file://backups/')).toMatchObject({ prefix: `${process.cwd()}/backups/` });
    expect(parseLocation('s3:///x')).toBe('no bucket: expected s3://bucket/prefix/ or file:///dir/');
  });

  it('an object URI names an object; with a name, a folder URI keeps it', () => {
    expect(parseObjectUri('s3://bkt/pg/a.gz')).toMatchObject({ key: 'pg/a.gz' });
    expect(parseObjectUri('s3://bkt/pg/')).toMatch(/names a folder/);
    expect(parseObjectUri('s3://bkt/pg/', 'a.gz')).toMatchObject({ key: 'pg/a.gz', uri: 's3://bkt/pg/a.gz' });
    expect(parseObjectUri('file:///tmp/x/', 'a.gz')).toMatchObject({ key: '/tmp/x/a.gz', uri: 'file:///tmp/x/a.gz' });
  });

  it('globs: * and ? stay within a name, ** crosses folders, classes work, the rest is literal', () => {
    const g = globToRegExp('backup_*.sql.gz');
    expect(g.test('backup_20261122.sql.gz')).toBe(true);
    expect(g.test('old/backup_1.sql.gz')).toBe(false);
    expect(g.test('backup_1.sqlXgz')).toBe(false);
    expect(g.test('backup_1.sql.gz.tmp')).toBe(false);
    expect(globToRegExp('**/*.gz').test('a/b/c.gz')).toBe(true);
    expect(globToRegExp('**/*.gz').test('c.gz')).toBe(true);
    expect(globToRegExp('db?.dump').test('db1.dump')).toBe(true);
    expect(globToRegExp('db[12].dump').test('db3.dump')).toBe(false);
    expect(globToRegExp('db[!12].dump').test('db3.dump')).toBe(true);
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// backup.download

describe('backup.download', () => {
  const data = Buffer.from('pg_dump output '.repeat(1000));

  it('streams to a temporary file and renames it into place; a folder keeps the object name', async () => {
    const dir = tmp();
    const store = new FakeStore([], new Map([['pg/backup_1.sql.gz', { data, lastModified: at(-60), sha256: sha(data) }]]));
    const ctx = fakeActionContext();
    const outputs = await run(
      backupDownloadAction(async () => store),
      { uri: 's3://bkt/pg/backup_1.sql.gz', to: `${dir}/restore/` },
      ctx,
    );
    const path = join(dir, 'restore', 'backup_1.sql.gz');
    expect(outputs).toEqual({ path, bytes: data.length, sha256: sha(data) });
    expect(readFileSync(path)).toEqual(data);
    expect(readdirSync(join(dir, 'restore'))).toEqual(['backup_1.sql.gz']);
    expect(ctx.records[0]).toMatchObject({
      uri: 's3://bkt/pg/backup_1.sql.gz',
      path,
      verified: 'size+sha256',
      sha256_source: 'metadata sha256',
    });
    expect(ctx.logs.at(-1)).toContain('size and sha256 verified (metadata sha256)');
  });

  it('a sha256 mismatch fails, deletes the partial file and leaves an existing file as it was', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'db.gz'), 'yesterday');
    const store = new FakeStore([], new Map([['k/db.gz', { data, lastModified: at(-60), sha256: sha('something else') }]]));
    await expect(
      run(
        backupDownloadAction(async () => store),
        { uri: 's3://bkt/k/db.gz', to: dir },
        fakeActionContext(),
      ),
    ).rejects.toThrow(
      `backup.download: s3://bkt/k/db.gz: sha256 mismatch: the object's metadata sha256 is ${sha('something else')}, the bytes downloaded hash to ${sha(data)}; nothing was kept`,
    );
    expect(readdirSync(dir)).toEqual(['db.gz']);
    expect(readFileSync(join(dir, 'db.gz'), 'utf8')).toBe('yesterday');
  });

  it('fewer bytes than the object has fails and keeps nothing', async () => {
    const dir = tmp();
    const store = new FakeStore([], new Map([['k/db.gz', { data, lastModified: at(-60), claimedSize: data.length + 10 }]]));
    await expect(
      run(
        backupDownloadAction(async () => store),
        { uri: 's3://bkt/k/db.gz', to: join(dir, 'out.gz') },
        fakeActionContext(),
      ),
    ).rejects.toThrow(
      `backup.download: s3://bkt/k/db.gz: got ${data.length} bytes, the object has ${data.length + 10}: the download was cut short; nothing was kept`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an interrupted download leaves no partial file', async () => {
    const dir = tmp();
    const ctx = fakeActionContext();
    const store = new FakeStore([], new Map([['k/db.gz', { data, lastModified: at(-60) }]]));
    store.body = () =>
      new Readable({
        read() {
          this.push(Buffer.alloc(1024));
          setTimeout(() => ctx.controller.abort(new Error('SIGINT')), 5);
        },
      });
    await expect(
      run(
        backupDownloadAction(async () => store),
        { uri: 's3://bkt/k/db.gz', to: `${dir}/` },
        ctx,
      ),
    ).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a missing object is one line with the AWS error code', async () => {
    const store = new FakeStore();
    await expect(
      run(
        backupDownloadAction(async () => store),
        { uri: 's3://bkt/none.gz', to: `${tmp()}/` },
        fakeActionContext(),
      ),
    ).rejects.toThrow('backup.download: s3://bkt/none.gz: NoSuchKey: The specified key does not exist. (HTTP 404)');
  });

  it('validate refuses a folder URI', () => {
    expect(checkActionArgs(backupDownloadAction(), { uri: 's3://bkt/pg/', to: '/tmp/x' })[0]!.message).toMatch(
      /argument uri: names a folder, not an object/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// backup.upload

describe('backup.upload', () => {
  it('stores the bytes with their sha256; a URI ending in / keeps the file name', async () => {
    const dir = tmp();
    const file = join(dir, 'dump.sql.gz');
    writeFileSync(file, 'a dump');
    const store = new FakeStore();
    const ctx = fakeActionContext();
    const outputs = await run(
      backupUploadAction(async () => store),
      { from: file, uri: 's3://bkt/pg/' },
      ctx,
    );
    expect(outputs).toEqual({ uri: 's3://bkt/pg/dump.sql.gz', bytes: 6, sha256: sha('a dump') });
    expect(store.written.get('pg/dump.sql.gz')).toEqual({ data: Buffer.from('a dump'), sha256: sha('a dump') });
    expect(ctx.records[0]).toMatchObject({ from: file, uri: 's3://bkt/pg/dump.sql.gz', bytes: 6 });
  });

  it('a missing file is one line naming it', async () => {
    const file = join(tmp(), 'missing.gz');
    await expect(
      run(
        backupUploadAction(async () => new FakeStore()),
        { from: file, uri: 's3://bkt/pg/' },
        fakeActionContext(),
      ),
    ).rejects.toThrow(`backup.upload: ${file}: ENOENT: no such file or directory`);
  });

  it('file:// copies, and a later download round-trips the bytes', async () => {
    const dir = tmp();
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(join(dir, 'src.bin'), data);
    const up = await run(backupUploadAction(), { from: join(dir, 'src.bin'), uri: `file://${dir}/store/` }, fakeActionContext());
    expect(up).toEqual({ uri: `file://${dir}/store/src.bin`, bytes: data.length, sha256: sha(data) });
    const down = await run(backupDownloadAction(), { uri: up.uri as string, to: join(dir, 'back.bin') }, fakeActionContext());
    expect(down).toEqual({ path: join(dir, 'back.bin'), bytes: data.length, sha256: sha(data) });
    expect(existsSync(join(dir, 'store', 'src.bin'))).toBe(true);
    expect(readdirSync(join(dir, 'store'))).toEqual(['src.bin']);
  });
});

// ---------------------------------------------------------------------------------------------
// Pieces

describe('progress and checksums', () => {
  it('a progress line at each further 10%, never more than one every 2 s, at least one every 30 s', () => {
    const lines: string[] = [];
    let now = 0;
    const progress = progressReporter(
      (l) => lines.push(l),
      'downloading',
      's3://b/k',
      1000,
      () => now,
    );
    now = 500;
    progress.update(500); // 50% but within 2 s of the start
    now = 2100;
    progress.update(510); // 2 s passed and past 50%: a line
    now = 2200;
    progress.update(900); // within 2 s of the last line
    now = 4300;
    progress.update(905); // 90%
    now = 6400;
    progress.update(906); // same tenth, under 30 s
    now = 40_000;
    progress.update(907); // same tenth, 30 s: still alive
    progress.update(1000); // done: the action's own summary line follows
    expect(lines.map((l) => l.replace(/ \(.*/, ''))).toEqual([
      'downloading s3://b/k: 51%',
      'downloading s3://b/k: 90%',
      'downloading s3://b/k: 90%',
    ]);
  });

  it('HashMeter counts and hashes what passes', async () => {
    const meter = new HashMeter();
    const out: Buffer[] = [];
    for await (const chunk of Readable.from([Buffer.from('ab'), Buffer.from('c')]).pipe(meter)) out.push(chunk as Buffer);
    expect(Buffer.concat(out).toString()).toBe('abc');
    expect(meter.bytes).toBe(3);
    expect(meter.digest()).toBe(sha('abc'));
  });

  it("an object's sha256: our metadata first, else a full-object ChecksumSHA256, never a multipart composite", () => {
    const hex = sha('x');
    const b64 = Buffer.from(hex, 'hex').toString('base64');
    expect(objectSha256({ Metadata: { sha256: hex.toUpperCase() } })).toEqual({ sha256: hex, source: 'metadata sha256' });
    expect(objectSha256({ ChecksumSHA256: b64 })).toEqual({ sha256: hex, source: 'ChecksumSHA256' });
    expect(objectSha256({ ChecksumSHA256: `${b64}-3` })).toBeUndefined();
    expect(objectSha256({ ChecksumSHA256: b64, ChecksumType: 'COMPOSITE' })).toBeUndefined();
    expect(objectSha256({ Metadata: { sha256: 'not-a-hash' } })).toBeUndefined();
  });

  it('opening a file:// store loads no SDK', async () => {
    const store = await openStore({ scheme: 'file' }, {});
    expect(store.constructor.name).toBe('FileStore');
  });
});
