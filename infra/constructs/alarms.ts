import { Aws, Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALARM_METRIC, METRIC_DIMENSION, METRICS_NAMESPACE } from '../../lambda/domain/metrics.ts';

export interface AlarmsProps {
  /**
   * E-mail address subscribed to the alarm topic (the recipient must confirm the subscription).
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly email?: string;
  /**
   * How long due windows may stay uncollected (or runs report nothing) before the freshness alarm fires, in 5-minute periods.
   * @default 6 (30 minutes)
   */
  readonly freshnessPeriods?: number;
}

const PERIOD = Duration.minutes(5);

/** The alarms of one operation's collector. */
export interface OperationAlarms {
  readonly errors: Alarm;
  readonly freshness: Alarm;
  readonly tokenTrouble: Alarm;
  readonly daysUnverified: Alarm;
}

/**
 * One SNS topic and the alarms that notify it (alarm and OK transitions): per operation,
 * function errors, data freshness, token trouble and unverified days; per dead-letter queue,
 * each new message. The collector's custom metrics are exactly those these alarms read
 * (ALARM_METRICS); everything else it reports is a log field.
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
    // Not KMS-encrypted: notifications carry alarm names and states only, CloudWatch cannot
    // publish to a topic under the AWS-managed SNS key, and a customer-managed key would cost
    // more than the rest of the stack.
    this.action = new SnsAction(this.topic);
  }

  /** Errors, freshness, token and verification alarms of one operation's collector. */
  addOperation(server: string, fn: IFunction): OperationAlarms {
    const errors = this.add(`${server}-Errors`, {
      alarmDescription: `Collector ${server}: the function failed (see its log group; the failed event is in the on-failure queue)`,
      metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // Windows behind rather than windows collected: a quiet schedule may collect several windows
    // with one call up to 30 minutes apart, and the engine does not count the windows it defers
    // on purpose. So "behind in every 5 minutes for 30 minutes" is data 30 minutes stale, a long
    // catch-up included; and each run sends the figure, so silence is a stopped collector.
    const freshness = this.add(`${server}-Freshness`, {
      alarmDescription: `Collector ${server}: due windows not collected for ${this.freshnessPeriods * 5} minutes, or no run reported (token, lease held by a CLI run, function not running)`,
      metric: this.collectorMetric(server, ALARM_METRIC.windowsBehind, 'Maximum'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: this.freshnessPeriods,
      datapointsToAlarm: this.freshnessPeriods,
      // No datapoint at all means no run reported anything: that is stale too.
      treatMissingData: TreatMissingData.BREACHING,
    });
    const tokenTrouble = this.add(`${server}-TokenTrouble`, {
      alarmDescription: `Collector ${server}: the token secret is empty (store the token with the PutSecretValueCommand output), or the token's daily limit or DAILY_CALL_CAP held back work until the operation's midnight; the run figures' token_missing and token_budget_exhausted say which`,
      metric: this.collectorMetric(server, ALARM_METRIC.tokenTrouble, 'Maximum'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // Sent only when there is trouble: no data is none.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const daysUnverified = this.add(`${server}-DaysUnverified`, {
      alarmDescription: `Collector ${server}: a day past the verification bound does not match the vendor's totals yet (a quarantined window with calls keeps its day so); see the saved Logs Insights queries, then backfill the day`,
      metric: this.collectorMetric(server, ALARM_METRIC.daysUnverified, 'Maximum'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // Sent only when at least one day is unverified: no data is none.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return { errors, freshness, tokenTrouble, daysUnverified };
  }

  /**
   * Alarm on each new message in a dead-letter queue. Not on the visible count: nobody consumes
   * these queues, so that count would keep the alarm in ALARM after the first failure (hiding
   * the next ones), and SQS stops publishing it for a queue idle for 6 hours, turning the alarm
   * OK while messages remain. EventBridge and Lambda destinations call SendMessage, which
   * NumberOfMessagesSent counts (unlike SQS's own redrive, which this stack does not use).
   */
  addQueue(id: string, queue: IQueue, description: string): Alarm {
    return this.add(id, {
      alarmDescription: `${description}. Read the messages with aws sqs receive-message, then purge the queue (docs/infrastructure.md, "Dead-letter queues")`,
      metric: queue.metricNumberOfMessagesSent({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** A collector metric as emitted (EMF): namespace METRICS_NAMESPACE, dimension operation=server, per 5 min. */
  collectorMetric(server: string, metricName: string, statistic = 'Sum'): Metric {
    return collectorMetric(server, metricName, statistic);
  }

  private add(id: string, props: ConstructorParameters<typeof Alarm>[2]): Alarm {
    const alarm = new Alarm(this, id, props);
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}

/**
 * A collector metric as emitted (EMF): namespace METRICS_NAMESPACE, only the dimension
 * operation=server (a different dimension set would be a different metric).
 * @default statistic Sum, period 5 minutes
 */
export function collectorMetric(server: string, metricName: string, statistic = 'Sum', period: Duration = PERIOD): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { [METRIC_DIMENSION]: server }, statistic, period });
}
