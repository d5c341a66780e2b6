import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { Catalog, type CatalogProps, JSON_SERDE } from '../../infra/constructs/catalog.ts';
import { DAILY_COLUMNS, VERIFICATION_COLUMNS } from '../../lambda/domain/columns.ts';
import { DAILY_TABLE, DATA_TABLE, FETCH_TABLE, VERIFICATION_TABLE } from '../../lambda/domain/layout.ts';
import { bareStack, logicalId, renderIntrinsic, resourcesOfType } from './helpers.ts';

function synth(overrides: Partial<Omit<CatalogProps, 'bucket'>> = {}) {
  const stack = bareStack();
  const bucket = new Bucket(stack, 'Bucket');
  const catalog = new Catalog(stack, 'Catalog', { bucket, prefix: 'wolkvox', databaseName: 'wolkvox', operations: ['0032'], projectionStartDate: '2026-10-01', ...overrides });
  return { bucket, catalog, template: Template.fromStack(stack) };
}

function tableInput(template: Template, name: string): Record<string, unknown> {
  const found = resourcesOfType(template, 'AWS::Glue::Table').find(([, p]) => (p.TableInput as { Name: string }).Name === name);
  if (!found) throw new Error(`table ${name} not found`);
  return found[1].TableInput as Record<string, unknown>;
}

describe('Construct: Catalog', () => {
  it('creates the database and the four tables when created', () => {
    // Act
    const { template } = synth();

    // Assess
    template.hasResourceProperties('AWS::Glue::Database', { CatalogId: { Ref: 'AWS::AccountId' }, DatabaseInput: { Name: 'wolkvox' } });
    template.resourceCountIs('AWS::Glue::Table', 4);
    for (const name of [DATA_TABLE, FETCH_TABLE, DAILY_TABLE, VERIFICATION_TABLE]) {
      template.hasResourceProperties('AWS::Glue::Table', { DatabaseName: 'wolkvox', TableInput: { Name: name, TableType: 'EXTERNAL_TABLE' } });
    }
  });

  it('reads NDJSON with the Hive JSON SerDe when a query scans the table', () => {
    // Act
    const { template } = synth();

    // Assess
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Name: DATA_TABLE,
        StorageDescriptor: {
          SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
          InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        },
      },
    });
    expect(JSON_SERDE).not.toMatch(/openx/i);
  });

  it('projects operation, dt and hour partitions when operations are configured', () => {
    // Act
    const { template } = synth({ operations: ['0032', '0045'] });

    // Assess
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Name: FETCH_TABLE,
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.operation.type': 'enum',
          'projection.operation.values': '0032,0045',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2026-10-01,NOW+1DAYS',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
        }),
      },
    });
  });

  it('points the location template at the writer layout when a prefix is set', () => {
    // Act
    const { template, bucket } = synth({ prefix: 'a/b' });

    // Assess
    const input = tableInput(template, DATA_TABLE);
    const params = input.Parameters as Record<string, unknown>;
    expect(renderIntrinsic(params['storage.location.template'])).toBe(
      `s3://{Ref:${logicalId(bucket)}}/a/b/cdr_4/operation=\${operation}/dt=\${dt}/hour=\${hour}/`,
    );
    expect(renderIntrinsic((input.StorageDescriptor as { Location: unknown }).Location)).toBe(`s3://{Ref:${logicalId(bucket)}}/a/b/cdr_4/`);
  });

  it('declares partition keys operation string, dt string, hour int when rendered', () => {
    // Act
    const { template } = synth();

    // Assess
    const keys = (tableInput(template, DATA_TABLE).PartitionKeys as { Name: string; Type: string }[]).map((k) => `${k.Name} ${k.Type}`);
    expect(keys).toEqual(['operation string', 'dt string', 'hour int']);
  });

  it('uses the configured projection range when start and end are overridden', () => {
    // Act
    const { template } = synth({ projectionStartDate: '2024-06-01', projectionEndDate: 'NOW+2DAYS' });

    // Assess
    template.hasResourceProperties('AWS::Glue::Table', { TableInput: { Parameters: Match.objectLike({ 'projection.dt.range': '2024-06-01,NOW+2DAYS' }) } });
  });

  it('reads cdr_4_daily as Parquet when a query scans it', () => {
    // Act
    const { template } = synth();

    // Assess
    const input = tableInput(template, DAILY_TABLE);
    expect(input.Parameters).toMatchObject({ classification: 'parquet' });
    expect(input.StorageDescriptor).toMatchObject({
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    });
    expect((input.StorageDescriptor as { Columns: { Name: string }[] }).Columns.map((c) => c.Name)).toEqual(DAILY_COLUMNS.map((c) => c.name));
  });

  it('partitions cdr_4_daily by operation and dt only when rendered', () => {
    // Act
    const { template, bucket } = synth({ prefix: 'a/b', operations: ['0032', '0045'] });

    // Assess
    const input = tableInput(template, DAILY_TABLE);
    const params = input.Parameters as Record<string, unknown>;
    expect((input.PartitionKeys as { Name: string; Type: string }[]).map((k) => `${k.Name} ${k.Type}`)).toEqual(['operation string', 'dt string']);
    expect(Object.keys(params).filter((k) => k.startsWith('projection.hour'))).toEqual([]);
    expect(params).toMatchObject({ 'projection.operation.values': '0032,0045', 'projection.dt.type': 'date', 'projection.dt.format': 'yyyy-MM-dd' });
    expect(renderIntrinsic(params['storage.location.template'])).toBe(`s3://{Ref:${logicalId(bucket)}}/a/b/cdr_4_daily/operation=\${operation}/dt=\${dt}/`);
    expect(renderIntrinsic((input.StorageDescriptor as { Location: unknown }).Location)).toBe(`s3://{Ref:${logicalId(bucket)}}/a/b/cdr_4_daily/`);
  });

  it('gives cdr_4_daily and cdr_4_verifications the same dt range as cdr_4 when the start is configured', () => {
    // Act
    const { template } = synth({ projectionStartDate: '2024-06-01' });

    // Assess
    const ranges = [DATA_TABLE, FETCH_TABLE, DAILY_TABLE, VERIFICATION_TABLE].map((t) => (tableInput(template, t).Parameters as Record<string, string>)['projection.dt.range']);
    expect(ranges).toEqual(['2024-06-01,NOW+1DAYS', '2024-06-01,NOW+1DAYS', '2024-06-01,NOW+1DAYS', '2024-06-01,NOW+1DAYS']);
  });

  it('reads cdr_4_verifications as NDJSON with the Hive JSON SerDe and the verification columns when a query scans it', () => {
    // Act
    const { template } = synth();

    // Assess
    const input = tableInput(template, VERIFICATION_TABLE);
    expect(input.Parameters).toMatchObject({ classification: 'json' });
    expect(input.StorageDescriptor).toMatchObject({
      SerdeInfo: { SerializationLibrary: JSON_SERDE },
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    });
    expect((input.StorageDescriptor as { Columns: { Name: string; Type: string }[] }).Columns.map((c) => `${c.Name} ${c.Type}`)).toEqual(
      VERIFICATION_COLUMNS.map((c) => `${c.name} ${c.type}`),
    );
  });

  it('partitions cdr_4_verifications by operation and dt only, projected like cdr_4_daily, when rendered', () => {
    // Act
    const { template, bucket } = synth({ prefix: 'a/b', operations: ['0032', '0045'], projectionStartDate: '2025-03-01' });

    // Assess
    const input = tableInput(template, VERIFICATION_TABLE);
    const params = input.Parameters as Record<string, unknown>;
    expect((input.PartitionKeys as { Name: string; Type: string }[]).map((k) => `${k.Name} ${k.Type}`)).toEqual(['operation string', 'dt string']);
    expect(Object.keys(params).filter((k) => k.startsWith('projection.hour'))).toEqual([]);
    expect(params).toMatchObject({
      'projection.enabled': 'true',
      'projection.operation.type': 'enum',
      'projection.operation.values': '0032,0045',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2025-03-01,NOW+1DAYS',
    });
    expect(renderIntrinsic(params['storage.location.template'])).toBe(`s3://{Ref:${logicalId(bucket)}}/a/b/cdr_4_verifications/operation=\${operation}/dt=\${dt}/`);
    expect(renderIntrinsic((input.StorageDescriptor as { Location: unknown }).Location)).toBe(`s3://{Ref:${logicalId(bucket)}}/a/b/cdr_4_verifications/`);
  });
});
