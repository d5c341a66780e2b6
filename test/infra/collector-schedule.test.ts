import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { CollectorSchedule, type CollectorScheduleProps } from '../../infra/constructs/collector-schedule.ts';
import { CollectorScheduler, type CollectorSchedulerProps, EVERY_FIVE_MINUTES } from '../../infra/constructs/collector-scheduler.ts';
import { CollectorScheduleGroup } from '../../infra/constructs/schedule-group.ts';
import { bareStack, logicalId, resourcesOfType } from './helpers.ts';

function synth(overrides: Partial<CollectorScheduleProps> = {}) {
  const stack = bareStack();
  const fn = new LambdaFunction(stack, 'Fn', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>{}') });
  const dlq = new Queue(stack, 'Dlq');
  new CollectorSchedule(stack, 'Schedule', { function: fn, deadLetterQueue: dlq, ...overrides });
  return { fn, dlq, template: Template.fromStack(stack) };
}

describe('Construct: CollectorSchedule', () => {
  it('fires every 5 minutes aligned to the clock when created with defaults', () => {
    // Act
    const { template } = synth();

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0/5 * * * ? *)', State: 'ENABLED' });
  });

  it('retries delivery briefly and dead-letters the event when the function cannot be invoked', () => {
    // Act
    const { template, fn, dlq } = synth();

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 240 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(dlq), 'Arn'] } },
        },
      ],
    });
  });

  it('lets EventBridge invoke the function and send to the DLQ when the rule is deployed', () => {
    // Act
    const { template, fn, dlq } = synth();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(dlq) }],
    });
  });

  it('uses the given schedule and retry policy when overridden', () => {
    // Act
    const { template } = synth({ schedule: Schedule.rate(Duration.minutes(10)), retryAttempts: 0, maxEventAge: Duration.minutes(2) });

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(10 minutes)',
      Targets: [{ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120 } }],
    });
  });
});

function synthScheduler(overrides: Partial<CollectorSchedulerProps> = {}) {
  const stack = bareStack();
  const fn = new LambdaFunction(stack, 'Fn', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>{}') });
  const dlq = new Queue(stack, 'Dlq');
  const group = new CollectorScheduleGroup(stack, 'Schedules', { deadLetterQueue: dlq });
  new CollectorScheduler(stack, 'Schedule', { function: fn, name: '0032', groupName: group.group.scheduleGroupName, role: group.role, deadLetterQueue: dlq, ...overrides });
  return { fn, dlq, group, template: Template.fromStack(stack) };
}

describe('Construct: CollectorScheduler', () => {
  it('fires every 5 minutes aligned to the UTC clock, to the minute, when created with defaults', () => {
    // Act
    const { template, group } = synthScheduler();

    // Assess
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: '0032',
      GroupName: Match.anyValue(),
      ScheduleExpression: EVERY_FIVE_MINUTES,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
    expect(EVERY_FIVE_MINUTES).toBe('cron(0/5 * * * ? *)');
    const [[, schedule] = ['', {}]] = resourcesOfType(template, 'AWS::Scheduler::Schedule');
    expect(schedule.GroupName).toEqual(template.toJSON().Resources[logicalId(group.group)].Properties.Name);
  });

  it('invokes the function with the scheduled-run event as the group role, retrying delivery briefly and dead-lettering the tick, when it fires', () => {
    // Act
    const { template, fn, dlq, group } = synthScheduler();

    // Assess
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [logicalId(group.role), 'Arn'] },
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 240 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(dlq), 'Arn'] } },
      },
    });
  });

  it('lets the group role invoke the function in the function resource policy, not in the role', () => {
    // Act
    const { template, fn, group } = synthScheduler();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: { 'Fn::GetAtt': [logicalId(group.role), 'Arn'] },
      FunctionName: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] },
    });
    const actions = resourcesOfType(template, 'AWS::IAM::Policy').flatMap(([, p]) => (p.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap((s) => [s.Action].flat()));
    expect(actions).toEqual(['sqs:SendMessage']);
  });

  it('lets only schedules of its group, in this account, assume the group role', () => {
    // Act
    const { template, group } = synthScheduler();

    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`:schedule/${String(template.toJSON().Resources[logicalId(group.group)].Properties.Name)}/*`])] }) },
            },
          }),
        ],
      },
    });
  });

  it('uses the given expression and retry policy when overridden', () => {
    // Act
    const { template } = synthScheduler({ expression: 'rate(10 minutes)', retryAttempts: 0, maxEventAge: Duration.minutes(2) });

    // Assess
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(10 minutes)',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120 } }),
    });
  });
});
