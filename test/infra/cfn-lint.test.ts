/**
 * cfn-lint on the templates of the default context and of one with an operation in the main stack
 * beside operation stacks (the 1, 24 and 100 operations of scale.test.ts are linted there).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { cfnLint, cfnLintVersion } from './cfn-lint.ts';
import { buildStack } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The template files of every stack synthesized from `context`. */
function synthTemplates(context: Record<string, unknown>): string[] {
  const outdir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  dirs.push(outdir);
  const { app } = buildStack({ context, outdir });
  return app.synth().stacks.map((s) => join(outdir, s.templateFile));
}

describe('Compliance: cfn-lint', () => {
  it('finds no error and no unaccepted warning when the default and a mixed template set are linted', (ctx) => {
    // Prepare
    const version = cfnLintVersion();
    if (version === undefined) {
      console.warn('cfn-lint is not installed (pip install cfn-lint): the template lint is SKIPPED, not passed');
      ctx.skip('cfn-lint is not installed (pip install cfn-lint)');
    }
    const templates = [
      ...synthTemplates({}),
      ...synthTemplates({
        [CONTEXT_KEYS.operations]: [{ server: '0032', dailyCallCap: 900, mainStack: true }, { server: '0045', timezone: 'America/Mexico_City', tokenSecretName: 'wolkvox/0045' }, { server: 'ops-7' }],
        [CONTEXT_KEYS.alarmEmail]: 'ops@example.com',
      }),
    ];

    // Act
    const result = cfnLint(templates);

    // Assess
    expect(templates).toHaveLength(1 + 3);
    expect(result.unaccepted, `${version}`).toEqual([]);
    expect(result.errors, result.stderr).toBe(false);
  });
});
