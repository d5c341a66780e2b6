import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /**
   * What ends up in the queue, for the reader of the acknowledgement and of the alarm.
   */
  readonly purpose: string;
  /**
   * How long a message is kept.
   * @default Duration.days(14) (the SQS maximum: time to read what failed)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * An encrypted, TLS-only SQS queue used as a dead-letter target (EventBridge target DLQ or a
 * Lambda `onFailure` destination). Its messages are alarmed on by {@link Alarms}.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.queue, [
      {
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself a dead-letter target (${props.purpose}); nothing consumes it automatically, so a DLQ of the DLQ would never receive anything. Its messages raise an alarm instead.`,
      },
    ]);
  }
}
