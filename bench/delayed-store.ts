import type { ObjectStore, StoredObject } from '../lambda/storage/object-store.ts';

/** Wraps a store: every put takes at least `delayMs` (S3's PUT latency), every read `readDelayMs`, and puts/gets are counted. */
export class MeasuredStore implements ObjectStore {
  puts = 0;
  gets = 0;
  bytes = 0;
  readonly putKeys: string[] = [];
  private readonly inner: ObjectStore;
  private readonly delayMs: number;
  private readonly readDelayMs: number;
  constructor(inner: ObjectStore, delayMs = 0, readDelayMs = 0) {
    this.inner = inner;
    this.delayMs = delayMs;
    this.readDelayMs = readDelayMs;
  }
  private readonly pause = () => (this.readDelayMs > 0 ? new Promise((r) => setTimeout(r, this.readDelayMs)) : Promise.resolve());
  lists = 0;
  async put(key: string, body: string | Uint8Array, type: string): Promise<void> {
    this.puts += 1;
    this.bytes += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    this.putKeys.push(key);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.inner.put(key, body, type);
  }
  async get(key: string): Promise<string | null> {
    this.gets += 1;
    await this.pause();
    return this.inner.get(key);
  }
  async getBytes(key: string): Promise<Uint8Array | null> {
    this.gets += 1;
    await this.pause();
    return this.inner.getBytes(key);
  }
  async list(prefix: string): Promise<StoredObject[]> {
    this.lists += 1;
    await this.pause();
    return this.inner.list(prefix);
  }
  describe(key: string): string {
    return this.inner.describe(key);
  }
}
