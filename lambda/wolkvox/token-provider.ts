/** Supplies the vendor token; `refresh` re-reads it after the vendor rejected it (rotation). */
export interface TokenProvider {
  get(): Promise<string>;
  refresh(): Promise<string>;
}

export function staticToken(token: string): TokenProvider {
  return { get: async () => token, refresh: async () => token };
}
