import { describe, expect, it } from 'vitest';
import { formatTable } from '../../lambda/local/query-output.ts';

describe('Function: formatTable', () => {
  it('shows control characters as escapes when a stored vendor body holds terminal sequences', () => {
    // Act
    const table = formatTable(['response_body'], [['{"msg":"\x1b[31mred\x1b[0m\r\nnext"}'], [null]]);

    // Assess
    expect(table).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('{"msg":"\\u001b[31mred\\u001b[0m\\u000d\\u000anext"}');
    expect(table).toContain('NULL');
  });
});
