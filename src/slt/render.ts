/**
 * Value rendering, sorting and hashing of query results the way SQLite's sqllogictest
 * does it (FORMAT.md sections 3, 4 and 6): one value per line, row-major.
 *
 *   I  printf("%d") of the value as a 64-bit integer; floats truncate toward zero,
 *      text converts like SQLite's CAST(x AS INTEGER)
 *   R  printf("%.3f")
 *   T  the text; '' → (empty); each byte outside 0x20–0x7E → '@'
 *   NULL → NULL whatever the column type
 */
import { createHash } from 'node:crypto';
import type { DataType, NestedScalar, Scalar } from '../common/types.js';
import type { SortMode } from './parser.js';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Render one value for a column of type character `typeChar` (I, R or T). */
export function renderValue(v: Scalar, typeChar: string, columnType: DataType | null = null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'object') return printable(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
  switch (typeChar) {
    case 'I': return renderInteger(v, columnType);
    case 'R': return renderReal(v);
    default: return renderText(v, columnType);
  }
}

function renderInteger(v: Exclude<Scalar, null | NestedScalar>, columnType: DataType | null): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return floatToInt64(v).toString();
  if (columnType === 'date32' || columnType === 'timestamp') return renderInteger(renderText(v, columnType), null);
  return sqliteTextToInteger(v).toString();
}

/** SQLite's float → integer conversion: truncate toward zero, saturate at the int64 range. */
function floatToInt64(x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  if (x >= 9223372036854775807) return INT64_MAX;
  if (x <= -9223372036854775808) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

/**
 * SQLite's CAST(text AS INTEGER): skip leading spaces, take the longest prefix that reads as
 * a number; a real prefix (with '.' or an exponent) truncates; nothing numeric gives 0.
 */
export function sqliteTextToInteger(s: string): bigint {
  const m = /^[ \t\n\f\r\v]*([+-]?)(\d*)(\.\d*)?([eE][+-]?\d+)?/.exec(s)!;
  const sign = m[1] === '-' ? -1n : 1n;
  const digits = m[2] ?? '';
  const frac = m[3];
  const exp = m[4];
  if (digits === '' && (frac === undefined || frac.length <= 1)) return 0n;
  if (frac === undefined && exp === undefined) {
    const n = sign * BigInt(digits);
    return n > INT64_MAX ? INT64_MAX : n < INT64_MIN ? INT64_MIN : n;
  }
  return floatToInt64(Number(m[0].trim()));
}

/** printf("%.3f"): like toFixed(3), except exact ties round half to even as glibc does. */
export function renderReal(v: Exclude<Scalar, null | NestedScalar>): string {
  const x = typeof v === 'number' ? v
    : typeof v === 'bigint' ? Number(v)
    : typeof v === 'boolean' ? (v ? 1 : 0)
    : Number(sqliteTextToReal(v));
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let body: string;
  if (a >= 1e21) {
    body = BigInt(a).toString() + '.000';
  } else {
    body = a.toFixed(3);
    const exact = a.toFixed(40);
    const dot = exact.indexOf('.');
    const tail = exact.slice(dot + 4);
    if (/^50*$/.test(tail)) {
      // An exact tie: toFixed rounded up; round to even instead.
      const down = exact.slice(0, dot + 4);
      const lastDigit = Number(down[down.length - 1]);
      if (lastDigit % 2 === 0) body = down;
    }
  }
  return (negative ? '-' : '') + body;
}

function sqliteTextToReal(s: string): string {
  const m = /^[ \t\n\f\r\v]*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(s);
  return m ? m[1]! : '0';
}

function renderText(v: Exclude<Scalar, null | NestedScalar>, columnType: DataType | null): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'bigint') s = columnType === 'timestamp' ? timestampText(v) : v.toString();
  else if (typeof v === 'boolean') s = v ? 'true' : 'false';
  else if (columnType === 'date32') s = dateText(v);
  else if (columnType === 'int32' || Number.isInteger(v) && columnType !== 'float64') s = v.toString();
  else s = floatText(v);
  if (s === '') return '(empty)';
  return printable(s);
}

/** SQLite shows a real as %!.15g: an integral value keeps a ".0". */
function floatText(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return x.toFixed(1);
  let s = x.toPrecision(15);
  if (s.includes('e')) {
    const [mant, exp] = s.split('e') as [string, string];
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '.0') : mant + '.0';
    const e = Number(exp);
    s = `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  } else if (s.includes('.')) {
    s = s.replace(/0+$/, '').replace(/\.$/, '.0');
  }
  return s;
}

function dateText(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

function timestampText(micros: bigint): string {
  const ms = Number(micros / 1000n);
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');
}

/** Each UTF-8 byte outside 0x20–0x7E becomes '@' (SQLite's runner works on bytes). */
function printable(s: string): string {
  // Fast path: all printable ASCII.
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) { clean = false; break; }
  }
  if (clean) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b < 0x20 || b > 0x7e ? '@' : String.fromCharCode(b);
  return out;
}

/** Render a result row-major: rows × columns values. */
export function renderRows(rows: readonly (readonly Scalar[])[], types: string, columnTypes: readonly (DataType | null)[] = []): string[][] {
  return rows.map((r) => r.map((v, j) => renderValue(v, types[j] ?? 'T', columnTypes[j] ?? null)));
}

/** strcmp order of rendered strings (all ASCII after rendering, so code units = bytes). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Apply a sort mode to rendered rows; returns the values in output order. */
export function sortValues(rendered: readonly (readonly string[])[], mode: SortMode): string[] {
  if (mode === 'valuesort') return rendered.flat().sort(compareText);
  if (mode === 'rowsort') {
    const rows = [...rendered].sort((x, y) => {
      const n = Math.min(x.length, y.length);
      for (let j = 0; j < n; j++) {
        const c = compareText(x[j]!, y[j]!);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    });
    return rows.flat();
  }
  return rendered.flat();
}

/** MD5 of the values, each followed by '\n', in lowercase hex. */
export function hashValues(values: readonly string[]): string {
  const h = createHash('md5');
  for (const v of values) { h.update(v); h.update('\n'); }
  return h.digest('hex');
}

export const HASH_LINE = /^(\d+) values hashing to ([0-9a-f]{32})$/;

export function hashLine(values: readonly string[]): string {
  return `${values.length} values hashing to ${hashValues(values)}`;
}
