/** Where the collector keeps objects: S3 in Lambda, a folder on one machine. Same keys. */
export interface ObjectStore {
  /** Durable once the promise resolves. Overwrites an existing object; a reader sees the old or the new body, never a mix. */
  put(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
  /** The object's text, or null when there is none. */
  get(key: string): Promise<string | null>;
  /** The object's bytes, or null when there is none. */
  getBytes(key: string): Promise<Uint8Array | null>;
  /** Every object whose key starts with `prefix`, in no promised order; an empty list when there is none. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Human-readable location of a key, for messages. */
  describe(key: string): string;
}

/**
 * A listed object. `version` changes whenever the object's content changes (S3: the ETag;
 * a folder: the file's inode, mtime and size, so any rewrite), so a reader can tell which
 * objects changed since it last looked without reading them.
 */
export interface StoredObject {
  readonly key: string;
  readonly version: string;
}

export const NDJSON = 'application/x-ndjson';
export const JSON_TYPE = 'application/json';
export const PARQUET = 'application/vnd.apache.parquet';
