/**
 * CDK app: reads the `wolkvox:*` context (cdk.json or -c), builds one stack, and runs the
 * cdk-nag AwsSolutions checks on it (an unacknowledged finding fails the synth).
 */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, loadConfig } from './config.ts';
import { CollectorStack } from './stack.ts';

const app = new App();
let config;
try {
  config = loadConfig(app.node, app.node.getAllContext());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
new CollectorStack(app, config.stackName, {
  stackName: config.stackName,
  config,
  description: 'Wolkvox cdr_4 collector: scheduled Lambda per operation, S3 NDJSON, Glue/Athena with partition projection',
});
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
