/**
 * Lambda entry: wiring only. Config and clients are made once per container, at load,
 * so a bad environment fails the first invocation with a message naming the variable.
 */
import { readLambdaConfig } from './config.ts';
import { s3Client, secretsClient } from './runtime/aws-clients.ts';
import { createHandler } from './runtime/collector-handler.ts';
import { lambdaTelemetry } from './runtime/telemetry.ts';
import { S3LeaseStore } from './storage/s3-lease-store.ts';
import { S3Store } from './storage/s3-store.ts';
import { createCdr4Client } from './wolkvox/cdr4-client.ts';
import { secretTokenProvider } from './wolkvox/secret-token.ts';

const config = readLambdaConfig(process.env);
// The cap rides on every run-figures line, so the dashboard can draw it next to the day's calls.
const { log, metrics } = lambdaTelemetry(config.server, config.dailyCallCap !== undefined ? { daily_call_cap: config.dailyCallCap } : {});
// Once per cold start: where this container sends the token (WOLKVOX_BASE_URL, when set, is
// https or loopback http only: config.ts), so an override shows in the logs before any call.
log.info('Wolkvox API origin', { origin: config.baseUrl });
const token = secretTokenProvider({ client: secretsClient(), secretId: config.tokenSecretId });

export const handler = createHandler({
  config,
  store: new S3Store(s3Client(), config.bucket),
  leases: new S3LeaseStore(s3Client(), config.bucket),
  token,
  client: createCdr4Client({ baseUrl: config.baseUrl, server: config.server, token }),
  log,
  metrics,
});
