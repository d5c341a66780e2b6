import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface CollectorScheduleGroupProps {
  /** Where EventBridge Scheduler puts the ticks it could not deliver to a collector. */
  readonly deadLetterQueue: IQueue;
}

/**
 * The EventBridge Scheduler group of a deployment's operation schedules and the one role they
 * run as. The role only sends to the dead-letter queue; each collector function lets it invoke
 * the function in its own resource policy, so the role does not grow with the operations and the
 * main stack needs nothing from the operation stacks. Only schedules of this group may assume it.
 */
export class CollectorScheduleGroup extends Construct {
  readonly group: ScheduleGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: CollectorScheduleGroupProps) {
    super(scope, id);
    // Its schedules live in the operation stacks and go with them; the group holds nothing else.
    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    this.role = new Role(this, 'Role', {
      description: 'Runs the Wolkvox collector schedules: invokes the collectors (their resource policies allow it) and dead-letters undeliverable ticks',
      // Confused deputy: only schedules of this account, in this group.
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/${this.group.scheduleGroupName}/*` },
      }),
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'DeadLetters', effect: Effect.ALLOW, actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }),
    );
  }
}
