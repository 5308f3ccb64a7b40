/**
 * Calendar arithmetic on day numbers (date32: days since 1970-01-01) and microsecond
 * timestamps, without JS Date objects: the proleptic Gregorian civil-from-days and
 * days-from-civil algorithms (H. Hinnant), integer math only.
 *
 *   days ──civilFromDays──▶ (year, month, day)      (year, month, day) ──daysFromCivil──▶ days
 *
 * Kernels here: date_part / extract, date_trunc, date_add_days, date_add_months, and the
 * text forms used by CAST (parse and format YYYY-MM-DD[ HH:MM:SS[.ffffff]]).
 *
 * Years are astronomical inside (year 0 = 1 BC); text and EXTRACT(year) follow PostgreSQL
 * (no year 0: '0001-12-31 BC' is astronomical year 0, extract year → -1).
 */
import { fixedColumn, type Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import type { DataType } from '../common/types.js';
import { andValidity, maskOf, validityOf } from './broadcast.js';
import { doublesToColumn, outOfRange } from './numeric.js';

export const US_PER_DAY = 86_400_000_000;
const US_PER_DAY_N = 86_400_000_000n;
const US_PER_SECOND = 1_000_000;

export { civil, civilFromDays, daysFromCivil, isLeapYear, daysInMonth } from '../common/calendar.js';
import { civil, civilFromDays, daysFromCivil, daysInMonth } from '../common/calendar.js';

/** Day of week, Sunday = 0 (1970-01-01 was a Thursday). */
export function dayOfWeek(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** ISO 8601 week number and ISO year (weeks start Monday; week 1 holds the first Thursday). */
export const isoWeek = { year: 0, week: 0 };
export function computeIsoWeek(days: number): void {
  const isoDow = dayOfWeek(days) || 7;
  const thursday = days - isoDow + 4;
  civilFromDays(thursday);
  const y = civil.year;
  isoWeek.year = y;
  isoWeek.week = Math.floor((thursday - daysFromCivil(y, 1, 1)) / 7) + 1;
}

/** Add months to a day number, clamping the day to the end of the target month. */
export function addMonths(days: number, months: number): number {
  civilFromDays(days);
  const total = civil.year * 12 + (civil.month - 1) + months;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  const d = Math.min(civil.day, daysInMonth(y, m));
  return daysFromCivil(y, m, d);
}

// ---- timestamps -------------------------------------------------------------------------

/** Scratch output of splitTimestamp: day number and microseconds within the day. */
export const tsParts = { days: 0, micros: 0 };

export function splitTimestamp(us: bigint): void {
  const x = Number(us);
  if (Number.isSafeInteger(x)) {
    const d = Math.floor(x / US_PER_DAY);
    tsParts.days = d;
    tsParts.micros = x - d * US_PER_DAY;
    return;
  }
  let d = us / US_PER_DAY_N;
  let r = us - d * US_PER_DAY_N;
  if (r < 0n) { d -= 1n; r += US_PER_DAY_N; }
  tsParts.days = Number(d);
  tsParts.micros = Number(r);
}

export function joinTimestamp(days: number, micros: number): bigint {
  const x = days * US_PER_DAY + micros;
  if (Number.isSafeInteger(x)) return BigInt(x);
  const r = BigInt(days) * US_PER_DAY_N + BigInt(micros);
  if (r > 9223372036854775807n || r < -9223372036854775808n) throw outOfRange('timestamp');
  return r;
}

// ---- text forms -------------------------------------------------------------------------

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

/** 'YYYY-MM-DD' (PostgreSQL style: years ≤ 0 print as '0001-... BC'). */
export function formatDate(days: number): string {
  civilFromDays(days);
  const y = civil.year;
  const body = `${pad(y > 0 ? y : 1 - y, 4)}-${pad(civil.month, 2)}-${pad(civil.day, 2)}`;
  return y > 0 ? body : body + ' BC';
}

/** 'YYYY-MM-DD HH:MM:SS[.ffffff]' with trailing fraction zeros trimmed, as PostgreSQL prints. */
export function formatTimestamp(us: bigint): string {
  splitTimestamp(us);
  const days = tsParts.days;
  let t = tsParts.micros;
  const frac = t % US_PER_SECOND;
  t = (t - frac) / US_PER_SECOND;
  const sec = t % 60; t = (t - sec) / 60;
  const min = t % 60;
  const hour = (t - min) / 60;
  civilFromDays(days);
  const y = civil.year;
  let s = `${pad(y > 0 ? y : 1 - y, 4)}-${pad(civil.month, 2)}-${pad(civil.day, 2)} ${pad(hour, 2)}:${pad(min, 2)}:${pad(sec, 2)}`;
  if (frac !== 0) s += '.' + pad(frac, 6).replace(/0+$/, '');
  return y > 0 ? s : s + ' BC';
}

const DATE_RE = /^([+-]?\d{1,7})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?( BC)?$/i;

/**
 * Parse 'YYYY-MM-DD[ HH:MM[:SS[.frac]]][ BC]' into day number + microseconds of day.
 * Returns false on a syntax error; throws a SpillwayError for a field out of range.
 */
export function parseDateTime(text: string): boolean {
  const m = DATE_RE.exec(text.trim());
  if (m === null) return false;
  let year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (m[8] !== undefined) {
    if (year <= 0) return false;
    year = 1 - year;
  }
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const frac = m[7] === undefined ? 0 : Math.round(Number('0.' + m[7]) * US_PER_SECOND);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 24 || minute > 59 || second > 60
      || (hour === 24 && (minute > 0 || second > 0 || frac > 0))) {
    throw new SpillwayError('execution', `date/time field value out of range: "${text}"`);
  }
  tsParts.days = daysFromCivil(year, month, day);
  tsParts.micros = ((hour * 60 + minute) * 60 + second) * US_PER_SECOND + frac;
  return true;
}

// ---- date_part / extract -----------------------------------------------------------------

const PART_ALIASES: Record<string, string> = {
  years: 'year', y: 'year', yr: 'year', yrs: 'year',
  months: 'month', mon: 'month', mons: 'month',
  days: 'day', d: 'day',
  hours: 'hour', h: 'hour', hr: 'hour', hrs: 'hour',
  minutes: 'minute', m: 'minute', min: 'minute', mins: 'minute',
  seconds: 'second', s: 'second', sec: 'second', secs: 'second',
  milliseconds: 'millisecond', ms: 'millisecond', microseconds: 'microsecond', us: 'microsecond',
  weeks: 'week', w: 'week', quarters: 'quarter', qtr: 'quarter',
  decades: 'decade', centuries: 'century', millennia: 'millennium', millenniums: 'millennium',
  dayofweek: 'dow', weekday: 'dow', dayofyear: 'doy',
};

export function normalizePart(part: string): string {
  const p = part.trim().toLowerCase();
  return PART_ALIASES[p] ?? p;
}

type PartFn = (days: number, micros: number) => number;

const PARTS: Record<string, PartFn> = {
  year: (d) => { civilFromDays(d); return civil.year > 0 ? civil.year : civil.year - 1; },
  isoyear: (d) => { computeIsoWeek(d); return isoWeek.year > 0 ? isoWeek.year : isoWeek.year - 1; },
  quarter: (d) => { civilFromDays(d); return Math.floor((civil.month - 1) / 3) + 1; },
  month: (d) => { civilFromDays(d); return civil.month; },
  day: (d) => { civilFromDays(d); return civil.day; },
  week: (d) => { computeIsoWeek(d); return isoWeek.week; },
  dow: (d) => dayOfWeek(d),
  isodow: (d) => dayOfWeek(d) || 7,
  doy: (d) => { civilFromDays(d); return d - daysFromCivil(civil.year, 1, 1) + 1; },
  decade: (d) => { civilFromDays(d); return Math.floor(civil.year / 10); },
  century: (d) => { civilFromDays(d); const y = civil.year; return y > 0 ? Math.floor((y - 1) / 100) + 1 : -(Math.floor(-y / 100) + 1); },
  millennium: (d) => { civilFromDays(d); const y = civil.year; return y > 0 ? Math.floor((y - 1) / 1000) + 1 : -(Math.floor(-y / 1000) + 1); },
  hour: (_d, us) => Math.floor(us / 3_600_000_000),
  minute: (_d, us) => Math.floor(us / 60_000_000) % 60,
  second: (_d, us) => (us % 60_000_000) / US_PER_SECOND,
  millisecond: (_d, us) => (us % 60_000_000) / 1000,
  microsecond: (_d, us) => us % 60_000_000,
  epoch: (d, us) => d * 86400 + us / US_PER_SECOND,
};

/** EXTRACT(part FROM x) for date32 / timestamp columns; the result type is the binder's. */
export function datePart(partText: string, x: Column, outType: DataType): Column {
  const part = normalizePart(partText);
  const fn = PARTS[part];
  if (fn === undefined) throw new SpillwayError('unsupported', `date_part unit "${partText}" is not supported`);
  const n = x.length;
  const out = new Float64Array(n);
  const validity = validityOf(x);
  if (x.type === 'date32' && (part === 'year' || part === 'month' || part === 'day' || part === 'quarter')) {
    civilFieldLoop(part, x.values, out);
  } else if (x.type === 'date32') {
    const v = x.values;
    for (let i = 0; i < n; i++) if (validity === null || validity[i] === 1) out[i] = fn(v[i]!, 0);
  } else if (x.type === 'timestamp') {
    const v = x.values;
    for (let i = 0; i < n; i++) {
      if (validity !== null && validity[i] === 0) continue;
      splitTimestamp(v[i]!);
      out[i] = fn(tsParts.days, tsParts.micros);
    }
  } else if (x.type !== 'null') {
    throw new SpillwayError('type', `date_part expects a date or timestamp, got ${x.type}`);
  }
  if (outType !== 'float64') for (let i = 0; i < n; i++) out[i] = Math.floor(out[i]!);
  return doublesToColumn(out, x.type === 'null' ? new Uint8Array(n) : validity, outType);
}

/** The hot EXTRACTs (year, month, day, quarter of a date) with the civil algorithm inlined. */
function civilFieldLoop(part: 'year' | 'month' | 'day' | 'quarter', v: Int32Array, out: Float64Array): void {
  const which = part === 'year' ? 0 : part === 'month' ? 1 : part === 'day' ? 2 : 3;
  for (let i = 0; i < v.length; i++) {
    const z = v[i]! + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const m = mp < 10 ? mp + 3 : mp - 9;
    if (which === 0) { const y = yoe + era * 400 + (m <= 2 ? 1 : 0); out[i] = y > 0 ? y : y - 1; }
    else if (which === 1) out[i] = m;
    else if (which === 2) out[i] = doy - Math.floor((153 * mp + 2) / 5) + 1;
    else out[i] = Math.floor((m - 1) / 3) + 1;
  }
}

// ---- date_trunc --------------------------------------------------------------------------

type TruncFn = (days: number, micros: number) => void; // writes tsParts

const TRUNCS: Record<string, TruncFn> = {
  millennium: (d) => { civilFromDays(d); const y = civil.year; setParts(daysFromCivil(Math.floor((y - 1) / 1000) * 1000 + 1, 1, 1), 0); },
  century: (d) => { civilFromDays(d); const y = civil.year; setParts(daysFromCivil(Math.floor((y - 1) / 100) * 100 + 1, 1, 1), 0); },
  decade: (d) => { civilFromDays(d); setParts(daysFromCivil(Math.floor(civil.year / 10) * 10, 1, 1), 0); },
  year: (d) => { civilFromDays(d); setParts(daysFromCivil(civil.year, 1, 1), 0); },
  quarter: (d) => { civilFromDays(d); setParts(daysFromCivil(civil.year, Math.floor((civil.month - 1) / 3) * 3 + 1, 1), 0); },
  month: (d) => { civilFromDays(d); setParts(daysFromCivil(civil.year, civil.month, 1), 0); },
  week: (d) => setParts(d - ((dayOfWeek(d) || 7) - 1), 0),
  day: (d) => setParts(d, 0),
  hour: (d, us) => setParts(d, us - (us % 3_600_000_000)),
  minute: (d, us) => setParts(d, us - (us % 60_000_000)),
  second: (d, us) => setParts(d, us - (us % 1_000_000)),
  millisecond: (d, us) => setParts(d, us - (us % 1000)),
  microsecond: (d, us) => setParts(d, us),
};

function setParts(days: number, micros: number): void {
  tsParts.days = days;
  tsParts.micros = micros;
}

/** date_trunc(part, x): result is date32 or timestamp as the binder typed it. */
export function dateTrunc(partText: string, x: Column, outType: DataType): Column {
  const part = normalizePart(partText);
  const fn = TRUNCS[part];
  if (fn === undefined) throw new SpillwayError('unsupported', `date_trunc unit "${partText}" is not supported`);
  if (outType !== 'date32' && outType !== 'timestamp') throw new SpillwayError('type', `date_trunc cannot return ${outType}`);
  const n = x.length;
  const validity = validityOf(x);
  const outDays = outType === 'date32' ? new Int32Array(n) : null;
  const outTs = outType === 'timestamp' ? new BigInt64Array(n) : null;
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    if (x.type === 'date32') fn(x.values[i]!, 0);
    else if (x.type === 'timestamp') { splitTimestamp(x.values[i]!); fn(tsParts.days, tsParts.micros); }
    else throw new SpillwayError('type', `date_trunc expects a date or timestamp, got ${x.type}`);
    if (outDays !== null) outDays[i] = tsParts.days;
    else outTs![i] = joinTimestamp(tsParts.days, tsParts.micros);
  }
  const v = x.type === 'null' ? new Uint8Array(n) : validity;
  return outDays !== null ? fixedColumn('date32', outDays, v) : fixedColumn('timestamp', outTs!, v);
}

// ---- date_add_days / date_add_months -----------------------------------------------------

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * date_add_days(x, n) and date_add_months(x, n) for date32 or timestamp x and integer n
 * (either side may be a broadcast constant). Months clamp the day to the month's end.
 */
export function dateAdd(unit: 'days' | 'months', x: Column, k: Column, n: number, outType: DataType): Column {
  if (x.type === 'null' || k.type === 'null') {
    return outType === 'timestamp' ? fixedColumn('timestamp', new BigInt64Array(n), new Uint8Array(n)) : fixedColumn('date32', new Int32Array(n), new Uint8Array(n));
  }
  if (x.type !== 'date32' && x.type !== 'timestamp') throw new SpillwayError('type', `date_add_${unit} expects a date or timestamp, got ${x.type}`);
  if (k.type !== 'int32' && k.type !== 'int64' && k.type !== 'float64') throw new SpillwayError('type', `date_add_${unit} expects an integer count, got ${k.type}`);
  const xm = maskOf(x, n), km = maskOf(k, n);
  const validity = andValidity(x.validity, xm, k.validity, km, n);
  const kv = k.values;
  if (x.type === 'date32') {
    const xv = x.values;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (validity !== null && validity[i] === 0) continue;
      const d = xv[i & xm]!;
      const step = Number(kv[i & km]!);
      const r = unit === 'days' ? d + step : addMonths(d, step);
      if (!(r >= INT32_MIN && r <= INT32_MAX)) throw outOfRange('date32');
      out[i] = r;
    }
    if (outType === 'timestamp') {
      const ts = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (validity === null || validity[i] === 1) ts[i] = joinTimestamp(out[i]!, 0);
      return fixedColumn('timestamp', ts, validity);
    }
    return fixedColumn('date32', out, validity);
  }
  const xv = x.values;
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    splitTimestamp(xv[i & xm]!);
    const step = Number(kv[i & km]!);
    const d = unit === 'days' ? tsParts.days + step : addMonths(tsParts.days, step);
    out[i] = joinTimestamp(d, tsParts.micros);
  }
  return fixedColumn('timestamp', out, validity);
}
