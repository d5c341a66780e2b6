import * as z from 'zod/mini';
import { WolkvoxBadJsonError, WolkvoxResponseError, type ErrorContext } from './errors.ts';
import { intervalBounds } from './interval-key.ts';
import { parseVendorNumber } from './vendor-number.ts';
import { cleanText, vendorText } from './vendor-text.ts';
import { classifyVendorFailure, isNoRecordsAnswer } from './vendor-errors.ts';

/** One interval of the report, figures parsed; `key` is exactly what the API sent. */
export interface ReportInterval {
  readonly key: string;
  readonly minSeconds: number | null;
  readonly maxSeconds: number | null;
  readonly calls: number | null;
  readonly minutes: number | null;
  readonly cost: number | null;
  readonly percentage: number | null;
}

export interface ParsedReport {
  readonly kind: 'collected' | 'empty';
  readonly intervals: readonly ReportInterval[];
  readonly vendorCode: string | null;
  readonly vendorMsg: string | null;
  readonly warnings: readonly string[];
}

// Deliberately loose: the envelope's fields vary by endpoint and version, and anything
// unexpected inside `data` must be kept, not rejected.
const envelopeSchema = z.looseObject({
  code: z.nullish(z.union([z.number(), z.string()])),
  error: z.optional(z.unknown()),
  msg: z.optional(z.unknown()),
  message: z.optional(z.unknown()),
  data: z.optional(z.unknown()),
});

const figuresSchema = z.looseObject({
  calls: z.optional(z.unknown()),
  minutes: z.optional(z.unknown()),
  cost: z.optional(z.unknown()),
  percentage: z.optional(z.unknown()),
});

const NAME_FIELDS = ['interval', 'INTERVAL', 'Interval', 'name', 'range', 'key'] as const;

/**
 * Reads a cdr_4 answer. Returns the intervals (possibly none) for a collected window and
 * throws a classified WolkvoxError for anything the vendor meant as a failure. Every text of the
 * vendor's that leaves here (its message and code, an error page, an interval key in a warning)
 * is cleaned and cut first (vendor-text.ts); the body itself comes without the token (the client).
 */
export function parseCdr4Response(httpStatus: number, body: string, context: ErrorContext = {}): ParsedReport {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    if (httpStatus !== 200) {
      const said = cleanText(body);
      if (isNoRecordsAnswer(httpStatus, said)) return { kind: 'empty', intervals: [], vendorCode: null, vendorMsg: said, warnings: [] };
      throw classifyVendorFailure(httpStatus, said, context);
    }
    throw new WolkvoxBadJsonError(`Wolkvox answered HTTP 200 with a body that is not JSON (${body.length} bytes)`, { httpStatus, context, cause });
  }

  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    if (httpStatus !== 200) {
      // Some error bodies are a bare JSON string holding the vendor's message.
      const said = typeof json === 'string' ? cleanText(json) : '';
      if (isNoRecordsAnswer(httpStatus, said)) return { kind: 'empty', intervals: [], vendorCode: null, vendorMsg: said, warnings: [] };
      throw classifyVendorFailure(httpStatus, said, context);
    }
    throw new WolkvoxResponseError(`Wolkvox answered with JSON that is not an object: ${cleanText(body, 80)}`, { httpStatus, context });
  }
  const { code, error, msg, message, data } = envelope.data;
  const vendorCode = vendorText(code, 40);
  const vendorMsg = vendorText(msg) ?? vendorText(message) ?? vendorText(error);
  // The vendor often repeats one text in `error` and `msg`: say it once.
  const said = cleanText([...new Set([error, msg, message].map((t) => vendorText(t)).filter((s): s is string => !!s))].join(' '));

  const bodyCode = vendorCode !== null && /^\s*\d+\s*$/.test(vendorCode) ? Number(vendorCode) : null;
  const status = httpStatus !== 200 ? httpStatus : bodyCode !== null && bodyCode !== 200 ? bodyCode : 200;
  if (status !== 200) {
    if (isNoRecordsAnswer(status, said)) return { kind: 'empty', intervals: [], vendorCode, vendorMsg, warnings: [] };
    throw classifyVendorFailure(status, said, context);
  }
  if (vendorCode !== null && bodyCode === null) {
    throw new WolkvoxResponseError(`Wolkvox body code is not a number: ${JSON.stringify(vendorCode)}`, { httpStatus, vendorMessage: vendorMsg, context });
  }

  const warnings: string[] = [];
  const entries = dataEntries(data, warnings, httpStatus, vendorMsg, context);
  const intervals = entries.map(([key, value]) => toInterval(key, value, warnings));
  return { kind: intervals.length === 0 ? 'empty' : 'collected', intervals, vendorCode, vendorMsg, warnings };
}

function dataEntries(data: unknown, warnings: string[], httpStatus: number, vendorMsg: string | null, context: ErrorContext): Array<[string, unknown]> {
  if (data === null || data === undefined || data === '') return [];
  if (Array.isArray(data)) {
    return data.flatMap((item, index): Array<[string, unknown]> => {
      if (item === null || typeof item !== 'object') {
        warnings.push(`data[${index}] is not an object; kept as interval "#${index}"`);
        return [[`#${index}`, item]];
      }
      const record = item as Record<string, unknown>;
      const nameField = NAME_FIELDS.find((f) => typeof record[f] === 'string');
      if (nameField) return [[record[nameField] as string, record]];
      const keys = Object.keys(record);
      // A list of single-key objects: [{"0_5_seg": {...}}, ...]
      if (keys.length === 1 && typeof record[keys[0]!] === 'object') return [[keys[0]!, record[keys[0]!]]];
      warnings.push(`data[${index}] names no interval; kept as interval "#${index}"`);
      return [[`#${index}`, record]];
    });
  }
  if (typeof data === 'object') return Object.entries(data as Record<string, unknown>);
  throw new WolkvoxResponseError(`Wolkvox data is a ${typeof data}, not an object or array`, { httpStatus, vendorMessage: vendorMsg, context });
}

function toInterval(key: string, value: unknown, warnings: string[]): ReportInterval {
  const { min, max } = intervalBounds(key);
  // The key is kept exactly as sent in the rows; in a warning, a cleaned one does.
  const named = cleanText(key, 80);
  const figures = figuresSchema.safeParse(value);
  if (!figures.success) {
    warnings.push(`${named}: value is not an object of figures`);
    return { key, minSeconds: min, maxSeconds: max, calls: null, minutes: null, cost: null, percentage: null };
  }
  const read = (field: 'calls' | 'minutes' | 'cost' | 'percentage'): number | null => {
    const parsed = parseVendorNumber(figures.data[field]);
    if (parsed.warning) warnings.push(`${named}.${field}: ${parsed.warning}`);
    return parsed.value;
  };
  if (min === null) warnings.push(`${named}: unknown interval key, bounds left null`);
  return { key, minSeconds: min, maxSeconds: max, calls: read('calls'), minutes: read('minutes'), cost: read('cost'), percentage: read('percentage') };
}
