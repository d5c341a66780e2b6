/**
 * Bounds of the settings of the token's allowance, of checking and of the no-calls alarm, and
 * how a reserve is written: shared by the collector's environment (lambda/config.ts:
 * TOKEN_RESERVE, CHECK_SHARE, TOKEN_INFO_EVERY_MINUTES, SILENT_DAYS) and the stack's context
 * (infra/config.ts: an operation's tokenReserve, checkShare, tokenInfoEveryMinutes,
 * silentDays), so that what the synth accepts is what the function starts with.
 */
import type { Reserve } from './vendor-model.ts';

/** A reserve of more than this share of the token's limit would leave history next to nothing. */
export const TOKEN_RESERVE_MAX_PERCENT = 90;
/** The largest reserve in calls (the same ceiling as DAILY_CALL_CAP). */
export const TOKEN_RESERVE_MAX_CALLS = 10_000_000;
/** Checking's share of an operation day's calls. */
export const CHECK_SHARE_BOUNDS = { min: 0.05, max: 1 } as const;
/** How often token_info may be read, in minutes: at most every 5 minutes, at least once a day. */
export const TOKEN_INFO_EVERY_MINUTES_BOUNDS = { min: 5, max: 1440 } as const;
/** Days without any call before the report is suspicious: one call of cdr_4 sums up to 31 days. */
export const SILENT_DAYS_BOUNDS = { min: 1, max: 31 } as const;

const RESERVE_FORMAT = `must be a percentage of the token's daily limit (0% to ${TOKEN_RESERVE_MAX_PERCENT}%, e.g. 20%) or a whole number of calls (e.g. 200)`;

/**
 * A reserve as written in TOKEN_RESERVE: `20%` (a share of the token's daily limit, 0% to 90%)
 * or `200` (calls); otherwise what is wrong with it. A sign is read, so that -5% is told it is
 * out of range rather than not a reserve.
 */
export function readReserve(text: string): { readonly reserve: Reserve } | { readonly problem: string } {
  const percent = /^(-?\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    return p >= 0 && p <= TOKEN_RESERVE_MAX_PERCENT ? { reserve: { share: p / 100 } } : { problem: `must be a percentage between 0% and ${TOKEN_RESERVE_MAX_PERCENT}% of the token's daily limit` };
  }
  if (/^-?\d+$/.test(text)) {
    const calls = Number(text);
    return calls >= 0 && calls <= TOKEN_RESERVE_MAX_CALLS ? { reserve: { calls } } : { problem: `must be between 0 and ${TOKEN_RESERVE_MAX_CALLS} calls (or a percentage such as 20%)` };
  }
  return { problem: RESERVE_FORMAT };
}

/** A reserve as TOKEN_RESERVE writes it: `20%` or `200`. */
export function reserveText(reserve: Reserve): string {
  return 'calls' in reserve ? String(reserve.calls) : `${Number((reserve.share * 100).toFixed(6))}%`;
}
