/**
 * A hundred operations in one deploy: 1, 24 and 100 generated operations synthesized as a user
 * with many would list them, every template within CloudFormation's limits, one function and one
 * schedule per operation, cdk-nag and cfn-lint clean; and a 101st operation (with the others
 * reordered and one removed) leaves every other operation's stack as it was. Each deployment is
 * synthesized once, and shared by the tests.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedOperations } from '../../bench/scale.ts';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { outputSuffix } from '../../infra/operation-outputs.ts';
import { cfnLint, cfnLintVersion } from './cfn-lint.ts';
import { type Built, buildStack, nagFindingsOf } from './helpers.ts';

/** CloudFormation's limits per template (its quotas page): resources, bytes of a template body read from S3, outputs. */
const MAX_RESOURCES = 500;
const MAX_TEMPLATE_BYTES = 1_048_576;
const MAX_OUTPUTS = 200;

interface Deployment {
  readonly built: Built;
  readonly outdir: string;
  readonly stacks: readonly CloudFormationStackArtifact[];
}

type Resource = { Type: string; Properties: Record<string, unknown> };
const resourcesOf = (s: CloudFormationStackArtifact) => Object.values((s.template as { Resources: Record<string, Resource> }).Resources);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function deploy(operations: readonly { server: string }[], nag: boolean): Deployment {
  const outdir = mkdtempSync(join(tmpdir(), 'scale-'));
  dirs.push(outdir);
  const built = buildStack({ context: { [CONTEXT_KEYS.operations]: operations }, nag, outdir });
  return { built, outdir, stacks: built.app.synth().stacks };
}

describe('Scale: 1, 24 and 100 operations in one deploy', () => {
  const sizes = [1, 24, 100] as const;
  const deployments = new Map<number, Deployment>();
  beforeAll(() => {
    for (const n of sizes) deployments.set(n, deploy(generatedOperations(n), true));
  });

  it.each(sizes)('keeps every template of %i operations within 500 resources, 1 MB and 200 outputs', (n) => {
    // Assess
    const { stacks, outdir } = deployments.get(n)!;
    expect(stacks).toHaveLength(n + 1);
    for (const s of stacks) {
      const template = s.template as { Resources: object; Outputs?: object };
      expect(Object.keys(template.Resources).length, s.stackName).toBeLessThanOrEqual(MAX_RESOURCES);
      expect(statSync(join(outdir, s.templateFile)).size, s.stackName).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
      expect(Object.keys(template.Outputs ?? {}).length, s.stackName).toBeLessThanOrEqual(MAX_OUTPUTS);
    }
  });

  it.each(sizes)('gives each of %i operations one function with reserved concurrency 1 and one schedule that invokes it', (n) => {
    // Assess
    const { stacks, built } = deployments.get(n)!;
    const servers = built.config.operations.map((op) => op.server);
    const functions = stacks.flatMap((s) => resourcesOf(s).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => ({ stack: s.stackName, r })));
    expect(functions.map(({ r }) => (r.Properties.Environment as { Variables: Record<string, string> }).Variables.WOLKVOX_SERVER).sort()).toEqual([...servers].sort());
    for (const { r } of functions) expect(r.Properties.ReservedConcurrentExecutions).toBe(1);
    for (const s of stacks.filter((x) => x.stackName !== built.stack.stackName)) {
      const [fn] = Object.entries((s.template as { Resources: Record<string, Resource> }).Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
      const schedules = resourcesOf(s).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
      expect(schedules, s.stackName).toHaveLength(1);
      expect((schedules[0]!.Properties.Target as { Arn: unknown }).Arn).toEqual({ 'Fn::GetAtt': [fn![0], 'Arn'] });
    }
    const everySchedule = stacks.flatMap((s) => resourcesOf(s).filter((r) => r.Type === 'AWS::Scheduler::Schedule' || (r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression)));
    expect(everySchedule).toHaveLength(n);
  });

  it.each(sizes)('reports no unacknowledged cdk-nag finding in any stack of %i operations', (n) => {
    // Assess
    const { stacks } = deployments.get(n)!;
    for (const s of stacks) expect(nagFindingsOf(s), s.stackName).toEqual([]);
  });

  it('lints every distinct template of 1, 24 and 100 operations without an error or an unaccepted warning', (ctx) => {
    // Prepare: operation stacks differ only by their server, so one of each shape is linted.
    const version = cfnLintVersion();
    if (version === undefined) {
      console.warn('cfn-lint is not installed (pip install cfn-lint): the template lint is SKIPPED, not passed');
      ctx.skip('cfn-lint is not installed (pip install cfn-lint)');
    }
    const shapes = new Map<string, string>();
    for (const { stacks, outdir, built } of deployments.values()) {
      for (const s of stacks) {
        const file = join(outdir, s.templateFile);
        const op = built.operationStacks.find((o) => o.stackName === s.stackName)?.operation.server;
        const text = readFileSync(file, 'utf8');
        const shape = op === undefined ? file : text.replaceAll(op, '<server>').replaceAll(outputSuffix(op), '<suffix>');
        if (!shapes.has(shape)) shapes.set(shape, file);
      }
    }

    // Act
    const result = cfnLint([...shapes.values()]);

    // Assess: the three main stacks and one operation stack shape.
    expect(shapes.size).toBe(3 + 1);
    expect(result.unaccepted, `${version}`).toEqual([]);
    expect(result.errors, result.stderr).toBe(false);
  });

  it('leaves every other operation stack as it was when a 101st operation is added, the order reversed and one removed', () => {
    // Prepare
    const before = deployments.get(100)!;
    const removed = 'op-0050';
    const after = deploy([...generatedOperations(100).filter((o) => o.server !== removed).reverse(), { server: 'op-0101' }], false);
    // Bundling is skipped in these tests, and CDK then names the code asset after the first function
    // that staged it; bundled (bench/scale.ts, cdk synth), every function's asset is the one bundle.
    const withoutCodeKey = (template: unknown) => JSON.parse(JSON.stringify(template).replace(/"S3Key":"[0-9a-f]{64}\.zip"/g, '"S3Key":"<code asset>"')) as unknown;
    const byName = (d: Deployment) => new Map(d.stacks.map((s) => [s.stackName, withoutCodeKey(s.template)]));
    const old = byName(before);
    const now = byName(after);

    // Assess
    const kept = before.built.operationStacks.map((s) => s.stackName).filter((name) => !name.endsWith(removed));
    expect(kept).toHaveLength(99);
    for (const name of kept) expect(now.get(name), name).toEqual(old.get(name));
    expect(now.has(`${after.built.config.stackName}-op-0101`)).toBe(true);
    expect(now.has(`${after.built.config.stackName}-${removed}`)).toBe(false);
    // The main stack holds no operation's resources: what changed there is shared (catalog enum, queries, dashboard menu, silence threshold).
    expect(resourcesOf(after.stacks.find((s) => s.stackName === after.built.stack.stackName)!).filter((r) => r.Type === 'AWS::Lambda::Function')).toEqual([]);
  });
});
