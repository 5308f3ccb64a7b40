/**
 * strftime(date|timestamp, format) → text and strptime(text, format) → timestamp, with
 * DuckDB's format codes (a `-` after `%` drops the zero padding of a number: `%-d`):
 *
 *   %Y year (0001, 12345, -50)   %y year in century (00–99)  %G ISO year
 *   %m month (01–12)             %b %h abbreviated month name  %B full month name
 *   %d day of month (01–31)      %j day of year (001–366)
 *   %a abbreviated weekday       %A full weekday name
 *   %w weekday, Sunday = 0       %u ISO weekday, Monday = 1
 *   %U week of year, weeks from Sunday (00–53)   %W weeks from Monday   %V ISO week (01–53)
 *   %H hour (00–23)   %I hour (01–12)   %p AM/PM   %M minute   %S second
 *   %f microseconds (6 digits)   %g milliseconds (3 digits)   %n nanoseconds (9 digits)
 *   %z UTC offset (+00; timestamps have no zone)   %Z zone name (empty)
 *   %c '%Y-%m-%d %H:%M:%S'   %x '%Y-%m-%d'   %X '%H:%M:%S'   %% a percent sign
 *
 * strptime reads the same codes (names case-insensitively; %f up to 6 fraction digits,
 * %g up to 3; %y 00–68 → 20xx, 69–99 → 19xx; a weekday name is read and not checked);
 * whitespace in the format matches any run of whitespace, and the whole text must be
 * used; %j sets the date unless %m or %d is read too. %z, %Z, %U, %W, %V, %G, %u and %w
 * are refused in strptime formats.
 * The format is compiled once (an unknown code is one error naming the function and
 * argument); a row that does not parse is an error naming the text (try_strptime: NULL).
 */
import { fixedColumn, type Column } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { maskOf } from './broadcast.js';
import {
  civil, civilFromDays, computeIsoWeek, dayOfWeek, daysFromCivil, daysInMonth, isoWeek, joinTimestamp, splitTimestamp, tsParts,
} from './dates.js';
import { decodeRange, Utf8Writer } from './utf8.js';

type Piece = { kind: 'text'; text: string } | { kind: 'code'; code: string; pad: boolean };

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const CODES = new Set('YyGmbhBdjaAwuUWVHIpMSfgnzZcxX'.split(''));
const UNPADDABLE = new Set('bhBaApzZcxX%'.split(''));
const NOT_PARSED = new Set('zZUWVGuw'.split(''));

/** Compile a format; throws naming the function for an unknown or unfinished code. */
export function compileFormat(fn: string, format: string, forParsing: boolean): Piece[] {
  const out: Piece[] = [];
  let text = '';
  const fail = (what: string): never => {
    throw new SpillwayError('binder', `${fn}: ${what} in the format '${format}' (argument 2)`);
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') { text += ch; continue; }
    let code = format[++i];
    let pad = true;
    if (code === '-') { pad = false; code = format[++i]; }
    if (code === undefined) fail('a format code is missing after the last %');
    if (code === '%' && pad) { text += '%'; continue; }
    if (!CODES.has(code!) || (!pad && UNPADDABLE.has(code!))) fail(`unknown format code %${pad ? '' : '-'}${code}`);
    if (forParsing && NOT_PARSED.has(code!)) fail(`format code %${code} cannot be read by strptime`);
    if (code === 'c' || code === 'x' || code === 'X') {
      const expanded = code === 'c' ? '%Y-%m-%d %H:%M:%S' : code === 'x' ? '%Y-%m-%d' : '%H:%M:%S';
      if (text) out.push({ kind: 'text', text });
      text = '';
      out.push(...compileFormat(fn, expanded, forParsing));
      continue;
    }
    if (text) out.push({ kind: 'text', text });
    text = '';
    out.push({ kind: 'code', code: code!, pad });
  }
  if (text) out.push({ kind: 'text', text });
  return out;
}

function num(v: number, width: number, pad: boolean): string {
  const s = String(Math.abs(v));
  const body = pad && s.length < width ? '0'.repeat(width - s.length) + s : s;
  return v < 0 ? `-${body}` : body;
}

/** strftime over a date32 or timestamp column (either may be a broadcast constant). */
export function strftime(x: Column, pieces: readonly Piece[], n: number): Column {
  const w = new Utf8Writer(n, n * 20);
  if (x.type !== 'date32' && x.type !== 'timestamp') {
    for (let i = 0; i < n; i++) w.endNull();
    return w.finish();
  }
  const xm = maskOf(x, n);
  for (let i = 0; i < n; i++) {
    const j = i & xm;
    if (x.validity !== null && x.validity[j] === 0) { w.endNull(); continue; }
    let days: number, micros: number;
    if (x.type === 'date32') { days = x.values[j]!; micros = 0; } else { splitTimestamp(x.values[j]!); days = tsParts.days; micros = tsParts.micros; }
    w.pushString(formatOne(days, micros, pieces));
    w.endRow();
  }
  return w.finish();
}

function formatOne(days: number, micros: number, pieces: readonly Piece[]): string {
  civilFromDays(days);
  const year = civil.year, month = civil.month, day = civil.day;
  const doy = days - daysFromCivil(year, 1, 1);
  const wday = dayOfWeek(days);
  const secs = Math.floor(micros / 1_000_000);
  const frac = micros - secs * 1_000_000;
  const hour = Math.floor(secs / 3600), minute = Math.floor(secs / 60) % 60, second = secs % 60;
  let s = '';
  for (const p of pieces) {
    if (p.kind === 'text') { s += p.text; continue; }
    const pad = p.pad;
    switch (p.code) {
      case 'Y': s += year >= 0 ? num(year, 4, pad) : String(year); break;
      case 'y': s += num(Math.abs(year) % 100, 2, pad); break;
      case 'G': computeIsoWeek(days); s += num(isoWeek.year, 4, pad); break;
      case 'm': s += num(month, 2, pad); break;
      case 'b': case 'h': s += MONTHS[month - 1]!.slice(0, 3); break;
      case 'B': s += MONTHS[month - 1]!; break;
      case 'd': s += num(day, 2, pad); break;
      case 'j': s += num(doy + 1, 3, pad); break;
      case 'a': s += WEEKDAYS[wday]!.slice(0, 3); break;
      case 'A': s += WEEKDAYS[wday]!; break;
      case 'w': s += String(wday); break;
      case 'u': s += String(wday === 0 ? 7 : wday); break;
      case 'U': s += num(Math.floor((doy + 7 - wday) / 7), 2, pad); break;
      case 'W': s += num(Math.floor((doy + 7 - ((wday + 6) % 7)) / 7), 2, pad); break;
      case 'V': computeIsoWeek(days); s += num(isoWeek.week, 2, pad); break;
      case 'H': s += num(hour, 2, pad); break;
      case 'I': s += num(hour % 12 === 0 ? 12 : hour % 12, 2, pad); break;
      case 'p': s += hour < 12 ? 'AM' : 'PM'; break;
      case 'M': s += num(minute, 2, pad); break;
      case 'S': s += num(second, 2, pad); break;
      case 'f': s += num(frac, 6, pad); break;
      case 'g': s += num(Math.floor(frac / 1000), 3, pad); break;
      case 'n': s += num(frac * 1000, 9, pad); break;
      case 'z': s += '+00'; break;
      case 'Z': break;
    }
  }
  return s;
}

// ---- strptime ----------------------------------------------------------------------------

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/** Fields read from one text; null with a reason when it does not match. */
function parseOne(t: string, pieces: readonly Piece[]): bigint | string {
  let pos = 0;
  let year = 1900, month = 1, day = 1, doy = -1, hour = 0, minute = 0, second = 0, micros = 0;
  let pm: boolean | null = null;
  let hour12 = false;
  let monthOrDay = false;
  const digits = (max: number, signed = false): number | null => {
    const start = pos;
    let neg = false;
    if (signed && (t[pos] === '-' || t[pos] === '+')) { neg = t[pos] === '-'; pos++; }
    const from = pos;
    while (pos < t.length && pos - from < max && t[pos]! >= '0' && t[pos]! <= '9') pos++;
    if (pos === from) { pos = start; return null; }
    const v = Number(t.slice(from, pos));
    return neg ? -v : v;
  };
  const name = (names: readonly string[], short: boolean): number | null => {
    for (let k = 0; k < names.length; k++) {
      for (const cand of short ? [names[k]!.slice(0, 3)] : [names[k]!, names[k]!.slice(0, 3)]) {
        if (t.slice(pos, pos + cand.length).toLowerCase() === cand.toLowerCase()) { pos += cand.length; return k; }
      }
    }
    return null;
  };
  while (isSpace(t[pos])) pos++;
  for (const p of pieces) {
    if (p.kind === 'text') {
      for (const ch of p.text) {
        if (isSpace(ch)) { while (isSpace(t[pos])) pos++; continue; }
        if (t[pos] !== ch) return `expected "${ch}" at position ${pos + 1}`;
        pos++;
      }
      continue;
    }
    let v: number | null;
    switch (p.code) {
      case 'Y': v = digits(9, true); if (v !== null) year = v; break;
      case 'y': v = digits(2); if (v !== null) year = v < 69 ? 2000 + v : 1900 + v; break;
      case 'm': v = digits(2); if (v !== null) { month = v; monthOrDay = true; } break;
      case 'd': v = digits(2); if (v !== null) { day = v; monthOrDay = true; } break;
      case 'j': v = digits(3); if (v !== null) doy = v; break;
      case 'H': v = digits(2); if (v !== null) hour = v; break;
      case 'I': v = digits(2); if (v !== null) { hour = v; hour12 = true; } break;
      case 'M': v = digits(2); if (v !== null) minute = v; break;
      case 'S': v = digits(2); if (v !== null) second = v; break;
      case 'f': case 'g': case 'n': {
        const start = pos;
        const max = p.code === 'f' ? 6 : p.code === 'g' ? 3 : 9;
        v = digits(max);
        if (v !== null) micros = Math.floor(v * 10 ** (6 - (pos - start)));
        break;
      }
      case 'b': case 'h': case 'B': v = name(MONTHS, false); if (v !== null) month = v + 1; break;
      case 'a': case 'A': v = name(WEEKDAYS, false); break;
      case 'p': {
        const w = t.slice(pos, pos + 2).toUpperCase();
        v = w === 'AM' || w === 'PM' ? 1 : null;
        if (v !== null) { pm = w === 'PM'; pos += 2; }
        break;
      }
      default: v = null;
    }
    if (v === null) return `expected %${p.code} at position ${pos + 1}`;
  }
  while (isSpace(t[pos])) pos++;
  if (pos < t.length) return `unexpected "${t.slice(pos)}" at position ${pos + 1}`;
  if (hour12) {
    if (hour < 1 || hour > 12) return `hour ${hour} is out of range for %I`;
    if (pm !== null) hour = (hour % 12) + (pm ? 12 : 0);
  } else if (pm !== null) {
    if (hour < 1 || hour > 12) return `hour ${hour} is out of range with %p`;
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return 'time out of range';
  let days: number;
  // Day of year counts unless a month or day number was read (DuckDB's rule).
  if (doy >= 0 && !monthOrDay) {
    // 366 in a common year is the next 1 January, as DuckDB reads it.
    if (doy < 1 || doy > 366) return `day of year ${doy} out of range`;
    days = daysFromCivil(year, 1, 1) + doy - 1;
  } else {
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return `date out of range: ${year}-${month}-${day}`;
    days = daysFromCivil(year, month, day);
  }
  return joinTimestamp(days, ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros);
}

/**
 * strptime over a utf8 column; `format` is the format's text (for messages). With
 * `orNull`, a text that does not parse gives NULL instead of an error.
 */
export function strptime(s: Column, pieces: readonly Piece[], format: string, orNull: boolean, n: number): Column {
  const out = new BigInt64Array(n);
  const validity = new Uint8Array(n);
  if (s.type !== 'utf8') return fixedColumn('timestamp', out, validity);
  const sm = maskOf(s, n);
  for (let i = 0; i < n; i++) {
    const j = i & sm;
    if (s.validity !== null && s.validity[j] === 0) continue;
    const t = decodeRange(s.data, s.offsets[j]!, s.offsets[j + 1]!);
    const r = parseOne(t, pieces);
    if (typeof r === 'string') {
      if (orNull) continue;
      throw new SpillwayError('execution', `strptime: cannot read '${t}' with the format '${format}': ${r}`);
    }
    out[i] = r;
    validity[i] = 1;
  }
  return fixedColumn('timestamp', out, validity);
}
