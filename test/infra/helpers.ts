/**
 * Shared set-up of the infra tests: an App carrying cdk.json's context (feature flags and the
 * default operation) plus overrides, bundling skipped unless asked for.
 */
import { readFileSync } from 'node:fs';
import { App, Aspects, CfnElement, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudFormationStackArtifact, SynthesisMessage } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addCollectorStacks } from '../../infra/collector-app.ts';
import { type CollectorConfig, loadConfig } from '../../infra/config.ts';
import type { OperationStack } from '../../infra/operation-stack.ts';
import type { CollectorStack } from '../../infra/stack.ts';

export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

/** cdk.json's feature flags only (no `wolkvox:*` keys). */
export const FEATURE_FLAGS = Object.fromEntries(Object.entries(CDK_JSON_CONTEXT).filter(([k]) => k.startsWith('@aws-cdk/')));

export interface BuildOptions {
  /** Extra or overriding context. */
  readonly context?: Record<string, unknown>;
  /** Run the real esbuild bundling (slow). Default false. */
  readonly bundling?: boolean;
  /** Add the cdk-nag AwsSolutions checks. Default false. */
  readonly nag?: boolean;
  /** Called after the stacks are built, before synthesis (to mutate them). */
  readonly beforeSynth?: (stack: CollectorStack, operations: readonly OperationStack[]) => void;
  /** Output directory of the assembly. */
  readonly outdir?: string;
  /**
   * Run aws-cdk-lib's built-in CloudFormation validation (a WebAssembly validator that costs
   * seconds per test file on first use). Default false; the stack test turns it on once.
   */
  readonly validate?: boolean;
}

export interface Built {
  readonly app: App;
  /** The main stack. */
  readonly stack: CollectorStack;
  /** The stacks of the operations not in the main stack, in configuration order. */
  readonly operationStacks: readonly OperationStack[];
  readonly config: CollectorConfig;
  /** The main stack's template. */
  readonly template: Template;
  /** The template of the stack of operation `server` (not in the main stack). */
  operationTemplate(server: string): Template;
  /** The operation stack of `server`. */
  operationStack(server: string): OperationStack;
}

export function buildStack(options: BuildOptions = {}): Built {
  const app = new App({
    context: {
      ...CDK_JSON_CONTEXT,
      ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
    ...(options.outdir !== undefined ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.validate ?? false,
  });
  const config = loadConfig(app.node, app.node.getAllContext());
  const { main, operations } = addCollectorStacks(app, config);
  options.beforeSynth?.(main, operations);
  if (options.nag) Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  const operationStack = (server: string) => {
    const found = operations.find((s) => s.operation.server === server);
    if (!found) throw new Error(`no operation stack of ${server} (have ${operations.map((s) => s.stackName).join(', ')})`);
    return found;
  };
  return { app, stack: main, operationStacks: operations, config, template: Template.fromStack(main), operationTemplate: (server) => Template.fromStack(operationStack(server)), operationStack };
}

/** A bare stack for testing one construct, with cdk.json's feature flags. */
export function bareStack(): Stack {
  const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  return new Stack(app, 'Test');
}

/** A cdk-nag finding (error or warning) of the AwsSolutions pack. */
export interface Finding {
  readonly level: 'error' | 'warning';
  /** Construct path of the flagged resource, e.g. /Stack/Pipeline/Data/Bucket/Resource */
  readonly path: string;
  /** e.g. AwsSolutions-IAM5 */
  readonly rule: string;
  /** e.g. Resource::<Bucket.Arn>/prefix/* (IAM findings only) */
  readonly findingId: string | undefined;
  readonly message: string;
}

/**
 * The cdk-nag findings of a synthesized stack, read from its artifact (Annotations.fromStack
 * would search the whole assembly again for each of many stacks).
 */
export function nagFindingsOf(artifact: CloudFormationStackArtifact): Finding[] {
  return artifact.messages
    .filter((m) => (m.level === 'error' || m.level === 'warning') && String(m.entry.data).startsWith('AwsSolutions-'))
    .map((m) => toFinding(m.level as Finding['level'])(m));
}

function toFinding(level: Finding['level']) {
  return (m: SynthesisMessage): Finding => {
    const message = String(m.entry.data);
    const head = /^(AwsSolutions-[A-Za-z0-9]+)(?:\[([^\]]*)\])?:/.exec(message);
    return { level, path: m.id, rule: head?.[1] ?? message, findingId: head?.[2], message };
  };
}

/** One acknowledged cdk-nag rule on one resource, as stored in its `cdk_nag` metadata. */
export interface Acknowledgement {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
  readonly appliesTo: readonly (string | { regex: string })[] | undefined;
}

interface NagMetadata {
  rules_to_suppress?: { id: string; reason: string; applies_to?: (string | { regex: string })[] }[];
}

export function acknowledgements(root: IConstruct): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const node of root.node.findAll()) {
    if (!(node instanceof CfnResource)) continue;
    const md = node.getMetadata('cdk_nag') as NagMetadata | undefined;
    for (const rule of md?.rules_to_suppress ?? []) {
      out.push({ path: `/${node.node.path}`, rule: rule.id, reason: rule.reason, appliesTo: rule.applies_to });
    }
  }
  return out;
}

/** Removes every cdk-nag acknowledgement below `root` (as if no suppression had been written). */
export function stripAcknowledgements(root: IConstruct): void {
  for (const node of root.node.findAll()) {
    if (node instanceof CfnResource && node.cfnOptions.metadata && 'cdk_nag' in node.cfnOptions.metadata) {
      delete node.cfnOptions.metadata.cdk_nag;
    }
  }
}

/** Resources of a type in a template, as [logicalId, properties] pairs. */
export function resourcesOfType(template: Template, type: string): [string, Record<string, unknown>][] {
  return Object.entries(template.findResources(type)).map(([id, r]) => [id, (r as { Properties?: Record<string, unknown> }).Properties ?? {}]);
}

/**
 * Renders a CloudFormation value made of strings, Fn::Join, Ref, Fn::GetAtt and Fn::ImportValue as
 * text, with references shown as `{Ref:LogicalId}` / `{GetAtt:LogicalId.Attr}` / `{Import:ExportName}`.
 */
export function renderIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `{Ref:${String(v.Ref)}}`;
    if ('Fn::GetAtt' in v) return `{GetAtt:${(v['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::ImportValue' in v) return `{Import:${renderIntrinsic(v['Fn::ImportValue'])}}`;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(renderIntrinsic).join(sep);
    }
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** {@link renderIntrinsic} of a value of an operation stack, each import shown as the main stack's value it imports. */
export function renderImported(built: Built, value: unknown): string {
  const exports = new Map(
    (Object.values(built.template.findOutputs('*')) as { Value: unknown; Export?: { Name: string } }[]).flatMap((o) => (o.Export ? [[o.Export.Name, renderIntrinsic(o.Value)] as const] : [])),
  );
  return renderIntrinsic(value).replace(/\{Import:([^}]+)\}/g, (_, name: string) => {
    const exported = exports.get(name);
    if (exported === undefined) throw new Error(`the main stack exports no ${name}`);
    return exported;
  });
}

/** The environment of the collector function in the stack of operation `server`. */
export function functionEnvironment(built: Built, server: string): Record<string, unknown> {
  const [[, fn] = ['', {}]] = resourcesOfType(built.operationTemplate(server), 'AWS::Lambda::Function');
  return (fn.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Logical id of a construct's CloudFormation resource (its default child). */
export function logicalId(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : (construct.node.defaultChild as CfnElement);
  return Stack.of(construct).getLogicalId(element);
}

export interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}

export interface TableView {
  serde: string;
  columns: GlueColumn[];
  partitionKeys: GlueColumn[];
  params: Record<string, string>;
  location: string;
}

/** The table as Athena sees it, from the template, with references rendered as {Ref:Id}. */
export function tableFromTemplate(built: Built, name: string): TableView {
  const found = resourcesOfType(built.template, 'AWS::Glue::Table').find(([, p]) => (p.TableInput as { Name: string }).Name === name);
  if (!found) throw new Error(`no Glue table ${name}`);
  const input = found[1].TableInput as {
    Parameters: Record<string, unknown>;
    PartitionKeys: GlueColumn[];
    StorageDescriptor: { Columns: GlueColumn[]; Location: unknown; SerdeInfo: { SerializationLibrary: string } };
  };
  return {
    serde: input.StorageDescriptor.SerdeInfo.SerializationLibrary,
    columns: input.StorageDescriptor.Columns,
    partitionKeys: input.PartitionKeys,
    params: Object.fromEntries(Object.entries(input.Parameters).map(([k, v]) => [k, renderIntrinsic(v)])),
    location: renderIntrinsic(input.StorageDescriptor.Location),
  };
}

