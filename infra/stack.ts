import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CollectorConfig } from './config.ts';
import { CollectorPipeline } from './constructs/collector-pipeline.ts';
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

/** The deployable unit: the pipeline plus the outputs an operator needs. */
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

    new CfnOutput(this, 'DataBucketName', { value: pipeline.bucket.bucketName, description: 'Bucket the collectors write to' });
    new CfnOutput(this, 'AthenaWorkGroup', { value: pipeline.athena.workGroupName, description: 'Athena workgroup (enforced settings, saved queries)' });
    new CfnOutput(this, 'GlueDatabase', { value: pipeline.catalog.databaseName, description: 'Glue database with the cdr_4 and cdr_4_fetches tables' });
    new CfnOutput(this, 'AlarmTopicArn', { value: pipeline.alarms.topic.topicArn, description: 'SNS topic of the alarms' });
    new CfnOutput(this, 'WindowCollectedEventPattern', {
      value: this.toJsonString(pipeline.windowCollectedEventBridgePattern()),
      description: 'EventBridge pattern (default bus) matching new data objects only',
    });
    const first = config.operations[0];
    if (first !== undefined) {
      new CfnOutput(this, 'ExampleQuery', {
        value: exampleQuery(config.databaseName, first),
        description: `Run in workgroup ${pipeline.athena.workGroupName}`,
      });
    }
    for (const op of pipeline.operations) {
      const suffix = op.server.replace(/[^A-Za-z0-9]/g, '');
      new CfnOutput(this, `TokenSecret${suffix}`, {
        value: op.collector.secret.secretArn,
        description: `Token secret of operation ${op.server}${op.collector.secretCreated ? ' (created empty)' : ' (imported)'}`,
      });
      new CfnOutput(this, `PutSecretValueCommand${suffix}`, {
        value: op.collector.putSecretValueCommand,
        description: `Stores the token of operation ${op.server}: run "read -rs WOLKVOX_TOKEN" first, then this`,
      });
      new CfnOutput(this, `CollectorFunction${suffix}`, { value: op.collector.function.functionName, description: `Collector of operation ${op.server}` });
    }
  }
}
