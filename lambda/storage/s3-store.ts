import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StorageError } from '../domain/errors.ts';
import type { ObjectStore } from './object-store.ts';

export class S3Store implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string, contentType: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (cause) {
      throw new StorageError(`could not write s3://${this.bucket}/${key}: ${(cause as Error).name}: ${(cause as Error).message}`, { bucket: this.bucket, key }, { cause });
    }
  }

  async get(key: string): Promise<string | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (cause) {
      if (cause instanceof NoSuchKey || (cause as Error).name === 'NoSuchKey') return null;
      throw new StorageError(`could not read s3://${this.bucket}/${key}: ${(cause as Error).name}: ${(cause as Error).message}`, { bucket: this.bucket, key }, { cause });
    }
  }

  describe(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}
