import { Match } from 'aws-cdk-lib/assertions';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { checkpointKey, dailyKey, dataKey, fetchLogKey, leaseKey, verificationKey } from '../../lambda/domain/layout.ts';
import { ALARM_METRICS, LAMBDA_ENV } from '../../lambda/domain/metrics.ts';
import { windowAt } from '../../lambda/domain/window.ts';
import { logQueries } from '../../infra/log-queries.ts';
import { type Built, buildStack, functionEnvironment, logicalId, resourcesOfType } from './helpers.ts';

const TWO_OPERATIONS = {
  [CONTEXT_KEYS.operations]: [
    { server: '0032', timezone: 'America/Bogota' },
    { server: '0045', timezone: 'America/Mexico_City', tokenSecretName: 'wolkvox/0045/token', settleMinutes: 10, tokenReserve: '25%', checkShare: 0.4, tokenInfoEveryMinutes: 120, silentDays: 14 },
  ],
};

/**
 * EventBridge matching of the subset we use: lists of literals (or unresolved references,
 * compared structurally), `{ prefix }` and `{ wildcard }`.
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((p) =>
      p && typeof p === 'object' && 'prefix' in p
        ? typeof event === 'string' && event.startsWith((p as { prefix: string }).prefix)
        : p && typeof p === 'object' && 'wildcard' in p
          ? typeof event === 'string' && wildcardMatches((p as { wildcard: string }).wildcard, event)
          : JSON.stringify(p) === JSON.stringify(event),
    );
  }
  if (pattern && typeof pattern === 'object') {
    return Object.entries(pattern).every(([k, v]) => event !== null && typeof event === 'object' && matches(v, (event as Record<string, unknown>)[k]));
  }
  return false;
}

/**
 * EventBridge's wildcard (Event Ruler): `*` is any run of characters, `/` included; `\*` and `\\`
 * are a literal star and backslash; consecutive stars and any other escape are refused.
 */
function wildcardMatches(wildcard: string, value: string): boolean {
  expect(wildcard, 'consecutive wildcards are refused').not.toMatch(/(^|[^\\])\*\*/);
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i]!;
    if (c === '\\') {
      const escaped = wildcard[++i];
      expect(escaped === '*' || escaped === '\\', `escape of ${String(escaped)} in ${wildcard}`).toBe(true);
      source += `\\${escaped}`;
    } else {
      source += c === '*' ? '.*' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's').test(value);
}

function s3Event(bucket: unknown, key: string) {
  return { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: bucket }, object: { key } } };
}

describe('Construct: CollectorPipeline', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack({ context: TWO_OPERATIONS });
  });

  it('gives each operation a stack of its own with its function, schedule and secret when two are configured', () => {
    // Assess
    built.template.resourceCountIs('AWS::Lambda::Function', 0);
    expect(built.operationStacks.map((s) => s.stackName)).toEqual(['WolkvoxCdr4Collector-0032', 'WolkvoxCdr4Collector-0045']);
    for (const server of ['0032', '0045']) {
      const template = built.operationTemplate(server);
      template.resourceCountIs('AWS::Lambda::Function', 1);
      template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      template.resourceCountIs('AWS::Events::Rule', 0);
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
      template.resourceCountIs('AWS::SecretsManager::Secret', server === '0045' ? 0 : 1); // 0045 imports its secret
      template.hasResourceProperties('AWS::Lambda::Function', {
        ReservedConcurrentExecutions: 1,
        Environment: { Variables: Match.objectLike({ WOLKVOX_SERVER: server }) },
      });
    }
    built.operationTemplate('0045').hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          WOLKVOX_SERVER: '0045',
          WOLKVOX_TIMEZONE: 'America/Mexico_City',
          SETTLE_MINUTES: '10',
          TOKEN_RESERVE: '25%',
          CHECK_SHARE: '0.4',
          TOKEN_INFO_EVERY_MINUTES: '120',
          SILENT_DAYS: '14',
        }),
      },
    });
    expect(functionEnvironment(built, '0032')).not.toHaveProperty('TOKEN_RESERVE');
  });

  it('logs every operation to the one log group of the main stack when two are configured', () => {
    // Assess
    const shared = logicalId(built.stack.pipeline.logGroup);
    built.template.resourceCountIs('AWS::Logs::LogGroup', 1);
    for (const op of built.operationStacks) {
      const [[, fn] = ['', {}]] = resourcesOfType(built.operationTemplate(op.operation.server), 'AWS::Lambda::Function');
      expect(JSON.stringify(fn.LoggingConfig)).toContain(shared);
      built.operationTemplate(op.operation.server).resourceCountIs('AWS::Logs::LogGroup', 0);
    }
  });

  it('saves one set of Logs Insights queries over the shared log group, whatever the number of operations', () => {
    // Assess
    const definitions = resourcesOfType(built.template, 'AWS::Logs::QueryDefinition');
    expect(definitions.map(([, p]) => p.Name)).toEqual(logQueries().map((q) => `${built.config.stackName}/${q.name}`));
    for (const [, p] of definitions) expect(p.LogGroupNames).toEqual([{ Ref: logicalId(built.stack.pipeline.logGroup) }]);
    for (const op of built.operationStacks) built.operationTemplate(op.operation.server).resourceCountIs('AWS::Logs::QueryDefinition', 0);
  });

  it('shares one bucket, catalog, workgroup, topic, two queues and the alarms when two operations are configured', () => {
    // Assess
    const { template } = built;
    template.resourceCountIs('AWS::S3::Bucket', 3); // data, access logs, Athena results
    template.resourceCountIs('AWS::Glue::Database', 1);
    template.resourceCountIs('AWS::Glue::Table', 4);
    template.resourceCountIs('AWS::Athena::WorkGroup', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    // A query alarm per alarm metric, the silence alarm, one per dead-letter queue.
    template.resourceCountIs('AWS::CloudWatch::Alarm', ALARM_METRICS.length + 1 + 2);
    for (const op of built.operationStacks) built.operationTemplate(op.operation.server).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.hasResourceProperties('AWS::Glue::Table', { TableInput: { Parameters: Match.objectLike({ 'projection.operation.values': '0032,0045' }) } });
  });

  it('sends and alarms on metrics in a namespace of the deployment, so a second deployment in the account reads none of them', () => {
    // Prepare
    const other = buildStack({ context: { ...TWO_OPERATIONS, [CONTEXT_KEYS.stackName]: 'WolkvoxStaging' } });
    const namespaceOf = (b: Built) => functionEnvironment(b, '0032').POWERTOOLS_METRICS_NAMESPACE;
    const queried = (b: Built) => resourcesOfType(b.template, 'AWS::CloudWatch::Alarm').flatMap(([, p]) => [/^SELECT .* FROM SCHEMA\("([^"]+)"/.exec(String((p.Metrics as { Expression?: unknown }[] | undefined)?.[0]?.Expression))?.[1]].filter((n) => n !== undefined));

    // Assess
    expect(namespaceOf(built)).toBe('WolkvoxCollector/WolkvoxCdr4Collector');
    expect(namespaceOf(other)).toBe('WolkvoxCollector/WolkvoxStaging');
    expect(new Set(queried(built))).toEqual(new Set([namespaceOf(built)]));
    expect(new Set(queried(other))).toEqual(new Set([namespaceOf(other)]));
  });

  it('keeps an operation marked mainStack in the main stack, on its EventBridge rule and with its old log group, when operation stacks are added beside it', () => {
    // Act
    const b = buildStack({ context: { [CONTEXT_KEYS.operations]: [{ server: '0032', mainStack: true }, { server: '0045' }] } });

    // Assess
    const legacy = b.stack.pipeline.operations;
    expect(legacy.map((o) => o.operation.server)).toEqual(['0032']);
    expect(b.operationStacks.map((s) => s.operation.server)).toEqual(['0045']);
    b.template.resourceCountIs('AWS::Lambda::Function', 1);
    b.template.resourceCountIs('AWS::Events::Rule', 1);
    b.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0/5 * * * ? *)', Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(legacy[0]!.collector.function), 'Arn'] } })] });
    b.template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logicalId(b.stack.pipeline.logGroup) } } });
    // The shared log group and the one it logged to before.
    b.template.resourceCountIs('AWS::Logs::LogGroup', 2);
  });

  it('starts the dt projection of every table at the configured first day when wolkvox:firstDay is set', () => {
    // Act
    const { template } = buildStack({ context: { [CONTEXT_KEYS.firstDay]: '2025-03-01' } });

    // Assess
    const ranges = resourcesOfType(template, 'AWS::Glue::Table').map(([, p]) => (p.TableInput as { Parameters: Record<string, string> }).Parameters['projection.dt.range']);
    expect(ranges).toEqual(['2025-03-01,NOW+1DAYS', '2025-03-01,NOW+1DAYS', '2025-03-01,NOW+1DAYS', '2025-03-01,NOW+1DAYS']);
  });

  it('tells every collector function the configured first day as FIRST_DAY, in the main stack and in operation stacks, when wolkvox:firstDay is set', () => {
    // Act
    const b = buildStack({ context: { [CONTEXT_KEYS.firstDay]: '2025-03-01', [CONTEXT_KEYS.operations]: [{ server: '0032', mainStack: true }, { server: '0045' }] } });

    // Assess: the function refuses a backfill request that starts before it (lambda-event.ts).
    const [[, main] = ['', {}]] = resourcesOfType(b.template, 'AWS::Lambda::Function');
    expect((main.Environment as { Variables: Record<string, unknown> }).Variables[LAMBDA_ENV.firstDay]).toBe('2025-03-01');
    expect(functionEnvironment(b, '0045')[LAMBDA_ENV.firstDay]).toBe('2025-03-01');
  });

  it('routes only data objects to the target when a consumer subscribes with onWindowCollected', () => {
    // Prepare
    let consumerId = '';
    const subscribe = (stack: Built['stack']) => {
      const consumer = new Queue(stack, 'Consumer');
      consumerId = logicalId(consumer);
      // Act
      stack.pipeline.onWindowCollected('NewWindow', new SqsQueue(consumer));
    };
    const b = buildStack({ beforeSynth: subscribe });

    // Assess
    const bucketRef = { Ref: logicalId(b.stack.pipeline.bucket) };
    b.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [bucketRef] }, object: { key: [{ prefix: 'wolkvox/cdr_4/' }] } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [consumerId, 'Arn'] } })],
    });
  });

  it('matches data keys but not fetch-log or checkpoint keys when S3 reports a new object', () => {
    // Prepare
    const pattern = built.stack.resolve(built.stack.pipeline.windowCollectedEventBridgePattern()) as unknown;
    const bucket = built.stack.resolve(built.stack.pipeline.bucket.bucketName) as unknown;
    const w = windowAt(Date.UTC(2025, 0, 15, 9, 5), 'America/Bogota');

    // Act
    const accepts = (key: string) => matches(pattern, s3Event(bucket, key));

    // Assess
    expect(accepts(dataKey('wolkvox', '0032', w))).toBe(true);
    expect(accepts(dataKey('wolkvox', '0045', w))).toBe(true);
    expect(accepts(fetchLogKey('wolkvox', '0032', w, 'f-1'))).toBe(false);
    expect(accepts(checkpointKey('wolkvox', '0032'))).toBe(false);
    expect(accepts(dailyKey('wolkvox', '0032', '2025-01-15'))).toBe(false);
    expect(matches(pattern, s3Event('another-bucket', dataKey('wolkvox', '0032', w)))).toBe(false);
  });

  it('matches day objects but not window, fetch-log or state keys when S3 reports a new object under cdr_4_daily', () => {
    // Prepare
    const pattern = built.stack.resolve(built.stack.pipeline.dayWrittenEventBridgePattern()) as unknown;
    const only0045 = built.stack.resolve(built.stack.pipeline.dayWrittenEventBridgePattern('0045')) as unknown;
    const bucket = built.stack.resolve(built.stack.pipeline.bucket.bucketName) as unknown;
    const w = windowAt(Date.UTC(2025, 0, 15, 9, 5), 'America/Bogota');

    // Act
    const accepts = (p: unknown, key: string) => matches(p, s3Event(bucket, key));

    // Assess
    expect(accepts(pattern, dailyKey('wolkvox', '0032', '2025-01-15'))).toBe(true);
    expect(accepts(pattern, dataKey('wolkvox', '0032', w))).toBe(false);
    expect(accepts(pattern, fetchLogKey('wolkvox', '0032', w, 'f-1'))).toBe(false);
    expect(accepts(pattern, leaseKey('wolkvox', '0032'))).toBe(false);
    expect(accepts(only0045, dailyKey('wolkvox', '0045', '2025-01-15'))).toBe(true);
    expect(accepts(only0045, dailyKey('wolkvox', '0032', '2025-01-15'))).toBe(false);
  });

  it('routes day objects to the target when a consumer subscribes with onDayWritten', () => {
    // Prepare
    let consumerId = '';
    const subscribe = (stack: Built['stack']) => {
      const consumer = new Queue(stack, 'Consumer');
      consumerId = logicalId(consumer);
      // Act
      stack.pipeline.onDayWritten('NewDay', new SqsQueue(consumer), { operation: '0032' });
    };
    const b = buildStack({ beforeSynth: subscribe });

    // Assess
    b.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { object: { key: [{ prefix: 'wolkvox/cdr_4_daily/operation=0032/' }] } } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [consumerId, 'Arn'] } })],
    });
  });

  it('matches verified records but not pending or changed ones, nor other tables, when S3 reports a new object', () => {
    // Prepare
    const pattern = built.stack.resolve(built.stack.pipeline.dayVerifiedEventBridgePattern()) as unknown;
    const only0045 = built.stack.resolve(built.stack.pipeline.dayVerifiedEventBridgePattern('0045')) as unknown;
    const bucket = built.stack.resolve(built.stack.pipeline.bucket.bucketName) as unknown;
    const w = windowAt(Date.UTC(2025, 0, 15, 9, 5), 'America/Bogota');
    const record = (operation: string, status: string) => verificationKey('wolkvox', operation, '2025-01-15', status, Date.UTC(2025, 0, 16, 4, 30), '01HZXVERIFY');

    // Act
    const accepts = (p: unknown, key: string) => matches(p, s3Event(bucket, key));

    // Assess
    expect(accepts(pattern, record('0032', 'verified'))).toBe(true);
    expect(accepts(pattern, record('0045', 'verified'))).toBe(true);
    expect(accepts(pattern, record('0032', 'pending'))).toBe(false);
    expect(accepts(pattern, record('0032', 'changed'))).toBe(false);
    expect(accepts(pattern, dailyKey('wolkvox', '0032', '2025-01-15'))).toBe(false);
    expect(accepts(pattern, dataKey('wolkvox', '0032', w))).toBe(false);
    expect(accepts(pattern, fetchLogKey('wolkvox', '0032', w, 'verified-1'))).toBe(false);
    expect(accepts(pattern, `other/${record('0032', 'verified')}`)).toBe(false);
    expect(matches(pattern, s3Event('another-bucket', record('0032', 'verified')))).toBe(false);
    expect(accepts(only0045, record('0045', 'verified'))).toBe(true);
    expect(accepts(only0045, record('0032', 'verified'))).toBe(false);
    expect(accepts(only0045, record('0045', 'changed'))).toBe(false);
  });

  it('routes verified days to the target when a consumer subscribes with onDayVerified', () => {
    // Prepare
    let consumerId = '';
    const subscribe = (stack: Built['stack']) => {
      const consumer = new Queue(stack, 'Consumer');
      consumerId = logicalId(consumer);
      // Act
      stack.pipeline.onDayVerified('Verified', new SqsQueue(consumer), { operation: '0032' });
    };
    const b = buildStack({ beforeSynth: subscribe });

    // Assess
    b.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { object: { key: [{ wildcard: 'wolkvox/cdr_4_verifications/operation=0032/dt=*/verified-*' }] } },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [consumerId, 'Arn'] } })],
    });
  });

  it('narrows the key prefix to one operation when onWindowCollected names it', () => {
    // Prepare
    const pipeline = built.stack.pipeline;
    const w = windowAt(Date.UTC(2025, 0, 15, 9, 5), 'America/Bogota');

    // Act
    const pattern = built.stack.resolve(pipeline.windowCollectedEventBridgePattern('0045')) as { detail: unknown };

    // Assess
    expect(pattern.detail).toMatchObject({ object: { key: [{ prefix: 'wolkvox/cdr_4/operation=0045/' }] } });
    const bucket = built.stack.resolve(pipeline.bucket.bucketName) as unknown;
    expect(matches(pattern, s3Event(bucket, dataKey('wolkvox', '0045', w)))).toBe(true);
    expect(matches(pattern, s3Event(bucket, dataKey('wolkvox', '0032', w)))).toBe(false);
  });

  it('refuses an operation that is not configured when onWindowCollected names it', () => {
    // Act
    const act = () => built.stack.pipeline.windowCollectedPattern('9999');

    // Assess
    expect(act).toThrow(/"9999" is not a configured operation \(0032, 0045\)/);
  });
});
