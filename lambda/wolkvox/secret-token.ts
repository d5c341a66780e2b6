import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError } from '../domain/errors.ts';
import { putTokenCommand, READ_TOKEN, TOKEN_PATTERN } from '../domain/token.ts';
import type { TokenProvider } from './token-provider.ts';

/**
 * Reads the token from a secret holding either the plain token or JSON `{"token": "..."}`.
 * Errors name the secret and what is wrong with its value, never the value.
 */
function fillHint(secretId: string): string {
  return `fill it with: ${READ_TOKEN} (paste the token, then Enter), then ${putTokenCommand(secretId)} (the token goes on standard input, never on a command line)`;
}

export function parseTokenSecret(secretString: string | undefined, secretId: string): string {
  const fill = fillHint(secretId);
  const raw = (secretString ?? '').trim();
  if (raw === '') throw new SecretError(`secret ${secretId} holds no token yet; ${fill}`, { secret_id: secretId });
  let token = raw;
  if (/^[{["]/.test(raw)) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new SecretError(`secret ${secretId} starts like JSON but is not valid JSON; ${fill}`, { secret_id: secretId });
    }
    const field = typeof json === 'string' ? json : json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>).token : undefined;
    if (Array.isArray(json)) throw new SecretError(`secret ${secretId} is a JSON array; expected the token or {"token": "..."}`, { secret_id: secretId });
    if (field === undefined || field === null || field === '') throw new SecretError(`secret ${secretId} holds no token yet (its "token" field is empty or missing); ${fill}`, { secret_id: secretId });
    if (typeof field !== 'string') throw new SecretError(`secret ${secretId}: "token" must be a string`, { secret_id: secretId });
    token = field.trim();
  }
  if (!TOKEN_PATTERN.test(token)) {
    throw new SecretError(`secret ${secretId} holds a value that is not a usable token (expected 8-4096 visible ASCII characters, no spaces)`, { secret_id: secretId });
  }
  return token;
}

export interface SecretTokenOptions {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  /** How long a container trusts its copy; a rejected token is re-read at once regardless. Default 15 min. */
  readonly ttlMs?: number;
  readonly clock?: () => number;
}

export function secretTokenProvider(options: SecretTokenOptions): TokenProvider {
  const clock = options.clock ?? Date.now;
  const ttl = options.ttlMs ?? 15 * 60_000;
  let cached: { token: string; at: number } | undefined;

  const read = async (): Promise<string> => {
    let out;
    try {
      out = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
    } catch (cause) {
      const { name, message } = cause as Error;
      const context = { secret_id: options.secretId };
      if (name === 'ResourceNotFoundException' && /secret value/i.test(message ?? '')) {
        // The stack creates the secret without a value: the token has not been put in yet.
        throw new SecretError(`secret ${options.secretId} holds no token yet; ${fillHint(options.secretId)}`, context, { cause });
      }
      if (name === 'ResourceNotFoundException') throw new SecretError(`secret ${options.secretId} does not exist (check WOLKVOX_TOKEN_SECRET_ID)`, context, { cause });
      throw new SecretError(`could not read secret ${options.secretId}: ${name}`, context, { cause });
    }
    const token = parseTokenSecret(out.SecretString, options.secretId);
    cached = { token, at: clock() };
    return token;
  };

  return {
    get: async () => (cached && clock() - cached.at < ttl ? cached.token : read()),
    refresh: read,
  };
}
