/**
 * The operator's documents against the code: a new operator must find every setting, every
 * stack output and every command of the way from `npm ci` to a row in Athena and back to an
 * empty account, and the queries they copy must be the ones saved in the workgroup.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { namedQueries } from '../../infra/queries.ts';
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

  it('documents every stack output, per-operation ones as <Name><server>, when the stack is synthesized', () => {
    // Prepare
    const outputs = Object.keys(built.template.findOutputs('*'));
    expect(outputs.length).toBeGreaterThan(10);

    // Assess
    for (const id of outputs) {
      const perOperation = /^(.*?)(0032|ops7)$/.exec(id);
      const documented = perOperation ? `\`${perOperation[1]}<server>\`` : `\`${id}\``;
      expect(infraDoc, id).toContain(documented);
    }
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
