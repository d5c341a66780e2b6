/**
 * Lambda entry: wiring only. Config and clients are made once per container, at load,
 * so a bad environment fails the first invocation with a message naming the variable.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { readLambdaConfig } from './config.ts';
import { METRIC_DIMENSION, METRICS_NAMESPACE } from './domain/metrics.ts';
import { s3Client, secretsClient } from './runtime/aws-clients.ts';
import { createHandler } from './runtime/collector-handler.ts';
import { S3LeaseStore } from './storage/lease-store.ts';
import { S3Store } from './storage/s3-store.ts';
import { createCdr4Client } from './wolkvox/cdr4-client.ts';
import { secretTokenProvider } from './wolkvox/secret-token.ts';

const config = readLambdaConfig(process.env);
const logger = new Logger({ serviceName: 'wolkvox-collector', persistentKeys: { operation: config.server } });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, serviceName: 'wolkvox-collector' });
// Alarms match metrics by their exact dimension set: {operation} only, on every publish
// (addDimension would be cleared after the first flush, and the default adds "service").
metrics.clearDefaultDimensions();
metrics.setDefaultDimensions({ [METRIC_DIMENSION]: config.server });
const token = secretTokenProvider({ client: secretsClient(), secretId: config.tokenSecretId });

export const handler = createHandler({
  config,
  store: new S3Store(s3Client(), config.bucket),
  leases: new S3LeaseStore(s3Client(), config.bucket),
  token,
  client: createCdr4Client({ baseUrl: config.baseUrl, server: config.server, token }),
  log: {
    debug: (message, extra = {}) => logger.debug(message, extra),
    info: (message, extra = {}) => logger.info(message, extra),
    warn: (message, extra = {}) => logger.warn(message, extra),
    error: (message, extra = {}) => logger.error(message, extra),
  },
  metrics: {
    count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value),
    publish: () => metrics.publishStoredMetrics(),
  },
});
