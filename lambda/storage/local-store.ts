import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { StorageError } from '../domain/errors.ts';
import type { ObjectStore } from './object-store.ts';

let tmpCounter = 0;

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

  async put(key: string, body: string): Promise<void> {
    const path = this.pathOf(key);
    const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, body, 'utf8');
      await rename(tmp, path);
    } catch (cause) {
      throw new StorageError(`could not write ${path}: ${(cause as Error).message}`, { key }, { cause });
    }
  }

  async get(key: string): Promise<string | null> {
    const path = this.pathOf(key);
    try {
      return await readFile(path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StorageError(`could not read ${path}: ${(cause as Error).message}`, { key }, { cause });
    }
  }

  describe(key: string): string {
    return this.pathOf(key);
  }
}
