/**
 * The vendor sends every figure as a string whose format is undocumented ("", " ", "12",
 * "3.50", "3,50", "1.234,5", "45%"). Blank means "no value" (null), never 0. Text that
 * is not a number is also null but reported, so the fetch log says why a value is missing.
 */
export interface ParsedNumber {
  readonly value: number | null;
  readonly warning?: string;
}

export function parseVendorNumber(raw: unknown): ParsedNumber {
  if (raw === null || raw === undefined) return { value: null };
  if (typeof raw === 'number') return Number.isFinite(raw) ? { value: raw } : { value: null, warning: `non-finite number ${String(raw)}` };
  if (typeof raw !== 'string') return { value: null, warning: `expected a string, got ${typeof raw}` };

  let text = raw.trim().replace(/\s+/g, '').replace(/%$/, '');
  if (text === '' || text === '-') return { value: null };
  if (!/^[-+]?[\d.,]+$/.test(text)) return { value: null, warning: `not a number: ${JSON.stringify(raw.slice(0, 40))}` };

  const lastDot = text.lastIndexOf('.');
  const lastComma = text.lastIndexOf(',');
  if (lastDot >= 0 && lastComma >= 0) {
    // Both present: the later one is the decimal separator, the other groups thousands.
    text = lastComma > lastDot ? text.replace(/\./g, '').replace(',', '.') : text.replace(/,/g, '');
  } else if (lastComma >= 0) {
    const groups = text.split(',');
    const thousands = groups.length > 2 || (groups.length === 2 && groups[1]!.length === 3 && groups[0]!.replace(/^[-+]/, '') !== '0');
    text = thousands ? groups.join('') : text.replace(',', '.');
  } else if (lastDot >= 0 && text.split('.').length > 2) {
    text = text.replace(/\./g, '');
  }

  const value = Number(text);
  return Number.isFinite(value) ? { value } : { value: null, warning: `not a number: ${JSON.stringify(raw.slice(0, 40))}` };
}
