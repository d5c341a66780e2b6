import { zstdCompressSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { DAILY_COLUMNS, type DataRow } from '../../../lambda/domain/columns.ts';
import { DAY_FORMAT, DayObjectError, decodeDay, encodeDay, MANIFEST_KEY, type DayWindow } from '../../../lambda/domain/daily-parquet.ts';

function row(windowStart: string, interval: string, min: number | null, over: Partial<DataRow> = {}): DataRow {
  return {
    window_start: windowStart,
    window_end: windowStart.replace(/:(\d\d):00$/, (_, m: string) => `:${String(Number(m) + 5).padStart(2, '0')}:00`),
    window_start_utc: '2026-11-20T13:00:00.000Z',
    window_end_utc: '2026-11-20T13:05:00.000Z',
    timezone: 'America/Bogota',
    interval,
    interval_min_seconds: min,
    interval_max_seconds: min === null ? null : min + 4,
    calls: 3,
    minutes: 1.5,
    cost: 0.25,
    percentage: 12.5,
    revision: 1,
    fetch_id: `f-${windowStart.slice(11, 16)}`,
    collected_at: '2026-11-20T13:10:01.000Z',
    ...over,
  };
}

function win(key: string, rows: DataRow[], version = `v-${key}`): DayWindow {
  return { key, version, rows };
}

const W0800 = '2026-11-20 08:00:00';
const W0805 = '2026-11-20 08:05:00';
const W1300 = '2026-11-20 13:00:00';

describe('Function: encodeDay / decodeDay', () => {
  it('returns the same windows, keys, versions and rows when a day is encoded and decoded', async () => {
    // Prepare
    const windows = [
      win('hour=08/20261120080000-20261120080459.json', [row(W0800, '0_5_seg', 0), row(W0800, '6_20_seg', 6)]),
      win('hour=08/20261120080500-20261120080959.json', [row(W0805, '0_5_seg', 0, { revision: 2, fetch_id: 'restated' })]),
    ];

    // Act
    const decoded = await decodeDay(encodeDay(windows));

    // Assess
    expect(decoded.windows).toEqual(windows);
    expect(decoded.manifest).toEqual({
      format: DAY_FORMAT,
      windows: [
        { key: 'hour=08/20261120080000-20261120080459.json', version: 'v-hour=08/20261120080000-20261120080459.json', rows: 2 },
        { key: 'hour=08/20261120080500-20261120080959.json', version: 'v-hour=08/20261120080500-20261120080959.json', rows: 1 },
      ],
    });
  });

  it('returns rows with the hour of their window start as a column', async () => {
    // Prepare
    const windows = [win('a', [row(W0800, '0_5_seg', 0)]), win('b', [row(W1300, '0_5_seg', 0)])];

    // Act
    const decoded = await decodeDay(encodeDay(windows));

    // Assess
    expect(decoded.rows.map((r) => [r.window_start, r.hour])).toEqual([
      [W0800, 8],
      [W1300, 13],
    ]);
  });

  it('returns rows sorted by window_start, then interval lower bound with unknown bounds last, then interval, whatever the input order', async () => {
    // Prepare
    const windows = [
      win('late', [row(W1300, 'greater_than_121', 122), row(W1300, 'mystery_b', null), row(W1300, 'mystery_a', null), row(W1300, '0_5_seg', 0)]),
      win('early', [row(W0805, '21_60_seg', 21), row(W0805, '6_20_seg', 6)]),
      win('earliest', [row(W0800, '6_20_seg', 6)]),
    ];

    // Act
    const decoded = await decodeDay(encodeDay(windows));

    // Assess
    expect(decoded.rows.map((r) => `${r.window_start.slice(11, 16)} ${r.interval}`)).toEqual([
      '08:00 6_20_seg',
      '08:05 6_20_seg',
      '08:05 21_60_seg',
      '13:00 0_5_seg',
      '13:00 greater_than_121',
      '13:00 mystery_a',
      '13:00 mystery_b',
    ]);
    expect(decoded.manifest.windows.map((e) => e.key)).toEqual(['earliest', 'early', 'late']);
  });

  it('returns nulls as nulls, not zeros, when figures and bounds are blank', async () => {
    // Prepare
    const blank = row(W0800, 'odd_key', null, { calls: null, minutes: null, cost: null, percentage: null });

    // Act
    const decoded = await decodeDay(encodeDay([win('a', [blank])]));

    // Assess
    expect(decoded.rows[0]).toEqual({ ...blank, hour: 8 });
    expect(decoded.rows[0]!.calls).toBeNull();
    expect(decoded.rows[0]!.interval_max_seconds).toBeNull();
  });

  it('returns large call counts, fractional figures and non-ASCII text unchanged', async () => {
    // Prepare
    const odd = row(W0800, 'intervalo_ñ_€', 0, { calls: 2 ** 40, minutes: 0.1 + 0.2, cost: -1e-9, percentage: 100 });

    // Act
    const decoded = await decodeDay(encodeDay([win('a', [odd])]));

    // Assess
    expect(decoded.windows[0]!.rows[0]).toEqual(odd);
  });

  it('returns no rows and no windows when the day is empty', async () => {
    // Prepare
    const bytes = encodeDay([]);

    // Act
    const decoded = await decodeDay(bytes);

    // Assess
    expect(decoded.rows).toEqual([]);
    expect(decoded.windows).toEqual([]);
    expect(decoded.manifest).toEqual({ format: DAY_FORMAT, windows: [] });
  });

  it('returns windows without calls in the manifest with zero rows', async () => {
    // Prepare
    const windows = [win('quiet', []), win('busy', [row(W0800, '0_5_seg', 0)]), win('quiet2', [])];

    // Act
    const decoded = await decodeDay(encodeDay(windows));

    // Assess
    expect(decoded.rows).toHaveLength(1);
    expect(new Map(decoded.windows.map((w) => [w.key, w.rows.length]))).toEqual(new Map([['quiet', 0], ['quiet2', 0], ['busy', 1]]));
  });
});

describe('Function: encodeDay', () => {
  it('returns a file whose columns have the names, order and Parquet types of DAILY_COLUMNS, all nullable', () => {
    // Prepare
    const bytes = encodeDay([win('a', [row(W0800, '0_5_seg', 0)])]);

    // Act
    const schema = parquetMetadata(bytes).schema.slice(1);

    // Assess
    const expected = { string: ['BYTE_ARRAY', 'UTF8'], int: ['INT32', undefined], bigint: ['INT64', undefined], double: ['DOUBLE', undefined], boolean: ['BOOLEAN', undefined] };
    expect(schema.map((s) => [s.name, s.type, s.converted_type, s.repetition_type])).toEqual(DAILY_COLUMNS.map((c) => [c.name, ...expected[c.type], 'OPTIONAL']));
  });

  it.runIf(typeof zstdCompressSync === 'function')('returns zstd-compressed columns in one row group when the runtime has zstd', () => {
    // Prepare
    const rows = Array.from({ length: 288 }, (_, i) => row(`2026-11-20 ${String(Math.floor(i / 12)).padStart(2, '0')}:${String((i % 12) * 5).padStart(2, '0')}:00`, '0_5_seg', 0));

    // Act
    const metadata = parquetMetadata(encodeDay(rows.map((r, i) => win(`k${i}`, [r]))));

    // Assess
    expect(metadata.row_groups).toHaveLength(1);
    expect(new Set(metadata.row_groups[0]!.columns.map((c) => c.meta_data?.codec))).toEqual(new Set(['ZSTD']));
  });

  it('returns the manifest as JSON under its key in the key-value metadata, with the format version', () => {
    // Prepare
    const bytes = encodeDay([win('hour=08/a.json', [row(W0800, '0_5_seg', 0)], '"etag-1"')]);

    // Act
    const kv = parquetMetadata(bytes).key_value_metadata?.find((e) => e.key === MANIFEST_KEY);

    // Assess
    expect(JSON.parse(kv!.value!)).toEqual({ format: DAY_FORMAT, windows: [['hour=08/a.json', '"etag-1"', 1]] });
  });

  it('throws a DayObjectError when two windows hold the same window start', () => {
    // Prepare
    const windows = [win('a', [row(W0800, '0_5_seg', 0)]), win('copy-of-a', [row(W0800, '0_5_seg', 0)])];

    // Act
    const act = () => encodeDay(windows);

    // Assess
    expect(act).toThrow(DayObjectError);
    expect(act).toThrow(/both hold window 2026-11-20 08:00:00/);
  });

  it('throws a DayObjectError when one window object holds rows of two windows', () => {
    // Prepare
    const windows = [win('a', [row(W0800, '0_5_seg', 0), row(W0805, '0_5_seg', 0)])];

    // Act
    const act = () => encodeDay(windows);

    // Assess
    expect(act).toThrow(DayObjectError);
  });

  it('throws a DayObjectError when a key is given twice', () => {
    // Prepare
    const windows = [win('a', []), win('a', [])];

    // Act
    const act = () => encodeDay(windows);

    // Assess
    expect(act).toThrow(/listed twice/);
  });
});

describe('Function: decodeDay', () => {
  it('throws a non-retryable DayObjectError when the bytes are not Parquet', async () => {
    // Prepare
    const bytes = new TextEncoder().encode('{"window_start":"2026-11-20 08:00:00"}\n');

    // Act
    const error = await decodeDay(bytes).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DayObjectError);
    expect((error as DayObjectError).retryable).toBe(false);
  });

  it('throws a DayObjectError when the file has no manifest', async () => {
    // Prepare
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: DAILY_COLUMNS.map((c) => ({ name: c.name, data: [], type: c.type === 'string' ? 'STRING' : c.type === 'bigint' ? 'INT64' : c.type === 'double' ? 'DOUBLE' : 'INT32' })) }));

    // Act
    const error = await decodeDay(bytes).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DayObjectError);
    expect((error as Error).message).toMatch(/no manifest/);
  });

  it('throws a DayObjectError naming both formats when the object has another format', async () => {
    // Prepare
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'x', data: [1], type: 'INT32' }], kvMetadata: [{ key: MANIFEST_KEY, value: JSON.stringify({ format: 0, windows: [] }) }] }));

    // Act
    const error = await decodeDay(bytes).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DayObjectError);
    expect((error as Error).message).toContain(`format 0, this collector writes ${DAY_FORMAT}`);
  });

  it('throws a DayObjectError when the manifest counts other rows than the file holds', async () => {
    // Prepare: a file of this format whose manifest lies about its rows.
    const good = encodeDay([win('a', [row(W0800, '0_5_seg', 0)])]);
    const bad = new Uint8Array(Buffer.from(Buffer.from(good).toString('latin1').replace('"v-a",1]', '"v-a",2]'), 'latin1'));

    // Act
    const error = await decodeDay(bad).catch((e: unknown) => e);

    // Assess
    expect(bad).not.toEqual(good);
    expect(error).toBeInstanceOf(DayObjectError);
    expect((error as Error).message).toMatch(/counts 2 rows, the file holds 1/);
  });

  it('throws a DayObjectError when the columns are not those of cdr_4_daily', async () => {
    // Prepare
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'x', data: [1], type: 'INT32' }], kvMetadata: [{ key: MANIFEST_KEY, value: JSON.stringify({ format: DAY_FORMAT, windows: [['a', 'v', 1]] }) }] }));

    // Act
    const error = await decodeDay(bytes).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DayObjectError);
    expect((error as Error).message).toMatch(/columns/);
  });
});
