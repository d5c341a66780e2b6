import { describe, expect, it } from 'vitest';
import {
  WolkvoxAuthError,
  WolkvoxConcurrencyError,
  WolkvoxError,
  WolkvoxRequestError,
  WolkvoxResponseError,
  WolkvoxTokenLimitError,
  WolkvoxTransportError,
  WolkvoxUnavailableError,
} from '../../../lambda/domain/errors.ts';
import { classifyVendorFailure, isNoRecordsAnswer } from '../../../lambda/domain/vendor-errors.ts';

describe('Function: classifyVendorFailure', () => {
  it.each([
    { status: 400, message: 'THE API YOU WANT TO CONSULT DOES NOT EXIST', type: WolkvoxRequestError, retryable: false },
    { status: 400, message: 'SOME PARAMETERS ARE REQUIRED', type: WolkvoxRequestError, retryable: false },
    { status: 401, message: 'PLEASE ENTER THE WOLKVOX-TOKEN', type: WolkvoxRequestError, retryable: false },
    { status: 403, message: 'PLEASE VALIDATE TOKEN', type: WolkvoxAuthError, retryable: false },
    { status: 403, message: 'TOKEN LIMIT EXCEEDED', type: WolkvoxTokenLimitError, retryable: false },
    { status: 403, message: 'EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)', type: WolkvoxConcurrencyError, retryable: true },
    { status: 403, message: '', type: WolkvoxUnavailableError, retryable: true },
    { status: 403, message: 'API disabled during server maintenance', type: WolkvoxUnavailableError, retryable: true },
    { status: 403, message: 'FORBIDDEN', type: WolkvoxUnavailableError, retryable: true },
    { status: 429, message: 'Too Many Requests', type: WolkvoxConcurrencyError, retryable: true },
    { status: 500, message: 'Internal Server Error', type: WolkvoxTransportError, retryable: true },
    { status: 502, message: '<html>Bad Gateway</html>', type: WolkvoxTransportError, retryable: true },
    { status: 503, message: '', type: WolkvoxTransportError, retryable: true },
    { status: 504, message: 'Gateway Timeout', type: WolkvoxTransportError, retryable: true },
    { status: 404, message: 'Not Found', type: WolkvoxRequestError, retryable: false },
    { status: 405, message: 'Method Not Allowed', type: WolkvoxRequestError, retryable: false },
    { status: 418, message: "I'm a teapot", type: WolkvoxResponseError, retryable: false },
  ])('returns $type.name (retryable $retryable) for HTTP $status "$message"', ({ status, message, type, retryable }) => {
    // Act
    const error = classifyVendorFailure(status, message);

    // Assess
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(WolkvoxError);
    expect(error.name).toBe(type.name);
    expect(error.retryable).toBe(retryable);
    expect(error.httpStatus).toBe(status);
    expect(error.vendorMessage).toBe(message);
  });

  it.each([
    { message: 'token limit exceeded', type: WolkvoxTokenLimitError },
    { message: 'please validate   token', type: WolkvoxAuthError },
    { message: 'exceeds the limit of simultaneous requests per token (2)', type: WolkvoxConcurrencyError },
  ])('matches the 403 message "$message" case-insensitively', ({ message, type }) => {
    // Act & Assess
    expect(classifyVendorFailure(403, message)).toBeInstanceOf(type);
  });

  it('puts the status and the vendor words in the message and keeps the context', () => {
    // Act
    const error = classifyVendorFailure(403, 'TOKEN LIMIT EXCEEDED', { window: '2026-11-20 08:00:00' });

    // Assess
    expect(error.message).toContain('HTTP 403 TOKEN LIMIT EXCEEDED');
    expect(error.context).toEqual({ window: '2026-11-20 08:00:00' });
  });

  it('says only the status when the message is empty', () => {
    // Act
    const error = classifyVendorFailure(503, '');

    // Assess
    expect(error.message).toBe('Wolkvox server error: HTTP 503');
  });
});

describe('Function: isNoRecordsAnswer', () => {
  it.each([
    { status: 404, message: 'Validate dates entered', expected: true },
    { status: 404, message: 'VALIDATE DATES ENTERED', expected: true },
    { status: 404, message: 'Please validate  dates entered.', expected: true },
    { status: 404, message: 'Not Found', expected: false },
    { status: 404, message: '', expected: false },
    { status: 200, message: 'Validate dates entered', expected: false },
    { status: 400, message: 'Validate dates entered', expected: false },
  ])('returns $expected for HTTP $status "$message"', ({ status, message, expected }) => {
    // Act & Assess
    expect(isNoRecordsAnswer(status, message)).toBe(expected);
  });
});
