import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DataBucket } from '../../infra/constructs/data-bucket.ts';
import { bareStack, logicalId } from './helpers.ts';

function synth(props: ConstructorParameters<typeof DataBucket>[2] = {}) {
  const stack = bareStack();
  const data = new DataBucket(stack, 'Data', props);
  return { stack, data, template: Template.fromStack(stack) };
}

const BLOCK_ALL = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };

describe('Construct: DataBucket', () => {
  it('blocks public access, encrypts, versions and sends events to EventBridge when created with defaults', () => {
    // Act
    const { template, data } = synth();

    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: BLOCK_ALL,
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(data.accessLogsBucket) }, LogFilePrefix: 'data-bucket/' },
    });
  });

  it('expires noncurrent versions after the configured days when versions pile up', () => {
    // Act
    const { template } = synth({ noncurrentVersionExpirationDays: 45 });

    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 45 }, Status: 'Enabled' })]) },
    });
  });

  it('retains both buckets when the stack is deleted', () => {
    // Act
    const { template } = synth();

    // Assess
    const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(2);
    for (const b of buckets) expect(b).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('denies non-TLS requests when any principal uses plain HTTP', () => {
    // Act
    const { template, data } = synth();

    // Assess
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(data.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('needs no notification custom resource when EventBridge is enabled natively', () => {
    // Act
    const { template } = synth();

    // Assess
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('expires access logs and lets S3 log delivery write them when the logs bucket is created', () => {
    // Act
    const { template, data } = synth({ accessLogsExpirationDays: 30 });

    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: BLOCK_ALL,
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30 })]) },
      LoggingConfiguration: Match.absent(),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(data.accessLogsBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]),
      },
    });
  });
});
