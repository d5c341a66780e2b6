import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS } from '../../infra/config.ts';
import { type Acknowledgement, acknowledgements, type BuildOptions, buildStack, type Finding, nagFindingsOf, stripAcknowledgements } from './helpers.ts';

const RICH_CONTEXT = {
  [CONTEXT_KEYS.operations]: [
    { server: '0032', mainStack: true },
    { server: '0045', timezone: 'America/Mexico_City', tokenSecretName: 'wolkvox/0045/token', settleMinutes: 2 },
    { server: 'ops-7' },
  ],
  [CONTEXT_KEYS.alarmEmail]: 'ops@example.com',
  [CONTEXT_KEYS.prefix]: 'data/wolkvox',
};

function describeFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.level} ${f.rule}${f.findingId ? `[${f.findingId}]` : ''} at ${f.path}`).join('\n');
}

function regexOf(entry: string | { regex: string }): RegExp | undefined {
  if (typeof entry === 'string') return undefined;
  const m = /^\/(.*)\/([a-z]*)$/.exec(entry.regex);
  return m ? new RegExp(m[1] ?? '', (m[2] ?? '').replace('g', '')) : undefined;
}

function covers(ack: Acknowledgement, finding: Finding): boolean {
  if (ack.rule !== finding.rule || ack.path !== finding.path) return false;
  if (ack.appliesTo === undefined) return true;
  return ack.appliesTo.some((a) => (typeof a === 'string' ? a === finding.findingId : (regexOf(a)?.test(finding.findingId ?? '') ?? false)));
}

/** The findings in every stack of the deployment built with `options`. */
function findings(options: BuildOptions): Finding[] {
  return buildStack({ ...options, nag: true }).app.synth().stacks.flatMap(nagFindingsOf);
}

describe('Compliance: cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged error or warning when the default context is synthesized', () => {
    // Act
    const found = findings({});

    // Assess
    expect(found, describeFindings(found)).toEqual([]);
  });

  it('reports no unacknowledged finding in any stack when operations in the main stack and in their own, an imported secret and an e-mail are configured', () => {
    // Act
    const found = findings({ context: RICH_CONTEXT });

    // Assess
    expect(found, describeFindings(found)).toEqual([]);
  });

  it('gives every acknowledgement a specific reason when one is recorded', () => {
    // Act
    const acks = acknowledgements(buildStack({ context: RICH_CONTEXT }).app);

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.rule, ack.path).toMatch(/^AwsSolutions-[A-Z]+\d+$/);
      expect(ack.reason.length, `${ack.rule} at ${ack.path}`).toBeGreaterThanOrEqual(60);
    }
  });

  it('raises the acknowledged finding for every acknowledgement when the acknowledgements are removed', () => {
    // Prepare
    const acks = acknowledgements(buildStack({ context: RICH_CONTEXT }).app);

    // Act
    const found = findings({ context: RICH_CONTEXT, beforeSynth: (main) => stripAcknowledgements(main.node.root) });

    // Assess: each acknowledgement (and each of its appliesTo entries) silences a real finding,
    // and nothing else is found, so none of them is stale or broader than needed.
    for (const ack of acks) {
      const hit = found.filter((f) => covers(ack, f));
      expect(hit.length, `${ack.rule} at ${ack.path} suppresses nothing`).toBeGreaterThan(0);
      for (const entry of ack.appliesTo ?? []) {
        const one = { ...ack, appliesTo: [entry] };
        expect(found.some((f) => covers(one, f)), `${ack.rule} appliesTo ${JSON.stringify(entry)} at ${ack.path} matches nothing`).toBe(true);
      }
    }
    const uncovered = found.filter((f) => !acks.some((a) => covers(a, f)));
    expect(uncovered, describeFindings(uncovered)).toEqual([]);
    expect(new Set(found.map((f) => f.rule))).toEqual(new Set(['AwsSolutions-IAM5', 'AwsSolutions-SMG4', 'AwsSolutions-SQS3']));
    // The operation stacks' own acknowledgements are proven too, not only the main stack's.
    expect(found.some((f) => f.path.startsWith('/WolkvoxCdr4Collector-ops-7/'))).toBe(true);
  });
});
