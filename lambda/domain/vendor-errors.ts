import {
  WolkvoxAuthError,
  WolkvoxConcurrencyError,
  WolkvoxRequestError,
  WolkvoxResponseError,
  WolkvoxTokenLimitError,
  WolkvoxTransportError,
  WolkvoxUnavailableError,
  type ErrorContext,
  type WolkvoxError,
} from './errors.ts';

/** The vendor's answer for a range with no records (seen live as a 404). */
export function isNoRecordsAnswer(status: number, message: string): boolean {
  return status === 404 && /validate\s+dates/i.test(message);
}

/**
 * Maps a failed answer (HTTP status, or the body's own code when HTTP said 200) and its
 * message (cleaned and cut by the parser: vendor-text.ts) to the typed error the collector acts
 * on. Table: shared/reference notes.
 */
export function classifyVendorFailure(status: number, message: string, context: ErrorContext = {}): WolkvoxError {
  const details = { httpStatus: status, vendorMessage: message, context };
  const said = message === '' ? `HTTP ${status}` : `HTTP ${status} ${message}`;
  if (status === 403) {
    if (/TOKEN\s+LIMIT/i.test(message)) return new WolkvoxTokenLimitError(`Wolkvox token daily limit reached: ${said}`, details);
    if (/SIMULTANEOUS/i.test(message)) return new WolkvoxConcurrencyError(`Wolkvox token in use by another request: ${said}`, details);
    if (/VALIDATE\s+TOKEN/i.test(message)) return new WolkvoxAuthError(`Wolkvox rejected the token (invalid, expired or malformed): ${said}`, details);
    return new WolkvoxUnavailableError(`Wolkvox API unavailable (maintenance?): ${said}`, details);
  }
  if (status === 429) return new WolkvoxConcurrencyError(`Wolkvox throttled the request: ${said}`, details);
  if (status >= 500) return new WolkvoxTransportError(`Wolkvox server error: ${said}`, details);
  if (status === 400 || status === 401 || status === 404 || status === 405) {
    return new WolkvoxRequestError(`Wolkvox refused the request (check WOLKVOX_SERVER, WOLKVOX_BASE_URL and the token): ${said}`, details);
  }
  return new WolkvoxResponseError(`Wolkvox answered unexpectedly: ${said}`, details);
}
