import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { dashboardUrl, tailLogsCommand } from './commands.ts';
import type { CollectorConfig } from './config.ts';
import { CollectorPipeline } from './constructs/collector-pipeline.ts';
import { addOperationOutputs } from './operation-outputs.ts';
import { exampleQuery } from './queries.ts';

export interface CollectorStackProps extends StackProps {
  /** Validated configuration (see infra/config.ts). */
  readonly config: CollectorConfig;
  /**
   * Entry file of the collector handler.
   * @default lambda/handler.ts
   */
  readonly handlerEntry?: string;
}

/**
 * The main stack: the parts every operation shares, the operations deployed before operation
 * stacks (`mainStack`), and the outputs an operator needs.
 */
export class CollectorStack extends Stack {
  readonly pipeline: CollectorPipeline;

  constructor(scope: Construct, id: string, props: CollectorStackProps) {
    super(scope, id, props);
    const { config } = props;
    const pipeline = new CollectorPipeline(this, 'Pipeline', {
      config,
      ...(props.handlerEntry !== undefined ? { handlerEntry: props.handlerEntry } : {}),
    });
    this.pipeline = pipeline;

    new CfnOutput(this, 'DataBucketName', { value: pipeline.bucket.bucketName, description: 'Bucket the collectors write to (retained by cdk destroy)' });
    new CfnOutput(this, 'AccessLogsBucketName', { value: pipeline.dataBucket.accessLogsBucket.bucketName, description: 'S3 server access logs (retained by cdk destroy)' });
    new CfnOutput(this, 'AthenaResultsBucketName', { value: pipeline.athena.resultsBucket.bucketName, description: 'Athena query results (retained by cdk destroy)' });
    new CfnOutput(this, 'AthenaWorkGroup', { value: pipeline.athena.workGroupName, description: 'Athena workgroup (enforced settings, saved queries)' });
    new CfnOutput(this, 'GlueDatabase', { value: pipeline.catalog.databaseName, description: 'Glue database with the cdr_4 and cdr_4_fetches tables' });
    new CfnOutput(this, 'AlarmTopicArn', { value: pipeline.alarms.topic.topicArn, description: 'SNS topic of the alarms' });
    new CfnOutput(this, 'WindowCollectedEventPattern', {
      value: this.toJsonString(pipeline.windowCollectedEventBridgePattern()),
      description: 'EventBridge pattern (default bus) matching new window data objects only',
    });
    new CfnOutput(this, 'DayWrittenEventPattern', {
      value: this.toJsonString(pipeline.dayWrittenEventBridgePattern()),
      description: 'EventBridge pattern (default bus) matching written cdr_4_daily day objects only',
    });
    new CfnOutput(this, 'DayVerifiedEventPattern', {
      value: this.toJsonString(pipeline.dayVerifiedEventBridgePattern()),
      description: 'EventBridge pattern (default bus) matching days recorded as verified (verified records of cdr_4_verifications) only',
    });
    new CfnOutput(this, 'ScheduleDeadLetterQueueUrl', { value: pipeline.scheduleDeadLetterQueue.queue.queueUrl, description: 'Schedule events that could not reach a collector' });
    new CfnOutput(this, 'CollectorFailureQueueUrl', { value: pipeline.failureQueue.queue.queueUrl, description: 'Failed or expired collector invocations' });
    if (pipeline.dashboard !== undefined) {
      new CfnOutput(this, 'DashboardUrl', { value: dashboardUrl(pipeline.dashboard.dashboard.dashboardName, Aws.REGION), description: 'CloudWatch dashboard of the collectors' });
    }
    const first = config.operations[0];
    if (first !== undefined) {
      new CfnOutput(this, 'ExampleQuery', {
        value: exampleQuery(config.databaseName, first),
        description: `Run in workgroup ${pipeline.athena.workGroupName}`,
      });
    }
    new CfnOutput(this, 'CollectorLogGroup', { value: pipeline.logGroup.logGroupName, description: 'Log group of every collector (each line names its operation)' });
    new CfnOutput(this, 'TailLogsCommand', { value: tailLogsCommand(pipeline.logGroup.logGroupName, Aws.REGION), description: 'Follows the runs of every operation' });
    for (const op of pipeline.operations) addOperationOutputs(this, op.operation, op.collector, config.firstDay);
  }
}
