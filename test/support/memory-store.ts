import type { ObjectStore, StoredObject } from '../../lambda/storage/object-store.ts';

/** An ObjectStore in a Map, with optional write latency, for collector unit tests. */
export class MemoryStore implements ObjectStore {
  /** Text bodies, by key (what most tests read). */
  readonly objects = new Map<string, string>();
  /** Binary bodies, by key; a key is in `objects` or here, never both. */
  readonly binaries = new Map<string, Uint8Array>();
  private readonly versions = new Map<string, number>();
  private writes = 0;
  puts = 0;
  gets = 0;
  lists = 0;
  /** Wall-clock ms at which each put finished, by key. */
  readonly putEndedAt = new Map<string, number>();
  private readonly writeDelayMs: number;
  constructor(writeDelayMs = 0) {
    this.writeDelayMs = writeDelayMs;
  }
  async put(key: string, body: string | Uint8Array, _contentType = ''): Promise<void> {
    this.puts += 1;
    if (this.writeDelayMs) await new Promise((r) => setTimeout(r, this.writeDelayMs));
    if (typeof body === 'string') {
      this.binaries.delete(key);
      this.objects.set(key, body);
    } else {
      this.objects.delete(key);
      this.binaries.set(key, Uint8Array.from(body));
    }
    this.versions.set(key, ++this.writes);
    this.putEndedAt.set(key, Date.now());
  }
  async get(key: string): Promise<string | null> {
    this.gets += 1;
    const bin = this.binaries.get(key);
    return bin ? new TextDecoder().decode(bin) : (this.objects.get(key) ?? null);
  }
  async getBytes(key: string): Promise<Uint8Array | null> {
    this.gets += 1;
    const text = this.objects.get(key);
    if (text !== undefined) return new TextEncoder().encode(text);
    const bin = this.binaries.get(key);
    return bin ? Uint8Array.from(bin) : null;
  }
  async list(prefix: string): Promise<StoredObject[]> {
    this.lists += 1;
    return this.keys(prefix).map((key) => ({ key, version: `w${this.versions.get(key)}` }));
  }
  /** Removes an object (tests simulate a window that disappeared). */
  remove(key: string): void {
    this.objects.delete(key);
    this.binaries.delete(key);
    this.versions.delete(key);
  }
  describe(key: string): string {
    return `memory:${key}`;
  }
  keys(prefix = ''): string[] {
    return [...this.objects.keys(), ...this.binaries.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
