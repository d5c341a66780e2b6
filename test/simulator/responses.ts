/** Vendor response bodies of reports_manager.php / information.php, as the reference notes describe them. */
import { INTERVAL_KEYS, totalCalls, type IntervalKey, type Totals } from './synthetic-calls.ts';
import type { EmptyStyle } from './types.ts';

/** Exact messages the simulator answers with. */
export const MESSAGES = {
  apiDoesNotExist: 'THE API YOU WANT TO CONSULT DOES NOT EXIST',
  parametersRequired: 'SOME PARAMETERS ARE REQUIRED',
  tokenMissing: 'PLEASE ENTER THE WOLKVOX-TOKEN',
  tokenInvalid: 'PLEASE VALIDATE TOKEN',
  tokenLimit: 'TOKEN LIMIT EXCEEDED',
  concurrency: 'EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)',
  maintenance: 'THE API IS TEMPORARILY DISABLED FOR MAINTENANCE',
  validateDates: 'Validate dates entered',
  notFound: 'NOT FOUND',
  methodNotAllowed: 'METHOD NOT ALLOWED',
} as const;

/** Price per minute used for `cost`. */
export const COST_PER_MINUTE = 0.03;

export interface Reply {
  status: number;
  contentType: string;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function code(status: number, codeAsString: boolean): number | string {
  return codeAsString ? String(status) : status;
}

function json(status: number, payload: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(payload) };
}

/** `{"code": <status>, "error": "<MESSAGE>", "msg": "<MESSAGE>"}` */
export function errorReply(status: number, message: string, codeAsString: boolean): Reply {
  return json(status, { code: code(status, codeAsString), error: message, msg: message });
}

function fixed2(value: number): string {
  return (Math.round(value * 100) / 100).toFixed(2);
}

/** How a server spells each interval key (VendorModel.intervalKeys): the documented key where not given. */
export type KeyNames = Readonly<Partial<Record<IntervalKey, string>>>;

/** The `data` object of cdr_4: every value a string (calls integer text; minutes, cost, percentage with 2 decimals). */
export function cdr4Data(totals: Totals, names: KeyNames = {}): Record<string, { calls: string; minutes: string; cost: string; percentage: string }> {
  const all = totalCalls(totals);
  // fromEntries defines every key, `__proto__` too (an assignment would set the prototype).
  return Object.fromEntries(
    INTERVAL_KEYS.map((key) => {
      const { calls, seconds } = totals[key];
      const minutes = seconds / 60;
      return [names[key] ?? key, { calls: String(calls), minutes: fixed2(minutes), cost: fixed2(minutes * COST_PER_MINUTE), percentage: all === 0 ? '0.00' : fixed2((calls * 100) / all) }];
    }),
  );
}

/** HTTP 200 with the five interval keys; msg counts the rows of `data` (5). */
export function cdr4Reply(totals: Totals, codeAsString: boolean, names: KeyNames = {}): Reply {
  const data = cdr4Data(totals, names);
  return json(200, { code: code(200, codeAsString), error: null, msg: `${Object.keys(data).length} records were found`, data });
}

/** A valid range with no visible calls, in the configured style. */
export function emptyReply(style: EmptyStyle, totals: Totals, codeAsString: boolean, names: KeyNames = {}): Reply {
  const ok = (data: unknown): Reply => json(200, { code: code(200, codeAsString), error: null, msg: '0 records were found', data });
  switch (style) {
    case '404':
      return errorReply(404, MESSAGES.validateDates, codeAsString);
    case 'empty-object':
      return ok({});
    case 'empty-array':
      return ok([]);
    case 'null':
      return ok(null);
    case 'zeros':
      return ok(cdr4Data(totals, names));
  }
}

export function tokenInfoReply(limit: number, usedToday: number, style: 'numbers' | 'blank'): Reply {
  // As the vendor's published sample: `code` as a string, one record in an array, every value a string.
  const field = (n: number) => (style === 'blank' ? ' ' : String(n));
  return json(200, {
    code: '200',
    error: null,
    msg: ' 1 records were found',
    data: [{ description: ' ', token_limit: field(limit), token_use_today: field(usedToday), all_token_today: field(usedToday), available_consumption_options: field(Math.max(0, limit - usedToday)) }],
  });
}

/** What a gateway in front of the API sends for 500/502/503: an HTML page, not JSON. */
export function gatewayReply(status: 500 | 502 | 503): Reply {
  const title = { 500: '500 Internal Server Error', 502: '502 Bad Gateway', 503: '503 Service Temporarily Unavailable' }[status];
  return { status, contentType: 'text/html; charset=utf-8', body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n` };
}

/** A vendor that echoes the token it was sent in a long message full of terminal escapes (Fault echoToken). */
export function echoTokenReply(status: 200 | 400, token: string, totals: Totals, codeAsString: boolean): Reply {
  const msg = `\x1b[1;31m${status === 200 ? '5 records were found' : 'INVALID REQUEST'}\x1b[0m for wolkvox-token ${token}\x07\x1b]0;owned\x07\r\n${'and so on, '.repeat(400)}`;
  return status === 200 ? json(200, { code: code(200, codeAsString), error: null, msg, data: cdr4Data(totals) }) : errorReply(400, msg, codeAsString);
}

/** HTTP 200 whose body is cut off mid-way: not parseable JSON. */
export function truncatedJsonReply(): Reply {
  return { status: 200, contentType: JSON_TYPE, body: '{"code":200,"error":null,"msg":"5 records were found","data":{"0_5_seg":{"calls":"1' };
}

/** HTTP 200, valid JSON, but `data` of an impossible shape. */
export function badShapeReply(codeAsString: boolean): Reply {
  return json(200, { code: code(200, codeAsString), error: null, msg: '1 records were found', data: 42 });
}
