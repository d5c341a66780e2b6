import { Aws, CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { backfillCommand, tailLogsCommand } from './commands.ts';
import type { OperationConfig } from './config.ts';
import type { CollectorFunction } from './constructs/collector-function.ts';

/** Output names of an operation end in its server without the non-alphanumerics (`ops-7` → `TokenSecretops7`). */
export function outputSuffix(server: string): string {
  return server.replace(/[^A-Za-z0-9]/g, '');
}

/** What an operator needs of one operation: its secret and the command that fills it, its function, its logs, its backfill. */
export function addOperationOutputs(scope: Construct, op: OperationConfig, collector: CollectorFunction, firstDay: string): void {
  const suffix = outputSuffix(op.server);
  new CfnOutput(scope, `TokenSecret${suffix}`, {
    value: collector.secret.secretArn,
    description: `Token secret of operation ${op.server}${collector.secretCreated ? ' (created empty)' : ' (imported)'}`,
  });
  new CfnOutput(scope, `PutSecretValueCommand${suffix}`, {
    value: collector.putSecretValueCommand,
    description: `Stores the token of operation ${op.server}: run "read -rs WOLKVOX_TOKEN" first, then this`,
  });
  new CfnOutput(scope, `CollectorFunction${suffix}`, { value: collector.function.functionName, description: `Collector of operation ${op.server}` });
  new CfnOutput(scope, `TailLogsCommand${suffix}`, {
    value: tailLogsCommand(collector.logGroup.logGroupName, Aws.REGION, op.server),
    description: `Follows the runs of operation ${op.server}`,
  });
  new CfnOutput(scope, `BackfillCommand${suffix}`, {
    value: backfillCommand(collector.function.functionName, Aws.REGION, firstDay, op.timezone),
    description: `Queues the history of operation ${op.server} from wolkvox:firstDay (${firstDay}) to now; run it after the first scheduled run`,
  });
}
