import { Aws, CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MAX_BACKFILL_DAYS } from '../lambda/domain/backfill-bounds.ts';
import { READ_TOKEN } from '../lambda/domain/token.ts';
import { backfillCommand, putResourcePolicyCommand, tailLogsCommand } from './commands.ts';
import type { OperationConfig } from './config.ts';
import type { CollectorFunction } from './constructs/collector-function.ts';

/** Output names of an operation end in its server without the non-alphanumerics (`ops-7` → `TokenSecretops7`). */
export function outputSuffix(server: string): string {
  return server.replace(/[^A-Za-z0-9]/g, '');
}

/** What an operator needs of one operation: its secret, the commands that fill it (and set an imported one's policy), its function, its logs, its backfill. */
export function addOperationOutputs(scope: Construct, op: OperationConfig, collector: CollectorFunction, firstDay: string): void {
  const suffix = outputSuffix(op.server);
  new CfnOutput(scope, `TokenSecret${suffix}`, {
    value: collector.secret.secretArn,
    description: `Token secret of operation ${op.server}${collector.secretCreated ? ' (created empty)' : ' (imported)'}`,
  });
  new CfnOutput(scope, `PutSecretValueCommand${suffix}`, {
    value: collector.putSecretValueCommand,
    description: `Stores the token of operation ${op.server} from standard input: run "${READ_TOKEN}" first (paste the token, Enter), then this`,
  });
  if (!collector.secretCreated) {
    // An imported secret is not this stack's to change: its owner applies the policy a created one gets.
    new CfnOutput(scope, `TokenSecretPolicyCommand${suffix}`, {
      value: putResourcePolicyCommand(collector.secretId, Aws.REGION, Stack.of(scope).toJsonString(collector.secretPolicy.toJSON())),
      description: `Sets the resource policy of the imported token secret of operation ${op.server}: only its collector (and the account root) may read the token`,
    });
  }
  new CfnOutput(scope, `CollectorFunction${suffix}`, { value: collector.function.functionName, description: `Collector of operation ${op.server}` });
  new CfnOutput(scope, `TailLogsCommand${suffix}`, {
    value: tailLogsCommand(collector.logGroup.logGroupName, Aws.REGION, op.server),
    description: `Follows the runs of operation ${op.server}`,
  });
  new CfnOutput(scope, `BackfillCommand${suffix}`, {
    value: backfillCommand(collector.function.functionName, Aws.REGION, firstDay, op.timezone),
    description: `Queues the history of operation ${op.server} from wolkvox:firstDay (${firstDay}) to now; run it after the first scheduled run. A request covers at most ${MAX_BACKFILL_DAYS} days: further back, send it in parts (docs/infrastructure.md, step 8)`,
  });
}
