import { Match, Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { Alarms, type AlarmsProps, perOperationQuery } from '../../infra/constructs/alarms.ts';
import { ALARM_METRIC, ALARM_METRICS, METRICS_NAMESPACE, RUN_FIGURES_MESSAGE } from '../../lambda/domain/metrics.ts';
import { bareStack, logicalId, renderIntrinsic, resourcesOfType } from './helpers.ts';

function synth(props: AlarmsProps = {}, operations = 3) {
  const stack = bareStack();
  const logGroup = new LogGroup(stack, 'Logs');
  const queue = new Queue(stack, 'Dlq');
  const alarms = new Alarms(stack, 'Alarms', props);
  const collector = alarms.addCollectorAlarms({ metricsNamespace: NAMESPACE, logGroup, operations });
  alarms.addQueue('Dlq', queue, 'dead letters');
  return { logGroup, queue, alarms, collector, template: Template.fromStack(stack) };
}

/** A deployment's own namespace, as the pipeline passes it. */
const NAMESPACE = `${METRICS_NAMESPACE}/Test`;

const ACTIONS = (alarms: Alarms) => ({ AlarmActions: [{ Ref: logicalId(alarms.topic) }], OKActions: [{ Ref: logicalId(alarms.topic) }] });

/** The Metrics Insights query an alarm evaluates (its one metric data query). */
function queryOf(props: Record<string, unknown>): unknown {
  const metrics = props.Metrics as { Expression?: unknown; ReturnData?: boolean }[] | undefined;
  expect(metrics, 'a query alarm').toHaveLength(1);
  return metrics![0]!.Expression;
}

describe('Construct: Alarms', () => {
  it('fires per operation when its due windows stay uncollected for 30 minutes, reading no data as none', () => {
    // Act
    const { template, alarms } = synth();

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [{ Id: Match.anyValue(), Expression: perOperationQuery(ALARM_METRIC.windowsBehind, NAMESPACE), Period: 300, ReturnData: true }],
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...ACTIONS(alarms),
    });
  });

  it('waits the configured number of 5-minute periods when freshnessPeriods is set', () => {
    // Act
    const { template } = synth({ freshnessPeriods: 3 });

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: [Match.objectLike({ Expression: perOperationQuery(ALARM_METRIC.windowsBehind, NAMESPACE) })], EvaluationPeriods: 3, DatapointsToAlarm: 3 });
  });

  it.each([ALARM_METRIC.tokenTrouble, ALARM_METRIC.daysUnverified, ALARM_METRIC.reportSilent])('fires per operation when the collector reports %s at least once, and reads no data as none', (metricName) => {
    // Act
    const { template, alarms } = synth();

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [Match.objectLike({ Expression: perOperationQuery(metricName, NAMESPACE), Period: 300 })],
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...ACTIONS(alarms),
    });
  });

  it('tells the operator what a silent report means and what to check when ReportSilent fires', () => {
    // Act
    const { template, collector } = synth();

    // Assess
    const [, alarm] = resourcesOfType(template, 'AWS::CloudWatch::Alarm').find(([id]) => id === logicalId(collector.reportSilent))!;
    expect(queryOf(alarm)).toBe(perOperationQuery(ALARM_METRIC.reportSilent, NAMESPACE));
    const description = String(alarm.AlarmDescription);
    for (const text of ["this alarm's contributors", 'SILENT_DAYS', 'token belongs to another operation', 'server lacks the report', "404 'Validate dates entered'", 'token\'s operation and permissions', '"refetch": true', 'silentDays']) {
      expect(description, text).toContain(text);
    }
    expect(description.length).toBeLessThanOrEqual(1024);
  });

  it('counts among unverified days those a run concluded cannot be verified when DaysUnverified fires', () => {
    // Act
    const { template, collector } = synth();

    // Assess
    const [, alarm] = resourcesOfType(template, 'AWS::CloudWatch::Alarm').find(([id]) => id === logicalId(collector.daysUnverified))!;
    const description = String(alarm.AlarmDescription);
    for (const text of ["'unreconcilable'", 'cdr_4_verifications', "'unverified' at its bound on checking", 'quarantined']) expect(description, text).toContain(text);
    expect(description.length).toBeLessThanOrEqual(1024);
  });

  it('queries each collector metric as one time series per operation, the operation being the contributor', () => {
    // Assess: GROUP BY and ORDER BY make a multi-time-series alarm; SCHEMA keeps it to the metrics with exactly the operation dimension.
    for (const metric of ALARM_METRICS) {
      expect(perOperationQuery(metric, NAMESPACE)).toBe(`SELECT MAX(${metric}) FROM SCHEMA("${NAMESPACE}", operation) GROUP BY operation ORDER BY MAX() DESC`);
    }
  });

  it('watches only the custom metrics the collector emits, each once, whatever the number of operations', () => {
    // Act
    const few = synth({}, 1).template;
    const many = synth({}, 100).template;

    // Assess
    for (const template of [few, many]) {
      const queries = resourcesOfType(template, 'AWS::CloudWatch::Alarm').flatMap(([, p]) => (p.Metrics ? [queryOf(p)] : [])).filter((q): q is string => typeof q === 'string' && q.startsWith('SELECT'));
      expect(queries.map((q) => /^SELECT MAX\((\w+)\)/.exec(q)?.[1]).sort()).toEqual([...ALARM_METRICS].sort());
      template.resourceCountIs('AWS::CloudWatch::Alarm', ALARM_METRICS.length + 2);
    }
  });

  it('counts the operations whose runs report in the log group, and fires when fewer than configured did for 30 minutes', () => {
    // Act
    const { template, alarms, logGroup, collector } = synth({}, 7);

    // Assess
    const [[, rule] = ['', {}]] = resourcesOfType(template, 'AWS::CloudWatch::InsightRule');
    const body = JSON.parse(renderIntrinsic(rule.RuleBody)) as unknown;
    expect(rule.RuleState).toBe('ENABLED');
    expect(body).toEqual({
      Schema: { Name: 'CloudWatchLogRule', Version: 1 },
      LogGroupNames: [`{Ref:${logicalId(logGroup)}}`],
      LogFormat: 'JSON',
      Contribution: { Keys: ['$.operation'], Filters: [{ Match: '$.message', In: [RUN_FIGURES_MESSAGE] }] },
      AggregateOn: 'Count',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [Match.objectLike({ Expression: { 'Fn::Join': ['', ['INSIGHT_RULE_METRIC("', { 'Fn::GetAtt': [logicalId(collector.runsRule), 'RuleName'] }, '", "UniqueContributors")']] }, Period: 600 })],
      Threshold: 7,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
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

  it('lists every alarm it made when wired', () => {
    // Act
    const { template, alarms } = synth();

    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', ALARM_METRICS.length + 2);
    expect(alarms.alarms).toHaveLength(ALARM_METRICS.length + 2);
  });
});
