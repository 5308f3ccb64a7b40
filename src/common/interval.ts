/**
 * INTERVAL values as DuckDB has them: months, days and microseconds, each kept apart (a
 * month is not a fixed number of days). Comparison and grouping use DuckDB's normalised
 * form (30-day months, 24-hour days); printing and parsing follow DuckDB's text.
 * As a Scalar (literals in plans, rows) an interval is its text (`1 day 02:00:00`).
 */
import { MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND, formatClock, fractionMicros } from './time_of_day.js';

export interface IntervalParts {
  months: number;
  days: number;
  micros: number;
}

export const DAYS_PER_MONTH = 30;
const MAX_MICROS = 9007199254740992; // 2^53: beyond, micros are no longer exact in a double

/** Whether the parts are in range: months and days int32, micros exact in a double. */
export function intervalInRange(p: IntervalParts): boolean {
  return Number.isInteger(p.months) && Number.isInteger(p.days) && Number.isInteger(p.micros)
    && Math.abs(p.months) <= 2147483647 && Math.abs(p.days) <= 2147483647 && Math.abs(p.micros) <= MAX_MICROS;
}

/** Scratch output of normalizeInterval (avoids allocating per row). */
export const normal = { months: 0, days: 0, micros: 0 };

/** DuckDB's Interval::Normalize into `normal`: micros carried into days, then days into months (truncating). */
export function normalizeInterval(months: number, days: number, micros: number): void {
  const carryDays = Math.trunc(micros / MICROS_PER_DAY);
  micros -= carryDays * MICROS_PER_DAY;
  days += carryDays;
  const carryMonths = Math.trunc(days / DAYS_PER_MONTH);
  days -= carryMonths * DAYS_PER_MONTH;
  normal.months = months + carryMonths;
  normal.days = days + 0;
  normal.micros = micros + 0;
}

/** -1, 0 or 1: DuckDB's order of intervals (normalised months, then days, then micros). */
export function compareIntervals(m1: number, d1: number, u1: number, m2: number, d2: number, u2: number): number {
  normalizeInterval(m1, d1, u1);
  const a0 = normal.months, a1 = normal.days, a2 = normal.micros;
  normalizeInterval(m2, d2, u2);
  if (a0 !== normal.months) return a0 < normal.months ? -1 : 1;
  if (a1 !== normal.days) return a1 < normal.days ? -1 : 1;
  if (a2 !== normal.micros) return a2 < normal.micros ? -1 : 1;
  return 0;
}

function unitWord(n: number, word: string): string {
  return `${n} ${word}${n === 1 || n === -1 ? '' : 's'}`;
}

/** DuckDB's text of an interval: `1 year 2 months 3 days 04:05:06.7`, `-1 day -02:00:00`, `00:00:00`. */
export function formatInterval(months: number, days: number, micros: number): string {
  const parts: string[] = [];
  if (months !== 0) {
    const years = Math.trunc(months / 12), rest = months - years * 12;
    if (years !== 0) parts.push(unitWord(years, 'year'));
    if (rest !== 0) parts.push(unitWord(rest, 'month'));
  }
  if (days !== 0) parts.push(unitWord(days, 'day'));
  if (micros !== 0) parts.push(micros < 0 ? `-${formatClock(-micros)}` : formatClock(micros));
  return parts.length === 0 ? '00:00:00' : parts.join(' ');
}

/** Units of interval text, DuckDB's spellings, and what one of them adds. */
type Unit = 'millennium' | 'century' | 'decade' | 'year' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond' | 'microsecond';

const UNIT_NAMES: Record<string, Unit> = {};
for (const [unit, names] of Object.entries({
  millennium: ['millennium', 'millennia', 'millenniums', 'mil', 'mils'],
  century: ['century', 'centuries', 'c', 'cent'],
  decade: ['decade', 'decades', 'dec', 'decs'],
  year: ['year', 'years', 'y', 'yr', 'yrs'],
  month: ['month', 'months', 'mon', 'mons'],
  week: ['week', 'weeks', 'w'],
  day: ['day', 'days', 'd'],
  hour: ['hour', 'hours', 'h', 'hr', 'hrs'],
  minute: ['minute', 'minutes', 'm', 'min', 'mins'],
  second: ['second', 'seconds', 's', 'sec', 'secs'],
  millisecond: ['millisecond', 'milliseconds', 'ms', 'msec', 'msecs'],
  microsecond: ['microsecond', 'microseconds', 'us', 'usec', 'usecs'],
})) for (const n of names) UNIT_NAMES[n] = unit as Unit;

/** The unit an interval keyword names (`day`, `months`, `hrs` …), or null. */
export function intervalUnit(word: string): Unit | null {
  return UNIT_NAMES[word.toLowerCase()] ?? null;
}

/** Add `count` (may have a fraction) of `unit` to p, fractions carried down as DuckDB does. */
export function addUnit(p: IntervalParts, count: number, unit: Unit): void {
  switch (unit) {
    case 'millennium': addMonths(p, count * 12000); return;
    case 'century': addMonths(p, count * 1200); return;
    case 'decade': addMonths(p, count * 120); return;
    case 'year': addMonths(p, count * 12); return;
    case 'month': addMonths(p, count); return;
    case 'week': addDays(p, count * 7); return;
    case 'day': addDays(p, count); return;
    case 'hour': p.micros += Math.round(count * MICROS_PER_HOUR); return;
    case 'minute': p.micros += Math.round(count * MICROS_PER_MINUTE); return;
    case 'second': p.micros += Math.round(count * MICROS_PER_SECOND); return;
    case 'millisecond': p.micros += Math.round(count * 1000); return;
    case 'microsecond': p.micros += Math.round(count); return;
  }
}

function addMonths(p: IntervalParts, m: number): void {
  const whole = Math.trunc(m);
  p.months += whole;
  if (m !== whole) addDays(p, (m - whole) * DAYS_PER_MONTH);
}

function addDays(p: IntervalParts, d: number): void {
  const whole = Math.trunc(d);
  p.days += whole;
  if (d !== whole) p.micros += Math.round((d - whole) * MICROS_PER_DAY);
}

const TOKEN_RE = /\s*(?:([+-]?)(\d+):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?|([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-zA-Z]+)|(ago))/y;

/**
 * An interval from DuckDB's text forms (`1 day 2 hours`, `-1 year 3 months`, `10:00`,
 * `1 day -02:00:00`, `@ 3 days ago`), or null when the text is not one.
 */
export function parseIntervalText(text: string): IntervalParts | null {
  let s = text.trim();
  if (s.startsWith('@')) s = s.slice(1);
  if (s.trim() === '') return null;
  const p: IntervalParts = { months: 0, days: 0, micros: 0 };
  let ago = false;
  TOKEN_RE.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    TOKEN_RE.lastIndex = pos;
    const m = TOKEN_RE.exec(s);
    if (m === null || ago) return null;
    pos = TOKEN_RE.lastIndex;
    if (m[8] !== undefined) { ago = true; continue; }
    if (m[2] !== undefined) {
      const sign = m[1] === '-' ? -1 : 1;
      const h = Number(m[2]), min = Number(m[3]), sec = m[4] === undefined ? 0 : Number(m[4]);
      if (min > 59 || sec > 59) return null;
      p.micros += sign * (h * MICROS_PER_HOUR + min * MICROS_PER_MINUTE + sec * MICROS_PER_SECOND + fractionMicros(m[5]));
      continue;
    }
    const unit = intervalUnit(m[7]!);
    if (unit === null) return null;
    addUnit(p, Number(m[6]), unit);
  }
  if (ago) { p.months = -p.months; p.days = -p.days; p.micros = -p.micros; }
  p.months += 0; p.days += 0; p.micros += 0; // no -0
  return intervalInRange(p) ? p : null;
}

/** The text of a parsed interval's Scalar. */
export function intervalText(p: IntervalParts): string {
  return formatInterval(p.months, p.days, p.micros);
}
