/**
 * The lease's conditional writes on S3 (If-None-Match / If-Match). A module of its own so that
 * a run into a folder never loads the AWS SDK (about 150 ms of a CLI run's start).
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StorageError } from '../domain/errors.ts';
import type { LeaseStore } from './lease-store.ts';

/** S3 answers a failed precondition with 412, and a concurrent conditional write with 409. */
function preconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'PreconditionFailed' || e.name === 'ConditionalRequestConflict' || e.$metadata?.httpStatusCode === 412 || e.$metadata?.httpStatusCode === 409;
}

export class S3LeaseStore implements LeaseStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.client = client;
    this.bucket = bucket;
  }

  async getVersioned(key: string) {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { body: (await out.Body?.transformToString('utf8')) ?? '', version: out.ETag ?? '' };
    } catch (cause) {
      if (cause instanceof NoSuchKey || (cause as Error).name === 'NoSuchKey') return null;
      throw new StorageError(`could not read s3://${this.bucket}/${key}: ${(cause as Error).name}: ${(cause as Error).message}`, { bucket: this.bucket, key }, { cause });
    }
  }

  private async put(key: string, body: string, contentType: string, condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<string | null> {
    try {
      const out = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, ...condition }));
      return out.ETag ?? '';
    } catch (cause) {
      if (preconditionFailed(cause)) return null;
      throw new StorageError(`could not write s3://${this.bucket}/${key}: ${(cause as Error).name}: ${(cause as Error).message}`, { bucket: this.bucket, key }, { cause });
    }
  }

  createIfAbsent(key: string, body: string, contentType: string) {
    return this.put(key, body, contentType, { IfNoneMatch: '*' });
  }

  replaceIfMatch(key: string, body: string, contentType: string, version: string) {
    return this.put(key, body, contentType, { IfMatch: version });
  }

  describe(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}
