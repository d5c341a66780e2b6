/**
 * Conditional writes for the lease (collector/lease.ts): the one place where two writers
 * may race on a key. S3 does compare-and-swap itself (If-None-Match / If-Match); a folder
 * gets an exclusive create (link) and a version check, which holds for processes on one
 * machine. Separate from ObjectStore: data writes never need conditions.
 */
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StorageError } from '../domain/errors.ts';
import { fileVersion, LocalStore } from './local-store.ts';

export interface LeaseStore {
  /** The object's text and version, or null when there is none. */
  getVersioned(key: string): Promise<{ body: string; version: string } | null>;
  /** Writes only when no object exists; the new version, or null when one does. */
  createIfAbsent(key: string, body: string, contentType: string): Promise<string | null>;
  /** Writes only when the object is still at `version`; the new version, or null when it is not. */
  replaceIfMatch(key: string, body: string, contentType: string, version: string): Promise<string | null>;
  describe(key: string): string;
}

let tmpCounter = 0;

export class LocalLeaseStore implements LeaseStore {
  /** Keys map to paths exactly as for the data (and escaping the folder is refused the same way). */
  private readonly files: LocalStore;
  constructor(root: string) {
    this.files = new LocalStore(root);
  }

  private pathOf(key: string): string {
    return this.files.describe(key);
  }

  private async versionOf(path: string): Promise<string | null> {
    try {
      return fileVersion(await stat(path, { bigint: true }));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StorageError(`could not read ${path}: ${(cause as Error).message}`, {}, { cause });
    }
  }

  private async writeTemp(path: string, body: string): Promise<string> {
    const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, body, 'utf8');
    return tmp;
  }

  async getVersioned(key: string) {
    const path = this.pathOf(key);
    try {
      const body = await readFile(path, 'utf8');
      const version = await this.versionOf(path);
      return version === null ? null : { body, version };
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StorageError(`could not read ${path}: ${(cause as Error).message}`, { key }, { cause });
    }
  }

  async createIfAbsent(key: string, body: string): Promise<string | null> {
    const path = this.pathOf(key);
    try {
      const tmp = await this.writeTemp(path, body);
      try {
        // link() fails with EEXIST when the target exists: an exclusive create of a complete file.
        await link(tmp, path);
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return null;
        throw cause;
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
      return await this.versionOf(path);
    } catch (cause) {
      throw new StorageError(`could not write ${path}: ${(cause as Error).message}`, { key }, { cause });
    }
  }

  async replaceIfMatch(key: string, body: string, _contentType: string, version: string): Promise<string | null> {
    const path = this.pathOf(key);
    try {
      if ((await this.versionOf(path)) !== version) return null;
      const tmp = await this.writeTemp(path, body);
      await rename(tmp, path);
      return await this.versionOf(path);
    } catch (cause) {
      throw new StorageError(`could not write ${path}: ${(cause as Error).message}`, { key }, { cause });
    }
  }

  describe(key: string): string {
    return this.pathOf(key);
  }
}

/** S3 answers a failed precondition with 412, and a concurrent conditional write with 409. */
function preconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'PreconditionFailed' || e.name === 'ConditionalRequestConflict' || e.$metadata?.httpStatusCode === 412 || e.$metadata?.httpStatusCode === 409;
}

export class S3LeaseStore implements LeaseStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

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
