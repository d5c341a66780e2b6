import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_COLUMNS, FETCH_COLUMNS, PARTITION_COLUMNS, VERIFICATION_COLUMNS, VERIFICATION_PARTITION_COLUMNS } from '../../lambda/domain/columns.ts';
import { LAMBDA_ENV } from '../../lambda/domain/metrics.ts';
import { EXIT } from '../../lambda/local/run-cli.ts';
import { USAGE } from '../../lambda/local/cli-args.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README from one `### ` heading to the next. */
function section(heading: string): string {
  const start = readme.indexOf(`### ${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf('\n#', start + 4);
  return readme.slice(start, next === -1 ? undefined : next);
}

/** `| \`name\` | type |` rows of a column table, as [name, type]. */
function columnRows(text: string): [string, string][] {
  return [...text.matchAll(/^\| `([a-z_]+)` \| (string|int|bigint|double|boolean) \|/gm)].map((m) => [m[1]!, m[2]!]);
}

describe('Document: README output contract', () => {
  it.each(DATA_COLUMNS.map((c) => [c.name, c.type]))('documents cdr_4 column %s as %s', (name, type) => {
    // Assess
    expect(readme).toMatch(new RegExp(`\\| \`${name}\` \\| ${type} \\|`));
  });

  it('lists the cdr_4 columns in the order rows are written', () => {
    // Prepare
    const documented = columnRows(section('Row schema: table `cdr_4`')).map(([name]) => name);

    // Assess
    expect(documented).toEqual(DATA_COLUMNS.map((c) => c.name));
  });

  it('lists the cdr_4_verifications columns, typed, in the order records are written', () => {
    // Prepare
    const text = section('Day verification: table `cdr_4_verifications`');

    // Assess
    expect(columnRows(text)).toEqual(VERIFICATION_COLUMNS.map((c) => [c.name, c.type]));
    for (const p of VERIFICATION_PARTITION_COLUMNS) expect(text).toContain(`\`${p.name}\``);
  });

  it('gives the one-line SQL of the days not verified and the verified-day key when the verification table is described', () => {
    // Prepare
    const text = section('Day verification: table `cdr_4_verifications`');

    // Assess
    expect(text).toContain("SELECT dt FROM cdr_4_verifications WHERE operation = '0032' GROUP BY dt HAVING max_by(status, checked_at) <> 'verified'");
    expect(text).toContain('{prefix}/cdr_4_verifications/operation={server}/dt={YYYY-MM-DD}/{status}-{checked_at}-{id}.json');
    expect(text).toContain('"wildcard": "wolkvox/cdr_4_verifications/operation=*/dt=*/verified-*"');
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

  it.each([...USAGE.matchAll(/--([a-z]+(?:-[a-z]+)*)/g)].map((m) => m[1]!).filter((v, i, all) => all.indexOf(v) === i))('documents option --%s', (option) => {
    // Assess
    expect(readme).toContain(`\`--${option}`);
  });
});
