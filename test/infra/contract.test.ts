/**
 * Contract between the infrastructure and the collector: what Athena reads (derived from the
 * synthesized template only) must be what the collector writes (lambda/domain).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { type ColumnSpec, DATA_COLUMNS, FETCH_COLUMNS, PARTITION_COLUMNS, VERIFICATION_COLUMNS, VERIFICATION_PARTITION_COLUMNS } from '../../lambda/domain/columns.ts';
import { DATA_TABLE, dataKey, FETCH_TABLE, fetchLogKey, VERIFICATION_TABLE, verificationKey } from '../../lambda/domain/layout.ts';
import { LAMBDA_ENV } from '../../lambda/domain/metrics.ts';
import { type Window, windowAt } from '../../lambda/domain/window.ts';
import { type Built, buildStack, functionEnvironment, type GlueColumn, renderImported, tableFromTemplate, type TableView } from './helpers.ts';

/** Formats naive wall-clock ms with the subset of Java date patterns Athena projection uses. */
function javaDateFormat(wallMs: number, pattern: string): string {
  const d = new Date(wallMs);
  const fields: Record<string, string> = {
    yyyy: String(d.getUTCFullYear()).padStart(4, '0'),
    MM: String(d.getUTCMonth() + 1).padStart(2, '0'),
    dd: String(d.getUTCDate()).padStart(2, '0'),
    HH: String(d.getUTCHours()).padStart(2, '0'),
  };
  return pattern.replace(/yyyy|MM|dd|HH/g, (t) => fields[t] ?? t);
}

/**
 * What Athena's partition projection produces for the window's partition: each column's
 * value rendered by its projection type, substituted into storage.location.template.
 */
function renderLocation(view: TableView, operation: string, w: Pick<Window, 'startWall'>): string {
  const logical: Record<string, { date?: number; int?: number; text?: string }> = {
    operation: { text: operation },
    dt: { date: w.startWall },
    hour: { int: new Date(w.startWall).getUTCHours() },
  };
  let out = view.params['storage.location.template'] ?? '';
  for (const key of view.partitionKeys) {
    const type = view.params[`projection.${key.Name}.type`];
    const value = logical[key.Name];
    let rendered: string;
    if (type === 'enum' && value?.text !== undefined) {
      expect(view.params[`projection.${key.Name}.values`]?.split(',')).toContain(value.text);
      rendered = value.text;
    } else if (type === 'date' && value?.date !== undefined) {
      rendered = javaDateFormat(value.date, view.params[`projection.${key.Name}.format`] ?? '');
    } else if (type === 'integer' && value?.int !== undefined) {
      const [lo, hi] = (view.params[`projection.${key.Name}.range`] ?? '').split(',').map(Number);
      expect(value.int).toBeGreaterThanOrEqual(lo ?? NaN);
      expect(value.int).toBeLessThanOrEqual(hi ?? NaN);
      rendered = String(value.int).padStart(Number(view.params[`projection.${key.Name}.digits`] ?? '1'), '0');
    } else {
      throw new Error(`no projection rendering for ${key.Name} (${String(type)})`);
    }
    out = out.replaceAll(`\${${key.Name}}`, rendered);
  }
  expect(out).not.toContain('${');
  return out;
}

function directoryOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

function asGlue(columns: readonly ColumnSpec[]): GlueColumn[] {
  return columns.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment }));
}

/** A day as the wall-clock instant of its midnight, the value Athena's date projection formats. */
function dayStart(day: string): Pick<Window, 'startWall'> {
  return { startWall: Date.parse(`${day}T00:00:00Z`) };
}

const DAYS: [string, string][] = [
  ['a day in January (single-digit month and day)', '2025-01-05'],
  ['the last day of a year', '2024-12-31'],
  ['a leap day', '2028-02-29'],
];

const WINDOWS: [string, Window][] = [
  ['a morning window (single-digit hour)', windowAt(Date.UTC(2025, 0, 5, 7, 5), 'America/Bogota')],
  ['the last window of a year', windowAt(Date.UTC(2024, 11, 31, 23, 55), 'America/Bogota')],
  ['a leap day in a zone ahead of UTC', windowAt(Date.UTC(2028, 1, 29, 0, 0), 'Asia/Tokyo')],
];

describe.each([
  ['the default prefix', {}, 'wolkvox'],
  ['a nested prefix', { [CONTEXT_KEYS.prefix]: 'data/cdr' }, 'data/cdr'],
])('Contract: collector layout and Glue tables with %s', (_name, context, prefix) => {
  let built: Built;
  let bucketRef: string;
  const servers = ['0032', 'ops-7'];

  beforeAll(() => {
    built = buildStack({ context: { ...context, [CONTEXT_KEYS.operations]: servers.map((server) => ({ server })) } });
    const env = functionEnvironment(built, '0032');
    // The bucket and prefix the collector is told to write to (its stack imports the bucket's name from the main stack).
    bucketRef = renderImported(built, env[LAMBDA_ENV.bucket]);
    expect(env[LAMBDA_ENV.prefix]).toBe(prefix);
  });

  it('reads the NDJSON tables with the Hive JSON SerDe when Athena scans them', () => {
    // Assess
    for (const table of [DATA_TABLE, FETCH_TABLE, VERIFICATION_TABLE]) expect(tableFromTemplate(built, table).serde).toBe('org.apache.hive.hcatalog.data.JsonSerDe');
  });

  it('declares exactly the columns of columns.ts, in order, when the tables are defined', () => {
    // Act
    const data = tableFromTemplate(built, DATA_TABLE);
    const fetches = tableFromTemplate(built, FETCH_TABLE);

    // Assess
    expect(data.columns).toEqual(asGlue(DATA_COLUMNS));
    expect(fetches.columns).toEqual(asGlue(FETCH_COLUMNS));
    expect(data.partitionKeys).toEqual(asGlue(PARTITION_COLUMNS));
    expect(fetches.partitionKeys).toEqual(asGlue(PARTITION_COLUMNS));
  });

  it('declares exactly the verification columns of columns.ts, in order, partitioned by operation and dt, when cdr_4_verifications is defined', () => {
    // Act
    const verifications = tableFromTemplate(built, VERIFICATION_TABLE);

    // Assess
    expect(verifications.columns).toEqual(asGlue(VERIFICATION_COLUMNS));
    expect(verifications.partitionKeys).toEqual(asGlue(VERIFICATION_PARTITION_COLUMNS));
    expect(verifications.partitionKeys.map((k) => k.Name)).toEqual(['operation', 'dt']);
  });

  it.each(DAYS)('finds every verification record of %s directly under the projected partition location', (_label, day) => {
    // Prepare
    const view = tableFromTemplate(built, VERIFICATION_TABLE);
    const checkedAt = Date.parse(`${day}T09:30:05.123Z`) + 86_400_000;

    for (const server of servers) {
      for (const status of ['pending', 'changed', 'verified']) {
        // Act
        const location = renderLocation(view, server, dayStart(day));
        const key = `s3://${bucketRef}/${verificationKey(prefix, server, day, status, checkedAt, '01HZXVERIFY')}`;

        // Assess
        expect(key.startsWith(location), `${key} under ${location}`).toBe(true);
        expect(key.slice(location.length)).not.toContain('/');
        expect(location.startsWith(view.location)).toBe(true);
      }
    }
  });

  it('keeps the verification records out of the other tables when their locations are listed', () => {
    // Prepare
    const key = `s3://${bucketRef}/${verificationKey(prefix, '0032', '2025-01-05', 'verified', Date.UTC(2025, 0, 6, 4), 'x')}`;

    // Assess
    for (const table of [DATA_TABLE, FETCH_TABLE]) expect(key.startsWith(tableFromTemplate(built, table).location), table).toBe(false);
  });

  it.each(WINDOWS)('finds the data object of %s under the projected partition location', (_label, w) => {
    // Prepare
    const view = tableFromTemplate(built, DATA_TABLE);

    for (const server of servers) {
      // Act
      const location = renderLocation(view, server, w);

      // Assess
      expect(location).toBe(`s3://${bucketRef}/${directoryOf(dataKey(prefix, server, w))}`);
      expect(location.startsWith(view.location)).toBe(true);
    }
  });

  it.each(WINDOWS)('finds the fetch-log object of %s under the projected partition location', (_label, w) => {
    // Prepare
    const view = tableFromTemplate(built, FETCH_TABLE);

    for (const server of servers) {
      // Act
      const location = renderLocation(view, server, w);

      // Assess
      expect(location).toBe(`s3://${bucketRef}/${directoryOf(fetchLogKey(prefix, server, w, '01HZXFETCH'))}`);
      expect(location.startsWith(view.location)).toBe(true);
    }
  });

  it('keeps the fetch log out of the data table when both tables are listed', () => {
    // Prepare
    const w = WINDOWS[0]![1];
    const data = tableFromTemplate(built, DATA_TABLE);

    // Act
    const fetchObject = `s3://${bucketRef}/${fetchLogKey(prefix, '0032', w, 'x')}`;

    // Assess
    expect(fetchObject.startsWith(data.location)).toBe(false);
  });
});
