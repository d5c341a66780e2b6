/**
 * 11. A hundred operations in one deploy: the app synthesized (bundling and cdk-nag included, as
 * `npx cdk synth` does) for 1, 24, 100 and 1,000 generated operations, with the figures
 * CloudFormation limits (per template: 500 resources, 1 MB, 200 outputs) and how long it took.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addCollectorStacks } from '../infra/collector-app.ts';
import { CONTEXT_KEYS, loadConfig } from '../infra/config.ts';
import { CDK_JSON_CONTEXT } from '../test/infra/helpers.ts';

export const SCALE_OPERATIONS = [1, 24, 100, 1000] as const;

/** `n` operations as a user with many would list them: distinct servers, default settings. */
export function generatedOperations(n: number): { server: string }[] {
  return Array.from({ length: n }, (_, i) => ({ server: `op-${String(i + 1).padStart(4, '0')}` }));
}

interface TemplateFigures {
  readonly resources: number;
  readonly bytes: number;
  readonly outputs: number;
}

function figuresOf(outdir: string, artifact: { templateFile: string; template: unknown }): TemplateFigures {
  const template = artifact.template as { Resources?: object; Outputs?: object };
  return {
    resources: Object.keys(template.Resources ?? {}).length,
    bytes: statSync(join(outdir, artifact.templateFile)).size,
    outputs: Object.keys(template.Outputs ?? {}).length,
  };
}

const largest = (all: readonly TemplateFigures[]): TemplateFigures => ({
  resources: Math.max(...all.map((f) => f.resources)),
  bytes: Math.max(...all.map((f) => f.bytes)),
  outputs: Math.max(...all.map((f) => f.outputs)),
});

async function synthOperations(n: number) {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  try {
    const started = performance.now();
    const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, [CONTEXT_KEYS.operations]: generatedOperations(n) } });
    const config = loadConfig(app.node, app.node.getAllContext());
    const { main } = addCollectorStacks(app, config);
    Aspects.of(app).add(new AwsSolutionsChecks());
    const assembly = app.synth();
    const ms = performance.now() - started;
    const all = assembly.stacks.map((s) => ({ name: s.stackName, ...figuresOf(outdir, s) }));
    const mainFigures = all.find((f) => f.name === main.stackName)!;
    const operationFigures = all.filter((f) => f !== mainFigures);
    const errors = assembly.stacks.flatMap((s) => s.messages.filter((m) => m.level === 'error'));
    return {
      operations: n,
      stacks: all.length,
      synth_ms: Math.round(ms),
      main: { resources: mainFigures.resources, bytes: mainFigures.bytes, outputs: mainFigures.outputs },
      largest_operation_stack: largest(operationFigures),
      resources_in_all: all.reduce((t, f) => t + f.resources, 0),
      synth_errors: errors.length,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export async function benchScale() {
  const out: Record<string, unknown> = {};
  // The first synthesis bundles the handler (once: the other functions share the asset).
  for (const n of SCALE_OPERATIONS) out[`operations_${n}`] = await synthOperations(n);
  return out;
}
