/**
 * Command-line flags for every CLI of the project (npm start, query, status, the simulator):
 * node:util's parseArgs, with its errors turned into one short line that names the flag,
 * suggests the one meant and points at --help, instead of Node's advice about `--` or a
 * screen of usage that scrolls the error away.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../domain/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Edit distance with swapped neighbours as one edit (--form for --from), for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known flag closest to `given` (a prefix of it, or at most a third of its letters off). */
export function closestFlag(given: string, known: readonly string[]): string | undefined {
  const name = given.replace(/^-+/, '').split('=')[0]!.toLowerCase();
  if (name === '') return undefined;
  const prefixed = known.filter((k) => k.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  let best: { flag: string; d: number } | undefined;
  for (const flag of known) {
    const d = distance(name, flag);
    if (d <= Math.max(1, Math.floor(flag.length / 3)) && (!best || d < best.d)) best = { flag, d };
  }
  return best?.flag;
}

export interface FlagSpec<O extends Options> {
  readonly options: O;
  /** How the user asks for help, e.g. `npm start -- --help`. */
  readonly helpCommand: string;
  /** What positionals mean, when the command takes any (else they are refused). */
  readonly positionals?: string;
}

/** parseArgs (strict), with its errors as a ConfigError of one line and a hint. */
export function parseFlags<O extends Options>(argv: readonly string[], spec: FlagSpec<O>) {
  try {
    return parseArgs({ args: [...argv], options: spec.options, strict: true, allowPositionals: spec.positionals !== undefined });
  } catch (error) {
    throw new ConfigError(flagErrorText(error as Error & { code?: string }, spec));
  }
}

function flagErrorText(error: Error & { code?: string }, spec: FlagSpec<Options>): string {
  const help = `${spec.helpCommand} lists the options`;
  const known = Object.keys(spec.options);
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const given = /'([^']+)'/.exec(error.message)?.[1] ?? '';
      const guess = closestFlag(given, known);
      return `unknown option ${given}${guess ? `; did you mean --${guess}?` : ''} (${help})`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = /'(-[^ ']+)/.exec(error.message)?.[1];
      const takesValue = flag !== undefined && spec.options[flag.replace(/^-+/, '')]?.type === 'string';
      return takesValue ? `option ${flag} needs a value (${help})` : `option ${flag ?? ''} takes no value (${help})`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const given = /'([^']*)'/.exec(error.message)?.[1] ?? '';
      return `unexpected argument "${given}": this command takes options only (${help})`;
    }
    default:
      return `${error.message} (${help})`;
  }
}
