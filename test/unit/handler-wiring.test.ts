import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.ts';

const TOKEN = 'tok-WIRING-5d4c3b2a19';

describe('Function: handler (module wiring)', () => {
  const s3 = mockClient(S3Client);
  const secrets = mockClient(SecretsManagerClient);
  let sim: Simulator;
  const saved = { ...process.env };

  beforeAll(async () => {
    sim = await startSimulator({ token: TOKEN, server: '0032' });
  });
  afterAll(async () => {
    process.env = saved;
    await sim.close();
  });

  it('reads its environment once and writes the latest due window to the configured bucket when invoked', async () => {
    // Prepare
    Object.assign(process.env, {
      WOLKVOX_SERVER: '0032',
      WOLKVOX_TOKEN_SECRET_ID: 'wolkvox/0032',
      WOLKVOX_BASE_URL: sim.origin,
      BUCKET_NAME: 'data-bucket',
      DATA_PREFIX: 'lake',
      FIRST_DAY: '2020-01-01',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
    s3.on(PutObjectCommand).resolves({});
    secrets.on(GetSecretValueCommand).resolves({ SecretString: TOKEN });
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const logs = vi.spyOn(console, 'info').mockImplementation(() => {});
    const emf = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.resetModules();

    // Act
    const { handler } = await import('../../lambda/handler.ts');
    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, { getRemainingTimeInMillis: () => 60_000 });
    const printed = [...stdout.mock.calls, ...logs.mock.calls, ...emf.mock.calls].map((c) => String(c[0])).join('\n');
    const emfLines = emf.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('CloudWatchMetrics'));
    const infoLines = logs.mock.calls.map((c) => String(c[0]));
    stdout.mockRestore();
    logs.mockRestore();
    emf.mockRestore();

    // Assess
    expect(result.windowsCollected).toBe(1);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.every((p) => p.Bucket === 'data-bucket')).toBe(true);
    expect([...new Set(puts.map((p) => p.Key!.split('/').slice(0, 2).join('/')))].sort()).toEqual(['lake/_state', 'lake/cdr_4', 'lake/cdr_4_fetches', 'lake/cdr_4_verifications']);
    // The run took the operation's lease with a create-if-absent before its first API call.
    expect(puts.find((p) => p.Key!.endsWith('/lease.json'))?.IfNoneMatch).toBe('*');
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input.SecretId).toBe('wolkvox/0032');
    expect(printed).not.toContain(TOKEN);
    // Only what an alarm reads is a metric, and only when raised: a run that caught up sends none;
    // its figures are fields of one log line that names the operation.
    expect(emfLines).toEqual([]);
    const figures = infoLines.map((l) => JSON.parse(l)).filter((l) => l.message === 'run figures');
    expect(figures).toHaveLength(1);
    // The window, token_info and the new store's look back over the month before it.
    expect(figures[0]).toMatchObject({ operation: '0032', windows_collected: 1, api_calls: 3, windows_behind: 0 });
    // Where the token goes, once per cold start, before the first call.
    const origins = infoLines.map((l) => JSON.parse(l)).filter((l) => l.message === 'Wolkvox API origin');
    expect(origins).toEqual([expect.objectContaining({ operation: '0032', origin: sim.origin })]);
    expect(infoLines.findIndex((l) => l.includes('Wolkvox API origin'))).toBeLessThan(infoLines.findIndex((l) => l.includes('run figures')));
  });

  it('publishes an alarm metric with the operation dimension only when the container is warm', async () => {
    // Prepare: a backfill whose call meets the vendor's daily limit raises TokenTrouble.
    const emf = vi.spyOn(console, 'log').mockImplementation(() => {});
    const logs = vi.spyOn(console, 'info').mockImplementation(() => {});
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { handler } = await import('../../lambda/handler.ts');
    const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    sim.inject({ kind: 'tokenLimit' });

    // Act: the run fails (the limit holds until midnight) and still publishes its figures.
    await handler({ backfill: { from: `${day} 00:00`, to: `${day} 00:05` } }, { getRemainingTimeInMillis: () => 60_000 }).catch(() => undefined);
    const lines = emf.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('CloudWatchMetrics'));
    const warmOrigins = logs.mock.calls.filter((c) => String(c[0]).includes('Wolkvox API origin'));
    emf.mockRestore();
    logs.mockRestore();
    errors.mockRestore();

    // Assess
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!);
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['operation']]);
    expect(doc.operation).toBe('0032');
    expect(doc.TokenTrouble).toBe(1);
    expect(warmOrigins).toEqual([]);
  });

  it('says why a refused backfill was refused in error_message of its run-failed line, and makes no call, when the request starts before FIRST_DAY', async () => {
    // Prepare: the container of the first test (FIRST_DAY 2020-01-01), with Powertools' real output.
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const logs = vi.spyOn(console, 'info').mockImplementation(() => {});
    const emf = vi.spyOn(console, 'log').mockImplementation(() => {});
    const { handler } = await import('../../lambda/handler.ts');
    const before = { requests: sim.stats.requests, s3: s3.calls().length, secrets: secrets.calls().length };

    // Act
    const error = await handler({ backfill: { from: '2019-12-31 00:00', to: '2020-01-01 00:00' } }, { getRemainingTimeInMillis: () => 60_000 }).then(() => undefined, (e: Error) => e);
    const errorLines = errors.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);
    const warnLines = warns.mock.calls.map((c) => String(c[0]));
    for (const spy of [errors, warns, logs, emf]) spy.mockRestore();

    // Assess: Powertools keeps `message` for the line's own, so the error's text rides as error_message.
    expect(error?.name).toBe('BackfillRefusedError');
    expect(error?.message).toContain('"from" 2019-12-31 00:00 is before the operation\'s first day 2020-01-01');
    expect(errorLines.filter((l) => l.message === 'run failed')).toEqual([expect.objectContaining({ operation: '0032', error_class: 'BackfillRefusedError', error_message: error?.message, retryable: false })]);
    expect(warnLines.filter((l) => l.includes('reserved key'))).toEqual([]);
    expect(sim.stats.requests).toBe(before.requests);
    expect(s3.calls()).toHaveLength(before.s3);
    expect(secrets.calls()).toHaveLength(before.secrets);
  });

  it('returns what the operator\'s asks changed and the mode after the run when the event sets the vendor model', async () => {
    // Prepare: the container of the first test (its mocked bucket holds no state).
    const logs = vi.spyOn(console, 'info').mockImplementation(() => {});
    const warns = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { handler } = await import('../../lambda/handler.ts');

    // Act
    const result = await handler({ vendorModel: 'non-additive' }, { getRemainingTimeInMillis: () => 60_000 });
    const warnLines = warns.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);
    for (const spy of [logs, warns]) spy.mockRestore();

    // Assess
    expect(result).toMatchObject({ vendorMode: 'non-additive', asked: { vendorMode: { from: 'additive', to: 'non-additive' }, recheck: [] } });
    expect(warnLines).toContainEqual(expect.objectContaining({ message: "vendor model set to non-additive: days are no longer compared with Wolkvox's day totals", vendor_mode: 'non-additive' }));
  });

  it('fails with a ConfigError and makes no call when the event asks to recheck a day that has not ended', async () => {
    // Prepare
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { handler } = await import('../../lambda/handler.ts');
    const before = { requests: sim.stats.requests, s3: s3.calls().length, secrets: secrets.calls().length };

    // Act
    const error = await handler({ vendorModel: 'additive', recheck: '2099-01-01' }, { getRemainingTimeInMillis: () => 60_000 }).then(() => undefined, (e: Error) => e);
    errors.mockRestore();

    // Assess
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toContain('recheck: "2099-01-01" cannot be checked again: 2099-01-01 has not ended yet');
    expect(sim.stats.requests).toBe(before.requests);
    expect(s3.calls()).toHaveLength(before.s3);
    expect(secrets.calls()).toHaveLength(before.secrets);
  });

  it('fails at load naming WOLKVOX_BASE_URL when the override is plain http to a host that is not loopback', async () => {
    // Prepare
    process.env.WOLKVOX_BASE_URL = 'http://wv0032.wolkvox.com';
    vi.resetModules();

    // Act
    const error = await import('../../lambda/handler.ts').then(() => undefined, (e: Error) => e);

    // Assess
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toContain('WOLKVOX_BASE_URL: must be https://, or http:// to a loopback address');
  });

  it('fails at load naming the variable when the environment is incomplete', async () => {
    // Prepare
    delete process.env.BUCKET_NAME;
    vi.resetModules();

    // Act
    const error = await import('../../lambda/handler.ts').then(() => undefined, (e: Error) => e);

    // Assess
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toContain('BUCKET_NAME: is required');
  });
});
