/** Writes the rows of `cdr_4_verifications`: where users (Athena, DuckDB) see how complete each day is. */
import { randomBytes } from 'node:crypto';
import type { VerificationRecord } from '../domain/columns.ts';
import { verificationKey } from '../domain/layout.ts';
import { callCount, canonicalTotals, type Totals } from '../domain/totals.ts';
import { NDJSON, type ObjectStore } from '../storage/object-store.ts';
import { toNdjson } from '../domain/rows.ts';

export interface RecordScope {
  readonly prefix: string;
  readonly operation: string;
  readonly timeZone: string;
}

export interface CheckFigures {
  readonly vendor: Totals;
  readonly stored: Totals;
  readonly apiCalls: number;
  readonly windowsRecollected: number;
  readonly fetchId: string | null;
  /** The span (wall labels) an unreconcilable verdict rests on. */
  readonly witness?: { readonly start: string; readonly end: string };
  /** Why, in words. */
  readonly note?: string;
}

export function verificationRecord(status: VerificationRecord['status'], at: number, timeZone: string, check?: CheckFigures): VerificationRecord {
  return {
    status,
    checked_at: new Date(at).toISOString(),
    timezone: timeZone,
    vendor_calls: check ? callCount(check.vendor) : null,
    stored_calls: check ? callCount(check.stored) : null,
    vendor_calls_by_interval: check ? JSON.stringify(canonicalTotals(check.vendor)) : null,
    stored_calls_by_interval: check ? JSON.stringify(canonicalTotals(check.stored)) : null,
    api_calls: check?.apiCalls ?? 0,
    windows_recollected: check?.windowsRecollected ?? 0,
    fetch_id: check?.fetchId ?? null,
    witness_start: check?.witness?.start ?? null,
    witness_end: check?.witness?.end ?? null,
    note: check?.note ?? null,
  };
}

export async function writeVerificationRecord(store: ObjectStore, scope: RecordScope, day: string, record: VerificationRecord): Promise<string> {
  const key = verificationKey(scope.prefix, scope.operation, day, record.status, Date.parse(record.checked_at), randomBytes(4).toString('hex'));
  await store.put(key, toNdjson([record]), NDJSON);
  return key;
}
