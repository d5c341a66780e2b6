/**
 * A vendor that echoes the token it was sent, in a message thousands of characters long full of
 * terminal escapes (the simulator's echoToken fault): the token reaches no stored object, log
 * line, error (the failure queue's message) or CLI output, and the message is cut and cleaned.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MetricsTally } from '../../lambda/collector/ports.ts';
import { readLambdaConfig } from '../../lambda/config.ts';
import type { FetchRecord } from '../../lambda/domain/columns.ts';
import { FETCH_TABLE, tableRoot } from '../../lambda/domain/layout.ts';
import { MAX_VENDOR_TEXT, REDACTED } from '../../lambda/domain/vendor-text.ts';
import { EXIT, runCli } from '../../lambda/local/run-cli.ts';
import { createHandler } from '../../lambda/runtime/collector-handler.ts';
import { S3LeaseStore } from '../../lambda/storage/s3-lease-store.ts';
import { S3Store } from '../../lambda/storage/s3-store.ts';
import { createCdr4Client } from '../../lambda/wolkvox/cdr4-client.ts';
import { secretTokenProvider } from '../../lambda/wolkvox/secret-token.ts';
import { startSimulator, type Simulator } from '../simulator/index.ts';
import { CaptureLog } from '../support/capture-log.ts';
import { instantOfWall, ManualClock } from '../support/clock.ts';
import { startLocalS3, type LocalS3 } from '../support/s3rver.ts';

const TZ = 'America/Bogota';
const SERVER = '0032';
const TOKEN = 'tok-ECHOED-BY-VENDOR-3e9d1c';
const SECRET_ID = 'wolkvox/0032/token';
/** Anything a terminal would act on: C0 (but for the newlines we print ourselves), DEL, C1. */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

const secrets = mockClient(SecretsManagerClient);

/** The vendor's words as they came out of the collector: cut, one line, no control character, the token redacted. */
function expectCleaned(text: string | null | undefined): void {
  expect(text).toBeTypeOf('string');
  expect(text!.length).toBeLessThanOrEqual(MAX_VENDOR_TEXT);
  expect(text).not.toMatch(CONTROL);
  expect(text).toContain(`for wolkvox-token ${REDACTED}`);
  expect(text).not.toContain('owned');
}

function fetchRecords(objects: ReadonlyMap<string, string>, prefix: string): FetchRecord[] {
  return [...objects].filter(([key]) => key.startsWith(tableRoot(prefix, FETCH_TABLE))).flatMap(([, body]) => body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as FetchRecord));
}

describe('Function: handler (a vendor that echoes the token)', () => {
  let s3: LocalS3;
  let sim: Simulator;
  let clock: ManualClock;
  let runs = 0;

  beforeAll(async () => {
    s3 = await startLocalS3();
  });
  afterAll(async () => {
    await s3.close();
  });
  beforeEach(async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: TOKEN });
    clock = new ManualClock(instantOfWall('2026-11-20 09:12', TZ));
    sim = await startSimulator({ token: TOKEN, server: SERVER, timeZone: TZ, now: clock.now });
  });
  afterEach(async () => {
    await sim.close();
  });

  async function scheduledRun(): Promise<{ error: unknown; log: CaptureLog; objects: Map<string, string>; prefix: string }> {
    const prefix = `echo${++runs}`;
    // The function's environment, read as the handler reads it.
    const config = readLambdaConfig({ WOLKVOX_SERVER: SERVER, WOLKVOX_TOKEN_SECRET_ID: SECRET_ID, BUCKET_NAME: s3.bucket, WOLKVOX_BASE_URL: sim.origin, DATA_PREFIX: prefix, RESTATE_AFTER_MINUTES: '0', WOLKVOX_REQUEST_TIMEOUT_MS: '5000', FIRST_DAY: '2026-10-01' });
    const log = new CaptureLog();
    const token = secretTokenProvider({ client: new SecretsManagerClient({ region: 'us-east-1' }), secretId: SECRET_ID });
    const handler = createHandler({
      config,
      store: new S3Store(s3.client, s3.bucket),
      leases: new S3LeaseStore(s3.client, s3.bucket),
      token,
      client: createCdr4Client({ baseUrl: sim.origin, server: SERVER, token, clock: clock.now }),
      log,
      metrics: Object.assign(new MetricsTally(), { publish: () => {} }),
      clock: clock.now,
      sleep: async () => {},
    });
    const error = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, { getRemainingTimeInMillis: () => 240_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const objects = new Map<string, string>();
    for (const key of await s3.listKeys(`${prefix}/`)) objects.set(key, await s3.read(key));
    return { error, log, objects, prefix };
  }

  it('stores the report with the message cleaned and the token redacted when the vendor echoes it in a report', async () => {
    // Prepare
    sim.inject({ kind: 'echoToken', status: 200 });

    // Act
    const { error, log, objects, prefix } = await scheduledRun();

    // Assess
    expect(error).toBeUndefined();
    // The window's call (the new store's look back over the month before is a call of its own).
    const record = fetchRecords(objects, prefix).find((r) => r.vendor_msg?.includes('wolkvox-token'));
    expect(record?.outcome).toBe('collected');
    expectCleaned(record?.vendor_msg);
    expect(record?.vendor_msg?.startsWith(`5 records were found for wolkvox-token ${REDACTED}`)).toBe(true);
    // The body is kept as received, but for the token.
    expect(record?.response_body).toContain(REDACTED);
    expect(record?.response_body).toContain('\\u001b]0;owned');
    for (const [key, body] of objects) expect(body, key).not.toContain(TOKEN);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('fails with a cleaned message and stores and logs no token when the vendor echoes it in a refusal', async () => {
    // Prepare
    sim.inject({ kind: 'echoToken', status: 400 });

    // Act
    const { error, log, objects, prefix } = await scheduledRun();

    // Assess: the error is what Lambda sends to the failure queue (name, message, stack).
    expect(error).toBeInstanceOf(Error);
    const e = error as Error & { vendorMessage: string };
    expect(e.name).toBe('WolkvoxRequestError');
    expectCleaned(e.vendorMessage);
    expect(e.message).not.toMatch(CONTROL);
    expect(e.message.length).toBeLessThan(MAX_VENDOR_TEXT + 120);
    expect(`${e.stack}`).not.toContain(TOKEN);
    const [record] = fetchRecords(objects, prefix);
    expect(record?.outcome).toBe('failed');
    expectCleaned(record?.vendor_msg);
    expect(record?.error_message).toBe(e.message);
    for (const [key, body] of objects) expect(body, key).not.toContain(TOKEN);
    const lines = log.lines.join('\n');
    expect(lines).not.toContain(TOKEN);
    expect(lines).toContain(REDACTED);
  });
});

describe('Function: runCli (a vendor that echoes the token)', () => {
  let sim: Simulator;
  let clock: ManualClock;
  let out: string;
  let printed: string[];
  const io = { stdout: (t: string) => printed.push(t), stderr: (t: string) => printed.push(t) };

  beforeEach(async () => {
    clock = new ManualClock(instantOfWall('2026-11-20 09:12', TZ));
    sim = await startSimulator({ token: TOKEN, server: SERVER, timeZone: TZ, now: clock.now });
    out = mkdtempSync(join(tmpdir(), 'cli-echo-'));
    printed = [];
  });
  afterEach(async () => {
    await sim.close();
    rmSync(out, { recursive: true, force: true });
  });

  const env = () => ({ WOLKVOX_SERVER: SERVER, WOLKVOX_TOKEN: TOKEN, WOLKVOX_BASE_URL: sim.origin });

  function filesHolding(text: string): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (readFileSync(path).includes(text)) found.push(path);
      }
    };
    walk(out);
    return found;
  }

  it('prints the refusal cut and cleaned, and neither prints nor stores the token, when the vendor echoes it', async () => {
    // Prepare: a report that echoes it, then a refusal that does.
    sim.inject({ kind: 'echoToken', status: 200 });
    sim.inject({ kind: 'echoToken', status: 400 });

    // Act
    const code = await runCli(['--out', out, '--verbose'], { env: env(), io, clock: clock.now });

    // Assess
    expect(code).toBe(EXIT.fatal);
    const text = printed.join('');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain(`INVALID REQUEST for wolkvox-token ${REDACTED}`);
    const refusal = text.split('\n').find((l) => l.includes('WolkvoxRequestError: '));
    expect(refusal?.length).toBeLessThan(MAX_VENDOR_TEXT + 200);
    expect(filesHolding(TOKEN)).toEqual([]);
    expect(filesHolding(REDACTED).length).toBeGreaterThan(0);
  });
});
