import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_COLUMNS, FETCH_COLUMNS, PARTITION_COLUMNS } from '../../lambda/domain/columns.ts';
import { LAMBDA_ENV } from '../../lambda/domain/metrics.ts';
import { EXIT } from '../../lambda/local/run-cli.ts';
import { USAGE } from '../../lambda/local/cli-args.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('Document: README output contract', () => {
  it.each(DATA_COLUMNS.map((c) => [c.name, c.type]))('documents cdr_4 column %s as %s', (name, type) => {
    // Assess
    expect(readme).toMatch(new RegExp(`\\| \`${name}\` \\| ${type} \\|`));
  });

  it('lists the cdr_4 columns in the order rows are written', () => {
    // Prepare
    const documented = [...readme.matchAll(/^\| `([a-z_]+)` \| (?:string|int|bigint|double|boolean) \|/gm)].map((m) => m[1]);

    // Assess
    expect(documented).toEqual(DATA_COLUMNS.map((c) => c.name));
  });

  it.each(FETCH_COLUMNS.map((c) => [c.name]))('documents fetch-log column %s', (name) => {
    // Assess
    expect(readme).toContain(`\`${name}\``);
  });

  it.each([...PARTITION_COLUMNS.map((c) => c.name), ...Object.values(LAMBDA_ENV).filter((v) => v !== 'WOLKVOX_TOKEN_SECRET_ID' && v !== 'BUCKET_NAME')])('mentions %s', (name) => {
    // Assess
    expect(readme).toContain(`\`${name}\``);
  });
});

describe('Document: README command line', () => {
  it.each(Object.entries(EXIT))('documents exit status %s (%i) in the exit status table', (_name, code) => {
    // Assess
    expect(readme).toMatch(new RegExp(`^\\| \`${code}\` \\| `, 'm'));
  });

  it.each([...USAGE.matchAll(/--([a-z]+)/g)].map((m) => m[1]!).filter((v, i, all) => all.indexOf(v) === i))('documents option --%s', (option) => {
    // Assess
    expect(readme).toContain(`\`--${option}`);
  });
});
