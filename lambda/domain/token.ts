/**
 * The vendor token: what a usable one looks like, and the shell that puts it into its secret,
 * printed by the stack (an output) and by the collector (the empty-secret hint). The token is
 * never an argument there: an argument is visible to every user of the machine in `ps` while the
 * command runs, and typed out it stays in the shell history. So it is read without echo into a
 * variable first, and goes to the AWS CLI on standard input (`file:///dev/stdin`) through
 * `printf`, a shell builtin (bash, zsh, dash), not a process.
 */

/**
 * A usable token: 8-4096 visible ASCII characters. Anything else cannot be sent as the
 * `wolkvox-token` header, and a token this long is never ordinary text of an answer, so it can be
 * redacted from answers (vendor-text.ts) without cutting their figures.
 */
export const TOKEN_PATTERN = /^[\x21-\x7e]{8,4096}$/;

/** Reads the token without echo (bash and zsh): paste it, press Enter. */
export const READ_TOKEN = 'read -rs WOLKVOX_TOKEN';

/** Stores `$WOLKVOX_TOKEN` in the secret, through standard input. */
export function putTokenCommand(secretId: string, region?: string): string {
  return `printf '%s' "$WOLKVOX_TOKEN" | aws secretsmanager put-secret-value${region !== undefined ? ` --region ${region}` : ''} --secret-id ${secretId} --secret-string file:///dev/stdin`;
}
