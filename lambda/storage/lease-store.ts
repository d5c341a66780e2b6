/**
 * Conditional writes for the lease (collector/lease.ts): the one place where two writers
 * may race on a key. S3 does compare-and-swap itself (If-None-Match / If-Match); a folder
 * gets an exclusive create (link) and a version check, which holds for processes on one
 * machine. Separate from ObjectStore: data writes never need conditions.
 */
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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
