import { Duration } from 'aws-cdk-lib';
import { ArnPrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Every 5 minutes, aligned to :00, :05, ... UTC (the rule of {@link CollectorSchedule} fires alike). */
export const EVERY_FIVE_MINUTES = 'cron(0/5 * * * ? *)';

export interface CollectorSchedulerProps {
  /** The collector function to invoke. */
  readonly function: IFunction;
  /** The schedule's name in its group (the operation's server). */
  readonly name: string;
  /** Schedule group (CollectorScheduleGroup). */
  readonly groupName: string;
  /** The role schedules of the group run as (CollectorScheduleGroup); the function's resource policy lets it invoke. */
  readonly role: IRole;
  /** Where EventBridge Scheduler puts ticks it could not deliver to the function. */
  readonly deadLetterQueue: IQueue;
  /**
   * Delivery retries by EventBridge Scheduler (delivery only: the function's own failures are not retried).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge Scheduler keeps trying to deliver a tick; a later tick does the work anyway.
   * @default Duration.minutes(4)
   */
  readonly maxEventAge?: Duration;
  /**
   * When to run.
   * @default EVERY_FIVE_MINUTES
   */
  readonly expression?: string;
  /**
   * Schedule description.
   * @default 'Runs the Wolkvox cdr_4 collector every 5 minutes'
   */
  readonly description?: string;
}

/**
 * The EventBridge Scheduler schedule that runs one operation's collector every 5 minutes.
 * Scheduler, not a rule on the default bus: the bus takes 300 rules (adjustable), and the
 * consumers' rules share it.
 */
export class CollectorScheduler extends Construct {
  readonly schedule: CfnSchedule;

  constructor(scope: Construct, id: string, props: CollectorSchedulerProps) {
    super(scope, id);
    // Resource policy, not the role's: the role is the main stack's, which must not depend on operation stacks.
    props.function.addPermission('InvokedBySchedule', { principal: new ArnPrincipal(props.role.roleArn), action: 'lambda:InvokeFunction' });
    this.schedule = new CfnSchedule(this, 'Schedule', {
      name: props.name,
      groupName: props.groupName,
      description: props.description ?? 'Runs the Wolkvox cdr_4 collector every 5 minutes',
      scheduleExpression: props.expression ?? EVERY_FIVE_MINUTES,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: props.function.functionArn,
        roleArn: props.role.roleArn,
        // The handler takes {} for a scheduled run (lambda/runtime/lambda-event.ts).
        input: '{}',
        retryPolicy: {
          maximumRetryAttempts: props.retryAttempts ?? 2,
          maximumEventAgeInSeconds: (props.maxEventAge ?? Duration.minutes(4)).toSeconds(),
        },
        deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
      },
    });
  }
}
