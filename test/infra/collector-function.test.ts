import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { CollectorFunction, type CollectorFunctionProps, operationPrefixes } from '../../infra/constructs/collector-function.ts';
import { readLambdaConfig } from '../../lambda/config.ts';
import { checkpointKey, dailyKey, dataKey, fetchLogKey, leaseKey, verificationKey } from '../../lambda/domain/layout.ts';
import { LAMBDA_ENV, METRICS_NAMESPACE } from '../../lambda/domain/metrics.ts';
import { windowAt } from '../../lambda/domain/window.ts';
import { bareStack, logicalId, renderIntrinsic, resourcesOfType } from './helpers.ts';

function synth(overrides: Partial<CollectorFunctionProps> = {}) {
  const stack = bareStack();
  const bucket = new Bucket(stack, 'Bucket');
  const queue = new Queue(stack, 'Failures');
  const logGroup = new LogGroup(stack, 'Logs');
  const collector = new CollectorFunction(stack, 'Collector', {
    server: '0032',
    timezone: 'America/Bogota',
    firstDay: '2026-10-01',
    bucket,
    prefix: 'wolkvox',
    failureQueue: queue,
    logGroup,
    ...overrides,
  });
  return { stack, bucket, queue, logGroup, collector, template: Template.fromStack(stack) };
}

/** Statements of the role's policy, with resources rendered as text. */
function statements(template: Template): { Action: string | string[]; Resource: string[]; Condition?: unknown }[] {
  const [[, policy] = ['', {}]] = resourcesOfType(template, 'AWS::IAM::Policy');
  const doc = policy.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] };
  return doc.Statement.map((s) => ({ ...s, Resource: (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(renderIntrinsic) }));
}

function globMatches(glob: string, text: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

describe('Construct: CollectorFunction', () => {
  it('runs on Node.js 24 arm64 with one concurrent execution and a timeout under the period when created with defaults', () => {
    // Act
    const { template } = synth();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 1,
      Timeout: 240,
      MemorySize: 256,
    });
  });

  it('does not retry and sends failures to the queue when an asynchronous invocation fails', () => {
    // Act
    const { template, queue } = synth();

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 240,
      Qualifier: '$LATEST',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(queue), 'Arn'] } } },
    });
  });

  it('sets exactly the environment the handler reads when settle minutes, restatement and a cap are configured', () => {
    // Act
    const { template, bucket, collector } = synth({ settleMinutes: 7, restateAfterMinutes: 90, dailyCallCap: 900 });

    // Assess
    const [[, fn] = ['', {}]] = resourcesOfType(template, 'AWS::Lambda::Function');
    expect((fn.Environment as { Variables: unknown }).Variables).toEqual({
      [LAMBDA_ENV.server]: '0032',
      [LAMBDA_ENV.timeZone]: 'America/Bogota',
      [LAMBDA_ENV.tokenSecretId]: { Ref: logicalId(collector.secret) },
      [LAMBDA_ENV.bucket]: { Ref: logicalId(bucket) },
      [LAMBDA_ENV.prefix]: 'wolkvox',
      [LAMBDA_ENV.firstDay]: '2026-10-01',
      [LAMBDA_ENV.settleMinutes]: '7',
      [LAMBDA_ENV.restateAfterMinutes]: '90',
      [LAMBDA_ENV.dailyCallCap]: '900',
      POWERTOOLS_SERVICE_NAME: 'wolkvox-collector',
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    });
    // A deployment passes its own namespace.
    const own = synth({ metricsNamespace: `${METRICS_NAMESPACE}/Prod` }).template;
    own.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ POWERTOOLS_METRICS_NAMESPACE: `${METRICS_NAMESPACE}/Prod` }) } });
    expect(JSON.stringify(fn.Environment)).not.toContain(LAMBDA_ENV.baseUrl);
  });

  it('sets TOKEN_RESERVE, CHECK_SHARE, TOKEN_INFO_EVERY_MINUTES and SILENT_DAYS as the collector reads them when configured, and none of them otherwise', () => {
    // Act
    const set = synth({ tokenReserve: '200', checkShare: 0.25, tokenInfoEveryMinutes: 30, silentDays: 3 }).template;
    const unset = synth().template;

    // Assess
    set.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [LAMBDA_ENV.tokenReserve]: '200', [LAMBDA_ENV.checkShare]: '0.25', [LAMBDA_ENV.tokenInfoEveryMinutes]: '30', [LAMBDA_ENV.silentDays]: '3' }) },
    });
    const [[, fn] = ['', {}]] = resourcesOfType(set, 'AWS::Lambda::Function');
    const env = (fn.Environment as { Variables: Record<string, string> }).Variables;
    expect(readLambdaConfig({ ...env, [LAMBDA_ENV.tokenSecretId]: 'x', [LAMBDA_ENV.bucket]: 'data-bucket' })).toMatchObject({ tokenReserve: { calls: 200 }, checkShare: 0.25, tokenInfoEveryMinutes: 30, silentDays: 3 });
    unset.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [LAMBDA_ENV.tokenReserve]: Match.absent(), [LAMBDA_ENV.checkShare]: Match.absent(), [LAMBDA_ENV.tokenInfoEveryMinutes]: Match.absent(), [LAMBDA_ENV.silentDays]: Match.absent() }),
      },
    });
  });

  it('leaves SETTLE_MINUTES unset when the operation does not configure it', () => {
    // Act
    const { template } = synth();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [LAMBDA_ENV.settleMinutes]: Match.absent() }) },
    });
  });

  it('creates an empty secret (no generated value) when no secret name is given', () => {
    // Act
    const { template, collector } = synth();

    // Assess
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.absent(), SecretString: Match.absent() });
    expect(collector.secretCreated).toBe(true);
  });

  it('denies reading the created secret to every principal but its collector role and the account root when synthesized', () => {
    // Act
    const { template, collector } = synth();

    // Assess
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 1);
    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      SecretId: { Ref: logicalId(collector.secret) },
      ResourcePolicy: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'secretsmanager:GetSecretValue',
            Resource: '*',
            Condition: {
              ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [logicalId(collector.role), 'Arn'] }, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] }] },
            },
          },
        ],
      },
    });
  });

  it('leaves an imported secret policy to its owner and offers the same statement when tokenSecretName is given', () => {
    // Act
    const { template, stack, collector } = synth({ tokenSecretName: 'wolkvox/0032/token' });

    // Assess
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
    const doc = stack.resolve(collector.secretPolicy.toJSON()) as { Statement: { Effect: string; Condition: unknown }[] };
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0]?.Effect).toBe('Deny');
    expect(JSON.stringify(doc.Statement[0]?.Condition)).toContain(logicalId(collector.role));
  });

  it('imports the secret by name and passes the name to the handler when tokenSecretName is given', () => {
    // Act
    const { template, collector } = synth({ tokenSecretName: 'wolkvox/0032/token' });

    // Assess
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [LAMBDA_ENV.tokenSecretId]: 'wolkvox/0032/token' }) },
    });
    const secretStatement = statements(template).find((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    expect(secretStatement?.Resource).toEqual(['arn:{Ref:AWS::Partition}:secretsmanager:{Ref:AWS::Region}:{Ref:AWS::AccountId}:secret:wolkvox/0032/token-??????']);
    expect(collector.secretCreated).toBe(false);
  });

  it('renders a put-secret-value command for the secret when the stack is deployed', () => {
    // Act
    const { stack, collector } = synth();

    // Assess
    expect(renderIntrinsic(stack.resolve(collector.putSecretValueCommand))).toBe(
      `printf '%s' "$WOLKVOX_TOKEN" | aws secretsmanager put-secret-value --region {Ref:AWS::Region} --secret-id {Ref:${logicalId(collector.secret)}} --secret-string file:///dev/stdin`,
    );
  });

  it('writes logs to the given log group only, creating none, when it runs', () => {
    // Act
    const { template, logGroup } = synth();

    // Assess
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logicalId(logGroup) } } });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const logs = statements(template).find((s) => [s.Action].flat().includes('logs:PutLogEvents'));
    expect(logs?.Resource).toEqual([`{GetAtt:${logicalId(logGroup)}.Arn}`]);
  });

  it('grants get/put on the operation prefixes only when the role policy is rendered', () => {
    // Prepare
    const { template, bucket } = synth();
    const w = windowAt(Date.UTC(2025, 0, 15, 9, 5), 'America/Bogota');
    const arn = (key: string) => `{GetAtt:${logicalId(bucket)}.Arn}/${key}`;

    // Act
    const objects = statements(template).find((s) => [s.Action].flat().includes('s3:PutObject'));

    // Assess
    expect([objects?.Action].flat().sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    const may = (key: string) => (objects?.Resource ?? []).some((glob) => globMatches(glob, arn(key)));
    expect(may(dataKey('wolkvox', '0032', w))).toBe(true);
    expect(may(fetchLogKey('wolkvox', '0032', w, 'f-1'))).toBe(true);
    expect(may(dailyKey('wolkvox', '0032', '2025-01-15'))).toBe(true);
    expect(may(checkpointKey('wolkvox', '0032'))).toBe(true);
    expect(may(leaseKey('wolkvox', '0032'))).toBe(true);
    expect(may(verificationKey('wolkvox', '0032', '2025-01-15', 'verified', Date.UTC(2025, 0, 16, 5), 'v-1'))).toBe(true);
    expect(may(dailyKey('wolkvox', '0045', '2025-01-15'))).toBe(false);
    expect(may(verificationKey('wolkvox', '0045', '2025-01-15', 'verified', Date.UTC(2025, 0, 16, 5), 'v-1'))).toBe(false);
    expect(may(dataKey('wolkvox', '0045', w))).toBe(false);
    expect(may(checkpointKey('wolkvox', '0045'))).toBe(false);
    expect(may(dataKey('other', '0032', w))).toBe(false);
  });

  it('lists the bucket without wildcards when a missing checkpoint must read as 404', () => {
    // Act
    const { template, bucket } = synth();

    // Assess
    const list = statements(template).find((s) => [s.Action].flat().includes('s3:ListBucket'));
    expect(list?.Resource).toEqual([`{GetAtt:${logicalId(bucket)}.Arn}`]);
    const actions = statements(template).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(actions.some((a) => a.endsWith('*'))).toBe(false);
  });

  it('honours timeout, memory and event age when they are overridden', () => {
    // Act
    const { template } = synth({ timeout: Duration.minutes(3), memorySize: 512, maxEventAge: Duration.minutes(2) });

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 180, MemorySize: 512 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 120 });
  });

  it('fails with the path when the handler entry does not exist', () => {
    // Act
    const act = () => synth({ entry: '/nowhere/handler.ts' });

    // Assess
    expect(act).toThrow(/Collector handler not found at \/nowhere\/handler.ts/);
  });
});

describe('Function: operationPrefixes', () => {
  it('ends every prefix with a slash when derived from the layout', () => {
    // Act
    const p = operationPrefixes('wolkvox', '0032');

    // Assess
    expect(p).toEqual({
      data: 'wolkvox/cdr_4/operation=0032/',
      fetches: 'wolkvox/cdr_4_fetches/operation=0032/',
      daily: 'wolkvox/cdr_4_daily/operation=0032/',
      verifications: 'wolkvox/cdr_4_verifications/operation=0032/',
      state: 'wolkvox/_state/cdr_4/operation=0032/',
    });
  });
});
