import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { AthenaWorkgroup, type AthenaWorkgroupProps } from '../../infra/constructs/athena-workgroup.ts';
import { namedQueries, WINDOWS_PER_DAY } from '../../infra/queries.ts';
import { bareStack, logicalId, renderIntrinsic, resourcesOfType } from './helpers.ts';

function synth(overrides: Partial<AthenaWorkgroupProps> = {}) {
  const stack = bareStack();
  const logs = new Bucket(stack, 'Logs');
  const athena = new AthenaWorkgroup(stack, 'Athena', {
    workGroupName: 'wolkvox-test',
    databaseName: 'wolkvox',
    accessLogsBucket: logs,
    namedQueries: namedQueries('wolkvox'),
    ...overrides,
  });
  return { athena, logs, template: Template.fromStack(stack) };
}

describe('Construct: AthenaWorkgroup', () => {
  it('enforces its own results location, encryption and a scan cutoff when created with defaults', () => {
    // Act
    const { template, athena } = synth();

    // Assess
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'wolkvox-test',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 1024 * 1024 * 1024,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
      },
    });
    const [[, wg] = ['', {}]] = resourcesOfType(template, 'AWS::Athena::WorkGroup');
    const output = (wg.WorkGroupConfiguration as { ResultConfiguration: { OutputLocation: unknown } }).ResultConfiguration.OutputLocation;
    expect(renderIntrinsic(output)).toBe(`s3://{Ref:${logicalId(athena.resultsBucket)}}/results/`);
  });

  it('expires results and logs access when the results bucket is created', () => {
    // Act
    const { template, logs } = synth({ resultsExpirationDays: 3 });

    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 3, Status: 'Enabled' })]) },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(logs) }, LogFilePrefix: 'athena-results/' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });

  it('uses the configured cutoff when bytesScannedCutoffMb is set', () => {
    // Act
    const { template } = synth({ bytesScannedCutoffMb: 10 });

    // Assess
    template.hasResourceProperties('AWS::Athena::WorkGroup', { WorkGroupConfiguration: { BytesScannedCutoffPerQuery: 10 * 1024 * 1024 } });
  });

  it('saves the four named queries in the workgroup when queries are given', () => {
    // Act
    const { template, athena } = synth();

    // Assess
    const queries = resourcesOfType(template, 'AWS::Athena::NamedQuery').map(([, p]) => p);
    expect(queries.map((q) => q.Name)).toEqual([
      'cdr_4: daily distribution by call-duration interval',
      'cdr_4: cost and minutes by day',
      'cdr_4: windows collected vs expected per day',
      'cdr_4: fetch failures by error class',
    ]);
    for (const q of queries) {
      expect(q).toMatchObject({ Database: 'wolkvox', WorkGroup: { Ref: logicalId(athena.workGroup) } });
    }
  });
});

describe('Queries: named queries', () => {
  const queries = namedQueries('wolkvox');

  it('quotes the reserved column "interval" whenever a query uses it', () => {
    // Assess
    for (const q of queries) {
      const bare = q.sql.replace(/"interval"/g, '').replace(/interval '\d+' day/g, '').replace(/interval_(min|max)_seconds/g, '');
      expect(bare, q.name).not.toMatch(/\binterval\b/);
    }
  });

  it('prunes partitions by dt when any query runs', () => {
    // Assess
    for (const q of queries) expect(q.sql, q.name).toMatch(/WHERE[\s\S]*\bdt >= date_format\(current_date - interval '\d+' day, '%Y-%m-%d'\)/);
  });

  it('compares collected windows with 288 per day when counting completeness', () => {
    // Act
    const q = queries.find((x) => x.id === 'WindowsCollectedPerDay');

    // Assess
    expect(WINDOWS_PER_DAY).toBe(288);
    expect(q?.sql).toContain('288 AS windows_expected');
    expect(q?.sql).toContain('"wolkvox"."cdr_4_fetches"');
  });
});
