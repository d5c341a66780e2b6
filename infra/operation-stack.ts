import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OperationConfig } from './config.ts';
import { CollectorFunction } from './constructs/collector-function.ts';
import { collectorFunctionProps, type OperationSharedResources } from './constructs/collector-pipeline.ts';
import { CollectorScheduler } from './constructs/collector-scheduler.ts';
import { addOperationOutputs } from './operation-outputs.ts';

export interface OperationStackProps extends StackProps {
  readonly operation: OperationConfig;
  /** The main stack's parts the collector uses (CollectorPipeline.shared); they must include the schedule group. */
  readonly shared: OperationSharedResources;
  /** wolkvox:firstDay: where the backfill command starts, and before which the function refuses a backfill (FIRST_DAY). */
  readonly firstDay: string;
}

/**
 * One operation's own resources, in a stack of their own (`{stackName}-{server}`): its token
 * secret, its function (reserved concurrency 1) with a role that reads that secret only, and its
 * 5-minute schedule. Nothing in it depends on another operation, so adding, removing or reordering
 * operations leaves it as it is.
 */
export class OperationStack extends Stack {
  readonly operation: OperationConfig;
  readonly collector: CollectorFunction;
  readonly schedule: CollectorScheduler;

  constructor(scope: Construct, id: string, props: OperationStackProps) {
    super(scope, id, props);
    const { operation, shared } = props;
    this.operation = operation;
    const group = shared.scheduleGroup;
    if (group === undefined) throw new Error(`operation ${operation.server} has a stack of its own, but the main stack made no schedule group`);
    this.collector = new CollectorFunction(this, 'Collector', collectorFunctionProps(operation, shared, props.firstDay));
    this.schedule = new CollectorScheduler(this, 'Schedule', {
      function: this.collector.function,
      name: operation.server,
      groupName: group.group.scheduleGroupName,
      role: group.role,
      deadLetterQueue: shared.scheduleDeadLetterQueue,
      description: `Runs the Wolkvox cdr_4 collector of operation ${operation.server} every 5 minutes`,
    });
    addOperationOutputs(this, operation, this.collector, props.firstDay);
  }
}
