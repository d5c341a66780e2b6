/**
 * cfn-lint (AWS's CloudFormation linter: resource specs, property values, references) on the
 * synthesized templates. cfn-lint is a Python tool installed on the CI machines, not an npm
 * dependency: where it is missing the test is reported as skipped with the reason, never passed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { buildStack } from './helpers.ts';

interface LintMatch {
  Filename: string;
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Location: { Path: (string | number)[] };
  Rule: { Id: string };
}

/**
 * Findings accepted, each with its reason. W3005 on a function's DependsOn its role: aws-lambda's
 * Function adds that dependency itself (next to the one on the role's policy, which is needed)
 * and offers no way to drop it; it is redundant, not wrong.
 */
const ACCEPTED: { rule: string; path: RegExp; reason: string }[] = [
  { rule: 'W3005', path: /^Resources\/PipelineCollector[A-Za-z0-9]+Function[A-Za-z0-9]+\/DependsOn\//, reason: 'DependsOn the role added by aws-lambda Function' },
];

function cfnLintVersion(): string | undefined {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function synthTemplate(context: Record<string, unknown>): string {
  const outdir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  dirs.push(outdir);
  const { app, stack } = buildStack({ context, outdir });
  app.synth();
  return join(outdir, stack.templateFile);
}

describe('Compliance: cfn-lint', () => {
  it('finds no error and no unaccepted warning when the default and a multi-operation template are linted', (ctx) => {
    // Prepare
    const version = cfnLintVersion();
    if (version === undefined) {
      console.warn('cfn-lint is not installed (pip install cfn-lint): the template lint is SKIPPED, not passed');
      ctx.skip('cfn-lint is not installed (pip install cfn-lint)');
    }
    const templates = [
      synthTemplate({}),
      synthTemplate({
        [CONTEXT_KEYS.operations]: [{ server: '0032', dailyCallCap: 900 }, { server: '0045', timezone: 'America/Mexico_City', tokenSecretName: 'wolkvox/0045' }],
        [CONTEXT_KEYS.alarmEmail]: 'ops@example.com',
      }),
    ];

    // Act
    const run = spawnSync('cfn-lint', ['--format', 'json', ...templates], { encoding: 'utf8' });

    // Assess
    expect(run.error).toBeUndefined();
    const matches = JSON.parse(run.stdout || '[]') as LintMatch[];
    const describe = (m: LintMatch) => `${m.Level} ${m.Rule.Id} at ${m.Location.Path.join('/')}: ${m.Message}`;
    const unaccepted = matches.filter((m) => !ACCEPTED.some((a) => a.rule === m.Rule.Id && a.path.test(m.Location.Path.join('/'))));
    expect(unaccepted.map(describe), `${version}`).toEqual([]);
    // Exit status: bit 2 means errors. Anything accepted above is a warning (bit 4) at most.
    expect(run.status !== null && (run.status & 2) === 0, run.stderr).toBe(true);
  });
});
