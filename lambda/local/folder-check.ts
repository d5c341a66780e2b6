/**
 * Whether `--out` can hold the collector's data, found out before any API call: the folder
 * is created level by level (Node's recursive mkdir loops forever under /proc), refused on
 * a special file system, and tried with the writes the store and the lease make (a file
 * renamed into place, a hard link), so a read-only mount or a folder without permission is
 * named as such, not met later as an ENOENT at the lease.
 */
import { link, mkdir, rename, rmdir, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { StorageError } from '../domain/errors.ts';

/** statfs(2) magic numbers of file systems that only look like folders (linux/magic.h). */
const SPECIAL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
  [0x42494e4d, 'binfmt_misc'],
  [0xde5e81e4, 'efivarfs'],
  [0x958458f6, 'hugetlbfs'],
]);

/** What an errno means for a folder that should hold data, in words. */
const REASONS: Record<string, string> = {
  EROFS: 'it is on a read-only file system',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted there',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'the path cannot be created there',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'the path has a loop of symbolic links',
};

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const words = REASONS[code];
  return words ? `${words} (${code})` : (error as Error).message;
}

const WRITABLE = 'choose a folder on a writable disk';

function refuse(out: string, path: string, what: string, cause?: unknown): never {
  const named = out === path ? out : `${out} (${path})`;
  throw new StorageError(`--out ${named} ${what}`, { key: path }, cause === undefined ? undefined : { cause });
}

/** The deepest part of `path` that exists, and the parts below it to create (outermost first). */
async function existingAncestor(out: string, path: string): Promise<{ existing: string; missing: string[] }> {
  const missing: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    try {
      await stat(p);
      return { existing: p, missing: missing.reverse() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || dirname(p) === p) refuse(out, path, `cannot be used: ${reason(error)}; ${WRITABLE}`, error);
      missing.push(p);
    }
  }
}

/** Fails before any API call, with the real reason, when `out` cannot hold the data. */
export async function checkFolder(out: string): Promise<void> {
  const path = resolve(out);
  const { existing, missing } = await existingAncestor(out, path);
  const target = await stat(existing);
  if (!target.isDirectory()) {
    const kind = target.isFile() ? 'a file' : target.isCharacterDevice() || target.isBlockDevice() ? 'a device' : 'not a folder';
    refuse(out, path, existing === path ? `is not a folder (it is ${kind}); choose a folder, or a path that does not exist yet` : `cannot be created: ${existing} is ${kind}; ${WRITABLE}`);
  }
  const fsType = SPECIAL_FILE_SYSTEMS.get((await statfs(existing)).type);
  if (fsType) refuse(out, path, `is on a ${fsType} file system, which cannot hold files; ${WRITABLE}`);

  const created: string[] = [];
  try {
    for (const dir of missing) {
      try {
        await mkdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') refuse(out, path, `cannot be created: ${reason(error)}; ${WRITABLE}`, error);
      }
      created.push(dir);
    }
    await tryWrites(out, path);
  } catch (error) {
    // A refused run writes nothing: the folders made for the test go again.
    for (const dir of created.reverse()) await rmdir(dir).catch(() => undefined);
    throw error;
  }
}

/** The writes a run makes: a file renamed into place (every object), a hard link (the lease). */
async function tryWrites(out: string, path: string): Promise<void> {
  const probe = join(path, `.write-test-${process.pid}.tmp`);
  const placed = `${probe}.placed`;
  const linked = `${probe}.linked`;
  try {
    await writeFile(probe, 'x');
    await rename(probe, placed);
    try {
      await link(placed, linked);
    } catch (error) {
      refuse(out, path, `cannot hold the lease: its file system does not take hard links (${reason(error)}); ${WRITABLE}`, error);
    }
  } catch (error) {
    if (error instanceof StorageError) throw error;
    refuse(out, path, `cannot hold data: ${reason(error)}; ${WRITABLE}`, error);
  } finally {
    await Promise.all([probe, placed, linked].map((f) => unlink(f).catch(() => undefined)));
  }
}
