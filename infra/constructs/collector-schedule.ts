import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface CollectorScheduleProps {
  /** The collector function to invoke. */
  readonly function: IFunction;
  /** Where EventBridge puts events it could not deliver to the function. */
  readonly deadLetterQueue: IQueue;
  /**
   * When to run.
   * @default Schedule.cron({ minute: '0/5' }) — `cron(0/5 * * * ? *)`, aligned to :00, :05, ... UTC
   */
  readonly schedule?: Schedule;
  /**
   * Delivery retries by EventBridge (delivery only: the function's own failures are not retried).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps trying to deliver an event; a later tick does the work anyway.
   * @default Duration.minutes(4)
   */
  readonly maxEventAge?: Duration;
  /**
   * Rule description.
   * @default 'Runs the Wolkvox cdr_4 collector every 5 minutes'
   */
  readonly description?: string;
}

/** The EventBridge rule that runs one operation's collector every 5 minutes. */
export class CollectorSchedule extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: CollectorScheduleProps) {
    super(scope, id);
    this.rule = new Rule(this, 'Rule', {
      description: props.description ?? 'Runs the Wolkvox cdr_4 collector every 5 minutes',
      schedule: props.schedule ?? Schedule.cron({ minute: '0/5' }),
      targets: [
        new LambdaFunction(props.function, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: props.retryAttempts ?? 2,
          maxEventAge: props.maxEventAge ?? Duration.minutes(4),
        }),
      ],
    });
  }
}
