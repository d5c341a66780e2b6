import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_INFO_EVERY_MINUTES } from '../../../lambda/collector/allowance.ts';
import { ALLOWANCE_DEFAULTS, DEFAULT_TIMEZONE, defaultBaseUrl, readCliEnv, readLambdaConfig } from '../../../lambda/config.ts';
import { reserveText } from '../../../lambda/domain/allowance-settings.ts';
import { ConfigError } from '../../../lambda/domain/errors.ts';
import { DEFAULT_CHECK_SHARE, DEFAULT_RESERVE, DEFAULT_SILENT_DAYS } from '../../../lambda/domain/vendor-model.ts';
import { USAGE } from '../../../lambda/local/cli-args.ts';

const LAMBDA_MINIMUM = { WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN_SECRET_ID: 'wolkvox/token', BUCKET_NAME: 'my-bucket', FIRST_DAY: '2026-10-01' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('Function: readLambdaConfig', () => {
  it('returns the defaults when only the required variables are set', () => {
    // Act
    const config = readLambdaConfig(LAMBDA_MINIMUM);

    // Assess
    expect(config).toEqual({
      server: '0032',
      timeZone: 'America/Bogota',
      baseUrl: 'https://wv0032.wolkvox.com',
      prefix: 'wolkvox',
      settleMinutes: 5,
      requestTimeoutMs: 65_000,
      restateAfterMinutes: 90,
      dailyCallCap: undefined,
      verifyAfterMinutes: 240,
      quietFreshnessMinutes: 30,
      tokenReserve: { share: 0.2 },
      checkShare: 0.5,
      tokenInfoEveryMinutes: 60,
      silentDays: 7,
      tokenSecretId: 'wolkvox/token',
      bucket: 'my-bucket',
      firstDay: '2026-10-01',
    });
    expect(DEFAULT_TIMEZONE).toBe('America/Bogota');
  });

  it('treats empty strings as unset', () => {
    // Act
    const config = readLambdaConfig({ ...LAMBDA_MINIMUM, WOLKVOX_TIMEZONE: '', DATA_PREFIX: '', SETTLE_MINUTES: '', WOLKVOX_BASE_URL: '' });

    // Assess
    expect(config.timeZone).toBe('America/Bogota');
    expect(config.prefix).toBe('wolkvox');
    expect(config.settleMinutes).toBe(5);
    expect(config.baseUrl).toBe('https://wv0032.wolkvox.com');
  });

  it('reads every optional variable', () => {
    // Act
    const config = readLambdaConfig({
      ...LAMBDA_MINIMUM,
      WOLKVOX_TIMEZONE: 'Europe/Madrid',
      WOLKVOX_BASE_URL: 'http://127.0.0.1:8080/',
      DATA_PREFIX: 'raw/wolkvox',
      SETTLE_MINUTES: '0',
      WOLKVOX_REQUEST_TIMEOUT_MS: '30000',
    });

    // Assess
    expect(config).toMatchObject({ timeZone: 'Europe/Madrid', baseUrl: 'http://127.0.0.1:8080', prefix: 'raw/wolkvox', settleMinutes: 0, requestTimeoutMs: 30_000 });
  });

  it.each([
    { variable: 'WOLKVOX_SERVER', value: 'wv.evil.com/' },
    { variable: 'WOLKVOX_SERVER', value: '0032.evil.com' },
    { variable: 'WOLKVOX_TIMEZONE', value: 'Mars/Olympus_Mons' },
    { variable: 'WOLKVOX_BASE_URL', value: 'https://wv0032.wolkvox.com/api/v2' },
    { variable: 'WOLKVOX_BASE_URL', value: 'https://user:pass@wv0032.wolkvox.com' },
    { variable: 'WOLKVOX_BASE_URL', value: 'https://wv0032.wolkvox.com/?x=1' },
    { variable: 'WOLKVOX_BASE_URL', value: 'ftp://wv0032.wolkvox.com' },
    { variable: 'SETTLE_MINUTES', value: 'x' },
    { variable: 'SETTLE_MINUTES', value: '-1' },
    { variable: 'SETTLE_MINUTES', value: '2.5' },
    { variable: 'SETTLE_MINUTES', value: '1441' },
    { variable: 'WOLKVOX_REQUEST_TIMEOUT_MS', value: '10' },
    { variable: 'DATA_PREFIX', value: 'a//b' },
    { variable: 'DATA_PREFIX', value: 'dt=2026' },
    { variable: 'DATA_PREFIX', value: 'data*' },
    { variable: 'BUCKET_NAME', value: 'My_Bucket' },
  ])('throws a ConfigError naming $variable for "$value"', ({ variable, value }) => {
    // Act
    const error = configError(() => readLambdaConfig({ ...LAMBDA_MINIMUM, [variable]: value }));

    // Assess
    expect(error.message).toContain(`${variable}:`);
    expect(error.retryable).toBe(false);
  });

  // BUG: the refine in config.ts calls `new URL(u)` even after z.url() has rejected the
  // value, so text that is not a URL at all escapes as a raw TypeError("Invalid URL")
  // instead of a ConfigError (and isRetryable() then calls it transient).
  it.each(['not a url', 'wv0032.wolkvox.com'])('throws a ConfigError naming WOLKVOX_BASE_URL for the non-URL "%s"', (value) => {
    // Act
    const error = configError(() => readLambdaConfig({ ...LAMBDA_MINIMUM, WOLKVOX_BASE_URL: value }));

    // Assess
    expect(error.message).toContain('WOLKVOX_BASE_URL:');
  });

  it.each(['http://wv0032.wolkvox.com', 'http://10.0.0.5:8080', 'http://128.0.0.1', 'http://[::2]:8080', 'http://localhost.example.com'])(
    'throws a ConfigError naming WOLKVOX_BASE_URL when "%s" is plain http to a host that is not loopback',
    (value) => {
      // Act
      const error = configError(() => readLambdaConfig({ ...LAMBDA_MINIMUM, WOLKVOX_BASE_URL: value }));

      // Assess
      expect(error.message).toContain('WOLKVOX_BASE_URL: must be https://, or http:// to a loopback address');
    },
  );

  it.each([
    ['https://wv0032.wolkvox.com', 'https://wv0032.wolkvox.com'],
    ['https://10.0.0.5:8443', 'https://10.0.0.5:8443'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://127.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['http://LOCALHOST:8080', 'http://localhost:8080'],
  ])('returns the origin when "%s" is https or http to a loopback address', (value, origin) => {
    // Act
    const config = readLambdaConfig({ ...LAMBDA_MINIMUM, WOLKVOX_BASE_URL: value });

    // Assess
    expect(config.baseUrl).toBe(origin);
  });

  it.each(['BUCKET_NAME', 'WOLKVOX_SERVER', 'WOLKVOX_TOKEN_SECRET_ID', 'FIRST_DAY'])('throws a ConfigError saying %s is required when it is missing', (variable) => {
    // Prepare
    const env: Record<string, string | undefined> = { ...LAMBDA_MINIMUM };
    delete env[variable];

    // Act
    const error = configError(() => readLambdaConfig(env));

    // Assess
    expect(error.message).toContain(`${variable}: is required`);
  });

  it.each(['2026-02-30', '1/10/2026', '2026-10-01 00:00'])('throws a ConfigError naming FIRST_DAY when it is "%s", not a calendar date', (value) => {
    // Act
    const error = configError(() => readLambdaConfig({ ...LAMBDA_MINIMUM, FIRST_DAY: value }));

    // Assess
    expect(error.message).toContain('FIRST_DAY: must be a calendar date YYYY-MM-DD (wolkvox:firstDay)');
  });

  it('names every bad variable in one message', () => {
    // Act
    const error = configError(() => readLambdaConfig({ WOLKVOX_SERVER: 'wv.evil.com/', SETTLE_MINUTES: 'x' }));

    // Assess
    for (const variable of ['WOLKVOX_SERVER', 'SETTLE_MINUTES', 'BUCKET_NAME', 'WOLKVOX_TOKEN_SECRET_ID']) expect(error.message).toContain(variable);
  });
});

describe('Function: readCliEnv', () => {
  it('returns defaults and leaves server, base URL and token unset for an empty environment', () => {
    // Act
    const config = readCliEnv({});

    // Assess
    expect(config).toEqual({
      server: undefined,
      timeZone: 'America/Bogota',
      baseUrl: undefined,
      prefix: 'wolkvox',
      settleMinutes: 5,
      requestTimeoutMs: 65_000,
      restateAfterMinutes: 90,
      dailyCallCap: undefined,
      verifyAfterMinutes: 240,
      quietFreshnessMinutes: 30,
      tokenReserve: { share: 0.2 },
      checkShare: 0.5,
      tokenInfoEveryMinutes: 60,
      silentDays: 7,
      token: undefined,
    });
  });

  it('does without FIRST_DAY, which only the Lambda reads, when it is unset or not a date', () => {
    // Act: a CLI range is run by whoever holds the bucket and the token; it has no first day to keep to.
    const act = () => [readCliEnv({}), readCliEnv({ FIRST_DAY: 'not a date' })];

    // Assess
    expect(act).not.toThrow();
    expect(act()[1]).not.toHaveProperty('firstDay');
  });

  it('reads the server and token and normalises the base URL to an origin', () => {
    // Act
    const config = readCliEnv({ WOLKVOX_SERVER: '0032', WOLKVOX_TOKEN: 'tok-123456', WOLKVOX_BASE_URL: 'http://localhost:9000' });

    // Assess
    expect(config.server).toBe('0032');
    expect(config.token).toBe('tok-123456');
    expect(config.baseUrl).toBe('http://localhost:9000');
  });

  it.each([
    { variable: 'WOLKVOX_SERVER', value: 'wv.evil.com/' },
    { variable: 'WOLKVOX_TIMEZONE', value: 'Nowhere/Land' },
    { variable: 'WOLKVOX_BASE_URL', value: 'https://host.example/path' },
    { variable: 'WOLKVOX_BASE_URL', value: 'https://u:p@host.example' },
    { variable: 'WOLKVOX_BASE_URL', value: 'ftp://host.example' },
    { variable: 'WOLKVOX_BASE_URL', value: 'http://host.example:8080' },
    { variable: 'WOLKVOX_TOKEN', value: 'short' },
    { variable: 'WOLKVOX_TOKEN', value: 'tok en-SECRET-123' },
    { variable: 'SETTLE_MINUTES', value: 'x' },
    { variable: 'SETTLE_MINUTES', value: '-1' },
  ])('throws a ConfigError naming $variable for "$value"', ({ variable, value }) => {
    // Act
    const error = configError(() => readCliEnv({ [variable]: value }));

    // Assess
    expect(error.message).toContain(`${variable}:`);
  });
});

describe('Function: readCliEnv (non-URL base URL)', () => {
  // BUG: same as readLambdaConfig: a raw TypeError escapes instead of a ConfigError.
  it('throws a ConfigError naming WOLKVOX_BASE_URL for "not a url"', () => {
    // Act
    const error = configError(() => readCliEnv({ WOLKVOX_BASE_URL: 'not a url' }));

    // Assess
    expect(error.message).toContain('WOLKVOX_BASE_URL:');
  });
});

describe('Function: readLambdaConfig and readCliEnv (the token\'s allowance, checking, silence)', () => {
  const BAD = [
    { variable: 'TOKEN_RESERVE', value: '91%' },
    { variable: 'TOKEN_RESERVE', value: '-5%' },
    { variable: 'TOKEN_RESERVE', value: '20 %' },
    { variable: 'TOKEN_RESERVE', value: '0.2' },
    { variable: 'TOKEN_RESERVE', value: '-1' },
    { variable: 'TOKEN_RESERVE', value: '10000001' },
    { variable: 'TOKEN_RESERVE', value: 'all' },
    { variable: 'CHECK_SHARE', value: '0.04' },
    { variable: 'CHECK_SHARE', value: '1.01' },
    { variable: 'CHECK_SHARE', value: '50%' },
    { variable: 'CHECK_SHARE', value: 'half' },
    { variable: 'CHECK_SHARE', value: '-0.5' },
    { variable: 'TOKEN_INFO_EVERY_MINUTES', value: '4' },
    { variable: 'TOKEN_INFO_EVERY_MINUTES', value: '1441' },
    { variable: 'TOKEN_INFO_EVERY_MINUTES', value: '7.5' },
    { variable: 'SILENT_DAYS', value: '0' },
    { variable: 'SILENT_DAYS', value: '32' },
    { variable: 'SILENT_DAYS', value: 'week' },
  ];

  it.each(BAD)('refuses $variable="$value" naming the variable, in the Lambda and the CLI', ({ variable, value }) => {
    // Act
    const errors = [configError(() => readLambdaConfig({ ...LAMBDA_MINIMUM, [variable]: value })), configError(() => readCliEnv({ [variable]: value }))];

    // Assess
    for (const error of errors) {
      expect(error.message.split('\n').filter((l) => l.startsWith('  '))).toEqual([expect.stringMatching(new RegExp(`^  ${variable}: must `))]);
      expect(error.retryable).toBe(false);
    }
  });

  it('says what a reserve is when TOKEN_RESERVE is neither a percentage nor calls, and the range when it is out of it', () => {
    // Act & Assess
    expect(configError(() => readCliEnv({ TOKEN_RESERVE: 'all' })).message).toContain("TOKEN_RESERVE: must be a percentage of the token's daily limit (0% to 90%, e.g. 20%) or a whole number of calls (e.g. 200)");
    expect(configError(() => readCliEnv({ TOKEN_RESERVE: '95%' })).message).toContain('TOKEN_RESERVE: must be a percentage between 0% and 90%');
    expect(configError(() => readCliEnv({ CHECK_SHARE: '50%' })).message).toContain('CHECK_SHARE: must be a decimal number such as 0.5');
    expect(configError(() => readCliEnv({ CHECK_SHARE: '2' })).message).toContain('CHECK_SHARE: must be between 0.05 and 1');
  });

  it.each([
    { env: { TOKEN_RESERVE: '20%' }, expected: { tokenReserve: { share: 0.2 } } },
    { env: { TOKEN_RESERVE: '12.5%' }, expected: { tokenReserve: { share: 0.125 } } },
    { env: { TOKEN_RESERVE: '0%' }, expected: { tokenReserve: { share: 0 } } },
    { env: { TOKEN_RESERVE: '90%' }, expected: { tokenReserve: { share: 0.9 } } },
    { env: { TOKEN_RESERVE: '200' }, expected: { tokenReserve: { calls: 200 } } },
    { env: { TOKEN_RESERVE: '0' }, expected: { tokenReserve: { calls: 0 } } },
    { env: { CHECK_SHARE: '0.05' }, expected: { checkShare: 0.05 } },
    { env: { CHECK_SHARE: '0.25' }, expected: { checkShare: 0.25 } },
    { env: { CHECK_SHARE: '1' }, expected: { checkShare: 1 } },
    { env: { TOKEN_INFO_EVERY_MINUTES: '5' }, expected: { tokenInfoEveryMinutes: 5 } },
    { env: { TOKEN_INFO_EVERY_MINUTES: '1440' }, expected: { tokenInfoEveryMinutes: 1440 } },
    { env: { SILENT_DAYS: '1' }, expected: { silentDays: 1 } },
    { env: { SILENT_DAYS: '31' }, expected: { silentDays: 31 } },
    { env: { TOKEN_RESERVE: '', CHECK_SHARE: '', TOKEN_INFO_EVERY_MINUTES: '', SILENT_DAYS: '' }, expected: ALLOWANCE_DEFAULTS },
  ])('reads $env', ({ env, expected }) => {
    // Act
    const lambda = readLambdaConfig({ ...LAMBDA_MINIMUM, ...env });
    const cli = readCliEnv(env);

    // Assess
    expect(lambda).toMatchObject(expected);
    expect(cli).toMatchObject(expected);
  });

  it("defaults to the engine's own defaults when unset", () => {
    // Act
    const lambda = readLambdaConfig(LAMBDA_MINIMUM);
    const cli = readCliEnv({});

    // Assess
    const defaults = { tokenReserve: DEFAULT_RESERVE, checkShare: DEFAULT_CHECK_SHARE, tokenInfoEveryMinutes: DEFAULT_TOKEN_INFO_EVERY_MINUTES, silentDays: DEFAULT_SILENT_DAYS };
    expect(ALLOWANCE_DEFAULTS).toEqual(defaults);
    expect(lambda).toMatchObject(defaults);
    expect(cli).toMatchObject(defaults);
  });

  it('lists each variable on a line of its own in --help, with its default', () => {
    // Assess
    const line = (variable: string) => USAGE.split('\n').filter((l) => l.trimStart().startsWith(`${variable} `));
    expect(line('TOKEN_RESERVE')).toEqual([expect.stringContaining(`${reserveText(DEFAULT_RESERVE)} (default`)]);
    expect(line('CHECK_SHARE')).toEqual([expect.stringContaining(`(default ${DEFAULT_CHECK_SHARE},`)]);
    expect(line('TOKEN_INFO_EVERY_MINUTES')).toEqual([expect.stringContaining(`(default ${DEFAULT_TOKEN_INFO_EVERY_MINUTES},`)]);
    expect(line('SILENT_DAYS')).toEqual([expect.stringContaining(`(default ${DEFAULT_SILENT_DAYS},`)]);
  });
});

describe('Function: reserveText', () => {
  it.each([
    [{ share: 0.2 }, '20%'],
    [{ share: 0.125 }, '12.5%'],
    [{ share: 0.07 }, '7%'],
    [{ calls: 200 }, '200'],
  ] as const)('writes %o as %s', (reserve, text) => {
    // Act & Assess
    expect(reserveText(reserve)).toBe(text);
  });
});

describe('Function: defaultBaseUrl', () => {
  it('returns the vendor host of the server', () => {
    // Act & Assess
    expect(defaultBaseUrl('0032')).toBe('https://wv0032.wolkvox.com');
  });
});
