/**
 * CDK app: reads the `wolkvox:*` context (cdk.json or -c), builds the main stack and one stack
 * per operation, and runs the cdk-nag AwsSolutions checks on them (an unacknowledged finding
 * fails the synth).
 */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, loadConfig } from './config.ts';
import { addCollectorStacks } from './collector-app.ts';

const app = new App();
let config;
try {
  config = loadConfig(app.node, app.node.getAllContext());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
addCollectorStacks(app, config);
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
