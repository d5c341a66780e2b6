import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretError } from '../../lambda/domain/errors.ts';
import { secretTokenProvider } from '../../lambda/wolkvox/secret-token.ts';

const secrets = mockClient(SecretsManagerClient);
const ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wolkvox-0032-AbCdEf';

describe('Function: secretTokenProvider', () => {
  beforeEach(() => secrets.reset());

  function provider(clock = () => 0) {
    return secretTokenProvider({ client: new SecretsManagerClient({ region: 'us-east-1' }), secretId: ID, clock });
  }

  it('returns the token and reads the secret once per TTL when called repeatedly', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"token":"tok-PROVIDER-0123456789"}' });
    let now = 0;
    const p = provider(() => now);

    // Act
    const first = await p.get();
    now = 14 * 60_000;
    await p.get();
    now = 16 * 60_000;
    await p.get();

    // Assess
    expect(first).toBe('tok-PROVIDER-0123456789');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('says the secret holds no token yet, with the put-secret-value command, when it was created without a value', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} }));

    // Act
    const error = await provider().get().then(() => undefined, (e: unknown) => e as SecretError);

    // Assess
    expect(error).toBeInstanceOf(SecretError);
    expect(error?.message).toContain('holds no token yet');
    expect(error?.message).toContain(`put-secret-value --secret-id ${ID}`);
  });

  it('says the secret does not exist when the id names no secret', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    // Act
    const error = await provider().get().then(() => undefined, (e: unknown) => e as SecretError);

    // Assess
    expect(error?.message).toBe(`secret ${ID} does not exist (check WOLKVOX_TOKEN_SECRET_ID)`);
    expect(error?.retryable).toBe(false);
  });

  it('names the AWS error but not its text when access is denied', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));

    // Act
    const error = await provider().get().then(() => undefined, (e: unknown) => e as SecretError);

    // Assess
    expect(error?.message).toBe(`could not read secret ${ID}: AccessDeniedException`);
  });
});
