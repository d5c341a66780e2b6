import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { NamedQuerySpec } from '../queries.ts';

export interface AthenaWorkgroupProps {
  /** Workgroup name (unique in the account and region). */
  readonly workGroupName: string;
  /** Database the named queries run against. */
  readonly databaseName: string;
  /**
   * Days query results are kept.
   * @default 7
   */
  readonly resultsExpirationDays?: number;
  /**
   * Per-query cutoff of bytes scanned, in MB (Athena's minimum is 10 MB).
   * @default 1024 (1 GiB, about $0.005 per query)
   */
  readonly bytesScannedCutoffMb?: number;
  /**
   * Bucket receiving the results bucket's server access logs.
   * @default - no access logging (cdk-nag AwsSolutions-S1 will report it)
   */
  readonly accessLogsBucket?: IBucket;
  /**
   * Named queries to save in the workgroup.
   * @default - none
   */
  readonly namedQueries?: readonly NamedQuerySpec[];
  /**
   * Removal policy of the results bucket.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An Athena workgroup (engine v3) whose settings are enforced on every query: results in its
 * own bucket (SSE-S3, expiring), a bytes-scanned cutoff per query, CloudWatch metrics.
 */
export class AthenaWorkgroup extends Construct {
  readonly workGroup: CfnWorkGroup;
  readonly workGroupName: string;
  readonly resultsBucket: Bucket;
  readonly namedQueries: CfnNamedQuery[] = [];

  constructor(scope: Construct, id: string, props: AthenaWorkgroupProps) {
    super(scope, id);
    this.workGroupName = props.workGroupName;

    this.resultsBucket = new Bucket(this, 'Results', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-query-results',
          expiration: Duration.days(props.resultsExpirationDays ?? 7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      ...(props.accessLogsBucket ? { serverAccessLogsBucket: props.accessLogsBucket, serverAccessLogsPrefix: 'athena-results/' } : {}),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'Queries over the Wolkvox cdr_4 collection',
      state: 'ENABLED',
      // Lets `cdk destroy` delete the workgroup even when it has saved queries and history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: (props.bytesScannedCutoffMb ?? 1024) * 1024 * 1024,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    for (const q of props.namedQueries ?? []) {
      const named = new CfnNamedQuery(this, q.id, {
        name: q.name,
        description: q.description,
        database: props.databaseName,
        // The Ref to the workgroup already orders creation after it (an explicit DependsOn is cfn-lint W3005).
        workGroup: this.workGroup.ref,
        queryString: q.sql,
      });
      this.namedQueries.push(named);
    }
  }
}
