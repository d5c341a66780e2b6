/**
 * The synthesized stacks of a deployment as they would be after deployment to one fixed account
 * and region: every Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split and Fn::ImportValue replaced
 * by the concrete value CloudFormation would produce for the resource type (names derived from
 * the stack name and logical id, so two stacks' resources of one logical id stay distinct).
 * Policies become plain IAM JSON that a policy simulator can evaluate. A resource is named by
 * `{stackName}/{logicalId}` (see {@link qualifiedId}).
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { logicalId } from './helpers.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Output = { Value: unknown; Export?: { Name: string } };
type StackTemplate = { Resources: Record<string, Resource>; Outputs?: Record<string, Output> };

/** How a resource of a deployment is named here: its stack's name and its logical id. */
export function qualifiedId(construct: IConstruct): string {
  return `${Stack.of(construct).stackName}/${logicalId(construct)}`;
}

/** One stack being resolved: its name, resources and the exports of the stacks resolved before it. */
interface Scope {
  readonly stackName: string;
  readonly resources: Record<string, Resource>;
  readonly outputs: Record<string, Output>;
  readonly imports: ReadonlyMap<string, unknown>;
}

/** Physical name of a resource: stack name and logical id, in lower case (valid as bucket, queue, function name). */
function physicalName(scope: Scope, logicalId: string): string {
  return `${scope.stackName}-${logicalId}`.toLowerCase();
}

function refOf(logicalId: string, scope: Scope): string {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': REGION,
    'AWS::Partition': PARTITION,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': scope.stackName,
  };
  const p = pseudo[logicalId];
  if (p !== undefined) return p;
  const r = scope.resources[logicalId];
  if (!r) throw new Error(`Ref to unknown ${logicalId} in ${scope.stackName}`);
  const name = physicalName(scope, logicalId);
  switch (r.Type) {
    case 'AWS::SNS::Topic':
      return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${name}`;
    case 'AWS::SQS::Queue':
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
    default:
      return name;
  }
}

function getAtt(logicalId: string, attribute: string, scope: Scope): string {
  const r = scope.resources[logicalId];
  if (!r) throw new Error(`GetAtt of unknown ${logicalId} in ${scope.stackName}`);
  const name = physicalName(scope, logicalId);
  const arn: Record<string, string> = {
    'AWS::S3::Bucket': `arn:${PARTITION}:s3:::${name}`,
    'AWS::SQS::Queue': `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${name}`,
    'AWS::Logs::LogGroup': `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
    'AWS::Lambda::Function': `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    'AWS::IAM::Role': `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`,
    'AWS::Events::Rule': `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/${name}`,
    'AWS::CloudWatch::Alarm': `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
    'AWS::Scheduler::ScheduleGroup': `arn:${PARTITION}:scheduler:${REGION}:${ACCOUNT}:schedule-group/${name}`,
  };
  if (attribute === 'Arn' && arn[r.Type] !== undefined) return arn[r.Type]!;
  if (attribute === 'QueueName' && r.Type === 'AWS::SQS::Queue') return name;
  throw new Error(`no value for ${logicalId}.${attribute} (${r.Type})`);
}

/** Resolves every intrinsic in `value` (recursively). */
function resolve(value: unknown, scope: Scope): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope));
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = v[key];
    switch (key) {
      case 'Ref':
        return refOf(String(arg), scope);
      case 'Fn::GetAtt': {
        const [id, attr] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
        return getAtt(id, attr, scope);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return parts.map((p) => String(resolve(p, scope))).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number | string, unknown];
        return (resolve(list, scope) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(resolve(text, scope)).split(sep);
      }
      case 'Fn::ImportValue': {
        const name = String(resolve(arg, scope));
        if (!scope.imports.has(name)) throw new Error(`${scope.stackName} imports ${name}, which no stack resolved before it exports`);
        return scope.imports.get(name);
      }
      default:
        if (key.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${key}`);
    }
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, scope)]));
}

export interface ResolvedTemplate {
  /** Resolved properties of the resource named `{stackName}/{logicalId}`. */
  props(id: string): Record<string, unknown>;
  /** Resolved properties of every resource of a type, by `{stackName}/{logicalId}`. */
  ofType(type: string): [string, Record<string, unknown>][];
  ref(id: string): string;
  arn(id: string): string;
  /** Resolved value of the output named `{stackName}/{outputName}`. */
  output(id: string): unknown;
}

/**
 * Resolves the stacks of a deployment in order: each may import what the stacks before it
 * export (the main stack first, then the operation stacks).
 */
export function resolveDeployment(stacks: readonly Stack[]): ResolvedTemplate {
  const imports = new Map<string, unknown>();
  const scopes = new Map<string, Scope>();
  for (const stack of stacks) {
    const template = Template.fromStack(stack).toJSON() as StackTemplate;
    const scope: Scope = { stackName: stack.stackName, resources: template.Resources, outputs: template.Outputs ?? {}, imports };
    scopes.set(stack.stackName, scope);
    for (const output of Object.values(template.Outputs ?? {})) {
      if (output.Export) imports.set(output.Export.Name, resolve(output.Value, scope));
    }
  }
  const at = (id: string): [Scope, string] => {
    const slash = id.indexOf('/');
    const scope = scopes.get(id.slice(0, slash));
    if (!scope) throw new Error(`no stack for ${id}`);
    return [scope, id.slice(slash + 1)];
  };
  return {
    props: (id) => {
      const [scope, logical] = at(id);
      return resolve(scope.resources[logical]?.Properties ?? {}, scope) as Record<string, unknown>;
    },
    ofType: (type) =>
      [...scopes.values()].flatMap((scope) =>
        Object.entries(scope.resources)
          .filter(([, r]) => r.Type === type)
          .map(([logical, r]) => [`${scope.stackName}/${logical}`, resolve(r.Properties ?? {}, scope) as Record<string, unknown>] as [string, Record<string, unknown>]),
      ),
    ref: (id) => {
      const [scope, logical] = at(id);
      return refOf(logical, scope);
    },
    arn: (id) => {
      const [scope, logical] = at(id);
      return getAtt(logical, 'Arn', scope);
    },
    output: (id) => {
      const [scope, name] = at(id);
      const output = scope.outputs[name];
      if (!output) throw new Error(`no output ${id}`);
      return resolve(output.Value, scope);
    },
  };
}
