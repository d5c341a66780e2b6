/**
 * Every saved query and every SQL block of the documentation parses with a Trino grammar
 * (dt-sql-parser's TrinoSQL; Athena engine v3 is Trino), so a typo is found here rather than
 * by an analyst in the console.
 */
import { readFileSync } from 'node:fs';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { exampleQuery, namedQueries, type QueryOperation } from '../../infra/queries.ts';

const parser = new TrinoSQL();
const ONE_ZONE: QueryOperation[] = [{ server: '0032', timezone: 'America/Bogota' }];
const TWO_ZONES: QueryOperation[] = [...ONE_ZONE, { server: '0045', timezone: 'Asia/Tokyo' }];

function problems(sql: string): string[] {
  return parser.validate(sql).map((e) => `line ${e.startLine}:${e.startColumn} ${e.message}`);
}

/** ```sql fenced blocks of a Markdown file, labelled file:line. */
function sqlBlocks(file: string): [string, string][] {
  const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  const blocks: [string, string][] = [];
  for (const m of text.matchAll(/^```sql\n([\s\S]*?)^```/gm)) {
    const line = text.slice(0, m.index).split('\n').length;
    blocks.push([`${file}:${line}`, m[1] ?? '']);
  }
  return blocks;
}

const DOC_BLOCKS = [...sqlBlocks('README.md'), ...sqlBlocks('docs/infrastructure.md')];

describe('Queries: Trino grammar', () => {
  it('rejects a malformed statement when the grammar checks it', () => {
    // Assess: the check can fail.
    expect(problems('SELECT dt, FROM "wolkvox"."cdr_4" WHERE')).not.toEqual([]);
  });

  it.each([
    ['one zone', ONE_ZONE],
    ['two zones', TWO_ZONES],
  ])('parses every saved query when the operations span %s', (_label, operations) => {
    for (const q of namedQueries('wolkvox', operations)) {
      // Assess
      expect(problems(q.sql), q.id).toEqual([]);
    }
  });

  it('parses the example query when it is printed as an output', () => {
    // Assess
    expect(problems(exampleQuery('wolkvox', ONE_ZONE[0]!))).toEqual([]);
  });

  it('finds SQL blocks in the README and the infrastructure doc when they are read', () => {
    // Assess
    expect(DOC_BLOCKS.filter(([where]) => where.startsWith('README.md')).length).toBeGreaterThan(0);
    expect(DOC_BLOCKS.filter(([where]) => where.startsWith('docs/')).length).toBeGreaterThan(0);
  });

  it.each(DOC_BLOCKS)('parses the SQL block at %s when an analyst copies it', (_where, sql) => {
    // Assess
    expect(problems(sql)).toEqual([]);
  });
});
