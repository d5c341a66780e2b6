/** The README documents every flag of the commands beside npm start, as their --help lists them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QUERY_USAGE } from '../../lambda/local/run-query.ts';
import { STATUS_USAGE } from '../../lambda/local/run-status.ts';
import { SIMULATOR_USAGE } from '../simulator/command-line.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function flagsOf(usage: string): string[] {
  return [...new Set([...usage.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!))];
}

describe('Document: README commands', () => {
  it.each([
    ['npm run query', QUERY_USAGE],
    ['npm run status', STATUS_USAGE],
    ['npm run simulator', SIMULATOR_USAGE],
  ])('documents every flag of %s', (command, usage) => {
    // Prepare
    const flags = flagsOf(usage);

    // Assess
    expect(flags.length, command).toBeGreaterThan(2);
    expect(readme).toContain(command);
    for (const flag of flags) expect(readme, `${command} --${flag}`).toContain(`--${flag}`);
  });
});
