/**
 * INTERVAL and TIME arithmetic, EXTRACT of their parts, and their casts to and from text,
 * as DuckDB does them:
 *
 *   interval ± interval       months, days and micros added apart
 *   interval × number, ÷      each part scaled; fractions of a month carried into days (30
 *                             per month) and fractions of a day into micros
 *   timestamp ± interval      months first (the day clamped to the month's end), then days,
 *                             then micros
 *   time ± interval           the micros part only, wrapped around midnight
 *   timestamp − timestamp     an interval of whole days and the remaining micros
 *
 * Each kernel takes columns that may be broadcast constants (one row, see broadcast.ts).
 */
import { fixedColumn, intervalColumn, type Column, type IntervalColumn } from '../columnar/column.js';
import { DAYS_PER_MONTH, formatInterval, intervalInRange, parseIntervalText } from '../common/interval.js';
import { SpillwayError } from '../common/errors.js';
import { formatTimeOfDay, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND, parseTimeOfDay, timeOfTimestamp } from '../common/time_of_day.js';
import { allNull, andValidity, maskOf } from './broadcast.js';
import { addMonths, joinTimestamp, splitTimestamp, tsParts } from './dates.js';
import { decodeRange, Utf8Writer } from './utf8.js';

function outOfRange(): SpillwayError {
  return new SpillwayError('execution', 'interval out of range');
}

/** Parts of one result row, checked; written into the output arrays. */
function put(m: Int32Array, d: Int32Array, u: Float64Array, i: number, months: number, days: number, micros: number): void {
  if (!intervalInRange({ months, days, micros })) throw outOfRange();
  m[i] = months; d[i] = days; u[i] = micros;
}

/** interval + interval (sign 1) or interval − interval (sign −1). */
export function addIntervals(a: IntervalColumn, b: IntervalColumn, sign: 1 | -1, n: number): IntervalColumn {
  const am = maskOf(a, n), bm = maskOf(b, n);
  const validity = andValidity(a.validity, am, b.validity, bm, n);
  const m = new Int32Array(n), d = new Int32Array(n), u = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    const x = i & am, y = i & bm;
    put(m, d, u, i, a.months[x]! + sign * b.months[y]!, a.days[x]! + sign * b.days[y]!, a.micros[x]! + sign * b.micros[y]! + 0);
  }
  return intervalColumn(m, d, u, validity);
}

/** −interval. */
export function negateInterval(a: IntervalColumn): IntervalColumn {
  const n = a.length;
  const m = new Int32Array(n), d = new Int32Array(n), u = new Float64Array(n);
  for (let i = 0; i < n; i++) { m[i] = -a.months[i]! | 0; d[i] = -a.days[i]! | 0; u[i] = -a.micros[i]! + 0; }
  return intervalColumn(m, d, u, a.validity);
}

/** The numbers of a numeric column (int32, int64, float64, or a decimal's scaled value). */
function numbers(c: Column, scale: number): Float64Array {
  if (!('values' in c)) throw new SpillwayError('type', `an interval can only be multiplied by a number, not ${c.type}`);
  const v = c.values, out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]!) / scale;
  return out;
}

/**
 * interval × k (divide: interval ÷ k). Integer factors scale each part exactly; fractional
 * ones carry a fraction of a month into days and of a day into micros (DuckDB's rule).
 */
export function multiplyInterval(a: IntervalColumn, k: Column, kScale: number, divide: boolean, n: number): Column {
  if (k.type === 'null') return allNull('interval', n);
  const am = maskOf(a, n), km = maskOf(k, n);
  const validity0 = andValidity(a.validity, am, k.validity, km, n);
  const f = numbers(k, kScale);
  const m = new Int32Array(n), d = new Int32Array(n), u = new Float64Array(n);
  let validity = validity0;
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    const x = i & am;
    let factor = f[i & km]!;
    if (divide) {
      if (factor === 0) { validity ??= new Uint8Array(n).fill(1); validity[i] = 0; continue; } // ÷ 0 is NULL
      factor = 1 / factor;
    }
    const months = a.months[x]! * factor;
    const wholeMonths = Math.trunc(months);
    const days = a.days[x]! * factor + (months - wholeMonths) * DAYS_PER_MONTH;
    const wholeDays = Math.trunc(days);
    const micros = Math.round(a.micros[x]! * factor + (days - wholeDays) * MICROS_PER_DAY);
    put(m, d, u, i, wholeMonths + 0, wholeDays + 0, micros + 0);
  }
  return intervalColumn(m, d, u, validity);
}

/** timestamp ± interval → timestamp: months (day clamped), then days, then micros. */
export function timestampPlusInterval(t: Column, iv: IntervalColumn, sign: 1 | -1, n: number): Column {
  if (t.type === 'null') return allNull('timestamp', n);
  if (t.type !== 'timestamp') throw new SpillwayError('type', `cannot add an interval to ${t.type}`);
  const tm = maskOf(t, n), im = maskOf(iv, n);
  const validity = andValidity(t.validity, tm, iv.validity, im, n);
  const out = new BigInt64Array(n);
  const tv = t.values;
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    const j = i & im;
    splitTimestamp(tv[i & tm]!);
    let days = tsParts.days;
    const months = sign * iv.months[j]!;
    if (months !== 0) days = addMonths(days, months);
    days += sign * iv.days[j]!;
    // micros may pass a day: joinTimestamp takes any micros.
    out[i] = joinTimestamp(days, tsParts.micros + sign * iv.micros[j]!);
  }
  return fixedColumn('timestamp', out, validity);
}

/** time ± interval → time: the interval's micros, wrapped around midnight (months and days ignored). */
export function timePlusInterval(t: Column, iv: IntervalColumn, sign: 1 | -1, n: number): Column {
  if (t.type === 'null') return allNull('time', n);
  if (t.type !== 'time') throw new SpillwayError('type', `cannot add an interval to ${t.type}`);
  const tm = maskOf(t, n), im = maskOf(iv, n);
  const validity = andValidity(t.validity, tm, iv.validity, im, n);
  const out = new Float64Array(n);
  const tv = t.values;
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    let r = (tv[i & tm]! + sign * iv.micros[i & im]!) % MICROS_PER_DAY;
    if (r < 0) r += MICROS_PER_DAY;
    out[i] = r;
  }
  return fixedColumn('time', out, validity);
}

/** timestamp − timestamp → interval of whole days (truncated toward zero) and micros. */
export function timestampDifference(a: Column, b: Column, n: number): Column {
  if (a.type === 'null' || b.type === 'null') return allNull('interval', n);
  if (a.type !== 'timestamp' || b.type !== 'timestamp') throw new SpillwayError('type', `cannot subtract ${b.type} from ${a.type}`);
  const am = maskOf(a, n), bm = maskOf(b, n);
  const validity = andValidity(a.validity, am, b.validity, bm, n);
  const m = new Int32Array(n), d = new Int32Array(n), u = new Float64Array(n);
  const day = BigInt(MICROS_PER_DAY);
  for (let i = 0; i < n; i++) {
    if (validity !== null && validity[i] === 0) continue;
    const delta = a.values[i & am]! - b.values[i & bm]!;
    const days = delta / day;
    put(m, d, u, i, 0, Number(days), Number(delta - days * day));
  }
  return intervalColumn(m, d, u, validity);
}

/** The time of day of each timestamp (timestamp::time). */
export function timeOfTimestamps(t: Column): Column {
  if (t.type !== 'timestamp') throw new SpillwayError('type', `cannot cast ${t.type} to TIME`);
  const out = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = timeOfTimestamp(t.values[i]!);
  return fixedColumn('time', out, t.validity);
}

/** EXTRACT(part FROM interval), DuckDB's parts: year/month from months, day from days, the rest from micros. */
export function intervalPart(part: string, x: IntervalColumn): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const months = x.months[i]!, days = x.days[i]!, us = x.micros[i]!;
    let v: number;
    switch (part) {
      case 'year': v = Math.trunc(months / 12); break;
      case 'month': v = months % 12; break;
      case 'quarter': v = Math.trunc((months % 12) / 3) + 1; break;
      case 'decade': v = Math.trunc(months / 120); break;
      case 'century': v = Math.trunc(months / 1200); break;
      case 'millennium': v = Math.trunc(months / 12000); break;
      case 'day': v = days; break;
      case 'hour': v = Math.trunc(us / MICROS_PER_HOUR); break;
      case 'minute': v = Math.trunc((us % MICROS_PER_HOUR) / MICROS_PER_MINUTE); break;
      case 'second': v = Math.trunc((us % MICROS_PER_MINUTE) / MICROS_PER_SECOND); break;
      case 'millisecond': v = Math.trunc((us % MICROS_PER_MINUTE) / 1000); break;
      case 'microsecond': v = us % MICROS_PER_MINUTE; break;
      case 'epoch': v = (months * DAYS_PER_MONTH + days) * 86400 + us / MICROS_PER_SECOND; break;
      default: throw new SpillwayError('unsupported', `date_part unit "${part}" is not supported for INTERVAL`);
    }
    out[i] = v + 0;
  }
  return out;
}

/** EXTRACT(part FROM time): only the parts of a time of day. */
export function timePart(part: string, x: Extract<Column, { type: 'time' }>): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const us = x.values[i]!;
    let v: number;
    switch (part) {
      case 'hour': v = Math.floor(us / MICROS_PER_HOUR); break;
      case 'minute': v = Math.floor((us % MICROS_PER_HOUR) / MICROS_PER_MINUTE); break;
      case 'second': v = Math.floor((us % MICROS_PER_MINUTE) / MICROS_PER_SECOND); break;
      case 'millisecond': v = Math.floor((us % MICROS_PER_MINUTE) / 1000); break;
      case 'microsecond': v = us % MICROS_PER_MINUTE; break;
      case 'epoch': v = us / MICROS_PER_SECOND; break;
      default: throw new SpillwayError('unsupported', `date_part unit "${part}" is not supported for TIME`);
    }
    out[i] = v;
  }
  return out;
}

// ---- casts --------------------------------------------------------------------------------

/** TIME or INTERVAL as text (DuckDB's). */
export function timeOrIntervalToText(c: Extract<Column, { type: 'time' | 'interval' }>): Column {
  const n = c.length, valid = c.validity;
  const w = new Utf8Writer(n, n * 12);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) { w.endNull(); continue; }
    w.pushString(c.type === 'time' ? formatTimeOfDay(c.values[i]!) : formatInterval(c.months[i]!, c.days[i]!, c.micros[i]!));
    w.endRow();
  }
  return w.finish();
}

/** Text as TIME; bad text is an error naming it. */
export function textToTime(c: Extract<Column, { type: 'utf8' }>): Column {
  const n = c.length, valid = c.validity;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const text = decodeRange(c.data, c.offsets[i]!, c.offsets[i + 1]!);
    const t = parseTimeOfDay(text);
    if (t === null) throw new SpillwayError('execution', `invalid input syntax for type time: "${text}"`);
    out[i] = t;
  }
  return fixedColumn('time', out, valid);
}

/** Text as INTERVAL; bad text is an error naming it. */
export function textToInterval(c: Extract<Column, { type: 'utf8' }>): Column {
  const n = c.length, valid = c.validity;
  const m = new Int32Array(n), d = new Int32Array(n), u = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const text = decodeRange(c.data, c.offsets[i]!, c.offsets[i + 1]!);
    const p = parseIntervalText(text);
    if (p === null) throw new SpillwayError('execution', `invalid input syntax for type interval: "${text}"`);
    m[i] = p.months; d[i] = p.days; u[i] = p.micros;
  }
  return intervalColumn(m, d, u, valid);
}
