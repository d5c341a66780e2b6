/**
 * The operator's documents against the code: a new operator must find every setting, every
 * stack output and every command of the way from `npm ci` to a row in Athena and back to an
 * empty account, and the queries they copy must be the ones saved in the workgroup.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { namedQueries } from '../../infra/queries.ts';
import { MAX_BACKFILL_DAYS, MAX_QUEUED_BACKFILLS } from '../../lambda/runtime/lambda-event.ts';
import { type Built, buildStack } from './helpers.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const infraDoc = read('docs/infrastructure.md');
const readme = read('README.md');
const pkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };

/** The README from "## Deploying to AWS" to the next top-level section. */
const deploySection = readme.slice(readme.indexOf('## Deploying to AWS'), readme.indexOf('## Cost per operation-month'));

describe('Document: operator documentation', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack({ context: { [CONTEXT_KEYS.operations]: [{ server: '0032' }, { server: 'ops-7', tokenSecretName: 'wolkvox/ops-7' }] } });
  });

  it.each(Object.values(CONTEXT_KEYS))('documents the context key %s in the configuration table', (key) => {
    // Assess
    expect(infraDoc).toContain(`| \`${key}\` |`);
  });

  it('documents every output of every stack, per-operation ones as <Name><server>, when the stacks are synthesized', () => {
    // Prepare
    const templates = [built.template, ...built.operationStacks.map((s) => built.operationTemplate(s.operation.server))];
    const outputs = templates.flatMap((t) => Object.keys(t.findOutputs('*')));
    expect(outputs.length).toBeGreaterThan(20);

    // Assess
    for (const id of outputs) {
      const perOperation = /^(.*?)(0032|ops7)$/.exec(id);
      const documented = id.startsWith('ExportsOutput') ? '`ExportsOutput…`' : perOperation ? `\`${perOperation[1]}<server>\`` : `\`${id}\``;
      expect(infraDoc, id).toContain(documented);
    }
  });

  it('tells how to add, remove and upgrade operations, and that the rule placing them moves none', () => {
    // Assess
    const section = infraDoc.slice(infraDoc.indexOf('## Many operations: stacks and quotas'), infraDoc.indexOf('## Troubleshooting'));
    for (const text of ['### Adding an operation', 'npx cdk deploy --all', '### Removing an operation', 'npx cdk destroy WolkvoxCdr4Collector-0050', '### Upgrading a deployment made before operation stacks', '"mainStack": true', 'npx cdk diff']) {
      expect(section, text).toContain(text);
    }
    for (const text of ['npx cdk deploy --all', '"mainStack": true', 'npx cdk destroy WolkvoxCdr4Collector-<server>']) expect(deploySection, text).toContain(text);
  });

  it('tells which quota bites at which number of operations, how to check it before a deploy and how to raise it', () => {
    // Assess
    const quotas = infraDoc.slice(infraDoc.indexOf('### Quotas, by the number of operations'), infraDoc.indexOf('## Troubleshooting'));
    const rows = ['Lambda concurrent executions', 'IAM roles', 'CloudFormation stacks', 'Metrics Insights alarms', 'EventBridge Scheduler', 'EventBridge rules per event bus'];
    for (const row of rows) expect(quotas, row).toMatch(new RegExp(`^\\| ${row}[^\\n]*\\| \`aws [^\\n]*\\|[^\\n]*\\|$`, 'm'));
    expect(quotas).toContain('**900 operations**');
    expect(quotas).toContain('aws iam get-account-summary');
  });

  it('quotes the cost of 1 and of 100 operations as npm run bench last computed it, in the README and this document', () => {
    // Prepare: the generated table's totals and fixed parts.
    const table = readme.slice(readme.indexOf('<!-- cost:begin'), readme.indexOf('<!-- cost:end -->'));
    const figures = (row: RegExp) => [...(row.exec(table)?.[1]?.matchAll(/([\d.]+)/g) ?? [])].map((m) => m[1]!);
    const [one, hundred] = figures(/^\| \*\*total\*\* \| \|(.*)\|$/m);
    const [fixedOne, fixedHundred] = figures(/^\| fixed part[^|]* \| \|(.*)\|$/m);

    // Assess
    expect(one).toBeDefined();
    expect(deploySection).toContain(`**$${one} a month for one operation**, **$${hundred} per operation in a deployment of\n100**`);
    expect(infraDoc).toContain(`| total per operation-month (without the dashboard) | $${one} | $${hundred} |`);
    expect(infraDoc).toContain(`| fixed part per operation-month (secret, alarms, rule, dashboard) | $${fixedOne} | $${fixedHundred} |`);
  });

  it('shows the verified-day event pattern as the stack renders it, in the README and this document', () => {
    // Prepare: the pattern with the bucket reference spelled as the documents spell it.
    const bucket = JSON.stringify(built.stack.resolve(built.stack.pipeline.bucket.bucketName));
    const rendered = JSON.parse(JSON.stringify(built.stack.resolve(built.stack.pipeline.dayVerifiedEventBridgePattern())).replace(bucket, '"<DataBucketName>"')) as unknown;

    // Act
    const shown = (doc: string) => [...doc.matchAll(/^```json\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '').filter((b) => b.includes('cdr_4_verifications')).map((b) => JSON.parse(b) as unknown);

    // Assess
    for (const doc of [readme, infraDoc]) expect(shown(doc)).toEqual([rendered]);
  });

  it('quotes every saved query verbatim when it lists them', () => {
    // Assess
    for (const q of namedQueries('wolkvox', [{ server: '0032', timezone: 'America/Bogota' }])) expect(infraDoc, q.id).toContain(q.sql);
  });

  it('tells how to check and raise the Lambda concurrency quota and quotes the deploy error when reserved concurrency cannot be granted', () => {
    // Assess
    for (const doc of [infraDoc, deploySection]) {
      expect(doc).toContain('aws lambda get-account-settings');
      expect(doc).toContain("decreases account's UnreservedConcurrentExecution below its minimum value");
    }
    expect(infraDoc).toContain('aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384');
  });

  it('tells how to read and purge the dead-letter queues when their alarms fire', () => {
    // Assess
    expect(infraDoc).toContain('aws sqs receive-message');
    expect(infraDoc).toContain('aws sqs purge-queue');
  });

  it('walks from the deploy to the first runs, the history and a row in Athena when read in order', () => {
    // Assess: each step's command or output, in this order.
    const walkthrough = infraDoc.slice(infraDoc.indexOf('## From `npm ci` to a row in Athena'), infraDoc.indexOf('## Troubleshooting'));
    const steps = ['aws lambda get-account-settings', 'npx cdk deploy', 'PutSecretValueCommand<server>', 'TailLogsCommand', 'BackfillCommand', 'aws athena start-query-execution', 'aws athena get-query-results'];
    const at = steps.map((s) => walkthrough.indexOf(s));
    expect(at.every((i) => i >= 0), JSON.stringify(Object.fromEntries(steps.map((s, i) => [s, at[i]])))).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('states the bounds of a backfill request as the function holds them, in the README and this document', () => {
    // Assess: the longest span and the queue, as lambda-event.ts has them, and the first day the stack passes.
    for (const doc of [readme, infraDoc]) {
      expect(doc).toMatch(new RegExp(`at most \\**${MAX_BACKFILL_DAYS} days\\**[^.]*\\(\`MAX_BACKFILL_DAYS\``));
      expect(doc).toMatch(new RegExp(`at most \\**${MAX_QUEUED_BACKFILLS} jobs\\** queued at once[^.]*\\(\`MAX_QUEUED_BACKFILLS\``));
      expect(doc).toContain('`FIRST_DAY`');
      expect(doc).toContain('`BackfillRefusedError`');
    }
  });

  it('tells how to empty and delete every retained bucket when going back to an empty account', () => {
    // Assess
    for (const text of ['npx cdk destroy', 'list-object-versions', 'delete-objects', 'delete-bucket', 'DataBucketName', 'AthenaResultsBucketName', 'AccessLogsBucketName']) {
      expect(infraDoc, text).toContain(text);
    }
  });

  it('states the Node.js that npm scripts run on when the quick start is read', () => {
    // Assess
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Against the real API'));
    expect(quickStart).toContain(`Node.js ${pkg.devDependencies.node}`);
    expect(quickStart).not.toMatch(/Node\.js 20\.19 or later/);
  });
});
