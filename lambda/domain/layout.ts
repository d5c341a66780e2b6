/**
 * The S3 key layout: a public contract (README "Output contract"). Athena's partition
 * projection templates in infra/ are derived from these same constants, and a contract
 * test renders both for a window and compares them.
 */
import { spanDates, type Span } from './span.ts';
import { dateEnd, dateIni, windowPartition, type Window } from './window.ts';

export const DATA_TABLE = 'cdr_4';
export const FETCH_TABLE = 'cdr_4_fetches';
export const DAILY_TABLE = 'cdr_4_daily';
export const VERIFICATION_TABLE = 'cdr_4_verifications';
export const STATE_DIR = '_state';
export const DEFAULT_PREFIX = 'wolkvox';

/** `{prefix}/{table}/operation={server}/dt={YYYY-MM-DD}/hour={HH}` */
export function partitionPath(prefix: string, table: string, operation: string, w: Window): string {
  const { dt, hour } = windowPartition(w);
  return `${joinPrefix(prefix)}${table}/operation=${operation}/dt=${dt}/hour=${hour}`;
}

/** `{prefix}/{table}/operation={server}/dt={YYYY-MM-DD}/`: every object of one day (one LIST). */
export function dayPrefix(prefix: string, table: string, operation: string, dt: string): string {
  return `${joinPrefix(prefix)}${table}/operation=${operation}/dt=${dt}/`;
}

/** Root of a table, as Athena's LOCATION sees it (trailing slash). */
export function tableRoot(prefix: string, table: string): string {
  return `${joinPrefix(prefix)}${table}/`;
}

/** The one data object of a window: re-collecting overwrites it. */
export function dataKey(prefix: string, operation: string, w: Window): string {
  return `${partitionPath(prefix, DATA_TABLE, operation, w)}/${dateIni(w)}-${dateEnd(w)}.json`;
}

/**
 * One object per API call, so that retries and restatements each leave their own record. A
 * call over a span is filed under the partition of its first window, named by its own dates;
 * a window a span call proved empty gets a record of its own naming that call's fetch_id.
 */
export function fetchLogKey(prefix: string, operation: string, target: Window | Span, fetchId: string): string {
  if ('toWall' in target) {
    const { date_ini, date_end } = spanDates(target);
    return `${partitionPath(prefix, FETCH_TABLE, operation, { startWall: target.fromWall, timeZone: target.timeZone })}/${date_ini}-${date_end}-${fetchId}.json`;
  }
  return `${partitionPath(prefix, FETCH_TABLE, operation, target)}/${dateIni(target)}-${dateEnd(target)}-${fetchId}.json`;
}

/** `{prefix}/cdr_4_daily/operation={server}/dt={YYYY-MM-DD}/`: one object per operation and day (a fixed key, rewritten in place). */
export function dailyKey(prefix: string, operation: string, dt: string): string {
  return `${joinPrefix(prefix)}${DAILY_TABLE}/operation=${operation}/dt=${dt}/cdr_4_${dt}.parquet`;
}

/**
 * One object per verification record of a day: `{status}-{checked_at}-{id}.json`. The status
 * leads the file name so that consumers can subscribe to "a day became verified" with one
 * key pattern (`{prefix}/cdr_4_verifications/operation={op}/dt={day}/verified-` and any rest).
 */
export function verificationKey(prefix: string, operation: string, day: string, status: string, checkedAt: number, id: string): string {
  const stamp = new Date(checkedAt).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${joinPrefix(prefix)}${VERIFICATION_TABLE}/operation=${operation}/dt=${day}/${status}-${stamp}-${id}.json`;
}

/** Checkpoint of one operation, outside both tables. */
export function checkpointKey(prefix: string, operation: string): string {
  return `${joinPrefix(prefix)}${STATE_DIR}/${DATA_TABLE}/operation=${operation}/checkpoint.json`;
}

/** Lease of one operation: held by the one run that may use the token and write state. */
export function leaseKey(prefix: string, operation: string): string {
  return `${joinPrefix(prefix)}${STATE_DIR}/${DATA_TABLE}/operation=${operation}/lease.json`;
}

function joinPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/**
 * Validates a key prefix: S3-safe segments, no `.` or `..`, no partition-like names, and no IAM
 * pattern characters: the prefix is part of the collector role's resource ARNs, where a `*` or
 * `?` would be a wildcard over other keys (other operations' data and state) and `${…}` a policy
 * variable. So S3's safe characters without `*`.
 */
export const PREFIX_PATTERN = /^(?:(?!\.\.?(?:\/|$))[A-Za-z0-9!_.'()-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9!_.'()-]+)*)?$/;

/** Characters IAM reads as a pattern in a resource ARN: wildcards and policy variables. */
export const IAM_PATTERN_CHARACTERS = /[*?${}]/;

/** Server nomenclature: it becomes part of a host name. */
export const SERVER_PATTERN = /^[A-Za-z0-9-]{1,32}$/;
