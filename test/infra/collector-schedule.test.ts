import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, it } from 'vitest';
import { CollectorSchedule, type CollectorScheduleProps } from '../../infra/constructs/collector-schedule.ts';
import { bareStack, logicalId } from './helpers.ts';

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
