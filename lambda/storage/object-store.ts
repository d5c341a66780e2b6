/** Where the collector keeps objects: S3 in Lambda, a folder on one machine. Same keys. */
export interface ObjectStore {
  /** Durable once the promise resolves. Overwrites an existing object. */
  put(key: string, body: string, contentType: string): Promise<void>;
  /** The object's text, or null when there is none. */
  get(key: string): Promise<string | null>;
  /** Human-readable location of a key, for messages. */
  describe(key: string): string;
}

export const NDJSON = 'application/x-ndjson';
export const JSON_TYPE = 'application/json';
