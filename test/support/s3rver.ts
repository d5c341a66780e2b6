import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import S3rver from 's3rver';

interface FilesystemStoreLike {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
}

/**
 * s3rver 3.7 answers a PUT when the body has been read, not when its file is written, so a
 * GET right after the PUT can read a truncated object (real S3 is read-after-write
 * consistent). The test double is fixed here so that tests judge the collector, not s3rver.
 */
function makeS3rverPutDurable(): void {
  const FilesystemStore = createRequire(import.meta.url)('s3rver/lib/stores/filesystem.js') as { prototype: Record<string, unknown> };
  FilesystemStore.prototype.putObject = async function putObject(this: FilesystemStoreLike, object: { bucket: string; key: string; content: Buffer | Readable; metadata: unknown }) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    mkdirSync(dirname(objectPath), { recursive: true });
    const md5 = createHash('md5');
    let size = 0;
    const source: Readable = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          md5.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(objectPath),
    );
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}
makeS3rverPutDurable();

export interface LocalS3 {
  readonly client: S3Client;
  readonly bucket: string;
  readonly endpoint: string;
  listKeys(prefix?: string): Promise<string[]>;
  read(key: string): Promise<string>;
  close(): Promise<void>;
}

/** A real S3 wire-protocol server (s3rver) on loopback, with one empty bucket. */
export async function startLocalS3(bucket = 'collector-test'): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    client,
    bucket,
    endpoint,
    async listKeys(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async read(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
