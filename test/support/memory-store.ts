import type { ObjectStore } from '../../lambda/storage/object-store.ts';

/** An ObjectStore in a Map, with optional write latency, for collector unit tests. */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, string>();
  puts = 0;
  /** Wall-clock ms at which each put finished, by key. */
  readonly putEndedAt = new Map<string, number>();
  constructor(private readonly writeDelayMs = 0) {}
  async put(key: string, body: string, _contentType = ''): Promise<void> {
    this.puts += 1;
    if (this.writeDelayMs) await new Promise((r) => setTimeout(r, this.writeDelayMs));
    this.objects.set(key, body);
    this.putEndedAt.set(key, Date.now());
  }
  async get(key: string): Promise<string | null> {
    return this.objects.get(key) ?? null;
  }
  describe(key: string): string {
    return `memory:${key}`;
  }
  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
