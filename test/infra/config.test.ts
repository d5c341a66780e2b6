import { describe, expect, it } from 'vitest';
import { ConfigError, CONTEXT_KEYS, DEFAULTS, loadConfig, MAX_MAIN_STACK_OPERATIONS, parseConfig } from '../../infra/config.ts';
import { CDK_JSON_CONTEXT } from './helpers.ts';

const ops = CONTEXT_KEYS.operations;
const firstDay = CONTEXT_KEYS.firstDay;
/** What every valid context needs besides operations. */
const REQUIRED = { [firstDay]: '2026-10-01' };
const NOW = new Date('2026-11-25T12:00:00Z');

function errorOf(raw: Record<string, unknown>): string {
  try {
    parseConfig({ ...REQUIRED, ...raw }, NOW);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('Config: CDK context schema', () => {
  it('applies the documented defaults when only operations and the first day are given', () => {
    // Prepare
    const raw = { ...REQUIRED, [ops]: [{ server: '0032' }] };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config).toEqual({
      stackName: DEFAULTS.stackName,
      prefix: 'wolkvox',
      databaseName: 'wolkvox',
      logRetentionDays: 30,
      noncurrentVersionExpirationDays: 30,
      athenaResultsExpirationDays: 7,
      accessLogsExpirationDays: 90,
      athenaBytesScannedCutoffMb: 1024,
      firstDay: '2026-10-01',
      dashboard: true,
      operations: [{ server: '0032', timezone: 'America/Bogota' }],
    });
  });

  it('accepts the default example of cdk.json', () => {
    // Prepare
    const source = { tryGetContext: (k: string) => CDK_JSON_CONTEXT[k] };

    // Act
    const config = loadConfig(source, CDK_JSON_CONTEXT);

    // Assess
    expect(config.operations).toEqual([{ server: '0032', timezone: 'America/Bogota', mainStack: true }]);
  });

  it('keeps an operation in the main stack only when it says so, also from -c strings', () => {
    // Act
    const config = parseConfig({ ...REQUIRED, [ops]: JSON.stringify([{ server: 'a' }, { server: 'b', mainStack: 'true' }, { server: 'c', mainStack: false }]) }, NOW);

    // Assess
    expect(config.operations.map((o) => o.mainStack)).toEqual([undefined, true, false]);
  });

  it('parses strings when values come from -c on the command line', () => {
    // Prepare
    const raw = {
      ...REQUIRED,
      [CONTEXT_KEYS.dashboard]: 'false',
      [ops]: '[{"server":"0032","settleMinutes":"3"},{"server":"0045","timezone":"America/Mexico_City","tokenSecretName":"wolkvox/0045"}]',
      [CONTEXT_KEYS.logRetentionDays]: '14',
      [CONTEXT_KEYS.alarmEmail]: 'ops@example.com',
    };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.logRetentionDays).toBe(14);
    expect(config.dashboard).toBe(false);
    expect(config.alarmEmail).toBe('ops@example.com');
    expect(config.operations).toEqual([
      { server: '0032', timezone: 'America/Bogota', settleMinutes: 3 },
      { server: '0045', timezone: 'America/Mexico_City', tokenSecretName: 'wolkvox/0045' },
    ]);
  });

  it('reads the token reserve, check share, token_info period and silent days of an operation, as JSON values or -c strings', () => {
    // Act
    const config = parseConfig({
      ...REQUIRED,
      [ops]: JSON.stringify([
        { server: 'a', tokenReserve: '20%', checkShare: 0.25, tokenInfoEveryMinutes: 30, silentDays: 3 },
        { server: 'b', tokenReserve: 200, checkShare: '1', tokenInfoEveryMinutes: '1440', silentDays: '31' },
        { server: 'c', tokenReserve: '12.5%' },
        { server: 'd', tokenReserve: '0' },
      ]),
    });

    // Assess
    expect(config.operations).toEqual([
      { server: 'a', timezone: 'America/Bogota', tokenReserve: '20%', checkShare: 0.25, tokenInfoEveryMinutes: 30, silentDays: 3 },
      { server: 'b', timezone: 'America/Bogota', tokenReserve: '200', checkShare: 1, tokenInfoEveryMinutes: 1440, silentDays: 31 },
      { server: 'c', timezone: 'America/Bogota', tokenReserve: '12.5%' },
      { server: 'd', timezone: 'America/Bogota', tokenReserve: '0' },
    ]);
  });

  it('lists the new keys among those allowed when a key is misspelt', () => {
    // Act
    const message = errorOf({ [ops]: [{ server: '0032', reserve: '20%' }] });

    // Assess
    expect(message).toContain('unknown key(s) "reserve" (allowed: server, timezone, tokenSecretName, settleMinutes, restateAfterMinutes, dailyCallCap, tokenReserve, checkShare, tokenInfoEveryMinutes, silentDays, mainStack)');
  });

  it('treats an empty alarm e-mail as no subscription when given as -c wolkvox:alarmEmail=', () => {
    // Act
    const config = parseConfig({ ...REQUIRED, [ops]: [{ server: '0032' }], [CONTEXT_KEYS.alarmEmail]: '' });

    // Assess
    expect(config.alarmEmail).toBeUndefined();
  });

  it.each([
    ['operations are missing', {}, `${ops}: is required`],
    ['operations are an empty list', { [ops]: [] }, `${ops}: must list at least one operation`],
    ['operations are not valid JSON', { [ops]: '[{"server":' }, `${ops}: must be a JSON array`],
    ['a server has a slash', { [ops]: [{ server: '00/32' }] }, `${ops}[0].server: must match`],
    ['a server is missing', { [ops]: [{ timezone: 'America/Bogota' }] }, `${ops}[0].server: is required`],
    ['a time zone is unknown', { [ops]: [{ server: '0032', timezone: 'America/Atlantis' }] }, `${ops}[0].timezone: must be an IANA time zone`],
    ['a key is misspelt', { [ops]: [{ server: '0032', timeZone: 'UTC' }] }, `${ops}[0]: unknown key(s) "timeZone"`],
    ['settle minutes are negative', { [ops]: [{ server: '0032', settleMinutes: -1 }] }, `${ops}[0].settleMinutes: must be >= 0`],
    ['restatement is over a week', { [ops]: [{ server: '0032', restateAfterMinutes: 20_000 }] }, `${ops}[0].restateAfterMinutes: must be <= 10080`],
    ['the daily cap is zero', { [ops]: [{ server: '0032', dailyCallCap: 0 }] }, `${ops}[0].dailyCallCap: must be >= 1`],
    ['the reserve is over 90%', { [ops]: [{ server: '0032', tokenReserve: '95%' }] }, `${ops}[0].tokenReserve: must be a percentage between 0% and 90%`],
    ['the reserve is a share, not a percentage', { [ops]: [{ server: '0032', tokenReserve: 0.2 }] }, `${ops}[0].tokenReserve: must be a percentage of the token's daily limit (0% to 90%, e.g. 20%) or a whole number of calls`],
    ['the reserve is negative calls', { [ops]: [{ server: '0032', tokenReserve: -1 }] }, `${ops}[0].tokenReserve: must be between 0 and 10000000 calls`],
    ['the reserve is a word', { [ops]: [{ server: '0032', tokenReserve: 'some' }] }, `${ops}[0].tokenReserve: must be a percentage`],
    ['the reserve is a boolean', { [ops]: [{ server: '0032', tokenReserve: true }] }, `${ops}[0].tokenReserve: must be a percentage of the token's daily limit such as "20%" or a whole number of calls such as 200`],
    ['the check share is under 0.05', { [ops]: [{ server: '0032', checkShare: 0.01 }] }, `${ops}[0].checkShare: must be >= 0.05`],
    ['the check share is over 1', { [ops]: [{ server: '0032', checkShare: 1.5 }] }, `${ops}[0].checkShare: must be <= 1`],
    ['the check share is a percentage', { [ops]: [{ server: '0032', checkShare: '50%' }] }, `${ops}[0].checkShare: must be a decimal number such as 0.5`],
    ['token_info would be read every minute', { [ops]: [{ server: '0032', tokenInfoEveryMinutes: 1 }] }, `${ops}[0].tokenInfoEveryMinutes: must be >= 5`],
    ['token_info would be read less than daily', { [ops]: [{ server: '0032', tokenInfoEveryMinutes: 2000 }] }, `${ops}[0].tokenInfoEveryMinutes: must be <= 1440`],
    ['token_info minutes are a fraction', { [ops]: [{ server: '0032', tokenInfoEveryMinutes: 7.5 }] }, `${ops}[0].tokenInfoEveryMinutes: must be an integer`],
    ['silent days are zero', { [ops]: [{ server: '0032', silentDays: 0 }] }, `${ops}[0].silentDays: must be >= 1`],
    ['silent days are over a month', { [ops]: [{ server: '0032', silentDays: 32 }] }, `${ops}[0].silentDays: must be <= 31`],
    ['a secret name has a space', { [ops]: [{ server: '0032', tokenSecretName: 'my token' }] }, `${ops}[0].tokenSecretName: must be a Secrets Manager secret name`],
    ['two servers collide', { [ops]: [{ server: '0032' }, { server: '00-32' }] }, `${ops}[1].server: duplicates operation 0`],
    [
      'two operations share a secret',
      { [ops]: [{ server: 'a', tokenSecretName: 's' }, { server: 'b', tokenSecretName: 's' }] },
      `${ops}[1].tokenSecretName: is already used by operation 0`,
    ],
    ['the prefix is empty', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.prefix]: '' }, `${CONTEXT_KEYS.prefix}: must not be empty`],
    ['the prefix climbs', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.prefix]: 'a/../b' }, `${CONTEXT_KEYS.prefix}: must not contain`],
    ['the prefix holds a star, an IAM wildcard over other keys', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.prefix]: 'data*' }, `${CONTEXT_KEYS.prefix}: must not contain "*": the prefix is part of the collector roles' resource ARNs`],
    ['the prefix holds a question mark', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.prefix]: 'a/b?' }, `${CONTEXT_KEYS.prefix}: must not contain "?"`],
    ['the prefix holds a policy variable', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.prefix]: '${aws:username}' }, `${CONTEXT_KEYS.prefix}: must not contain "$"`],
    ['the prefix looks like a partition', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.prefix]: 'dt=1' }, `${CONTEXT_KEYS.prefix}: must be S3-safe`],
    ['the database name has a hyphen', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.databaseName]: 'wolk-vox' }, `${CONTEXT_KEYS.databaseName}: must be a Glue database name`],
    ['the e-mail is not an address', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.alarmEmail]: 'ops' }, `${CONTEXT_KEYS.alarmEmail}: must be an e-mail address`],
    ['log retention is not a CloudWatch value', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.logRetentionDays]: 31 }, `${CONTEXT_KEYS.logRetentionDays}: must be one of 1, 3, 5`],
    ['a retention is not a number', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.athenaResultsExpirationDays]: 'week' }, `${CONTEXT_KEYS.athenaResultsExpirationDays}: must be an integer`],
    ['the Athena cutoff is under 10 MB', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.athenaBytesScannedCutoffMb]: 5 }, `${CONTEXT_KEYS.athenaBytesScannedCutoffMb}: must be >= 10`],
    ['the stack name starts with a digit', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.stackName]: '1stack' }, `${CONTEXT_KEYS.stackName}: must be a CloudFormation stack name`],
    ['the first day is missing', { [ops]: [{ server: '0032' }], [firstDay]: undefined }, `${firstDay}: is required: the first operation day`],
    ['the first day is not a date', { [ops]: [{ server: '0032' }], [firstDay]: '1/10/2026' }, `${firstDay}: must be a date YYYY-MM-DD`],
    ['the first day does not exist', { [ops]: [{ server: '0032' }], [firstDay]: '2026-02-30' }, `${firstDay}: must be a calendar date`],
    ['the first day is before 2000', { [ops]: [{ server: '0032' }], [firstDay]: '1999-12-31' }, `${firstDay}: must not be before 2000-01-01`],
    ['the first day is after tomorrow', { [ops]: [{ server: '0032' }], [firstDay]: '2026-11-27' }, `${firstDay}: must not be in the future`],
    ['the dashboard switch is not a boolean', { [ops]: [{ server: '0032' }], [CONTEXT_KEYS.dashboard]: 'no' }, `${CONTEXT_KEYS.dashboard}: must be true or false`],
    ['mainStack is not a boolean', { [ops]: [{ server: '0032', mainStack: 'yes' }] }, `${ops}[0].mainStack: must be true or false`],
    [
      'more operations are marked mainStack than a main stack ever held',
      { [ops]: Array.from({ length: MAX_MAIN_STACK_OPERATIONS + 1 }, (_, i) => ({ server: `op-${i}`, mainStack: true })) },
      `${ops}: ${MAX_MAIN_STACK_OPERATIONS + 1} operations have "mainStack": true; the main stack holds at most ${MAX_MAIN_STACK_OPERATIONS}`,
    ],
    [
      'an operation stack name would pass 128 characters',
      { [ops]: [{ server: 'x'.repeat(32) }], [CONTEXT_KEYS.stackName]: `S${'s'.repeat(100)}` },
      `${ops}[0].server: makes the stack name "S${'s'.repeat(100)}-${'x'.repeat(32)}" longer than 128 characters`,
    ],
  ])('names the field when %s', (_case, raw, expected) => {
    // Act
    const message = errorOf(raw);

    // Assess
    expect(message).toContain(`  - ${expected}`);
  });

  it('accepts tomorrow (UTC) as the first day when an operation east of UTC starts today', () => {
    // Act
    const config = parseConfig({ [ops]: [{ server: '0032' }], [firstDay]: '2026-11-26' }, NOW);

    // Assess
    expect(config.firstDay).toBe('2026-11-26');
  });

  it('reports every problem at once when several fields are wrong', () => {
    // Act
    const message = errorOf({ [ops]: [{ server: '' }], [CONTEXT_KEYS.alarmEmail]: 'x', [CONTEXT_KEYS.logRetentionDays]: 2 });

    // Assess
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
  });

  it('rejects an unknown wolkvox: key when it is probably a typo', () => {
    // Prepare
    const all = { ...REQUIRED, [ops]: [{ server: '0032' }], 'wolkvox:alarmMail': 'ops@example.com' };

    // Act
    const act = () => loadConfig({ tryGetContext: (k) => all[k as keyof typeof all] }, all);

    // Assess
    expect(act).toThrow(/wolkvox:alarmMail: unknown key/);
  });
});
