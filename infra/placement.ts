/**
 * Which stack holds an operation's resources. The rule reads nothing but the operation itself, so
 * adding, removing or reordering operations never moves another one (a move would replace its
 * secret, function and schedule): an operation has a stack of its own, `{stackName}-{server}`,
 * unless it is marked `mainStack`, as the operations of a deployment made before operation stacks
 * are, whose resources stay in the main stack where they were created.
 */

/** CloudFormation's longest stack name. */
export const MAX_STACK_NAME_LENGTH = 128;

/** The name (and construct id) of the stack of an operation that is not in the main stack. */
export function operationStackName(stackName: string, server: string): string {
  return `${stackName}-${server}`;
}

/** Whether the operation's resources live in the main stack (deployed before operation stacks). */
export function inMainStack(op: { readonly mainStack?: boolean | undefined }): boolean {
  return op.mainStack === true;
}
