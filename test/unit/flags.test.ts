import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/domain/errors.ts';
import { closestFlag, parseFlags } from '../../lambda/local/flags.ts';

const KNOWN = ['from', 'to', 'out', 'bucket', 'refetch', 'verbose', 'help'];
const spec = { options: { from: { type: 'string' as const }, verbose: { type: 'boolean' as const } }, helpCommand: 'npm start -- --help' };

describe('Function: closestFlag', () => {
  it.each([
    ['--form', 'from'],
    ['--frm', 'from'],
    ['--buckt', 'bucket'],
    ['--verb', 'verbose'],
    ['--Out', 'out'],
    ['--refetch=1', 'refetch'],
  ])('returns the flag meant when given %s', (given, meant) => {
    // Act / Assess
    expect(closestFlag(given, KNOWN)).toBe(meant);
  });

  it('returns nothing when no flag is close', () => {
    // Act / Assess
    expect(closestFlag('--zzzzzz', KNOWN)).toBeUndefined();
    expect(closestFlag('--', KNOWN)).toBeUndefined();
  });
});

describe('Function: parseFlags', () => {
  it.each([
    [['--form', 'x'], 'unknown option --form; did you mean --from? (npm start -- --help lists the options)'],
    [['--from'], 'option --from needs a value (npm start -- --help lists the options)'],
    [['--verbose=yes'], 'option --verbose takes no value (npm start -- --help lists the options)'],
    [['stray'], 'unexpected argument "stray": this command takes options only (npm start -- --help lists the options)'],
  ])('throws one line naming the problem when given %j', (argv, message) => {
    // Act
    const thrown = (() => {
      try {
        parseFlags(argv, spec);
      } catch (error) {
        return error;
      }
      return undefined;
    })();

    // Assess
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toBe(message);
  });

  it('returns the values when the flags are known', () => {
    // Act
    const { values } = parseFlags(['--from', '2026-11-20 08:00', '--verbose'], spec);

    // Assess
    expect(values).toEqual({ from: '2026-11-20 08:00', verbose: true });
  });
});
