import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { Alarms, type AlarmsProps } from '../../infra/constructs/alarms.ts';
import { ALARM_METRIC, ALARM_METRICS, METRICS_NAMESPACE } from '../../lambda/domain/metrics.ts';
import { bareStack, logicalId, resourcesOfType } from './helpers.ts';

function synth(props: AlarmsProps = {}) {
  const stack = bareStack();
  const fn = new LambdaFunction(stack, 'Fn', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>{}') });
  const queue = new Queue(stack, 'Dlq');
  const alarms = new Alarms(stack, 'Alarms', props);
  alarms.addOperation('0032', fn);
  alarms.addQueue('Dlq', queue, 'dead letters');
  return { fn, queue, alarms, template: Template.fromStack(stack) };
}

const ACTIONS = (alarms: Alarms) => ({ AlarmActions: [{ Ref: logicalId(alarms.topic) }], OKActions: [{ Ref: logicalId(alarms.topic) }] });

describe('Construct: Alarms', () => {
  it('fires when due windows stay uncollected for 30 minutes, counting silence as stale', () => {
    // Act
    const { template, alarms } = synth();

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: ALARM_METRIC.windowsBehind,
      Dimensions: [{ Name: 'operation', Value: '0032' }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      ...ACTIONS(alarms),
    });
  });

  it('waits the configured number of 5-minute periods when freshnessPeriods is set', () => {
    // Act
    const { template } = synth({ freshnessPeriods: 3 });

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: ALARM_METRIC.windowsBehind, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
  });

  it.each([ALARM_METRIC.tokenTrouble, ALARM_METRIC.daysUnverified])('fires when the collector reports %s at least once, and reads no data as none', (metricName) => {
    // Act
    const { template, alarms } = synth();

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: metricName,
      Dimensions: [{ Name: 'operation', Value: '0032' }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...ACTIONS(alarms),
    });
  });

  it('watches only the custom metrics the collector emits when it alarms on collector figures', () => {
    // Act
    const { template } = synth();

    // Assess
    const watched = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .filter(([, p]) => p.Namespace === METRICS_NAMESPACE)
      .map(([, p]) => p.MetricName);
    expect(watched.sort()).toEqual([...ALARM_METRICS].sort());
  });

  it('fires when the function reports an error', () => {
    // Act
    const { template, fn, alarms } = synth();

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      ...ACTIONS(alarms),
    });
  });

  it('fires on each new dead letter rather than on what stays in the queue when a message is sent to it', () => {
    // Act
    const { template, queue, alarms } = synth();

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Statistic: 'Sum',
      Period: 300,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...ACTIONS(alarms),
    });
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible' }, 0);
  });

  it('lets CloudWatch alarms of this account publish to the topic when the topic policy is rendered', () => {
    // Act
    const { template, alarms } = synth();

    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(alarms.topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: logicalId(alarms.topic) },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] },
              },
            },
          }),
        ]),
      },
    });
  });

  it('subscribes the address when an e-mail is configured', () => {
    // Act
    const { template, alarms } = synth({ email: 'ops@example.com' });

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: logicalId(alarms.topic) } });
  });

  it('creates no subscription and an SSL-only topic when no e-mail is configured', () => {
    // Act
    const { template } = synth();

    // Assess
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('creates four alarms per operation and one per queue when wired', () => {
    // Act
    const { template, alarms } = synth();

    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    expect(alarms.alarms).toHaveLength(5);
  });
});
