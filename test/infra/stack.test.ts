import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { type Built, buildStack, logicalId, renderIntrinsic } from './helpers.ts';

function output(b: Built, name: string): string {
  const outputs = b.template.findOutputs(name);
  const o = outputs[name] as { Value: unknown } | undefined;
  if (!o) throw new Error(`no output ${name} (have ${Object.keys(b.template.findOutputs('*')).join(', ')})`);
  return renderIntrinsic(o.Value);
}

describe('Stack: CollectorStack', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack({
      context: {
        [CONTEXT_KEYS.operations]: [{ server: '0032' }, { server: 'ops-7', tokenSecretName: 'wolkvox/ops-7' }],
        [CONTEXT_KEYS.alarmEmail]: 'ops@example.com',
      },
    });
  });

  it('outputs the bucket, workgroup, database and topic when synthesized', () => {
    // Assess
    const p = built.stack.pipeline;
    expect(output(built, 'DataBucketName')).toBe(`{Ref:${logicalId(p.bucket)}}`);
    expect(output(built, 'AthenaWorkGroup')).toBe('WolkvoxCdr4Collector');
    expect(output(built, 'GlueDatabase')).toBe('wolkvox');
    expect(output(built, 'AlarmTopicArn')).toBe(`{Ref:${logicalId(p.alarms.topic)}}`);
  });

  it('outputs the put-secret-value command of each operation when secrets are created or imported', () => {
    // Assess
    const created = built.stack.pipeline.operations[0]?.collector.secret;
    expect(created).toBeDefined();
    expect(output(built, 'PutSecretValueCommand0032')).toBe(
      `aws secretsmanager put-secret-value --region {Ref:AWS::Region} --secret-id {Ref:${logicalId(created!)}} --secret-string "$WOLKVOX_TOKEN"`,
    );
    expect(output(built, 'PutSecretValueCommandops7')).toBe('aws secretsmanager put-secret-value --region {Ref:AWS::Region} --secret-id wolkvox/ops-7 --secret-string "$WOLKVOX_TOKEN"');
    expect(output(built, 'TokenSecret0032')).toBe(`{Ref:${logicalId(created!)}}`);
    expect(output(built, 'TokenSecretops7')).toBe('arn:{Ref:AWS::Partition}:secretsmanager:{Ref:AWS::Region}:{Ref:AWS::AccountId}:secret:wolkvox/ops-7');
  });

  it('outputs an example query against the first operation when synthesized', () => {
    // Assess
    expect(output(built, 'ExampleQuery')).toMatch(/^SELECT .* FROM "wolkvox"\."cdr_4" WHERE operation = '0032' AND dt >= /);
  });

  it('outputs the consumer event pattern in EventBridge JSON when synthesized', () => {
    // Act
    const pattern = JSON.parse(output(built, 'WindowCollectedEventPattern').replace(/\{Ref:([A-Za-z0-9]+)\}/, '$1')) as unknown;

    // Assess
    expect(pattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [logicalId(built.stack.pipeline.bucket)] }, object: { key: [{ prefix: 'wolkvox/cdr_4/' }] } },
    });
  });

  it('passes the built-in CloudFormation validation of aws-cdk-lib when synthesized', () => {
    // Act
    const b = buildStack({ validate: true });
    const assembly = b.app.synth();

    // Assess
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { summary?: { status?: string }; violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    expect(report.pluginReports.every((r) => r.summary?.status !== 'failure')).toBe(true);
  });

  it('fails with the field name when the context is invalid', () => {
    // Act
    const act = () => buildStack({ context: { [CONTEXT_KEYS.operations]: [{ server: '0032', timezone: 'Nowhere/City' }] } });

    // Assess
    expect(act).toThrow(/wolkvox:operations\[0\]\.timezone: must be an IANA time zone/);
  });
});
