import type { LeaseStore } from '../../lambda/storage/lease-store.ts';

/** Conditional writes over a Map, with a version counter per write, for engine unit tests. */
export class MemoryLeaseStore implements LeaseStore {
  readonly objects = new Map<string, { body: string; version: string }>();
  private writes = 0;
  async getVersioned(key: string) {
    return this.objects.get(key) ?? null;
  }
  async createIfAbsent(key: string, body: string): Promise<string | null> {
    if (this.objects.has(key)) return null;
    return this.write(key, body);
  }
  async replaceIfMatch(key: string, body: string, _type: string, version: string): Promise<string | null> {
    if (this.objects.get(key)?.version !== version) return null;
    return this.write(key, body);
  }
  describe(key: string): string {
    return `memory:${key}`;
  }
  private write(key: string, body: string): string {
    const version = `v${++this.writes}`;
    this.objects.set(key, { body, version });
    return version;
  }
}
