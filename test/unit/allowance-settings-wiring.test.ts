/**
 * TOKEN_RESERVE, CHECK_SHARE, TOKEN_INFO_EVERY_MINUTES and SILENT_DAYS reach the engine's run
 * settings from the Lambda handler and from the CLI (live and range runs), and the defaults
 * when they are unset. The engine's runs are replaced by spies: what they do with the settings
 * is tested with the engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ALLOWANCE_DEFAULTS, readLambdaConfig } from '../../lambda/config.ts';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';
import { MemoryLeaseStore } from '../support/memory-lease-store.ts';
import { MemoryStore } from '../support/memory-store.ts';

const runs = vi.hoisted(() => ({ live: vi.fn(), range: vi.fn() }));
vi.mock('../../lambda/collector/runs.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lambda/collector/runs.ts')>()),
  runLive: runs.live,
  runRange: runs.range,
}));

const { createHandler } = await import('../../lambda/runtime/collector-handler.ts');
const { runCli } = await import('../../lambda/local/run-cli.ts');

const SET = { TOKEN_RESERVE: '150', CHECK_SHARE: '0.3', TOKEN_INFO_EVERY_MINUTES: '15', SILENT_DAYS: '10' };
const EXPECTED = { tokenReserve: { calls: 150 }, checkShare: 0.3, tokenInfoEveryMinutes: 15, silentDays: 10 };
/** Ends the run as soon as the engine is called: the settings are what is asked about. */
const STOP = new Error('settings seen');
const settingsOf = (spy: typeof runs.live) => spy.mock.calls[0]?.[1] as Record<string, unknown> | undefined;

beforeEach(() => {
  runs.live.mockReset().mockRejectedValue(STOP);
  runs.range.mockReset().mockRejectedValue(STOP);
});

describe('Function: createHandler (allowance settings)', () => {
  const handlerWith = (env: Record<string, string>) => {
    const config = readLambdaConfig({ WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN_SECRET_ID: 'wolkvox/0032', BUCKET_NAME: 'data-bucket', FIRST_DAY: '2026-01-01', ...env });
    const token = staticToken('tok-WIRING-0a1b2c3d4e');
    const metrics = Object.assign(new MetricsTally(), { publish: () => undefined });
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    return createHandler({ config, store: new MemoryStore(), leases: new MemoryLeaseStore(), token, client: {} as never, log, metrics });
  };

  it.each([
    ['set', SET, EXPECTED],
    ['unset', {}, ALLOWANCE_DEFAULTS],
  ])('passes the variables to the live run when they are %s', async (_case, env, expected) => {
    // Act
    const result = await handlerWith(env)({}, { getRemainingTimeInMillis: () => 60_000 }).catch((e: unknown) => e);

    // Assess
    expect(result).toBe(STOP);
    expect(settingsOf(runs.live)).toMatchObject(expected);
  });
});

describe('Function: runCli (allowance settings)', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'cli-settings-'));
  });
  afterEach(() => {
    rmSync(out, { recursive: true, force: true });
  });
  const io = { stdout: () => undefined, stderr: () => undefined };

  it.each([
    ['set', SET, EXPECTED],
    ['unset', {}, ALLOWANCE_DEFAULTS],
  ])('passes the variables to a live run and to a range when they are %s', async (_case, env, expected) => {
    // Act
    const live = await runCli(['--out', out], { env, io });
    const range = await runCli(['--out', out, '--from', '2026-11-01 00:00', '--to', '2026-11-02 00:00'], { env, io });

    // Assess: the run got as far as the engine (the spy's error is "unexpected", exit 4).
    expect([live, range]).toEqual([4, 4]);
    expect(settingsOf(runs.live)).toMatchObject(expected);
    expect(settingsOf(runs.range)).toMatchObject(expected);
  });
});
