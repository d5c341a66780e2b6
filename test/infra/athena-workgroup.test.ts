import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { AthenaWorkgroup, type AthenaWorkgroupProps } from '../../infra/constructs/athena-workgroup.ts';
import { namedQueries } from '../../infra/queries.ts';
import { bareStack, logicalId, renderIntrinsic, resourcesOfType } from './helpers.ts';

function synth(overrides: Partial<AthenaWorkgroupProps> = {}) {
  const stack = bareStack();
  const logs = new Bucket(stack, 'Logs');
  const athena = new AthenaWorkgroup(stack, 'Athena', {
    workGroupName: 'wolkvox-test',
    databaseName: 'wolkvox',
    accessLogsBucket: logs,
    namedQueries: namedQueries('wolkvox', [{ server: '0032', timezone: 'America/Bogota' }]),
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

  it('saves the six named queries in the workgroup when queries are given', () => {
    // Act
    const { template, athena } = synth();

    // Assess
    const queries = resourcesOfType(template, 'AWS::Athena::NamedQuery').map(([, p]) => p);
    expect(queries.map((q) => q.Name)).toEqual([
      'cdr_4: today by hour',
      'cdr_4: daily distribution by call-duration interval',
      'cdr_4: cost and minutes by day',
      'cdr_4: windows collected vs expected per day',
      'cdr_4: fetch failures by error class',
      'cdr_4: days not verified',
    ]);
    for (const q of queries) {
      expect(q).toMatchObject({ Database: 'wolkvox', WorkGroup: { Ref: logicalId(athena.workGroup) } });
    }
  });
});
