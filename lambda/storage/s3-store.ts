import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StorageError } from '../domain/errors.ts';
import type { ObjectStore, StoredObject } from './object-store.ts';

export class S3Store implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.client = client;
    this.bucket = bucket;
  }

  async put(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (cause) {
      throw this.failure('write', key, cause);
    }
  }

  async get(key: string): Promise<string | null> {
    const bytes = await this.getBytes(key);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }

  async getBytes(key: string): Promise<Uint8Array | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (cause) {
      if (cause instanceof NoSuchKey || (cause as Error).name === 'NoSuchKey') return null;
      throw this.failure('read', key, cause);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, version: o.ETag ?? '' });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (cause) {
      throw this.failure('list', prefix, cause);
    }
    return out;
  }

  describe(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  private failure(verb: string, key: string, cause: unknown): StorageError {
    return new StorageError(`could not ${verb} s3://${this.bucket}/${key}: ${(cause as Error).name}: ${(cause as Error).message}`, { bucket: this.bucket, key }, { cause });
  }
}
