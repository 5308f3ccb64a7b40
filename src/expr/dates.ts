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
import { fixedColumn, type Column, type FixedColumn } from '../columnar/column.js';
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

// ---- date_diff / make_date --------------------------------------------------------------

/** Units date_diff counts, by canonical name (normalizePart's spellings are accepted too). */
export const DATE_DIFF_UNITS: readonly string[] = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond', 'decade'];

/** The canonical date_diff unit for a spelling ('days', 'mon', 'ms' …), or null. */
export function dateDiffUnit(text: string): string | null {
  const t = text.trim().toLowerCase();
  const alias: Record<string, string> = {
    years: 'year', y: 'year', yr: 'year', yrs: 'year', quarters: 'quarter', months: 'month', mon: 'month', mons: 'month',
    weeks: 'week', w: 'week', days: 'day', d: 'day', hours: 'hour', h: 'hour', hr: 'hour', hrs: 'hour',
    minutes: 'minute', min: 'minute', mins: 'minute', m: 'minute', seconds: 'second', sec: 'second', secs: 'second', s: 'second',
    milliseconds: 'millisecond', ms: 'millisecond', msec: 'millisecond', microseconds: 'microsecond', us: 'microsecond', usec: 'microsecond',
    decades: 'decade',
  };
  const u = alias[t] ?? t;
  return DATE_DIFF_UNITS.includes(u) ? u : null;
}

const UNIT_MICROS: Record<string, number> = { hour: 3_600_000_000, minute: 60_000_000, second: 1_000_000, millisecond: 1000, microsecond: 1 };

/**
 * date_diff(unit, a, b): how many unit boundaries lie between a and b (negative when b is
 * earlier), as DuckDB counts them: months from 01-31 to 02-01 is 1; weeks are whole
 * 7-day spans of the day difference. a and b are both date32 or both timestamp.
 */
export function dateDiff(unit: string, a: Column, b: Column, n: number): Column {
  const out = new BigInt64Array(n);
  if (a.type === 'null' || b.type === 'null') return fixedColumn('int64', out, new Uint8Array(n));
  if ((a.type !== 'date32' && a.type !== 'timestamp') || b.type !== a.type) throw new SpillwayError('type', `date_diff expects two dates or two timestamps, got ${a.type} and ${b.type}`);
  const am = maskOf(a, n), bm = maskOf(b, n);
  const validity = andValidity(a.validity, am, b.validity, bm, n);
  const perUnit = UNIT_MICROS[unit];
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    let da: number, ua: number, db: number, ub: number;
    if (a.type === 'date32') { da = a.values[i & am]!; ua = 0; db = (b.values as Int32Array)[i & bm]!; ub = 0; }
    else { splitTimestamp(a.values[i & am]!); da = tsParts.days; ua = tsParts.micros; splitTimestamp((b.values as BigInt64Array)[i & bm]!); db = tsParts.days; ub = tsParts.micros; }
    if (perUnit !== undefined) {
      if (unit === 'millisecond' || unit === 'microsecond') {
        const p = BigInt(perUnit);
        const at = (BigInt(da) * US_PER_DAY_N + BigInt(ua)), bt = (BigInt(db) * US_PER_DAY_N + BigInt(ub));
        const d = floorDiv(bt, p) - floorDiv(at, p);
        if (d > 9223372036854775807n || d < -9223372036854775808n) throw outOfRange('int64');
        out[i] = d;
      } else {
        const perDay = US_PER_DAY / perUnit;
        out[i] = BigInt((db - da) * perDay + (Math.floor(ub / perUnit) - Math.floor(ua / perUnit)));
      }
      continue;
    }
    if (unit === 'day') { out[i] = BigInt(db - da); continue; }
    if (unit === 'week') { out[i] = BigInt(Math.trunc((db - da) / 7)); continue; }
    civilFromDays(da);
    const ya = civil.year, ma = civil.month;
    civilFromDays(db);
    const yb = civil.year, mb = civil.month;
    switch (unit) {
      case 'year': out[i] = BigInt(yb - ya); break;
      case 'decade': out[i] = BigInt(Math.floor(yb / 10) - Math.floor(ya / 10)); break;
      case 'quarter': out[i] = BigInt(yb * 4 + Math.floor((mb - 1) / 3) - (ya * 4 + Math.floor((ma - 1) / 3))); break;
      case 'month': out[i] = BigInt(yb * 12 + mb - (ya * 12 + ma)); break;
      default: throw new SpillwayError('binder', `date_diff: unknown unit '${unit}'`);
    }
  }
  return fixedColumn('int64', out, validity);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** make_date(year, month, day) from integer columns; a date that does not exist is an error. */
export function makeDate(y: Column, m: Column, d: Column, n: number): Column {
  const out = new Int32Array(n);
  if (y.type === 'null' || m.type === 'null' || d.type === 'null') return fixedColumn('date32', out, new Uint8Array(n));
  const ym = maskOf(y, n), mm = maskOf(m, n), dm = maskOf(d, n);
  const v1 = andValidity(validityOf(y), ym, validityOf(m), mm, n);
  const validity = andValidity(v1, -1, validityOf(d), dm, n);
  if (y.type === 'utf8' || m.type === 'utf8' || d.type === 'utf8') throw new SpillwayError('type', 'make_date expects integers');
  const yv = (y as FixedColumn).values, mv = (m as FixedColumn).values, dv = (d as FixedColumn).values;
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    const yy = Number(yv[i & ym]!), mo = Number(mv[i & mm]!), dd = Number(dv[i & dm]!);
    if (!(mo >= 1 && mo <= 12 && dd >= 1 && dd <= daysInMonth(yy, mo)) || Math.abs(yy) > 5_000_000) {
      throw new SpillwayError('execution', `make_date: ${yy}-${mo}-${dd} is not a valid date`);
    }
    out[i] = daysFromCivil(yy, mo, dd);
  }
  return fixedColumn('date32', out, validity);
}
