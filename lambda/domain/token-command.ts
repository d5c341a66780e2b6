/**
 * The shell that puts a token into its secret, printed by the stack (an output) and by the
 * collector (the empty-secret hint). The token never is an argument: an argument is visible to
 * every user of the machine in `ps` while the command runs, and typed out it stays in the shell
 * history. So it is read without echo into a variable first, and goes to the AWS CLI on standard
 * input (`file:///dev/stdin`) through `printf`, a shell builtin (bash, zsh, dash), not a process.
 */

/** Reads the token without echo (bash and zsh): paste it, press Enter. */
export const READ_TOKEN = 'read -rs WOLKVOX_TOKEN';

/** Stores `$WOLKVOX_TOKEN` in the secret, through standard input. */
export function putTokenCommand(secretId: string, region?: string): string {
  return `printf '%s' "$WOLKVOX_TOKEN" | aws secretsmanager put-secret-value${region !== undefined ? ` --region ${region}` : ''} --secret-id ${secretId} --secret-string file:///dev/stdin`;
}
