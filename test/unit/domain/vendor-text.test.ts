import { describe, expect, it } from 'vitest';
import { cleanText, MAX_VENDOR_TEXT, redactor, REDACTED, vendorText, visibleControls } from '../../../lambda/domain/vendor-text.ts';

const TOKEN = 'tok-ECHOED-9f8e7d6c';

describe('Function: cleanText', () => {
  it('returns the message as it is when it is one short line of plain text', () => {
    // Act & Assess
    expect(cleanText('TOKEN LIMIT EXCEEDED')).toBe('TOKEN LIMIT EXCEEDED');
  });

  it('removes colour, cursor, title and bell sequences whole when the message holds terminal escapes', () => {
    // Prepare
    const raw = '\x1b[1;31mPLEASE\x1b[0m VALIDATE\x07 \x1b]0;owned\x07TOKEN\x1b[2J\x1b[H \x9b31mnow\x1bc';

    // Act
    const clean = cleanText(raw);

    // Assess
    expect(clean).toBe('PLEASE VALIDATE TOKEN now');
  });

  it('makes one line of a message when it holds line breaks, tabs, NULs and bidirectional overrides', () => {
    // Act & Assess
    expect(cleanText('  a\r\n\tb\u0000c\u202ed\u2066e  ')).toBe('a b c d e');
  });

  it('cuts a message to MAX_VENDOR_TEXT characters ending in an ellipsis when it is longer', () => {
    // Act
    const clean = cleanText(`${'x'.repeat(5_000)}TAIL`);

    // Assess
    expect(clean).toHaveLength(MAX_VENDOR_TEXT);
    expect(clean.endsWith('…')).toBe(true);
    expect(clean).not.toContain('TAIL');
  });

  it('cuts before a surrogate pair rather than through it when the limit falls inside one', () => {
    // Act
    const clean = cleanText(`${'x'.repeat(8)}😀😀😀`, 10);

    // Assess
    expect(clean).toBe(`${'x'.repeat(8)}…`);
  });

  it('reads a bounded head of the input when the input is megabytes long', () => {
    // Act
    const started = performance.now();
    const clean = cleanText('\x1b[31m'.repeat(2_000_000));

    // Assess
    expect(clean).toBe('');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('Function: vendorText', () => {
  it('returns null for a missing field and JSON for a field that is not text', () => {
    // Act & Assess
    expect(vendorText(null)).toBeNull();
    expect(vendorText(undefined)).toBeNull();
    expect(vendorText({ a: 1 })).toBe('{"a":1}');
    expect(vendorText(404)).toBe('404');
  });
});

describe('Function: visibleControls', () => {
  it('shows control characters as escapes when text kept as received is printed', () => {
    // Act & Assess
    expect(visibleControls('a\x1b[31mb\nc')).toBe('a\\u001b[31mb\\u000ac');
  });
});

describe('Function: redactor', () => {
  it('replaces the token wherever a body holds it, as sent and JSON-escaped', () => {
    // Prepare
    const odd = 'tok/with"quote\\and-slash';
    const escaped = JSON.stringify(odd).slice(1, -1);
    const redact = redactor([TOKEN, odd]);
    const body = `{"msg":"token ${TOKEN} or ${escaped}","php":"${escaped.replaceAll('/', '\\/')}"} <p>${odd}</p>`;

    // Act
    const out = redact(body);

    // Assess
    expect(out).toBe(`{"msg":"token ${REDACTED} or ${REDACTED}","php":"${REDACTED}"} <p>${REDACTED}</p>`);
  });

  it('redacts a token spelled with \\u escapes when the JSON parser would read it back', () => {
    // Prepare
    const spelled = [...TOKEN].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const body = `{"code":403,"msg":"bad token ${spelled}"}`;

    // Act
    const out = redactor([TOKEN])(body);

    // Assess
    expect(JSON.stringify(JSON.parse(out))).not.toContain(TOKEN);
    expect(JSON.parse(out)).toEqual({ code: 403, msg: `bad token ${REDACTED}` });
  });

  it('leaves a body as received when it holds no secret, escapes included', () => {
    // Prepare
    const body = '{"code":200,"msg":"caf\\u00e9","data":{"0_5_seg":{"calls":"3"}}}';

    // Act & Assess
    expect(redactor([TOKEN])(body)).toBe(body);
    expect(redactor([])(body)).toBe(body);
    expect(redactor([''])(body)).toBe(body);
  });
});
