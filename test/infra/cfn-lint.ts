/**
 * cfn-lint (AWS's CloudFormation linter: resource specs, property values, references) on
 * synthesized templates. cfn-lint is a Python tool installed on the CI machines, not an npm
 * dependency: where it is missing the tests that need it are reported as skipped, never passed.
 */
import { spawnSync } from 'node:child_process';

export interface LintMatch {
  Filename: string;
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Location: { Path: (string | number)[] };
  Rule: { Id: string };
}

/**
 * Findings accepted, each with its reason. W3005 on a function's DependsOn its role: aws-lambda's
 * Function adds that dependency itself (next to the one on the role's policy, which is needed)
 * and offers no way to drop it; it is redundant, not wrong. W6001 on an operation's tail command:
 * the command names the collectors' log group, which the operation stack imports from the main
 * stack; an output made of an import is what it is meant to be here.
 */
export const ACCEPTED: { rule: string; path: RegExp; reason: string }[] = [
  { rule: 'W3005', path: /^Resources\/(Pipeline)?Collector[A-Za-z0-9]*Function[A-Za-z0-9]+\/DependsOn\//, reason: 'DependsOn the role added by aws-lambda Function' },
  { rule: 'W6001', path: /^Outputs\/TailLogsCommand[A-Za-z0-9]+\/Value\/Fn::Join\/1\/\d+\/Fn::ImportValue$/, reason: "an operation's tail command names the imported shared log group" },
];

export function cfnLintVersion(): string | undefined {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

export interface LintResult {
  /** Findings not accepted above, described. */
  readonly unaccepted: string[];
  /** cfn-lint's exit status had its error bit (2) set. */
  readonly errors: boolean;
  readonly stderr: string;
}

/** Lints the template files in one cfn-lint process. */
export function cfnLint(files: readonly string[]): LintResult {
  const run = spawnSync('cfn-lint', ['--format', 'json', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  const matches = JSON.parse(run.stdout || '[]') as LintMatch[];
  const describe = (m: LintMatch) => `${m.Level} ${m.Rule.Id} in ${m.Filename} at ${m.Location.Path.join('/')}: ${m.Message}`;
  return {
    unaccepted: matches.filter((m) => !ACCEPTED.some((a) => a.rule === m.Rule.Id && a.path.test(m.Location.Path.join('/')))).map(describe),
    // Exit status: bit 2 means errors. Anything accepted above is a warning (bit 4) at most.
    errors: run.status === null || (run.status & 2) !== 0,
    stderr: run.stderr,
  };
}
