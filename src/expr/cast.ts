/**
 * CAST between Spillway types, a column at a time (length preserving, NULLs stay NULL).
 *
 *   numeric ↔ numeric   int32 < int64 < float64; narrowing is range checked; float → int
 *                       rounds half to even (as PostgreSQL and DuckDB); NaN/Infinity → error
 *   any → utf8          ints in decimal, floats in shortest round-trip form printed as
 *                       PostgreSQL does (1 → '1', 1e15 → '1e+15', 1e-5 → '1e-05'),
 *                       dates 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]',
 *                       booleans 'true' / 'false'
 *   utf8 → int/float    surrounding whitespace trimmed; bad text → 'invalid input syntax
 *                       for type integer: "abc"' (PostgreSQL's wording)
 *   utf8 → date32/timestamp/bool, date32 ↔ timestamp, bool ↔ int, int/float → bool
 *   utf8 ↔ time/interval/blob, timestamp → time (expr/interval.ts, expr/blob.ts: DuckDB's text)
 *   null → anything     all NULL
 * Any other pair raises SpillwayError('type', 'cannot cast type X to Y').
 */
import { isNested } from '../common/nested_types.js';
import { castNested } from './nested_cast.js';
import { fixedColumn, type Column, type Utf8Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { isDecimal, sqlTypeName, type DataType } from '../common/types.js';
import { castDecimal } from './decimal.js';
import { formatDate, formatTimestamp, joinTimestamp, parseDateTime, splitTimestamp, tsParts } from './dates.js';
import { allNull } from './broadcast.js';
import { decodeRange, Utf8Writer } from './utf8.js';
import { outOfRange } from './numeric.js';
import { textToInterval, textToTime, timeOfTimestamps, timeOrIntervalToText } from './interval.js';
import { blobToText, textToBlob } from './blob.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/** Cast a column to `to`; returns the same column when the type already matches. */
export function castColumn(c: Column, to: DataType): Column {
  if (c.type === to) return c;
  const n = c.length;
  if (c.type === 'null') return allNull(to, n);
  if (to === 'null') throw cannotCast(c.type, to);
  if (isNested(to) || isNested(c.type)) return castNested(c, to);
  if (isDecimal(to) || isDecimal(c.type)) return castDecimal(c, to);
  const other = castTimeIntervalBlob(c, to);
  if (other !== null) return other;
  if (to === 'utf8') return castToUtf8(c);
  const valid = c.validity;
  switch (c.type) {
    case 'utf8': return castFromUtf8(c, to);
    case 'bool': {
      const v = c.values;
      switch (to) {
        case 'int32': return fixedColumn('int32', Int32Array.from(v), valid);
        case 'float64': return fixedColumn('float64', Float64Array.from(v), valid);
        case 'int64': {
          const out = new BigInt64Array(n);
          for (let i = 0; i < n; i++) out[i] = v[i] === 1 ? 1n : 0n;
          return fixedColumn('int64', out, valid);
        }
        default: throw cannotCast(c.type, to);
      }
    }
    case 'int32': {
      const v = c.values;
      switch (to) {
        case 'int64': {
          const out = new BigInt64Array(n);
          for (let i = 0; i < n; i++) out[i] = BigInt(v[i]!);
          return fixedColumn('int64', out, valid);
        }
        case 'float64': return fixedColumn('float64', Float64Array.from(v), valid);
        case 'bool': {
          const out = new Uint8Array(n);
          for (let i = 0; i < n; i++) out[i] = v[i] !== 0 ? 1 : 0;
          return fixedColumn('bool', out, valid);
        }
        default: throw cannotCast(c.type, to);
      }
    }
    case 'int64': {
      const v = c.values;
      switch (to) {
        case 'int32': {
          const out = new Int32Array(n);
          for (let i = 0; i < n; i++) {
            const x = v[i]!;
            if (x > 2147483647n || x < -2147483648n) { if (valid === null || valid[i] === 1) throw outOfRange('int32'); continue; }
            out[i] = Number(x);
          }
          return fixedColumn('int32', out, valid);
        }
        case 'float64': {
          const out = new Float64Array(n);
          for (let i = 0; i < n; i++) out[i] = Number(v[i]!);
          return fixedColumn('float64', out, valid);
        }
        case 'bool': {
          const out = new Uint8Array(n);
          for (let i = 0; i < n; i++) out[i] = v[i] !== 0n ? 1 : 0;
          return fixedColumn('bool', out, valid);
        }
        default: throw cannotCast(c.type, to);
      }
    }
    case 'float64': {
      const v = c.values;
      switch (to) {
        case 'int32': {
          const out = new Int32Array(n);
          for (let i = 0; i < n; i++) {
            const r = roundHalfEven(v[i]!);
            if (!(r >= INT32_MIN && r <= INT32_MAX)) { if (valid === null || valid[i] === 1) throw outOfRange('int32'); continue; }
            out[i] = r;
          }
          return fixedColumn('int32', out, valid);
        }
        case 'int64': {
          const out = new BigInt64Array(n);
          for (let i = 0; i < n; i++) {
            const r = roundHalfEven(v[i]!);
            if (!(r >= -9223372036854775808 && r < 9223372036854775808)) { if (valid === null || valid[i] === 1) throw outOfRange('int64'); continue; }
            out[i] = BigInt(r);
          }
          return fixedColumn('int64', out, valid);
        }
        case 'bool': {
          const out = new Uint8Array(n);
          for (let i = 0; i < n; i++) out[i] = v[i] !== 0 ? 1 : 0;
          return fixedColumn('bool', out, valid);
        }
        default: throw cannotCast(c.type, to);
      }
    }
    case 'date32': {
      if (to !== 'timestamp') throw cannotCast(c.type, to);
      const v = c.values;
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (valid === null || valid[i] === 1) out[i] = joinTimestamp(v[i]!, 0);
      return fixedColumn('timestamp', out, valid);
    }
    case 'timestamp': {
      if (to !== 'date32') throw cannotCast(c.type, to);
      const v = c.values;
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        splitTimestamp(v[i]!);
        out[i] = tsParts.days;
      }
      return fixedColumn('date32', out, valid);
    }
    default: throw cannotCast(c.type, to);
  }
}

/** Casts from or to TIME, INTERVAL and BLOB; null for any other pair. */
function castTimeIntervalBlob(c: Column, to: DataType): Column | null {
  switch (c.type) {
    case 'time': case 'interval': if (to === 'utf8') return timeOrIntervalToText(c); throw cannotCast(c.type, to);
    case 'blob': if (to === 'utf8') return blobToText(c); throw cannotCast(c.type, to);
    case 'utf8':
      if (to === 'time') return textToTime(c);
      if (to === 'interval') return textToInterval(c);
      if (to === 'blob') return textToBlob(c);
      return null;
    case 'timestamp': return to === 'time' ? timeOfTimestamps(c) : null;
    default:
      if (to === 'time' || to === 'interval' || to === 'blob') throw cannotCast(c.type, to);
      return null;
  }
}

export function cannotCast(from: DataType, to: DataType): SpillwayError {
  return new SpillwayError('type', `cannot cast type ${sqlTypeName(from)} to ${sqlTypeName(to)}`);
}

/** Round half to even: PostgreSQL's and DuckDB's double → integer cast (74.5 → 74, 75.5 → 76). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero (round() on doubles, as DuckDB does). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

// ---- to text ------------------------------------------------------------------------------

/** A double as PostgreSQL prints it: shortest round-trip digits, exponent outside [-4, 15). */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const e = x.toExponential();
  const at = e.indexOf('e');
  const exp = Number(e.slice(at + 1));
  if (exp < -4 || exp >= 15) {
    const abs = Math.abs(exp);
    return `${e.slice(0, at)}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return String(x);
}

function castToUtf8(c: Column): Utf8Column {
  const n = c.length;
  const valid = c.validity;
  const w = new Utf8Writer(n, n * 8);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) { w.endNull(); continue; }
    switch (c.type) {
      case 'bool': w.pushString(c.values[i] === 1 ? 'true' : 'false'); break;
      case 'int32': case 'int64': w.pushString(String(c.values[i]!)); break;
      case 'float64': w.pushString(formatFloat(c.values[i]!)); break;
      case 'date32': w.pushString(formatDate(c.values[i]!)); break;
      case 'timestamp': w.pushString(formatTimestamp(c.values[i]!)); break;
      default: throw cannotCast(c.type, 'utf8');
    }
    w.endRow();
  }
  return w.finish();
}

// ---- from text ----------------------------------------------------------------------------

function isSpace(b: number): boolean {
  return b === 32 || (b >= 9 && b <= 13);
}

function invalidSyntax(typeName: string, d: Uint8Array, s: number, e: number): SpillwayError {
  return new SpillwayError('execution', `invalid input syntax for type ${typeName}: "${decodeRange(d, s, e)}"`);
}

function valueOutOfRange(typeName: string, d: Uint8Array, s: number, e: number): SpillwayError {
  return new SpillwayError('execution', `value "${decodeRange(d, s, e)}" is out of range for type ${typeName}`);
}

/** Bounds of the text with surrounding whitespace removed (scratch, no allocation). */
const trimmed = { s: 0, e: 0 };
function trim(d: Uint8Array, s: number, e: number): void {
  while (s < e && isSpace(d[s]!)) s++;
  while (e > s && isSpace(d[e - 1]!)) e--;
  trimmed.s = s;
  trimmed.e = e;
}

/** Parse an optionally signed decimal integer; NaN on bad syntax. Exact up to 2^53. */
function parseIntText(d: Uint8Array, s: number, e: number): number {
  let p = s;
  let neg = false;
  if (p < e && (d[p] === 45 || d[p] === 43)) { neg = d[p] === 45; p++; }
  if (p === e) return NaN;
  let v = 0;
  for (; p < e; p++) {
    const digit = d[p]! - 48;
    if (digit < 0 || digit > 9) return NaN;
    v = v * 10 + digit;
  }
  return neg ? -v : v;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)$/i;

function parseFloatText(text: string): number {
  if (FLOAT_RE.test(text)) return Number(text);
  const lower = text.toLowerCase();
  const body = lower.startsWith('+') || lower.startsWith('-') ? lower.slice(1) : lower;
  const sign = lower.startsWith('-') ? -1 : 1;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  return NaN;
}

const TRUE_WORDS = ['true', 'yes', 'on'];
const FALSE_WORDS = ['false', 'no', 'off'];

function parseBoolText(text: string): number {
  const t = text.toLowerCase();
  if (t === '1') return 1;
  if (t === '0') return 0;
  if (t.length === 0) return -1;
  // PostgreSQL accepts any unambiguous prefix ('t', 'tr', 'y', 'of' …) but not 'o'.
  if (t !== 'o') {
    for (const w of TRUE_WORDS) if (w.startsWith(t)) return 1;
    for (const w of FALSE_WORDS) if (w.startsWith(t)) return 0;
  }
  return -1;
}

function castFromUtf8(c: Utf8Column, to: DataType): Column {
  const n = c.length;
  const valid = c.validity;
  const d = c.data, off = c.offsets;
  switch (to) {
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        trim(d, off[i]!, off[i + 1]!);
        const v = parseIntText(d, trimmed.s, trimmed.e);
        if (Number.isNaN(v)) throw invalidSyntax('integer', d, off[i]!, off[i + 1]!);
        if (v < INT32_MIN || v > INT32_MAX) throw valueOutOfRange('integer', d, off[i]!, off[i + 1]!);
        out[i] = v;
      }
      return fixedColumn('int32', out, valid);
    }
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        trim(d, off[i]!, off[i + 1]!);
        const v = parseIntText(d, trimmed.s, trimmed.e);
        if (Number.isNaN(v)) throw invalidSyntax('bigint', d, off[i]!, off[i + 1]!);
        if (Number.isSafeInteger(v)) { out[i] = BigInt(v); continue; }
        const big = BigInt(decodeRange(d, trimmed.s, trimmed.e));
        if (big < INT64_MIN || big > INT64_MAX) throw valueOutOfRange('bigint', d, off[i]!, off[i + 1]!);
        out[i] = big;
      }
      return fixedColumn('int64', out, valid);
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        trim(d, off[i]!, off[i + 1]!);
        const text = decodeRange(d, trimmed.s, trimmed.e);
        const v = parseFloatText(text);
        if (Number.isNaN(v) && text.toLowerCase() !== 'nan') throw invalidSyntax('double precision', d, off[i]!, off[i + 1]!);
        out[i] = v;
      }
      return fixedColumn('float64', out, valid);
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        trim(d, off[i]!, off[i + 1]!);
        const v = parseBoolText(decodeRange(d, trimmed.s, trimmed.e));
        if (v < 0) throw invalidSyntax('boolean', d, off[i]!, off[i + 1]!);
        out[i] = v;
      }
      return fixedColumn('bool', out, valid);
    }
    case 'date32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        const text = decodeRange(d, off[i]!, off[i + 1]!);
        if (!parseDateTime(text)) throw invalidSyntax('date', d, off[i]!, off[i + 1]!);
        if (tsParts.days < INT32_MIN || tsParts.days > INT32_MAX) throw outOfRange('date32');
        out[i] = tsParts.days;
      }
      return fixedColumn('date32', out, valid);
    }
    case 'timestamp': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        const text = decodeRange(d, off[i]!, off[i + 1]!);
        if (!parseDateTime(text)) throw invalidSyntax('timestamp', d, off[i]!, off[i + 1]!);
        out[i] = joinTimestamp(tsParts.days, tsParts.micros);
      }
      return fixedColumn('timestamp', out, valid);
    }
    default: throw cannotCast('utf8', to);
  }
}
