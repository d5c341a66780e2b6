/**
 * Shell commands printed as stack outputs, so an operator copies them instead of composing
 * them. Values may be CDK tokens (names and ARNs known at deploy time); everything else is
 * plain POSIX shell plus the AWS CLI v2.
 */

/**
 * Shell that prints the current time on `timezone`'s wall clock, floored to a 5-minute
 * boundary (`YYYY-MM-DD HH:mm`): one `date` call, so the hour and the minute cannot come
 * from two different minutes.
 */
export function wallClockNowShell(timezone: string): string {
  return `$(TZ=${timezone} date +'%F %H:%M' | sed -E 's/[0-4]$/0/;s/[5-9]$/5/')`;
}

/**
 * Queues a backfill from `firstDay` 00:00 to now (operation wall clock) in the collector:
 * an asynchronous invoke, so the call returns at once even while a scheduled run holds the
 * function's one slot.
 */
export function backfillCommand(functionName: string, region: string, firstDay: string, timezone: string): string {
  const payload = `{\\"backfill\\":{\\"from\\":\\"${firstDay} 00:00\\",\\"to\\":\\"${wallClockNowShell(timezone)}\\"}}`;
  return `aws lambda invoke --region ${region} --function-name ${functionName} --invocation-type Event --cli-binary-format raw-in-base64-out --payload "${payload}" /dev/null`;
}

/**
 * Sets a secret's resource policy (`policyJson`, which holds no single quote: ARNs and policy
 * keywords only). `--block-public-policy` has Secrets Manager refuse a policy that would grant
 * access outside the account.
 */
export function putResourcePolicyCommand(secretId: string, region: string, policyJson: string): string {
  return `aws secretsmanager put-resource-policy --region ${region} --secret-id ${secretId} --block-public-policy --resource-policy '${policyJson}'`;
}

/** Follows the collectors' log group: every operation's lines, or one operation's (each line names it). */
export function tailLogsCommand(logGroupName: string, region: string, operation?: string): string {
  const only = operation !== undefined ? ` --filter-pattern '{ $.operation = "${operation}" }'` : '';
  return `aws logs tail ${logGroupName} --region ${region} --since 1h --follow --format short${only}`;
}

/** Console address of a CloudWatch dashboard. */
export function dashboardUrl(dashboardName: string, region: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboardName}`;
}
