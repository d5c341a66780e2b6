import type { App } from 'aws-cdk-lib';
import type { CollectorConfig } from './config.ts';
import { OperationStack } from './operation-stack.ts';
import { inMainStack, operationStackName } from './placement.ts';
import { CollectorStack } from './stack.ts';

export interface CollectorStacks {
  /** The shared parts, and the operations deployed before operation stacks. */
  readonly main: CollectorStack;
  /** One stack per operation not in the main stack, in configuration order. */
  readonly operations: readonly OperationStack[];
}

export interface CollectorStacksOptions {
  /**
   * Entry file of the collector handler.
   * @default lambda/handler.ts
   */
  readonly handlerEntry?: string;
}

/** Every stack of a deployment: `npx cdk deploy --all` deploys them, the main stack first. */
export function addCollectorStacks(app: App, config: CollectorConfig, options: CollectorStacksOptions = {}): CollectorStacks {
  const main = new CollectorStack(app, config.stackName, {
    stackName: config.stackName,
    config,
    ...(options.handlerEntry !== undefined ? { handlerEntry: options.handlerEntry } : {}),
    description: 'Wolkvox cdr_4 collector: S3 NDJSON, Glue/Athena with partition projection, alarms and dashboard of every operation',
  });
  const operations = config.operations
    .filter((op) => !inMainStack(op))
    .map((op) => {
      const name = operationStackName(config.stackName, op.server);
      return new OperationStack(app, name, {
        stackName: name,
        operation: op,
        shared: main.pipeline.shared,
        firstDay: config.firstDay,
        description: `Wolkvox cdr_4 collector of operation ${op.server}: its function, token secret and schedule (shared parts in ${config.stackName})`,
      });
    });
  return { main, operations };
}
