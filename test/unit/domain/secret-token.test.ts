import { describe, expect, it } from 'vitest';
import { SecretError } from '../../../lambda/domain/errors.ts';
import { parseTokenSecret } from '../../../lambda/wolkvox/secret-token.ts';

const SECRET_ID = 'wolkvox/0032/token';

function secretError(fn: () => unknown): SecretError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SecretError) return e;
    throw e;
  }
  throw new Error('expected a SecretError');
}

/** Everything an error could leak through: message, stack, context, cause, serialisation. */
function everythingSaid(error: SecretError): string {
  return [error.message, String(error.stack), JSON.stringify(error.context), String(error.cause ?? ''), JSON.stringify(error)].join('\n');
}

describe('Function: parseTokenSecret', () => {
  it.each([
    { label: 'a plain token', secret: 'abcd1234EFGH', token: 'abcd1234EFGH' },
    { label: 'a plain token with surrounding whitespace', secret: '  abcd1234EFGH\n', token: 'abcd1234EFGH' },
    { label: 'JSON {"token": ...}', secret: '{"token":"abcd1234EFGH"}', token: 'abcd1234EFGH' },
    { label: 'JSON with padding and extra fields', secret: ' { "token": " abcd1234EFGH ", "note": "x" } ', token: 'abcd1234EFGH' },
    { label: 'a token of visible ASCII symbols', secret: 'a!#$%&*+-./:;<=>?@^_~', token: 'a!#$%&*+-./:;<=>?@^_~' },
  ])('returns the token from $label', ({ secret, token }) => {
    // Act & Assess
    expect(parseTokenSecret(secret, SECRET_ID)).toBe(token);
  });

  it.each([
    { label: 'undefined', secret: undefined, says: 'holds no token yet' },
    { label: 'an empty string', secret: '', says: 'holds no token yet' },
    { label: 'whitespace', secret: '   ', says: 'holds no token yet' },
    { label: '{"token":""}', secret: '{"token":""}', says: '"token" field is empty or missing' },
    { label: '{"token":null}', secret: '{"token":null}', says: '"token" field is empty or missing' },
    { label: 'JSON without token', secret: '{"other":"abcdefghij"}', says: '"token" field is empty or missing' },
    { label: 'invalid JSON', secret: '{"token":"abcdefghij"', says: 'not valid JSON' },
    { label: 'a non-string token', secret: '{"token":12345678}', says: '"token" must be a string' },
    { label: 'a token with spaces', secret: 'abcd 1234 EFGH', says: 'not a usable token' },
    { label: 'a token too short', secret: 'abc', says: 'not a usable token' },
    { label: 'a token with a non-ASCII character', secret: 'abcd1234ñEFGH', says: 'not a usable token' },
    { label: 'a JSON token of spaces', secret: '{"token":"   "}', says: 'not a usable token' },
  ])('throws a SecretError naming the secret for $label', ({ secret, says }) => {
    // Act
    const error = secretError(() => parseTokenSecret(secret, SECRET_ID));

    // Assess
    expect(error.message).toContain(SECRET_ID);
    expect(error.message).toContain(says);
    expect(error.retryable).toBe(false);
    expect(error.context).toEqual({ secret_id: SECRET_ID });
  });

  it('tells how to fill an empty secret with the token on standard input, never on a command line', () => {
    // Act
    const error = secretError(() => parseTokenSecret('', SECRET_ID));

    // Assess
    expect(error.message).toContain('read -rs WOLKVOX_TOKEN');
    expect(error.message).toContain(`printf '%s' "$WOLKVOX_TOKEN" | aws secretsmanager put-secret-value --secret-id ${SECRET_ID} --secret-string file:///dev/stdin`);
    expect(error.message).not.toMatch(/--secret-string ["']?[^f]/);
  });

  it.each([
    { label: 'a plain token with a space', secret: 'tok en-SECRET-123', leak: ['SECRET-123', 'tok en'] },
    { label: 'a JSON token with a space', secret: '{"token":"tok en-SECRET-123"}', leak: ['SECRET-123', 'tok en'] },
    { label: 'a non-string token beside another field', secret: '{"token": 42, "x":"SECRET-XYZ"}', leak: ['SECRET-XYZ', '"x"'] },
    { label: 'invalid JSON holding a token', secret: '{"token":"SECRET-ABC-999"', leak: ['SECRET-ABC-999'] },
    { label: 'invalid JSON with bare text', secret: '{token: SECRET-DEF-777}', leak: ['SECRET-DEF-777'] },
    { label: 'a short token', secret: 'SEC-1', leak: ['SEC-1'] },
    { label: 'a token with a control character', secret: 'SECRET-CTL\u0007-123', leak: ['SECRET-CTL'] },
  ])('never puts the secret value in the error for $label', ({ secret, leak }) => {
    // Act
    const error = secretError(() => parseTokenSecret(secret, SECRET_ID));

    // Assess
    const said = everythingSaid(error);
    for (const piece of leak) expect(said).not.toContain(piece);
  });
});
