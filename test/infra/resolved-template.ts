/**
 * The synthesized template as it would be after deployment to one fixed account and region:
 * every Ref, Fn::GetAtt, Fn::Join, Fn::Select and Fn::Split replaced by the concrete value
 * CloudFormation would produce for the resource type (names derived from logical ids). Policies
 * become plain IAM JSON that a policy simulator can evaluate.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** Physical name of a resource: its logical id in lower case (valid as bucket, queue, function name). */
function physicalName(logicalId: string): string {
  return logicalId.toLowerCase();
}

function refOf(logicalId: string, resources: Record<string, Resource>): string {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': REGION,
    'AWS::Partition': PARTITION,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'WolkvoxCdr4Collector',
  };
  const p = pseudo[logicalId];
  if (p !== undefined) return p;
  const r = resources[logicalId];
  if (!r) throw new Error(`Ref to unknown ${logicalId}`);
  const name = physicalName(logicalId);
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

function getAtt(logicalId: string, attribute: string, resources: Record<string, Resource>): string {
  const r = resources[logicalId];
  if (!r) throw new Error(`GetAtt of unknown ${logicalId}`);
  const name = physicalName(logicalId);
  const arn: Record<string, string> = {
    'AWS::S3::Bucket': `arn:${PARTITION}:s3:::${name}`,
    'AWS::SQS::Queue': `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${name}`,
    'AWS::Logs::LogGroup': `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`,
    'AWS::Lambda::Function': `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    'AWS::IAM::Role': `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`,
    'AWS::Events::Rule': `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/${name}`,
    'AWS::CloudWatch::Alarm': `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
  };
  if (attribute === 'Arn' && arn[r.Type] !== undefined) return arn[r.Type]!;
  if (attribute === 'QueueName' && r.Type === 'AWS::SQS::Queue') return name;
  throw new Error(`no value for ${logicalId}.${attribute} (${r.Type})`);
}

/** Resolves every intrinsic in `value` (recursively). */
export function resolve(value: unknown, resources: Record<string, Resource>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, resources));
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = v[key];
    switch (key) {
      case 'Ref':
        return refOf(String(arg), resources);
      case 'Fn::GetAtt': {
        const [id, attr] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
        return getAtt(id, attr, resources);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return parts.map((p) => String(resolve(p, resources))).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number | string, unknown];
        return (resolve(list, resources) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(resolve(text, resources)).split(sep);
      }
      default:
        if (key.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${key}`);
    }
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, resources)]));
}

export interface ResolvedTemplate {
  readonly resources: Record<string, Resource>;
  /** Resolved properties of the one resource with this logical id. */
  props(logicalId: string): Record<string, unknown>;
  /** Resolved properties of every resource of a type, by logical id. */
  ofType(type: string): [string, Record<string, unknown>][];
  ref(logicalId: string): string;
  arn(logicalId: string): string;
}

export function resolveTemplate(template: Template): ResolvedTemplate {
  const resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
  return {
    resources,
    props: (id) => resolve(resources[id]?.Properties ?? {}, resources) as Record<string, unknown>,
    ofType: (type) =>
      Object.entries(resources)
        .filter(([, r]) => r.Type === type)
        .map(([id, r]) => [id, resolve(r.Properties ?? {}, resources) as Record<string, unknown>]),
    ref: (id) => refOf(id, resources),
    arn: (id) => getAtt(id, 'Arn', resources),
  };
}
