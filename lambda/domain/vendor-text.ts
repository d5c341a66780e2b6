/**
 * Text the vendor sent, made safe where it enters (the client and the answer parsers), so that
 * no sink (a log line, the terminal, a stored object, the failure queue) has to clean it again.
 * - Bodies: what we sent as a secret (the token) is redacted; the rest is kept as received, for
 *   the fetch log's `response_body`.
 * - Messages (the vendor's `msg`, `error`, an error page, a code): control characters and
 *   terminal escape sequences removed, whitespace made one line, cut to MAX_VENDOR_TEXT.
 */

/** A few hundred characters: the vendor's messages are a line long; anything longer is not a message. */
export const MAX_VENDOR_TEXT = 300;

/** What a secret becomes in a body. */
export const REDACTED = '[redacted]';

/**
 * Terminal escape sequences, whole, so that no remnant ("[31m") is left: CSI (ESC [ or its 8-bit
 * form, parameters, a final byte), OSC, DCS and the like up to their terminator, and any other ESC
 * with the character after it.
 */
const ESCAPE_SEQUENCES = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)|\x1b[\x20-\x7e]?/g;

/** Control characters (C0, DEL, C1) and the bidirectional overrides that reorder what a terminal shows. */
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One line of vendor text: escape sequences and control characters gone, runs of whitespace one
 * space, cut to `max` characters (the last one `…` when cut). Work is bounded whatever the input's
 * size (an answer may be megabytes): only its first `max * 16` characters are read.
 */
export function cleanText(raw: string, max = MAX_VENDOR_TEXT): string {
  const head = raw.length > max * 16 ? raw.slice(0, max * 16) : raw;
  const flat = head.replace(ESCAPE_SEQUENCES, '').replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  // Never half a surrogate pair.
  const end = /[\ud800-\udbff]/.test(flat.charAt(max - 2)) ? max - 2 : max - 1;
  return `${flat.slice(0, end)}…`;
}

/** {@link cleanText} of any JSON value the vendor sent in a text field; null stays null. */
export function vendorText(value: unknown, max = MAX_VENDOR_TEXT): string | null {
  if (value === null || value === undefined) return null;
  return cleanText(typeof value === 'string' ? value : JSON.stringify(value), max);
}

/** Control characters shown as escapes (`\u001b`), for text kept as received that a terminal prints. */
export function visibleControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Removes `secrets` (the values we sent that must not come back: the token) from a body: as sent,
 * as JSON escapes them (`"` and `\`), and with `/` escaped as `\/` (PHP's json_encode). A JSON body
 * may spell a secret with any `\u` escapes, which the parser would read back as the secret: then
 * the body is kept as the parser reads it (serialized again), redacted.
 */
export function redactor(secrets: readonly string[]): (body: string) => string {
  const forms = secrets.filter((s) => s !== '').flatMap((s) => {
    const json = JSON.stringify(s).slice(1, -1);
    return [s, json, json.replaceAll('/', '\\/')];
  });
  if (forms.length === 0) return (body) => body;
  // Longest first: a form that holds another is replaced whole.
  const alternatives = [...new Set(forms)].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(alternatives.join('|'), 'g');
  const redact = (text: string) => text.replace(pattern, REDACTED);
  return (body) => {
    const out = redact(body);
    if (!out.includes('\\u')) return out;
    let parsed: unknown;
    try {
      parsed = JSON.parse(out);
    } catch {
      return out;
    }
    const canonical = JSON.stringify(parsed);
    const again = redact(canonical);
    return again === canonical ? out : again;
  };
}
