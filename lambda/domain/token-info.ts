/**
 * The vendor's `information.php?api=token_info` answer: the token's daily limit and its calls
 * today. Its published sample has every field blank and `code` as a string, so nothing in it is
 * trusted: a field that is not a number is unknown, and an answer without both numbers cannot be
 * used (the collector then falls back to DAILY_CALL_CAP and says so).
 */
import { classifyVendorFailure } from './vendor-errors.ts';
import type { WolkvoxError } from './errors.ts';
import { parseVendorNumber } from './vendor-number.ts';
import { cleanText } from './vendor-text.ts';

export type TokenInfo =
  | { readonly kind: 'read'; readonly limit: number; readonly usedToday: number }
  /** An answer without a usable limit and use (blank fields, another shape): why, in words. */
  | { readonly kind: 'unreadable'; readonly why: string }
  /** A failed answer: the typed error the collector acts on (the token's limit, a rejected token, maintenance). */
  | { readonly kind: 'failed'; readonly error: WolkvoxError };

function record(body: unknown): Record<string, unknown> | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const data = (body as { data?: unknown }).data;
  const first = Array.isArray(data) ? data[0] : data;
  return first !== null && typeof first === 'object' && !Array.isArray(first) ? (first as Record<string, unknown>) : undefined;
}

function whole(raw: unknown): number | null {
  const { value } = parseVendorNumber(raw);
  return value !== null && Number.isInteger(value) && value >= 0 ? value : null;
}

export function parseTokenInfo(httpStatus: number, text: string): TokenInfo {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return httpStatus === 200 ? { kind: 'unreadable', why: 'the answer is not JSON' } : { kind: 'failed', error: classifyVendorFailure(httpStatus, '') };
  }
  const said = (body as { error?: unknown; msg?: unknown } | null) ?? {};
  const message = typeof said.error === 'string' && said.error !== '' ? said.error : typeof said.msg === 'string' ? said.msg : '';
  const code = Number((body as { code?: unknown } | null)?.code ?? httpStatus);
  if (httpStatus !== 200 || (Number.isFinite(code) && code !== 200)) return { kind: 'failed', error: classifyVendorFailure(httpStatus !== 200 ? httpStatus : code, cleanText(message)) };
  const fields = record(body);
  if (!fields) return { kind: 'unreadable', why: 'the answer has no token record in `data`' };
  const limit = whole(fields.token_limit);
  const usedToday = whole(fields.token_use_today);
  const shown = (v: unknown) => cleanText(JSON.stringify(v ?? null), 40);
  if (limit === null || limit === 0 || usedToday === null) return { kind: 'unreadable', why: `token_limit ${shown(fields.token_limit)} and token_use_today ${shown(fields.token_use_today)} are not both numbers` };
  return { kind: 'read', limit, usedToday };
}
