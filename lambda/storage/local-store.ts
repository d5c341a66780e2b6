import { type BigIntStats, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { StorageError } from '../domain/errors.ts';
import type { ObjectStore, StoredObject } from './object-store.ts';

let tmpCounter = 0;
const TMP_SUFFIX = '.tmp';

/**
 * A file's version: changes on every rewrite. The inode too: a rewrite renames a new file in,
 * and two rewrites of equal size can share a coarse mtime.
 */
export function fileVersion(s: BigIntStats): string {
  return `${s.ino}-${s.mtimeNs}-${s.size}`;
}

/** Keys become paths under `root`; writes go through a temp file and rename, so a reader never sees half an object. */
export class LocalStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new StorageError(`key escapes the output folder: ${key}`, { key });
    return path;
  }

  async put(key: string, body: string | Uint8Array, _contentType?: string): Promise<void> {
    const path = this.pathOf(key);
    const tmp = `${path}.${process.pid}.${++tmpCounter}${TMP_SUFFIX}`;
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, body, typeof body === 'string' ? 'utf8' : undefined);
      await rename(tmp, path);
    } catch (cause) {
      throw new StorageError(`could not write ${path}: ${(cause as Error).message}`, { key }, { cause });
    }
  }

  async get(key: string): Promise<string | null> {
    const bytes = await this.getBytes(key);
    return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }

  async getBytes(key: string): Promise<Uint8Array | null> {
    const path = this.pathOf(key);
    try {
      const buf = await readFile(path);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StorageError(`could not read ${path}: ${(cause as Error).message}`, { key }, { cause });
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    // A key prefix may end inside a file name: walk the folder that holds it, then filter.
    const slash = prefix.lastIndexOf('/');
    const folder = slash < 0 ? this.root : this.pathOf(prefix.slice(0, slash));
    // Synchronous on purpose: a day's folder (288 files) lists in ~4 ms this way and ~12 ms
    // through the thread pool, and nothing else waits on this process's event loop for that long.
    let names: string[];
    try {
      names = readdirSync(folder, { recursive: true, encoding: 'utf8' });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw new StorageError(`could not list ${folder}: ${(cause as Error).message}`, { key: prefix }, { cause });
    }
    const out: StoredObject[] = [];
    for (const name of names) {
      // A *.tmp file is a write in flight (or one a killed process left): not an object.
      if (name.endsWith(TMP_SUFFIX)) continue;
      const path = join(folder, name);
      const key = relative(this.root, path).split(sep).join('/');
      if (!key.startsWith(prefix)) continue;
      // Removed between readdir and stat (undefined): not an object any more.
      let s: BigIntStats | undefined;
      try {
        s = statSync(path, { bigint: true, throwIfNoEntry: false });
      } catch (cause) {
        throw new StorageError(`could not stat ${path}: ${(cause as Error).message}`, { key }, { cause });
      }
      if (s?.isFile()) out.push({ key, version: fileVersion(s) });
    }
    return out;
  }

  describe(key: string): string {
    return this.pathOf(key);
  }
}
