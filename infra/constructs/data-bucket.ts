import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface DataBucketProps {
  /**
   * Days a noncurrent object version is kept. Data objects are overwritten when a window is
   * re-collected, so the previous versions are the history of restatements.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days server access logs are kept in the access-logs bucket.
   * @default 90
   */
  readonly accessLogsExpirationDays?: number;
  /**
   * Removal policy of the data bucket and of the access-logs bucket.
   * @default RemovalPolicy.RETAIN (collected data survives `cdk destroy`)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The bucket the collector writes to (data, fetch log and checkpoints under one prefix) and
 * the bucket that receives S3 server access logs (of this bucket and of any other bucket of the
 * stack that passes it as `serverAccessLogsBucket`).
 *
 * Object-level events go to EventBridge ("Object Created" on the default bus) so downstream
 * consumers can react to new windows; see CollectorPipeline.onWindowCollected.
 */
export class DataBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: DataBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3 log delivery only supports SSE-S3 on the target bucket.
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(props.accessLogsExpirationDays ?? 90), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
    });
    // Not logged itself: it is the log target (cdk-nag's S1 recognises a bucket that receives
    // another bucket's access logs as compliant).

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionExpirationDays ?? 30),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      removalPolicy,
    });
    // Equivalent of `eventBridgeEnabled: true`, set on the CloudFormation resource itself.
    // The L2 property deploys a Custom::S3BucketNotifications resource backed by a Lambda
    // function (with a managed policy and a wildcard PutBucketNotification statement); the
    // native NotificationConfiguration.EventBridgeConfiguration does the same with no code.
    (this.bucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
  }
}
