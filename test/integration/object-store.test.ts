import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../lambda/domain/errors.ts';
import { LocalStore } from '../../lambda/storage/local-store.ts';
import type { ObjectStore } from '../../lambda/storage/object-store.ts';
import { S3Store } from '../../lambda/storage/s3-store.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { startLocalS3, type LocalS3 } from '../support/s3rver.ts';

let s3: LocalS3;
let folder: string;
let run = 0;

beforeAll(async () => {
  s3 = await startLocalS3();
  folder = await mkdtemp(join(tmpdir(), 'object-store-'));
});
afterAll(async () => {
  await s3.close();
  await rm(folder, { recursive: true, force: true });
});

const stores: [string, () => ObjectStore][] = [
  ['S3Store (s3rver on loopback)', () => new S3Store(s3.client, s3.bucket)],
  ['LocalStore (temp folder)', () => new LocalStore(folder)],
  ['MemoryStore (test double)', () => new MemoryStore()],
];

/** Bytes that are not valid UTF-8, so a text round trip would change them. */
const BINARY = Uint8Array.from([0x50, 0x41, 0x52, 0x31, 0x00, 0xff, 0xfe, 0x80, 0x0a, 0x0d, 0xc3]);

describe.each(stores)('ObjectStore: %s', (_name, make) => {
  function fresh() {
    return { store: make(), prefix: `t${++run}` };
  }

  describe('Function: put', () => {
    it('returns the same bytes from getBytes when the body is binary', async () => {
      // Prepare
      const { store, prefix } = fresh();
      const key = `${prefix}/a/day.parquet`;

      // Act
      await store.put(key, BINARY, 'application/vnd.apache.parquet');
      const read = await store.getBytes(key);

      // Assess
      expect(read).toBeInstanceOf(Uint8Array);
      expect([...read!]).toEqual([...BINARY]);
    });

    it('returns the text from get when the body is a string, as before', async () => {
      // Prepare
      const { store, prefix } = fresh();
      const key = `${prefix}/a/w.json`;
      const text = '{"calls":1,"interval":"0-5 s ñ"}\n';

      // Act
      await store.put(key, text, 'application/x-ndjson');

      // Assess
      expect(await store.get(key)).toBe(text);
      expect(new TextDecoder().decode((await store.getBytes(key))!)).toBe(text);
    });
  });

  describe('Function: getBytes', () => {
    it('returns null when there is no object', async () => {
      // Prepare
      const { store, prefix } = fresh();

      // Act
      const read = await store.getBytes(`${prefix}/missing.parquet`);

      // Assess
      expect(read).toBeNull();
    });

    it('returns an empty array when the object is empty', async () => {
      // Prepare
      const { store, prefix } = fresh();
      await store.put(`${prefix}/empty.json`, '', 'application/x-ndjson');

      // Act
      const read = await store.getBytes(`${prefix}/empty.json`);

      // Assess
      expect(read).not.toBeNull();
      expect(read!.byteLength).toBe(0);
    });
  });

  describe('Function: list', () => {
    it('returns every key under the prefix, nested, and none outside it', async () => {
      // Prepare
      const { store, prefix } = fresh();
      const inside = [`${prefix}/cdr_4/dt=2026-11-20/hour=00/a.json`, `${prefix}/cdr_4/dt=2026-11-20/hour=23/b.json`];
      const outside = [`${prefix}/cdr_4/dt=2026-11-21/hour=00/a.json`, `${prefix}/cdr_4_daily/dt=2026-11-20/x.parquet`];
      for (const key of [...inside, ...outside]) await store.put(key, key, 'text/plain');

      // Act
      const listed = await store.list(`${prefix}/cdr_4/dt=2026-11-20/`);

      // Assess
      expect(listed.map((o) => o.key).sort()).toEqual(inside);
    });

    it('returns an empty list when nothing is under the prefix', async () => {
      // Prepare
      const { store, prefix } = fresh();

      // Act
      const listed = await store.list(`${prefix}/nothing/here/`);

      // Assess
      expect(listed).toEqual([]);
    });

    it('returns keys that start with a prefix ending inside a name', async () => {
      // Prepare
      const { store, prefix } = fresh();
      await store.put(`${prefix}/d/20261120080000-x.json`, '1', 'text/plain');
      await store.put(`${prefix}/d/20261120085500-y.json`, '2', 'text/plain');
      await store.put(`${prefix}/d/20261120090000-z.json`, '3', 'text/plain');

      // Act
      const listed = await store.list(`${prefix}/d/2026112008`);

      // Assess
      expect(listed.map((o) => o.key).sort()).toEqual([`${prefix}/d/20261120080000-x.json`, `${prefix}/d/20261120085500-y.json`]);
    });

    it('returns a new version when an object is rewritten with other content, and the same when untouched', async () => {
      // Prepare
      const { store, prefix } = fresh();
      await store.put(`${prefix}/v/a.json`, 'first', 'text/plain');
      await store.put(`${prefix}/v/b.json`, 'other', 'text/plain');
      const before = new Map((await store.list(`${prefix}/v/`)).map((o) => [o.key, o.version]));

      // Act
      await store.put(`${prefix}/v/a.json`, 'secnd', 'text/plain');
      const after = new Map((await store.list(`${prefix}/v/`)).map((o) => [o.key, o.version]));

      // Assess
      expect(before.get(`${prefix}/v/a.json`)).toBeTruthy();
      expect(after.get(`${prefix}/v/a.json`)).not.toBe(before.get(`${prefix}/v/a.json`));
      expect(after.get(`${prefix}/v/b.json`)).toBe(before.get(`${prefix}/v/b.json`));
    });
  });
});

describe('Function: S3Store.list', () => {
  it('returns every key of every page when the listing is truncated', async () => {
    // Prepare: s3rver cannot page on this Node (its continuation token uses the removed crypto.createCipher),
    // so the paging is checked against a mocked client instance.
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const mock = mockClient(client);
    mock
      .on(ListObjectsV2Command, { Bucket: 'b', Prefix: 'p/', ContinuationToken: undefined })
      .resolves({ IsTruncated: true, NextContinuationToken: 'next-1', Contents: [{ Key: 'p/a', ETag: '"1"' }, { Key: 'p/b', ETag: '"2"' }] })
      .on(ListObjectsV2Command, { Bucket: 'b', Prefix: 'p/', ContinuationToken: 'next-1' })
      .resolves({ IsTruncated: false, Contents: [{ Key: 'p/c', ETag: '"3"' }] });
    const store = new S3Store(client, 'b');

    // Act
    const listed = await store.list('p/');

    // Assess
    expect(listed).toEqual([
      { key: 'p/a', version: '"1"' },
      { key: 'p/b', version: '"2"' },
      { key: 'p/c', version: '"3"' },
    ]);
    expect(mock.commandCalls(ListObjectsV2Command)).toHaveLength(2);
    mock.restore();
  });

  it('returns a retryable StorageError naming the bucket and prefix when the bucket is unreachable', async () => {
    // Prepare: nothing listens on port 9 of loopback.
    const client = new S3Client({ endpoint: 'http://127.0.0.1:9', forcePathStyle: true, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const store = new S3Store(client, 'no-such-bucket');

    // Act
    const error = await store.list('p/cdr_4/').catch((e: unknown) => e);
    const readError = await store.getBytes('p/k.parquet').catch((e: unknown) => e);
    client.destroy();

    // Assess
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).retryable).toBe(true);
    expect((error as StorageError).context).toMatchObject({ bucket: 'no-such-bucket', key: 'p/cdr_4/' });
    expect((error as StorageError).message).toContain('s3://no-such-bucket/p/cdr_4/');
    expect(readError).toBeInstanceOf(StorageError);
    expect((readError as StorageError).context).toMatchObject({ bucket: 'no-such-bucket', key: 'p/k.parquet' });
  });
});

describe('Function: LocalStore.list', () => {
  it('returns no key for a temp file of a write in flight', async () => {
    // Prepare
    const root = join(folder, `tmp${++run}`);
    const store = new LocalStore(root);
    await store.put('p/d/a.json', 'done', 'text/plain');
    await writeFile(join(root, 'p/d/b.json.123.4.tmp'), 'half');

    // Act
    const listed = await store.list('p/d/');

    // Assess
    expect(listed.map((o) => o.key)).toEqual(['p/d/a.json']);
  });

  it('returns keys with forward slashes and no folders', async () => {
    // Prepare
    const root = join(folder, `dirs${++run}`);
    const store = new LocalStore(root);
    await mkdir(join(root, 'p/empty-folder'), { recursive: true });
    await store.put('p/x/y/z.json', '1', 'text/plain');

    // Act
    const listed = await store.list('p/');

    // Assess
    expect(listed.map((o) => o.key)).toEqual(['p/x/y/z.json']);
  });

  it('returns a new version when a rewrite keeps the size', async () => {
    // Prepare
    const store = new LocalStore(join(folder, `same${++run}`));
    await store.put('p/a.json', 'aaaa', 'text/plain');
    const [before] = await store.list('p/');

    // Act
    await store.put('p/a.json', 'bbbb', 'text/plain');
    const [after] = await store.list('p/');

    // Assess
    expect(after!.version).not.toBe(before!.version);
  });

  it('returns a StorageError when the prefix escapes the folder', async () => {
    // Prepare
    const store = new LocalStore(join(folder, `esc${++run}`));

    // Act
    const error = await store.list('../outside/').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StorageError);
  });
});
