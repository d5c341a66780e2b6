import { RemovalPolicy } from 'aws-cdk-lib';
import { type EventPattern, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { type ILogGroup, LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DAILY_TABLE, DATA_TABLE, tableRoot, VERIFICATION_TABLE } from '../../lambda/domain/layout.ts';
import type { CollectorConfig, OperationConfig } from '../config.ts';
import { inMainStack } from '../placement.ts';
import { namedQueries } from '../queries.ts';
import { Alarms, type CollectorAlarms, metricsNamespaceOf } from './alarms.ts';
import { AthenaWorkgroup } from './athena-workgroup.ts';
import { Catalog } from './catalog.ts';
import { CollectorFunction, type CollectorFunctionProps } from './collector-function.ts';
import { CollectorSchedule } from './collector-schedule.ts';
import { CollectorDashboard } from './dashboard.ts';
import { DataBucket } from './data-bucket.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { CollectorLogQueries } from './log-queries.ts';
import { CollectorScheduleGroup } from './schedule-group.ts';

export interface CollectorPipelineProps {
  /** Validated configuration (see infra/config.ts). */
  readonly config: CollectorConfig;
  /**
   * Entry file of the collector handler.
   * @default lambda/handler.ts
   */
  readonly handlerEntry?: string;
  /**
   * Athena workgroup name.
   * @default config.stackName
   */
  readonly workGroupName?: string;
}

/** What every operation's collector uses of the shared parts, wherever its own resources are. */
export interface OperationSharedResources {
  readonly bucket: IBucket;
  /** Key prefix of everything the collectors write (DATA_PREFIX). */
  readonly prefix: string;
  /** Lambda on-failure destination: failed or expired invocations. */
  readonly failureQueue: IQueue;
  /** Where every collector logs (each line names its operation). */
  readonly logGroup: ILogGroup;
  /** Where every collector sends its metrics (the alarms read this namespace). */
  readonly metricsNamespace: string;
  /** Ticks a schedule could not deliver. */
  readonly scheduleDeadLetterQueue: IQueue;
  /**
   * Group and role of the operations' EventBridge Scheduler schedules.
   * @default - none: every operation is in the main stack, on an EventBridge rule
   */
  readonly scheduleGroup?: CollectorScheduleGroup;
  /** Entry file of the collector handler (undefined: lambda/handler.ts). */
  readonly handlerEntry?: string | undefined;
}

/** The collector function's props of an operation, wherever it is built; `firstDay` is wolkvox:firstDay. */
export function collectorFunctionProps(op: OperationConfig, shared: OperationSharedResources, firstDay: string): CollectorFunctionProps {
  return {
    server: op.server,
    timezone: op.timezone,
    firstDay,
    ...(op.tokenSecretName !== undefined ? { tokenSecretName: op.tokenSecretName } : {}),
    ...(op.settleMinutes !== undefined ? { settleMinutes: op.settleMinutes } : {}),
    ...(op.restateAfterMinutes !== undefined ? { restateAfterMinutes: op.restateAfterMinutes } : {}),
    ...(op.dailyCallCap !== undefined ? { dailyCallCap: op.dailyCallCap } : {}),
    ...(op.tokenReserve !== undefined ? { tokenReserve: op.tokenReserve } : {}),
    ...(op.checkShare !== undefined ? { checkShare: op.checkShare } : {}),
    ...(op.tokenInfoEveryMinutes !== undefined ? { tokenInfoEveryMinutes: op.tokenInfoEveryMinutes } : {}),
    ...(op.silentDays !== undefined ? { silentDays: op.silentDays } : {}),
    ...(shared.handlerEntry !== undefined ? { entry: shared.handlerEntry } : {}),
    bucket: shared.bucket,
    prefix: shared.prefix,
    failureQueue: shared.failureQueue,
    logGroup: shared.logGroup,
    metricsNamespace: shared.metricsNamespace,
  };
}

/** An operation whose resources are in the main stack (`mainStack`): deployed before operation stacks. */
export interface MainStackOperation {
  readonly operation: OperationConfig;
  readonly collector: CollectorFunction;
  readonly schedule: CollectorSchedule;
}

export interface WindowCollectedOptions {
  /**
   * Only windows of this operation (a configured server).
   * @default - windows of every operation
   */
  readonly operation?: string;
  /**
   * Rule description.
   * @default 'A Wolkvox cdr_4 window was written'
   */
  readonly description?: string;
}

/**
 * The parts every operation shares, once for any number of operations: the data bucket, the Glue
 * catalog, the Athena workgroup, the dead-letter queues, the collectors' log group with its saved
 * queries, the alarms, the dashboard and the schedule group. Each operation's own resources
 * (secret, function, schedule) are in its operation stack, or here for an operation deployed
 * before operation stacks (`mainStack`).
 *
 * Downstream consumers subscribe to new data with {@link onWindowCollected}.
 */
export class CollectorPipeline extends Construct {
  readonly config: CollectorConfig;
  readonly dataBucket: DataBucket;
  readonly bucket: IBucket;
  readonly catalog: Catalog;
  readonly athena: AthenaWorkgroup;
  readonly alarms: Alarms;
  readonly collectorAlarms: CollectorAlarms;
  /** Events EventBridge could not deliver to a collector. */
  readonly scheduleDeadLetterQueue: DeadLetterQueue;
  /** Collector invocations that failed or expired (Lambda on-failure destination). */
  readonly failureQueue: DeadLetterQueue;
  /** Where every collector logs. */
  readonly logGroup: LogGroup;
  readonly logQueries: CollectorLogQueries;
  /** What the operations' collectors use of this stack. */
  readonly shared: OperationSharedResources;
  /** Operations whose resources are in this stack (`mainStack`). */
  readonly operations: readonly MainStackOperation[];
  /** Absent when `wolkvox:dashboard` is false. */
  readonly dashboard: CollectorDashboard | undefined;

  constructor(scope: Construct, id: string, props: CollectorPipelineProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;

    this.dataBucket = new DataBucket(this, 'Data', {
      noncurrentVersionExpirationDays: config.noncurrentVersionExpirationDays,
      accessLogsExpirationDays: config.accessLogsExpirationDays,
    });
    this.bucket = this.dataBucket.bucket;

    this.scheduleDeadLetterQueue = new DeadLetterQueue(this, 'ScheduleDeadLetters', {
      purpose: 'schedule ticks EventBridge could not deliver to a collector function',
    });
    this.failureQueue = new DeadLetterQueue(this, 'CollectorFailures', {
      purpose: 'on-failure destination of the collector functions: failed or expired invocations',
    });

    this.logGroup = new LogGroup(this, 'CollectorLogs', { retention: config.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });
    this.logQueries = new CollectorLogQueries(this, 'LogQueries', { logGroup: this.logGroup });

    this.alarms = new Alarms(this, 'Alarms', { ...(config.alarmEmail !== undefined ? { email: config.alarmEmail } : {}) });
    this.alarms.addQueue('ScheduleDeadLetters', this.scheduleDeadLetterQueue.queue, 'A scheduled run could not be delivered to a collector function');
    this.alarms.addQueue('CollectorFailures', this.failureQueue.queue, 'A collector invocation failed or expired (message in the on-failure queue)');
    const metricsNamespace = metricsNamespaceOf(config.stackName);
    this.collectorAlarms = this.alarms.addCollectorAlarms({ metricsNamespace, logGroup: this.logGroup, operations: config.operations.length });

    this.shared = {
      bucket: this.bucket,
      prefix: config.prefix,
      failureQueue: this.failureQueue.queue,
      logGroup: this.logGroup,
      metricsNamespace,
      scheduleDeadLetterQueue: this.scheduleDeadLetterQueue.queue,
      ...(config.operations.some((op) => !inMainStack(op)) ? { scheduleGroup: new CollectorScheduleGroup(this, 'Schedules', { deadLetterQueue: this.scheduleDeadLetterQueue.queue }) } : {}),
      handlerEntry: props.handlerEntry,
    };
    this.operations = config.operations.filter(inMainStack).map((op) => this.addMainStackOperation(op));

    this.catalog = new Catalog(this, 'Catalog', {
      bucket: this.bucket,
      prefix: config.prefix,
      databaseName: config.databaseName,
      operations: config.operations.map((op) => op.server),
      projectionStartDate: config.firstDay,
    });

    this.athena = new AthenaWorkgroup(this, 'Athena', {
      workGroupName: props.workGroupName ?? config.stackName,
      databaseName: config.databaseName,
      resultsExpirationDays: config.athenaResultsExpirationDays,
      bytesScannedCutoffMb: config.athenaBytesScannedCutoffMb,
      accessLogsBucket: this.dataBucket.accessLogsBucket,
      namedQueries: namedQueries(config.databaseName, config.operations),
    });

    this.dashboard = config.dashboard
      ? new CollectorDashboard(this, 'Dashboard', {
          servers: config.operations.map((op) => op.server),
          logGroup: this.logGroup,
          queues: [
            { label: 'schedule DLQ', queue: this.scheduleDeadLetterQueue.queue },
            { label: 'collector failures', queue: this.failureQueue.queue },
          ],
          alarms: this.alarms.alarms,
          freshnessAlarm: this.collectorAlarms.freshness,
        })
      : undefined;
  }

  /**
   * An operation deployed before operation stacks, at the construct paths it was created under, so
   * that its logical ids, and with them its secret (and token), role, function and rule, stay.
   */
  private addMainStackOperation(op: OperationConfig): MainStackOperation {
    const collector = new CollectorFunction(this, `Collector-${op.server}`, collectorFunctionProps(op, this.shared, this.config.firstDay));
    // Its own log group from before the shared one: kept, so that an upgrade deletes none of its
    // runs' logs (they expire with its retention); the function now logs to the shared group.
    new LogGroup(collector, 'LogGroup', { retention: this.config.logRetentionDays, removalPolicy: RemovalPolicy.DESTROY });
    const schedule = new CollectorSchedule(this, `Schedule-${op.server}`, {
      function: collector.function,
      deadLetterQueue: this.scheduleDeadLetterQueue.queue,
      description: `Runs the Wolkvox cdr_4 collector of operation ${op.server} every 5 minutes`,
    });
    return { operation: op, collector, schedule };
  }

  /**
   * EventBridge pattern of S3 "Object Created" events for data objects (`{prefix}/cdr_4/...`)
   * only. The trailing slash keeps `cdr_4_fetches/` (fetch log) and `cdr_4_daily/` out;
   * `_state/` (checkpoints, leases) never matches.
   */
  windowCollectedPattern(operation?: string): EventPattern {
    return this.objectCreatedPattern(DATA_TABLE, operation);
  }

  /** {@link windowCollectedPattern} in EventBridge's own JSON form (`detail-type`), for consumers outside CDK. */
  windowCollectedEventBridgePattern(operation?: string): Record<string, unknown> {
    return eventBridgeJson(this.windowCollectedPattern(operation));
  }

  /**
   * Invokes `target` each time a window's data object is written (first collection or a
   * re-collection overwriting it). The event is S3's "Object Created" on the default bus; see
   * docs/infrastructure.md for its shape.
   */
  onWindowCollected(id: string, target: IRuleTarget, options: WindowCollectedOptions = {}): Rule {
    return new Rule(this, id, {
      description: options.description ?? 'A Wolkvox cdr_4 window was written',
      eventPattern: this.windowCollectedPattern(options.operation),
      targets: [target],
    });
  }

  /** EventBridge pattern of S3 "Object Created" events for day objects (`{prefix}/cdr_4_daily/...`) only. */
  dayWrittenPattern(operation?: string): EventPattern {
    return this.objectCreatedPattern(DAILY_TABLE, operation);
  }

  /** {@link dayWrittenPattern} in EventBridge's own JSON form. */
  dayWrittenEventBridgePattern(operation?: string): Record<string, unknown> {
    return eventBridgeJson(this.dayWrittenPattern(operation));
  }

  /**
   * Invokes `target` each time a day's Parquet object in `cdr_4_daily` is written or rewritten.
   * @param options.description default 'A Wolkvox cdr_4_daily day object was written'
   */
  onDayWritten(id: string, target: IRuleTarget, options: WindowCollectedOptions = {}): Rule {
    return new Rule(this, id, {
      description: options.description ?? 'A Wolkvox cdr_4_daily day object was written',
      eventPattern: this.dayWrittenPattern(options.operation),
      targets: [target],
    });
  }

  /**
   * EventBridge pattern of S3 "Object Created" events for `verified` records of
   * `cdr_4_verifications` only (`{prefix}/cdr_4_verifications/operation={server}/dt={day}/verified-...`):
   * a day became verified. Pending and changed records, and every other table, do not match.
   */
  dayVerifiedPattern(operation?: string): EventPattern {
    const pattern = this.objectCreatedPattern(VERIFICATION_TABLE, operation);
    // The status leads the file name, but the day folder lies between the table and the file, so a
    // prefix cannot reach it: a wildcard does. Its fixed parts need no escape: neither the prefix
    // nor a server may hold `*` or `\` (config.ts, PREFIX_PATTERN and SERVER_PATTERN).
    const folder = `${tableRoot(this.config.prefix, VERIFICATION_TABLE)}operation=${operation ?? '*'}/`;
    return { ...pattern, detail: { ...pattern.detail, object: { key: [{ wildcard: `${folder}dt=*/verified-*` }] } } };
  }

  /** {@link dayVerifiedPattern} in EventBridge's own JSON form. */
  dayVerifiedEventBridgePattern(operation?: string): Record<string, unknown> {
    return eventBridgeJson(this.dayVerifiedPattern(operation));
  }

  /**
   * Invokes `target` each time a day is recorded as verified (its `verified` record in `cdr_4_verifications` is written).
   * @param options.description default 'A Wolkvox cdr_4 day was verified'
   */
  onDayVerified(id: string, target: IRuleTarget, options: WindowCollectedOptions = {}): Rule {
    return new Rule(this, id, {
      description: options.description ?? 'A Wolkvox cdr_4 day was verified',
      eventPattern: this.dayVerifiedPattern(options.operation),
      targets: [target],
    });
  }

  private objectCreatedPattern(table: string, operation: string | undefined): EventPattern {
    if (operation !== undefined && !this.config.operations.some((o) => o.server === operation)) {
      throw new Error(`"${operation}" is not a configured operation (${this.config.operations.map((o) => o.server).join(', ')})`);
    }
    const keyPrefix = `${tableRoot(this.config.prefix, table)}${operation !== undefined ? `operation=${operation}/` : ''}`;
    return {
      source: ['aws.s3'],
      detailType: ['Object Created'],
      detail: {
        bucket: { name: [this.bucket.bucketName] },
        object: { key: [{ prefix: keyPrefix }] },
      },
    };
  }
}

function eventBridgeJson(p: EventPattern): Record<string, unknown> {
  return { source: p.source, 'detail-type': p.detailType, detail: p.detail };
}
