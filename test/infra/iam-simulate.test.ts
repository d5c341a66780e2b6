/**
 * Trust boundaries of the synthesized template, evaluated the way AWS evaluates requests
 * (identity policies, resource policies, explicit denies, conditions) by the policy simulator
 * @cloud-copilot/iam-simulate, rather than by matching strings. The template is first resolved
 * for one account and region, every stack of the deployment (resolved-template.ts). A simulation the simulator cannot run
 * (invalid policy, unknown action or resource type) fails the test instead of counting as denied.
 */
import { readFileSync } from 'node:fs';
import { anonymousPrincipal, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { checkpointKey, dailyKey, dataKey, fetchLogKey, leaseKey, verificationKey } from '../../lambda/domain/layout.ts';
import { windowAt } from '../../lambda/domain/window.ts';
import { type Built, buildStack } from './helpers.ts';
import { ACCOUNT, PARTITION, qualifiedId as qid, REGION, type ResolvedTemplate, resolveDeployment } from './resolved-template.ts';

type Principal = Simulation['request']['principal'];
type Policy = { Version: string; Statement: Record<string, unknown>[] };

interface Request {
  readonly principal: Principal;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string>;
  readonly identityPolicies?: readonly Policy[];
  readonly resourcePolicy?: Policy;
}

const FOREIGN_ACCOUNT = '999999999999';
const ADMIN_POLICY: Policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const W = windowAt(Date.UTC(2025, 0, 15, 9, 5), 'America/Bogota');
const verified = (operation: string) => verificationKey('wolkvox', operation, '2025-01-15', 'verified', Date.UTC(2025, 0, 16, 5), 'v-1');

async function decide(r: Request): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: r.principal,
        action: r.action,
        resource: { resource: r.resource, accountId: ACCOUNT },
        // AWS sets aws:PrincipalArn for every IAM principal (a role's ARN for its sessions); the simulator does not.
        contextVariables: { 'aws:SecureTransport': 'true', ...(typeof r.principal === 'string' && r.principal.startsWith('arn:') ? { 'aws:PrincipalArn': r.principal } : {}), ...r.context },
      },
      identityPolicies: (r.identityPolicies ?? []).map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(r.resourcePolicy !== undefined ? { resourcePolicy: r.resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation of ${r.action} on ${r.resource} could not run: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

/** The policies of a deployed stack, by what they protect. */
class Policies {
  readonly t: ResolvedTemplate;
  constructor(t: ResolvedTemplate) {
    this.t = t;
  }

  /** Identity policies attached to a role (by the role's logical id). */
  identity(roleId: string): Policy[] {
    const name = this.t.ref(roleId);
    return this.t
      .ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Roles as string[]).includes(name))
      .map(([, p]) => p.PolicyDocument as Policy);
  }

  bucket(bucketId: string): Policy | undefined {
    const name = this.t.ref(bucketId);
    return this.t.ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Bucket === name)?.[1].PolicyDocument as Policy | undefined;
  }

  topic(topicId: string): Policy | undefined {
    const arn = this.t.ref(topicId);
    return this.t.ofType('AWS::SNS::TopicPolicy').find(([, p]) => (p.Topics as string[]).includes(arn))?.[1].PolicyDocument as Policy | undefined;
  }

  queue(queueId: string): Policy | undefined {
    const url = this.t.ref(queueId);
    return this.t.ofType('AWS::SQS::QueuePolicy').find(([, p]) => (p.Queues as string[]).includes(url))?.[1].PolicyDocument as Policy | undefined;
  }

  /** A function's resource policy, assembled from its AWS::Lambda::Permission resources. */
  lambda(functionId: string): Policy {
    const arn = this.t.arn(functionId);
    const statements = this.t
      .ofType('AWS::Lambda::Permission')
      .filter(([, p]) => p.FunctionName === arn)
      .map(([, p]) => ({
        Effect: 'Allow',
        Principal: String(p.Principal).startsWith('arn:') ? { AWS: p.Principal } : { Service: p.Principal },
        Action: p.Action,
        Resource: arn,
        ...(p.SourceArn !== undefined ? { Condition: { ArnLike: { 'aws:SourceArn': p.SourceArn } } } : {}),
      }));
    return { Version: '2012-10-17', Statement: statements };
  }

  /** A created secret's resource policy (AWS::SecretsManager::ResourcePolicy). */
  secret(secretId: string): Policy | undefined {
    const arn = this.t.ref(secretId);
    return this.t.ofType('AWS::SecretsManager::ResourcePolicy').find(([, p]) => p.SecretId === arn)?.[1].ResourcePolicy as Policy | undefined;
  }

  /** The policy an imported secret's owner applies: the JSON of its TokenSecretPolicyCommand output. */
  importedSecret(stackName: string, server: string): Policy {
    const command = String(this.t.output(`${stackName}/TokenSecretPolicyCommand${server}`));
    const json = /--resource-policy '([^']*)'$/.exec(command)?.[1];
    if (json === undefined) throw new Error(`no --resource-policy '…' in ${command}`);
    return JSON.parse(json) as Policy;
  }

  /** The role's trust policy. */
  trust(roleId: string): Policy {
    return this.t.props(roleId).AssumeRolePolicyDocument as Policy;
  }
}

describe('Trust boundaries: policy simulation of the synthesized template', () => {
  let built: Built;
  let t: ResolvedTemplate;
  let policies: Policies;
  let ids: {
    dataBucket: string;
    logsBucket: string;
    resultsBucket: string;
    topic: string;
    scheduleDlq: string;
    failureQueue: string;
    logGroup: string;
    scheduleRole: string;
    roles: Record<string, string>;
    functions: Record<string, string>;
    secrets: Record<string, string>;
    rule0032: string;
    oldLogGroup0032: string;
  };

  beforeAll(() => {
    // 0032 deployed before operation stacks (main stack, EventBridge rule); 0045 (imported secret)
    // and 0050 in stacks of their own (EventBridge Scheduler).
    built = buildStack({
      context: { [CONTEXT_KEYS.operations]: [{ server: '0032', mainStack: true }, { server: '0045', tokenSecretName: 'wolkvox/0045' }, { server: '0050' }] },
    });
    t = resolveDeployment([built.stack, ...built.operationStacks]);
    policies = new Policies(t);
    const p = built.stack.pipeline;
    const legacy = p.operations[0]!;
    const collectors = { '0032': legacy.collector, ...Object.fromEntries(built.operationStacks.map((s) => [s.operation.server, s.collector])) };
    const byServer = <T>(f: (c: (typeof collectors)['0032']) => T) => Object.fromEntries(Object.entries(collectors).map(([server, c]) => [server, f(c)]));
    ids = {
      dataBucket: qid(p.bucket),
      logsBucket: qid(p.dataBucket.accessLogsBucket),
      resultsBucket: qid(p.athena.resultsBucket),
      topic: qid(p.alarms.topic),
      scheduleDlq: qid(p.scheduleDeadLetterQueue.queue),
      failureQueue: qid(p.failureQueue.queue),
      logGroup: qid(p.logGroup),
      scheduleRole: qid(p.shared.scheduleGroup!.role),
      roles: byServer((c) => qid(c.role)),
      functions: byServer((c) => qid(c.function)),
      secrets: { '0032': qid(legacy.collector.secret), '0050': qid(built.operationStack('0050').collector.secret) },
      rule0032: qid(legacy.schedule.rule),
      oldLogGroup0032: qid(legacy.collector.node.findChild('LogGroup') as LogGroup),
    };
  });

  const objectArn = (bucketId: string, key: string) => `${t.arn(bucketId)}/${key}`;

  describe('CloudWatch alarms and the alarm topic', () => {
    const alarmArn = (account: string) => `arn:${PARTITION}:cloudwatch:${REGION}:${account}:alarm:WolkvoxCdr4Collector-0032-Freshness`;

    it('allows an alarm of this account to publish when it goes into ALARM', async () => {
      // Act
      const decision = await decide({
        principal: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: t.ref(ids.topic),
        context: { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': alarmArn(ACCOUNT) },
        resourcePolicy: policies.topic(ids.topic),
      });

      // Assess
      expect(decision).toBe('Allowed');
    });

    it('refuses an alarm of another account when CloudWatch publishes on its behalf', async () => {
      // Act
      const decision = await decide({
        principal: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: t.ref(ids.topic),
        context: { 'aws:SourceAccount': FOREIGN_ACCOUNT, 'aws:SourceArn': alarmArn(FOREIGN_ACCOUNT) },
        resourcePolicy: policies.topic(ids.topic),
      });

      // Assess
      expect(decision).not.toBe('Allowed');
    });

    it('refuses a publish without TLS when even this account publishes', async () => {
      // Act
      const decision = await decide({
        principal: `arn:${PARTITION}:iam::${ACCOUNT}:role/ops`,
        action: 'sns:Publish',
        resource: t.ref(ids.topic),
        context: { 'aws:SecureTransport': 'false' },
        identityPolicies: [ADMIN_POLICY],
        resourcePolicy: policies.topic(ids.topic),
      });

      // Assess
      expect(decision).toBe('ExplicitlyDenied');
    });
  });

  describe('Collector role of operation 0032', () => {
    const role = () => `arn:${PARTITION}:iam::${ACCOUNT}:role/${t.ref(ids.roles['0032']!)}`;
    const asCollector = (action: string, resource: string, resourcePolicy?: Policy, context?: Record<string, string>) =>
      decide({ principal: role(), action, resource, identityPolicies: policies.identity(ids.roles['0032']!), ...(resourcePolicy ? { resourcePolicy } : {}), ...(context ? { context } : {}) });

    const OWN_KEYS: [string, string][] = [
      ['a window data object', dataKey('wolkvox', '0032', W)],
      ['a fetch-log object', fetchLogKey('wolkvox', '0032', W, 'f-1')],
      ['a day object', dailyKey('wolkvox', '0032', '2025-01-15')],
      ['a verification record', verified('0032')],
      ['the checkpoint', checkpointKey('wolkvox', '0032')],
      ['the lease', leaseKey('wolkvox', '0032')],
    ];
    const FOREIGN_KEYS: [string, string][] = [
      ["operation 0045's window", dataKey('wolkvox', '0045', W)],
      ["operation 0045's day", dailyKey('wolkvox', '0045', '2025-01-15')],
      ["operation 0045's verification record", verified('0045')],
      ["operation 0045's lease", leaseKey('wolkvox', '0045')],
      ['a key beside the operation folders', 'wolkvox/cdr_4/readme.json'],
      ['another table', 'wolkvox/cdr_4_other/operation=0032/x.json'],
      ['a verification record beside the operation folders', 'wolkvox/cdr_4_verifications/verified-x.json'],
      ['another prefix', 'other/cdr_4/operation=0032/x.json'],
    ];

    it.each(OWN_KEYS.flatMap(([label, key]) => ['s3:GetObject', 's3:PutObject'].map((a) => [a, label, key] as const)))(
      'allows %s on %s when the key is its own',
      async (action, _label, key) => {
        // Act
        const decision = await asCollector(action, objectArn(ids.dataBucket, key), policies.bucket(ids.dataBucket));

        // Assess
        expect(decision).toBe('Allowed');
      },
    );

    it.each(FOREIGN_KEYS.flatMap(([label, key]) => ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'].map((a) => [a, label, key] as const)))(
      'refuses %s on %s when the key is not its own',
      async (action, _label, key) => {
        // Act
        const decision = await asCollector(action, objectArn(ids.dataBucket, key), policies.bucket(ids.dataBucket));

        // Assess
        expect(decision).not.toBe('Allowed');
      },
    );

    it.each([
      ['s3:DeleteObject', 'deletes what was collected (the collector never deletes)'],
      ['s3:DeleteObjectVersion', 'erases history'],
      ['s3:GetObjectVersion', 'reads earlier revisions'],
      ['s3:PutObjectAcl', 'changes access'],
      ['s3:PutObjectTagging', 'is not needed'],
    ])('refuses %s on its own keys when the action %s', async (action) => {
      // Act
      const decision = await asCollector(action, objectArn(ids.dataBucket, dataKey('wolkvox', '0032', W)), policies.bucket(ids.dataBucket));

      // Assess
      expect(decision).not.toBe('Allowed');
    });

    it.each(['s3:DeleteObject', 's3:DeleteObjectVersion'])('refuses %s on its own verification records when a record would be taken back', async (action) => {
      // Act
      const decision = await asCollector(action, objectArn(ids.dataBucket, verified('0032')), policies.bucket(ids.dataBucket));

      // Assess
      expect(decision).not.toBe('Allowed');
    });

    it('refuses its own keys when the request is not over TLS', async () => {
      // Act
      const decision = await asCollector('s3:PutObject', objectArn(ids.dataBucket, dataKey('wolkvox', '0032', W)), policies.bucket(ids.dataBucket), {
        'aws:SecureTransport': 'false',
      });

      // Assess
      expect(decision).toBe('ExplicitlyDenied');
    });

    it('lists the data bucket and no other when a missing key must read as 404', async () => {
      // Act
      const data = await asCollector('s3:ListBucket', t.arn(ids.dataBucket), policies.bucket(ids.dataBucket));
      const results = await asCollector('s3:ListBucket', t.arn(ids.resultsBucket), policies.bucket(ids.resultsBucket));

      // Assess
      expect(data).toBe('Allowed');
      expect(results).not.toBe('Allowed');
    });

    it.each([
      ['s3:GetObject', 'results'],
      ['s3:PutObject', 'logs'],
    ] as const)('refuses %s in the %s bucket when it touches another bucket', async (action, which) => {
      // Act
      const bucket = which === 'results' ? ids.resultsBucket : ids.logsBucket;
      const decision = await asCollector(action, objectArn(bucket, 'results/x.csv'), policies.bucket(bucket));

      // Assess
      expect(decision).not.toBe('Allowed');
    });

    it.each(['s3:PutBucketPolicy', 's3:DeleteBucket', 's3:PutLifecycleConfiguration', 's3:ListBucketVersions'])('refuses %s on the data bucket when asked', async (action) => {
      // Act
      const decision = await asCollector(action, t.arn(ids.dataBucket), policies.bucket(ids.dataBucket));

      // Assess
      expect(decision).not.toBe('Allowed');
    });

    it('reads its own token secret and not another operation one when it starts', async () => {
      // Act
      const own = await asCollector('secretsmanager:GetSecretValue', t.ref(ids.secrets['0032']!), policies.secret(ids.secrets['0032']!));
      const imported = await asCollector('secretsmanager:GetSecretValue', `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:wolkvox/0045-AbCdEf`);
      const inItsStack = await asCollector('secretsmanager:GetSecretValue', t.ref(ids.secrets['0050']!));
      const write = await asCollector('secretsmanager:PutSecretValue', t.ref(ids.secrets['0032']!));

      // Assess
      expect(own).toBe('Allowed');
      expect(imported).not.toBe('Allowed');
      expect(inItsStack).not.toBe('Allowed');
      expect(write).not.toBe('Allowed');
    });

    it('writes to the shared log group only, not to the one it logged to before, when it logs', async () => {
      // Act
      const stream = (id: string) => `${t.arn(id).replace(/:\*$/, '')}:log-stream:2025/01/15/[$LATEST]abc`;
      const shared = await asCollector('logs:PutLogEvents', stream(ids.logGroup));
      const before = await asCollector('logs:PutLogEvents', stream(ids.oldLogGroup0032));

      // Assess
      expect(shared).toBe('Allowed');
      expect(before).not.toBe('Allowed');
    });

    it('sends to the on-failure queue and not to the schedule DLQ when a run fails', async () => {
      // Act
      const failures = await asCollector('sqs:SendMessage', t.arn(ids.failureQueue), policies.queue(ids.failureQueue));
      const schedule = await asCollector('sqs:SendMessage', t.arn(ids.scheduleDlq), policies.queue(ids.scheduleDlq));

      // Assess
      expect(failures).toBe('Allowed');
      expect(schedule).not.toBe('Allowed');
    });

    it('can be assumed by Lambda only when a principal asks for it', async () => {
      // Act
      const lambda = await decide({ principal: 'lambda.amazonaws.com', action: 'sts:AssumeRole', resource: t.arn(ids.roles['0032']!), resourcePolicy: policies.trust(ids.roles['0032']!) });
      const ec2 = await decide({ principal: 'ec2.amazonaws.com', action: 'sts:AssumeRole', resource: t.arn(ids.roles['0032']!), resourcePolicy: policies.trust(ids.roles['0032']!) });

      // Assess
      expect(lambda).toBe('Allowed');
      expect(ec2).not.toBe('Allowed');
    });
  });

  describe('Token secrets: only their collector reads them', () => {
    const roleArn = (server: string) => `arn:${PARTITION}:iam::${ACCOUNT}:role/${t.ref(ids.roles[server]!)}`;
    const readAll: Policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }] };
    const read = (principal: string, identityPolicies: readonly Policy[], secretArn: string, resourcePolicy: Policy | undefined) =>
      decide({ principal, action: 'secretsmanager:GetSecretValue', resource: secretArn, identityPolicies, ...(resourcePolicy ? { resourcePolicy } : {}) });
    const created = () =>
      (['0032', '0050'] as const).map((server) => ({ server, arn: t.ref(ids.secrets[server]!), policy: policies.secret(ids.secrets[server]!) }));

    it('puts a resource policy on every created secret of the deployment, in the main stack and in operation stacks', () => {
      // Assess
      const secrets = t.ofType('AWS::SecretsManager::Secret').map(([id]) => t.ref(id));
      const guarded = t.ofType('AWS::SecretsManager::ResourcePolicy').map(([, p]) => p.SecretId);
      expect(secrets).toHaveLength(2);
      expect(guarded.sort()).toEqual(secrets.sort());
    });

    it('refuses another operation role the token even when its own policies allow every read', async () => {
      for (const { server, arn, policy } of created()) {
        // Act
        const other = server === '0032' ? '0050' : '0032';
        const decision = await read(roleArn(other), [...policies.identity(ids.roles[other]!), readAll], arn, policy);

        // Assess
        expect(decision, `${other} reading ${server}'s token`).toBe('ExplicitlyDenied');
      }
    });

    it('refuses a principal of the account holding GetSecretValue on * when it reads a token', async () => {
      for (const { server, arn, policy } of created()) {
        // Act
        const reader = await read(`arn:${PARTITION}:iam::${ACCOUNT}:role/ReadOnlyEverything`, [readAll], arn, policy);
        const admin = await read(`arn:${PARTITION}:iam::${ACCOUNT}:user/admin`, [ADMIN_POLICY], arn, policy);

        // Assess
        expect(reader, `a reader of every secret on ${server}'s token`).toBe('ExplicitlyDenied');
        expect(admin, `an administrator on ${server}'s token`).toBe('ExplicitlyDenied');
      }
    });

    it('lets the operation collector and the account root read the token when they ask', async () => {
      for (const { server, arn, policy } of created()) {
        // Act
        const own = await read(roleArn(server), policies.identity(ids.roles[server]!), arn, policy);
        const root = await read(`arn:${PARTITION}:iam::${ACCOUNT}:root`, [ADMIN_POLICY], arn, policy);

        // Assess
        expect(own, `${server}'s collector`).toBe('Allowed');
        expect(root, `the account root on ${server}'s token`).toBe('Allowed');
      }
    });

    it('gives an imported secret the same boundary once its owner applies the policy of TokenSecretPolicyCommand', async () => {
      // Prepare
      const stackName = built.operationStack('0045').stackName;
      const policy = policies.importedSecret(stackName, '0045');
      const arn = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:wolkvox/0045-AbCdEf`;

      // Act
      const own = await read(roleArn('0045'), policies.identity(ids.roles['0045']!), arn, policy);
      const other = await read(roleArn('0050'), [readAll], arn, policy);
      const reader = await read(`arn:${PARTITION}:iam::${ACCOUNT}:role/ReadOnlyEverything`, [readAll], arn, policy);

      // Assess
      expect(own).toBe('Allowed');
      expect(other).toBe('ExplicitlyDenied');
      expect(reader).toBe('ExplicitlyDenied');
    });
  });

  describe('EventBridge', () => {
    const fromRule = (ruleArn: string) => ({ 'aws:SourceArn': ruleArn, 'aws:SourceAccount': ACCOUNT });

    it("sends to the schedule DLQ only on behalf of this stack's rules when a delivery fails", async () => {
      // Act
      const own = await decide({ principal: 'events.amazonaws.com', action: 'sqs:SendMessage', resource: t.arn(ids.scheduleDlq), context: fromRule(t.arn(ids.rule0032)), resourcePolicy: policies.queue(ids.scheduleDlq) });
      const otherRule = await decide({
        principal: 'events.amazonaws.com',
        action: 'sqs:SendMessage',
        resource: t.arn(ids.scheduleDlq),
        context: fromRule(`arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/someone-else`),
        resourcePolicy: policies.queue(ids.scheduleDlq),
      });
      const failureQueue = await decide({ principal: 'events.amazonaws.com', action: 'sqs:SendMessage', resource: t.arn(ids.failureQueue), context: fromRule(t.arn(ids.rule0032)), resourcePolicy: policies.queue(ids.failureQueue) });

      // Assess
      expect(own).toBe('Allowed');
      expect(otherRule).not.toBe('Allowed');
      expect(failureQueue).not.toBe('Allowed');
    });

    it("invokes the main stack's collector only from its own rule when the schedule fires", async () => {
      // Act
      const invoke = (fn: string, ruleArn: string) =>
        decide({ principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction', resource: t.arn(ids.functions[fn]!), context: fromRule(ruleArn), resourcePolicy: policies.lambda(ids.functions[fn]!) });

      // Assess
      expect(await invoke('0032', t.arn(ids.rule0032))).toBe('Allowed');
      expect(await invoke('0032', `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/someone-else`)).not.toBe('Allowed');
      expect(await invoke('0050', t.arn(ids.rule0032))).not.toBe('Allowed');
    });
  });

  describe('EventBridge Scheduler', () => {
    const scheduleRole = () => `arn:${PARTITION}:iam::${ACCOUNT}:role/${t.ref(ids.scheduleRole)}`;
    const group = () => t.props(ids.scheduleRole).AssumeRolePolicyDocument as Policy;
    const schedule = (groupName: string, account = ACCOUNT) => ({ 'aws:SourceAccount': account, 'aws:SourceArn': `arn:${PARTITION}:scheduler:${REGION}:${account}:schedule/${groupName}/0050` });
    const groupName = () => String(t.ofType('AWS::Scheduler::Schedule').find(([id]) => id.startsWith(built.operationStack('0050').stackName))?.[1].GroupName);

    it('lets the schedule role invoke each operation-stack collector through the function resource policy when a schedule fires', async () => {
      // Act
      const invoke = (fn: string, principal: string) =>
        decide({ principal, action: 'lambda:InvokeFunction', resource: t.arn(ids.functions[fn]!), identityPolicies: policies.identity(ids.scheduleRole), resourcePolicy: policies.lambda(ids.functions[fn]!) });

      // Assess
      expect(await invoke('0050', scheduleRole())).toBe('Allowed');
      expect(await invoke('0045', scheduleRole())).toBe('Allowed');
      expect(await invoke('0050', `arn:${PARTITION}:iam::${ACCOUNT}:role/someone-else`)).not.toBe('Allowed');
      expect(await invoke('0050', 'events.amazonaws.com')).not.toBe('Allowed');
    });

    it('may be assumed by EventBridge Scheduler for schedules of its own group in this account only', async () => {
      // Act
      const assume = (context: Record<string, string>) => decide({ principal: 'scheduler.amazonaws.com', action: 'sts:AssumeRole', resource: t.arn(ids.scheduleRole), context, resourcePolicy: group() });

      // Assess
      expect(await assume(schedule(groupName()))).toBe('Allowed');
      expect(await assume(schedule('another-group'))).not.toBe('Allowed');
      expect(await assume(schedule(groupName(), FOREIGN_ACCOUNT))).not.toBe('Allowed');
    });

    it('sends undeliverable ticks to the schedule DLQ and nowhere else', async () => {
      // Act
      const send = (queue: string) => decide({ principal: scheduleRole(), action: 'sqs:SendMessage', resource: t.arn(queue), identityPolicies: policies.identity(ids.scheduleRole), resourcePolicy: policies.queue(queue) });

      // Assess
      expect(await send(ids.scheduleDlq)).toBe('Allowed');
      expect(await send(ids.failureQueue)).not.toBe('Allowed');
    });
  });

  describe('Collector role of operation 0050, in a stack of its own', () => {
    const role = () => `arn:${PARTITION}:iam::${ACCOUNT}:role/${t.ref(ids.roles['0050']!)}`;
    const as0050 = (action: string, resource: string, resourcePolicy?: Policy) =>
      decide({ principal: role(), action, resource, identityPolicies: policies.identity(ids.roles['0050']!), ...(resourcePolicy ? { resourcePolicy } : {}) });

    it("reads its own token secret and not operation 0032's, nor 0045's, when it starts", async () => {
      // Act
      const own = await as0050('secretsmanager:GetSecretValue', t.ref(ids.secrets['0050']!), policies.secret(ids.secrets['0050']!));
      const other = await as0050('secretsmanager:GetSecretValue', t.ref(ids.secrets['0032']!));
      const imported = await as0050('secretsmanager:GetSecretValue', `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:wolkvox/0045-AbCdEf`);

      // Assess
      expect(own).toBe('Allowed');
      expect(other).not.toBe('Allowed');
      expect(imported).not.toBe('Allowed');
    });

    it("gets and puts its own keys and not operation 0032's when it collects", async () => {
      // Act
      const own = await as0050('s3:PutObject', objectArn(ids.dataBucket, dataKey('wolkvox', '0050', W)), policies.bucket(ids.dataBucket));
      const other = await as0050('s3:GetObject', objectArn(ids.dataBucket, checkpointKey('wolkvox', '0032')), policies.bucket(ids.dataBucket));

      // Assess
      expect(own).toBe('Allowed');
      expect(other).not.toBe('Allowed');
    });

    it('writes to the shared log group and sends to the on-failure queue when it runs', async () => {
      // Act
      const logs = await as0050('logs:PutLogEvents', `${t.arn(ids.logGroup).replace(/:\*$/, '')}:log-stream:2025/01/15/[$LATEST]abc`);
      const failures = await as0050('sqs:SendMessage', t.arn(ids.failureQueue), policies.queue(ids.failureQueue));

      // Assess
      expect(logs).toBe('Allowed');
      expect(failures).toBe('Allowed');
    });
  });

  describe('A consumer granted read access as docs/infrastructure.md shows', () => {
    const consumer = `arn:${PARTITION}:iam::${ACCOUNT}:role/WindowConsumer`;
    /** The documented policy (the JSON block holding its Sid), for this deployment's bucket. */
    const documented = (): Policy => {
      const doc = readFileSync(new URL('../../docs/infrastructure.md', import.meta.url), 'utf8');
      const block = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1]!).find((b) => b.includes('"ReadWindowAndDayObjects"'));
      if (block === undefined) throw new Error('docs/infrastructure.md shows no consumer policy');
      return JSON.parse(block.replaceAll('arn:aws:s3:::<DataBucketName>', t.arn(ids.dataBucket))) as Policy;
    };
    const as = (action: string, resource: string, context?: Record<string, string>) =>
      decide({ principal: consumer, action, resource, identityPolicies: [documented()], resourcePolicy: policies.bucket(ids.dataBucket)!, ...(context ? { context } : {}) });

    it('reads window and day objects of every operation when it follows the events', async () => {
      // Assess
      expect(await as('s3:GetObject', objectArn(ids.dataBucket, dataKey('wolkvox', '0032', W)))).toBe('Allowed');
      expect(await as('s3:GetObject', objectArn(ids.dataBucket, dailyKey('wolkvox', '0050', '2025-01-15')))).toBe('Allowed');
      expect(await as('s3:ListBucket', t.arn(ids.dataBucket), { 's3:prefix': 'wolkvox/cdr_4/operation=0032/' })).toBe('Allowed');
    });

    it('reads neither the fetch log, the verification records nor the state when those sit beside its tables', async () => {
      // Assess
      for (const key of [fetchLogKey('wolkvox', '0032', W, 'f-1'), verified('0032'), checkpointKey('wolkvox', '0032'), leaseKey('wolkvox', '0050')]) {
        expect(await as('s3:GetObject', objectArn(ids.dataBucket, key)), key).not.toBe('Allowed');
      }
      for (const prefix of ['wolkvox/', 'wolkvox/_state/', 'wolkvox/cdr_4_fetches/']) {
        expect(await as('s3:ListBucket', t.arn(ids.dataBucket), { 's3:prefix': prefix }), prefix).not.toBe('Allowed');
      }
      expect(await as('s3:PutObject', objectArn(ids.dataBucket, dataKey('wolkvox', '0032', W)))).not.toBe('Allowed');
    });
  });

  describe('S3 server access logging', () => {
    const deliver = (prefix: string, sourceBucketId: string | undefined, account = ACCOUNT) =>
      decide({
        principal: 'logging.s3.amazonaws.com',
        action: 's3:PutObject',
        resource: objectArn(ids.logsBucket, `${prefix}2025-01-15-09-00-00-ABCDEF`),
        context: { 'aws:SourceAccount': account, 'aws:SourceArn': sourceBucketId ? t.arn(sourceBucketId) : `arn:${PARTITION}:s3:::someone-elses-bucket` },
        resourcePolicy: policies.bucket(ids.logsBucket),
      });

    it('writes the access logs of the data and results buckets under their prefixes when S3 delivers them', async () => {
      // Assess
      expect(await deliver('data-bucket/', ids.dataBucket)).toBe('Allowed');
      expect(await deliver('athena-results/', ids.resultsBucket)).toBe('Allowed');
    });

    it('refuses logs of another bucket, another account or under the other prefix when S3 delivers them', async () => {
      // Assess
      expect(await deliver('data-bucket/', undefined)).not.toBe('Allowed');
      expect(await deliver('data-bucket/', ids.dataBucket, FOREIGN_ACCOUNT)).not.toBe('Allowed');
      expect(await deliver('data-bucket/', ids.resultsBucket)).not.toBe('Allowed');
    });
  });

  describe('Nothing public', () => {
    const targets = () => [
      ['s3:GetObject', objectArn(ids.dataBucket, dataKey('wolkvox', '0032', W)), policies.bucket(ids.dataBucket)],
      ['s3:PutObject', objectArn(ids.dataBucket, dataKey('wolkvox', '0032', W)), policies.bucket(ids.dataBucket)],
      ['s3:ListBucket', t.arn(ids.dataBucket), policies.bucket(ids.dataBucket)],
      ['s3:GetObject', objectArn(ids.resultsBucket, 'results/x.csv'), policies.bucket(ids.resultsBucket)],
      ['s3:GetObject', objectArn(ids.logsBucket, 'data-bucket/x'), policies.bucket(ids.logsBucket)],
      ['sns:Publish', t.ref(ids.topic), policies.topic(ids.topic)],
      ['sns:Subscribe', t.ref(ids.topic), policies.topic(ids.topic)],
      ['sqs:SendMessage', t.arn(ids.scheduleDlq), policies.queue(ids.scheduleDlq)],
      ['sqs:ReceiveMessage', t.arn(ids.failureQueue), policies.queue(ids.failureQueue)],
      ['secretsmanager:GetSecretValue', t.ref(ids.secrets['0032']!), policies.secret(ids.secrets['0032']!)],
      ['secretsmanager:GetSecretValue', t.ref(ids.secrets['0050']!), policies.secret(ids.secrets['0050']!)],
      ['lambda:InvokeFunction', t.arn(ids.functions['0050']!), policies.lambda(ids.functions['0050']!)],
      ['lambda:InvokeFunction', t.arn(ids.functions['0032']!), policies.lambda(ids.functions['0032']!)],
    ] as const;

    it('refuses anonymous requests on every bucket, topic, queue, secret and function when they arrive unsigned', async () => {
      for (const [action, resource, resourcePolicy] of targets()) {
        // Act
        const decision = await decide({ principal: anonymousPrincipal, action, resource, ...(resourcePolicy ? { resourcePolicy } : {}) });

        // Assess
        expect(decision, `${action} ${resource}`).not.toBe('Allowed');
      }
    });

    it('refuses an administrator of another account on all of them when its own policies allow everything', async () => {
      for (const [action, resource, resourcePolicy] of targets()) {
        // Act
        const decision = await decide({
          principal: `arn:${PARTITION}:iam::${FOREIGN_ACCOUNT}:role/admin`,
          action,
          resource,
          identityPolicies: [ADMIN_POLICY],
          ...(resourcePolicy ? { resourcePolicy } : {}),
        });

        // Assess
        expect(decision, `${action} ${resource}`).not.toBe('Allowed');
      }
    });
  });
});
