import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { type Built, buildStack, logicalId, renderIntrinsic } from './helpers.ts';

/** An output of the main stack, or of an operation stack for a per-operation one. */
function output(b: Built, name: string): string {
  const templates = [b.template, ...b.operationStacks.map((s) => b.operationTemplate(s.operation.server))];
  const o = templates.map((t) => t.findOutputs(name)[name] as { Value: unknown } | undefined).find((x) => x !== undefined);
  if (!o) throw new Error(`no output ${name} (have ${templates.flatMap((t) => Object.keys(t.findOutputs('*'))).join(', ')})`);
  return renderIntrinsic(o.Value);
}

/** The export an operation stack imports for a value of the main stack. */
function importOf(b: Built, value: string): string {
  const outputs = Object.values(b.template.findOutputs('*')) as { Value: unknown; Export?: { Name: string } }[];
  const exported = outputs.find((o) => o.Export !== undefined && renderIntrinsic(o.Value) === value);
  if (!exported?.Export) throw new Error(`the main stack exports no ${value}`);
  return `{Import:${exported.Export.Name}}`;
}

describe('Stack: CollectorStack', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack({
      context: {
        [CONTEXT_KEYS.operations]: [{ server: '0032' }, { server: 'ops-7', tokenSecretName: 'wolkvox/ops-7' }],
        [CONTEXT_KEYS.alarmEmail]: 'ops@example.com',
      },
    });
  });

  it('outputs the bucket, workgroup, database and topic when synthesized', () => {
    // Assess
    const p = built.stack.pipeline;
    expect(output(built, 'DataBucketName')).toBe(`{Ref:${logicalId(p.bucket)}}`);
    expect(output(built, 'AthenaWorkGroup')).toBe('WolkvoxCdr4Collector');
    expect(output(built, 'GlueDatabase')).toBe('wolkvox');
    expect(output(built, 'AlarmTopicArn')).toBe(`{Ref:${logicalId(p.alarms.topic)}}`);
  });

  it('outputs the put-secret-value command of each operation in its stack when secrets are created or imported', () => {
    // Assess
    const created = built.operationStack('0032').collector.secret;
    expect(output(built, 'PutSecretValueCommand0032')).toBe(
      `printf '%s' "$WOLKVOX_TOKEN" | aws secretsmanager put-secret-value --region {Ref:AWS::Region} --secret-id {Ref:${logicalId(created)}} --secret-string file:///dev/stdin`,
    );
    expect(output(built, 'PutSecretValueCommandops7')).toBe(
      `printf '%s' "$WOLKVOX_TOKEN" | aws secretsmanager put-secret-value --region {Ref:AWS::Region} --secret-id wolkvox/ops-7 --secret-string file:///dev/stdin`,
    );
    expect(output(built, 'TokenSecret0032')).toBe(`{Ref:${logicalId(created)}}`);
    expect(output(built, 'TokenSecretops7')).toBe('arn:{Ref:AWS::Partition}:secretsmanager:{Ref:AWS::Region}:{Ref:AWS::AccountId}:secret:wolkvox/ops-7');
    expect(Object.keys(built.operationTemplate('ops-7').findOutputs('*')).sort()).toEqual([
      'BackfillCommandops7',
      'CollectorFunctionops7',
      'PutSecretValueCommandops7',
      'TailLogsCommandops7',
      'TokenSecretPolicyCommandops7',
      'TokenSecretops7',
    ]);
    expect(Object.keys(built.operationTemplate('0032').findOutputs('*'))).not.toContain('TokenSecretPolicyCommand0032');
  });

  it('outputs the resource policy command of an imported secret, naming its collector role, when synthesized', () => {
    // Assess
    const role = built.operationStack('ops-7').collector.role;
    const command = output(built, 'TokenSecretPolicyCommandops7');
    expect(command).toMatch(/^aws secretsmanager put-resource-policy --region \{Ref:AWS::Region\} --secret-id wolkvox\/ops-7 --block-public-policy --resource-policy '\{.*\}'$/);
    expect(command).toContain(`{GetAtt:${logicalId(role)}.Arn}`);
    expect(command).toContain('"Effect":"Deny"');
    expect(command).toContain('"Action":"secretsmanager:GetSecretValue"');
  });

  it.skipIf(spawnSync('bash', ['-c', 'command -v cat']).status !== 0)(
    'outputs a put-secret-value command that hands the token to the AWS CLI on standard input, in no process argument, when run in a shell',
    () => {
      // Prepare: a stand-in `aws` (a shell function: a program written to disk and run at once can
      // meet ETXTBSY when another worker forks meanwhile, and the real aws on PATH answered instead)
      // that records its arguments and what it reads.
      const dir = mkdtempSync(join(tmpdir(), 'put-token-'));
      const fake = `aws() { printf '%s\\n' "$@" > '${dir}/argv'; cat > '${dir}/stdin'; }`;
      const token = 'tok-ON-STDIN-8c7b6a5d';
      const command = output(built, 'PutSecretValueCommand0032').replace(/\{Ref:[^}]+\}/g, 'X');

      // Act
      const run = spawnSync('bash', ['-c', `${fake}\n${command}`], { encoding: 'utf8', env: { ...process.env, WOLKVOX_TOKEN: token } });

      // Assess
      expect(run.status, run.stderr).toBe(0);
      const argv = readFileSync(join(dir, 'argv'), 'utf8').split('\n');
      expect(argv).toContain('file:///dev/stdin');
      expect(argv.join(' ')).not.toContain(token);
      expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe(token);
      // printf is bash's builtin: no process of its own, so no argument list to show in ps.
      expect(spawnSync('bash', ['-c', 'type -t printf'], { encoding: 'utf8' }).stdout.trim()).toBe('builtin');
      rmSync(dir, { recursive: true, force: true });
    },
  );

  it('outputs the three retained buckets when synthesized, for teardown', () => {
    // Assess
    const p = built.stack.pipeline;
    expect(output(built, 'AccessLogsBucketName')).toBe(`{Ref:${logicalId(p.dataBucket.accessLogsBucket)}}`);
    expect(output(built, 'AthenaResultsBucketName')).toBe(`{Ref:${logicalId(p.athena.resultsBucket)}}`);
  });

  it('outputs the shared log group and a tail command of all and of each operation when synthesized', () => {
    // Assess
    const logGroup = `{Ref:${logicalId(built.stack.pipeline.logGroup)}}`;
    expect(output(built, 'CollectorLogGroup')).toBe(logGroup);
    expect(output(built, 'TailLogsCommand')).toBe(`aws logs tail ${logGroup} --region {Ref:AWS::Region} --since 1h --follow --format short`);
    expect(output(built, 'TailLogsCommandops7')).toBe(
      `aws logs tail ${importOf(built, logGroup)} --region {Ref:AWS::Region} --since 1h --follow --format short --filter-pattern '{ $.operation = "ops-7" }'`,
    );
  });

  it('outputs the dead-letter queue URLs and the dashboard address when synthesized', () => {
    // Assess
    const p = built.stack.pipeline;
    expect(output(built, 'ScheduleDeadLetterQueueUrl')).toBe(`{Ref:${logicalId(p.scheduleDeadLetterQueue.queue)}}`);
    expect(output(built, 'CollectorFailureQueueUrl')).toBe(`{Ref:${logicalId(p.failureQueue.queue)}}`);
    expect(output(built, 'DashboardUrl')).toBe(
      `https://{Ref:AWS::Region}.console.aws.amazon.com/cloudwatch/home?region={Ref:AWS::Region}#dashboards/dashboard/{Ref:${logicalId(p.dashboard!.dashboard)}}`,
    );
  });

  it.skipIf(spawnSync('bash', ['-c', 'command -v date && command -v sed']).status !== 0)(
    'outputs a backfill command whose payload runs from the first day to the last 5-minute boundary of the operation clock when run in a shell',
    () => {
      // Prepare: a stand-in `aws` that prints the payload it was given.
      const command = output(built, 'BackfillCommand0032');
      const fake = 'aws() { while [ $# -gt 0 ]; do if [ "$1" = --payload ]; then printf %s "$2"; fi; shift; done; }';

      // Act
      const run = spawnSync('bash', ['-c', `${fake}
${command.replace(/\{Ref:[^}]+\}/g, 'X')}`], { encoding: 'utf8' });

      // Assess
      expect(command).toMatch(/^aws lambda invoke --region \{Ref:AWS::Region\} --function-name \{Ref:[A-Za-z0-9]+\} --invocation-type Event --cli-binary-format raw-in-base64-out --payload "/);
      expect(run.status, run.stderr).toBe(0);
      const payload = JSON.parse(run.stdout) as { backfill: { from: string; to: string } };
      expect(payload.backfill.from).toBe('2026-10-01 00:00');
      const wall = new Intl.DateTimeFormat('sv-SE', { timeZone: 'America/Bogota', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      const boundary = (ms: number) => wall.format(new Date(Math.floor(ms / 300_000) * 300_000));
      expect([boundary(Date.now()), boundary(Date.now() - 300_000)]).toContain(payload.backfill.to);
    },
  );

  it('outputs the consumer event pattern of day objects when synthesized', () => {
    // Act
    const pattern = JSON.parse(output(built, 'DayWrittenEventPattern').replace(/\{Ref:([A-Za-z0-9]+)\}/, '$1')) as unknown;

    // Assess
    expect(pattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [logicalId(built.stack.pipeline.bucket)] }, object: { key: [{ prefix: 'wolkvox/cdr_4_daily/' }] } },
    });
  });

  it('outputs the consumer event pattern of verified days when synthesized', () => {
    // Act
    const pattern = JSON.parse(output(built, 'DayVerifiedEventPattern').replace(/\{Ref:([A-Za-z0-9]+)\}/, '$1')) as unknown;

    // Assess
    expect(pattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [logicalId(built.stack.pipeline.bucket)] }, object: { key: [{ wildcard: 'wolkvox/cdr_4_verifications/operation=*/dt=*/verified-*' }] } },
    });
  });

  it('outputs an example query against the first operation when synthesized', () => {
    // Assess
    expect(output(built, 'ExampleQuery')).toMatch(/^SELECT .* FROM "wolkvox"\."cdr_4" WHERE operation = '0032' AND dt >= /);
  });

  it('outputs the consumer event pattern in EventBridge JSON when synthesized', () => {
    // Act
    const pattern = JSON.parse(output(built, 'WindowCollectedEventPattern').replace(/\{Ref:([A-Za-z0-9]+)\}/, '$1')) as unknown;

    // Assess
    expect(pattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [logicalId(built.stack.pipeline.bucket)] }, object: { key: [{ prefix: 'wolkvox/cdr_4/' }] } },
    });
  });

  it('passes the built-in CloudFormation validation of aws-cdk-lib when synthesized', () => {
    // Act
    const b = buildStack({ validate: true });
    const assembly = b.app.synth();

    // Assess
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { summary?: { status?: string }; violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    expect(report.pluginReports.every((r) => r.summary?.status !== 'failure')).toBe(true);
  });

  it('fails with the field name when the context is invalid', () => {
    // Act
    const act = () => buildStack({ context: { [CONTEXT_KEYS.operations]: [{ server: '0032', timezone: 'Nowhere/City' }] } });

    // Assess
    expect(act).toThrow(/wolkvox:operations\[0\]\.timezone: must be an IANA time zone/);
  });
});
