import { Aws, Duration, Names, Stack } from 'aws-cdk-lib';
import { Alarm, CfnInsightRule, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALARM_METRIC, type AlarmMetricName, METRIC_DIMENSION, METRICS_NAMESPACE, RUN_FIGURES_MESSAGE } from '../../lambda/domain/metrics.ts';

export interface AlarmsProps {
  /**
   * E-mail address subscribed to the alarm topic (the recipient must confirm the subscription).
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly email?: string;
  /**
   * How long due windows may stay uncollected before the freshness alarm fires, in 5-minute periods.
   * @default 6 (30 minutes)
   */
  readonly freshnessPeriods?: number;
}

export interface CollectorAlarmsProps {
  /** Where this deployment's collectors send their metrics (metricsNamespaceOf). */
  readonly metricsNamespace: string;
  /** The collectors' log group: the silence alarm counts the operations whose runs report there. */
  readonly logGroup: ILogGroup;
  /** How many operations are configured: fewer reporting is silence. */
  readonly operations: number;
}

/** The alarms on the collectors: one of each for all the operations. */
export interface CollectorAlarms {
  readonly freshness: Alarm;
  readonly tokenTrouble: Alarm;
  readonly daysUnverified: Alarm;
  /** The report has shown no call for longer than SILENT_DAYS. */
  readonly reportSilent: Alarm;
  /** Fewer operations than configured reported a run. */
  readonly silence: Alarm;
  /** Contributor Insights rule counting run-figures lines per operation (the silence alarm's source). */
  readonly runsRule: CfnInsightRule;
}

const PERIOD = Duration.minutes(5);
/** Each operation reports a run every 5 minutes: 10 minutes always holds the end of one. */
const SILENCE_PERIOD = Duration.minutes(10);
const SILENCE_PERIODS = 3;

/**
 * The namespace of a deployment's collector metrics: its own, because an alarm over every
 * operation reads every operation in its namespace, and two deployments in one account (a
 * staging beside production) must not alarm on each other's.
 */
export function metricsNamespaceOf(stackName: string): string {
  return `${METRICS_NAMESPACE}/${stackName}`;
}

/**
 * Metrics Insights query of one collector metric across every operation, one time series per
 * operation: a multi-time-series alarm on it has the operation as its contributor, so its state
 * and notifications name the operations in alarm.
 */
export function perOperationQuery(metric: AlarmMetricName, namespace: string): string {
  return `SELECT MAX(${metric}) FROM SCHEMA("${namespace}", ${METRIC_DIMENSION}) GROUP BY ${METRIC_DIMENSION} ORDER BY MAX() DESC`;
}

/**
 * One SNS topic and the alarms that notify it (alarm and OK transitions). On the collectors, a
 * fixed set for any number of operations: freshness, token trouble, unverified days and a silent report as
 * multi-time-series alarms on the metrics the handler emits (ALARM_METRICS), and silence on the
 * runs reported in the log group; per dead-letter queue, each new message (a failed or expired
 * run lands in the on-failure queue).
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;
  private readonly freshnessPeriods: number;

  constructor(scope: Construct, id: string, props: AlarmsProps = {}) {
    super(scope, id);
    this.freshnessPeriods = props.freshnessPeriods ?? 6;
    this.topic = new Topic(this, 'Topic', { displayName: 'Wolkvox collector alarms', enforceSSL: true });
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
    // A topic policy replaces SNS's default policy, which is what lets CloudWatch publish; the
    // TLS-only policy above would otherwise leave every alarm notifying nobody. Confined to
    // alarms of this account and region (confused deputy).
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccountPublish',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );
    // Not KMS-encrypted: notifications carry alarm names, states and operations only, CloudWatch
    // cannot publish to a topic under the AWS-managed SNS key, and a customer-managed key would
    // cost more than the rest of the stack.
    this.action = new SnsAction(this.topic);
  }

  /** The alarms on the collectors of every operation. */
  addCollectorAlarms(props: CollectorAlarmsProps): CollectorAlarms {
    // Windows behind rather than windows collected: a quiet schedule may collect several windows
    // with one call up to 30 minutes apart, and the engine does not count the windows it defers
    // on purpose. "Behind in every 5 minutes for 30 minutes" is data 30 minutes stale.
    const freshness = this.add('Freshness', {
      alarmDescription: `Collectors named in this alarm's contributors: due windows not collected for ${this.freshnessPeriods * 5} minutes (the Wolkvox API failing, or a long catch-up)`,
      metric: this.perOperation(ALARM_METRIC.windowsBehind, props.metricsNamespace),
      evaluationPeriods: this.freshnessPeriods,
      datapointsToAlarm: this.freshnessPeriods,
      // Sent only while behind: no data is none.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const tokenTrouble = this.add('TokenTrouble', {
      alarmDescription: "Collectors named in this alarm's contributors: the token secret is empty (store the token with the PutSecretValueCommand output), or the token's daily limit or DAILY_CALL_CAP held back work until the operation's midnight; the run figures' token_missing and token_budget_exhausted say which",
      metric: this.perOperation(ALARM_METRIC.tokenTrouble, props.metricsNamespace),
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const daysUnverified = this.add('DaysUnverified', {
      alarmDescription:
        "Collectors named in this alarm's contributors: a day past the verification bound does not match the vendor's totals yet (a quarantined window with calls keeps its day so), or a run concluded it cannot be verified: found not to add up (status 'unreconcilable' in cdr_4_verifications: the vendor's totals are not additive there, the windows are kept as collected) or left 'unverified' at its bound on checking (the row's note says why). Read the day's rows in cdr_4_verifications and the saved Logs Insights queries; backfill a day with a quarantined window",
      metric: this.perOperation(ALARM_METRIC.daysUnverified, props.metricsNamespace),
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // Sent by a run only while the report has shown no call for longer than SILENT_DAYS: the days since the last call seen.
    const reportSilent = this.add('ReportSilent', {
      alarmDescription:
        "Collectors named in this alarm's contributors: the cdr_4 report answers, but no answer has shown a call for longer than SILENT_DAYS (default 7; the metric is the days since the last call seen). An operation with calls does not go quiet that long: most likely the token belongs to another operation, the server lacks the report, or every answer is 404 'Validate dates entered', which the collector stores as no calls. Check the report for those days in the Wolkvox console, the token's operation and permissions (WOLKVOX_SERVER, the secret); once fixed, backfill the silent days with \"refetch\": true (they were stored empty). An operation that really had no calls: raise silentDays",
      metric: this.perOperation(ALARM_METRIC.reportSilent, props.metricsNamespace),
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // Every run ends with a run-figures line naming its operation, whatever happened in it (an
    // empty token, a lease held by a CLI run): the operations with such a line in a period are
    // the ones running. One rule for all operations costs less than a metric per operation.
    const runsRule = new CfnInsightRule(this, 'RunsByOperation', {
      ruleName: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      ruleState: 'ENABLED',
      ruleBody: Stack.of(this).toJsonString({
        Schema: { Name: 'CloudWatchLogRule', Version: 1 },
        LogGroupNames: [props.logGroup.logGroupName],
        LogFormat: 'JSON',
        Contribution: { Keys: [`$.${METRIC_DIMENSION}`], Filters: [{ Match: '$.message', In: [RUN_FIGURES_MESSAGE] }] },
        AggregateOn: 'Count',
      }),
    });
    const silence = this.add('OperationsSilent', {
      alarmDescription: `Fewer than the ${props.operations} configured operations reported a run for ${SILENCE_PERIOD.toMinutes() * SILENCE_PERIODS} minutes: a collector no longer runs (schedule disabled or deleted, function gone). The saved Logs Insights query "operations" lists each operation's last run`,
      metric: new MathExpression({
        expression: `INSIGHT_RULE_METRIC("${runsRule.attrRuleName}", "UniqueContributors")`,
        usingMetrics: {},
        period: SILENCE_PERIOD,
        label: 'operations reporting runs',
      }),
      threshold: props.operations,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: SILENCE_PERIODS,
      datapointsToAlarm: SILENCE_PERIODS,
      // No runs at all is the silence of every operation.
      treatMissingData: TreatMissingData.BREACHING,
    });
    return { freshness, tokenTrouble, daysUnverified, reportSilent, silence, runsRule };
  }

  /**
   * Alarm on each new message in a dead-letter queue. Not on the visible count: nobody consumes
   * these queues, so that count would keep the alarm in ALARM after the first failure (hiding
   * the next ones), and SQS stops publishing it for a queue idle for 6 hours, turning the alarm
   * OK while messages remain. EventBridge, Scheduler and Lambda destinations call SendMessage,
   * which NumberOfMessagesSent counts (unlike SQS's own redrive, which this stack does not use).
   */
  addQueue(id: string, queue: IQueue, description: string): Alarm {
    return this.add(id, {
      alarmDescription: `${description}. Read the messages with aws sqs receive-message, then purge the queue (docs/infrastructure.md, "Dead-letter queues")`,
      metric: queue.metricNumberOfMessagesSent({ period: PERIOD, statistic: 'Sum' }),
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** A collector metric of every operation, one time series per operation (Metrics Insights). */
  private perOperation(metric: AlarmMetricName, namespace: string): MathExpression {
    return new MathExpression({ expression: perOperationQuery(metric, namespace), usingMetrics: {}, period: PERIOD, label: metric });
  }

  private add(id: string, props: Omit<ConstructorParameters<typeof Alarm>[2], 'threshold' | 'comparisonOperator'> & { threshold?: number; comparisonOperator?: ComparisonOperator }): Alarm {
    const alarm = new Alarm(this, id, { threshold: 1, comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, ...props });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
