/**
 * Scalar function dispatch for 'call' expressions (names are lower-case). Each entry checks
 * its argument count and hands columns to a kernel in math.ts, strings.ts, dates.ts or
 * conditional.ts. Arguments that must be constant (date_part's unit) are folded once.
 */
import type { Batch, Column } from '../columnar/column.js';
import type { DataType } from '../common/types.js';
import { SpillwayError } from '../common/errors.js';
import { arithmetic } from './arithmetic.js';
import { evalCoalesce, greatestLeast, nullif } from './conditional.js';
import { dateAdd, dateDiff, datePart, dateTrunc, makeDate, normalizePart } from './dates.js';
import {
  addIntervals, intervalPart, multiplyInterval, negateInterval, timePart, timePlusInterval, timestampDifference, timestampPlusInterval,
} from './interval.js';
import { concatBlobs, hexOf, octetLength, unhex } from './blob.js';
import { doublesToColumn } from './numeric.js';
import { intervalColumn, type IntervalColumn } from '../columnar/column.js';
import { compileFormat, strftime, strptime } from './datetime_format.js';
import { parseRegexpOptions, regexpExtract, regexpMatches, regexpReplace } from './regexp.js';
import { evalAny, evaluateConstant, isConstant } from './evaluate.js';
import type { PhysicalExpr } from './expr.js';
import { NESTED_FUNCTIONS } from './nested_functions.js';
import { abs, power, round, rounding, sign, unaryMath } from './math.js';
import {
  concat, endsWith, leftRight, lengthOf, lowerColumn, pad, replace, reverse, splitPart, startsWith, strpos, substring, trim, upperColumn,
} from './strings.js';

type CallExpr = Extract<PhysicalExpr, { kind: 'call' }>;

type Impl = (e: CallExpr, batch: Batch) => Column;

function arity(e: CallExpr, min: number, max = min): void {
  const k = e.args.length;
  if (k < min || k > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new SpillwayError('binder', `function ${e.name} expects ${want} argument${want === '1' ? '' : 's'}, got ${k}`);
  }
}

/** Evaluate argument i (a broadcast constant stays one row long). */
function arg(e: CallExpr, i: number, batch: Batch): Column {
  return evalAny(e.args[i]!, batch);
}

function optArg(e: CallExpr, i: number, batch: Batch): Column | null {
  return i < e.args.length ? evalAny(e.args[i]!, batch) : null;
}

/** A text argument that must be constant (e.g. date_part's unit). */
function constantText(e: CallExpr, i: number): string {
  const a = e.args[i]!;
  if (!isConstant(a)) throw new SpillwayError('unsupported', `function ${e.name} needs a constant as argument ${i + 1}`);
  const v = evaluateConstant(a);
  if (typeof v !== 'string') throw new SpillwayError('type', `function ${e.name} expects text as argument ${i + 1}`);
  return v;
}

function utf8Arg(e: CallExpr, i: number, batch: Batch): Column {
  const c = arg(e, i, batch);
  if (c.type !== 'utf8' && c.type !== 'null') throw new SpillwayError('type', `function ${e.name} expects text, got ${c.type}`);
  return c;
}

const unary = (f: (x: Column, e: CallExpr) => Column): Impl => (e, b) => { arity(e, 1); return f(arg(e, 0, b), e); };

const extractAlias = (part: string): Impl => (e, b) => { arity(e, 1); return datePart(part, arg(e, 0, b), e.type); };

/** An INTERVAL argument (a NULL literal reads as a NULL interval). */
function intervalArg(e: CallExpr, i: number, batch: Batch): IntervalColumn {
  const c = arg(e, i, batch);
  if (c.type === 'interval') return c;
  if (c.type === 'null') return intervalColumn(new Int32Array(c.length), new Int32Array(c.length), new Float64Array(c.length), new Uint8Array(c.length));
  throw new SpillwayError('type', `function ${e.name} expects an INTERVAL, got ${c.type}`);
}

/** date_part / extract over dates, timestamps, times and intervals. */
function anyPart(partText: string, x: Column, outType: DataType): Column {
  if (x.type !== 'time' && x.type !== 'interval') return datePart(partText, x, outType);
  const part = normalizePart(partText);
  const out = x.type === 'time' ? timePart(part, x) : intervalPart(part, x);
  return doublesToColumn(out, x.validity, outType);
}

const FUNCTIONS: Record<string, Impl> = {
  // raise_error(message): fails the query when any row reaches it (CASE evaluates a branch
  // only on the rows that take it); used by the planner for "subquery returned more than one row".
  raise_error: (e, b) => {
    arity(e, 1);
    if (b.length > 0) throw new SpillwayError('execution', constantText(e, 0));
    return evalAny({ kind: 'literal', value: null, type: e.type }, b);
  },
  // math
  abs: unary((x, e) => abs(x, e.type)),
  round: (e, b) => { arity(e, 1, 2); return round(arg(e, 0, b), optArg(e, 1, b), b.length, e.type); },
  floor: unary((x, e) => rounding('floor', x, e.type)),
  ceil: unary((x, e) => rounding('ceil', x, e.type)),
  ceiling: unary((x, e) => rounding('ceil', x, e.type)),
  trunc: unary((x, e) => rounding('trunc', x, e.type)),
  sign: unary((x, e) => sign(x, e.type)),
  sqrt: unary((x, e) => unaryMath('sqrt', x, e.type)),
  cbrt: unary((x, e) => unaryMath('cbrt', x, e.type)),
  ln: unary((x, e) => unaryMath('ln', x, e.type)),
  log10: unary((x, e) => unaryMath('log10', x, e.type)),
  log: unary((x, e) => unaryMath('log10', x, e.type)),
  exp: unary((x, e) => unaryMath('exp', x, e.type)),
  power: (e, b) => { arity(e, 2); return power(arg(e, 0, b), arg(e, 1, b), b.length, e.type); },
  pow: (e, b) => { arity(e, 2); return power(arg(e, 0, b), arg(e, 1, b), b.length, e.type); },
  mod: (e, b) => { arity(e, 2); return arithmetic('%', arg(e, 0, b), arg(e, 1, b), e.type, b.length); },

  // strings
  upper: (e, b) => { arity(e, 1); const c = utf8Arg(e, 0, b); return c.type === 'utf8' ? upperColumn(c) : c; },
  lower: (e, b) => { arity(e, 1); const c = utf8Arg(e, 0, b); return c.type === 'utf8' ? lowerColumn(c) : c; },
  length: unary((x, e) => lengthOf(x, true, e.type)),
  char_length: unary((x, e) => lengthOf(x, true, e.type)),
  character_length: unary((x, e) => lengthOf(x, true, e.type)),
  octet_length: unary((x, e) => (x.type === 'blob' ? octetLength(x) : lengthOf(x, false, e.type))),
  hex: unary((x) => hexOf(x)),
  unhex: unary((x) => unhex(x)),
  blob_concat: (e, b) => { arity(e, 2); return concatBlobs(arg(e, 0, b), arg(e, 1, b), b.length); },
  substring: (e, b) => { arity(e, 2, 3); return substring(arg(e, 0, b), arg(e, 1, b), optArg(e, 2, b), b.length); },
  substr: (e, b) => { arity(e, 2, 3); return substring(arg(e, 0, b), arg(e, 1, b), optArg(e, 2, b), b.length); },
  left: (e, b) => { arity(e, 2); return leftRight(true, arg(e, 0, b), arg(e, 1, b), b.length); },
  right: (e, b) => { arity(e, 2); return leftRight(false, arg(e, 0, b), arg(e, 1, b), b.length); },
  trim: (e, b) => { arity(e, 1, 2); return trim(arg(e, 0, b), optArg(e, 1, b), true, true, b.length); },
  btrim: (e, b) => { arity(e, 1, 2); return trim(arg(e, 0, b), optArg(e, 1, b), true, true, b.length); },
  ltrim: (e, b) => { arity(e, 1, 2); return trim(arg(e, 0, b), optArg(e, 1, b), true, false, b.length); },
  rtrim: (e, b) => { arity(e, 1, 2); return trim(arg(e, 0, b), optArg(e, 1, b), false, true, b.length); },
  replace: (e, b) => { arity(e, 3); return replace(arg(e, 0, b), arg(e, 1, b), arg(e, 2, b), b.length); },
  strpos: (e, b) => { arity(e, 2); return strpos(arg(e, 0, b), arg(e, 1, b), b.length, e.type); },
  starts_with: (e, b) => { arity(e, 2); return startsWith(arg(e, 0, b), arg(e, 1, b), b.length); },
  concat: (e, b) => { arity(e, 1, Infinity); return concat(e.args.map((a) => evalAny(a, b)), true, b.length); },
  lpad: (e, b) => { arity(e, 2, 3); return pad(true, arg(e, 0, b), arg(e, 1, b), optArg(e, 2, b), b.length); },
  rpad: (e, b) => { arity(e, 2, 3); return pad(false, arg(e, 0, b), arg(e, 1, b), optArg(e, 2, b), b.length); },
  reverse: unary((x) => reverse(x)),
  ends_with: (e, b) => { arity(e, 2); return endsWith(arg(e, 0, b), arg(e, 1, b), b.length); },
  split_part: (e, b) => { arity(e, 3); return splitPart(arg(e, 0, b), arg(e, 1, b), arg(e, 2, b), b.length); },

  // regular expressions (options must be constant; patterns may vary by row)
  regexp_matches: (e, b) => {
    arity(e, 2, 3);
    const opts = parseRegexpOptions(e.name, e.args.length > 2 ? constantText(e, 2) : '');
    return regexpMatches(arg(e, 0, b), arg(e, 1, b), opts, b.length);
  },
  regexp_full_match: (e, b) => {
    arity(e, 2, 3);
    const opts = { ...parseRegexpOptions(e.name, e.args.length > 2 ? constantText(e, 2) : ''), full: true };
    return regexpMatches(arg(e, 0, b), arg(e, 1, b), opts, b.length);
  },
  regexp_replace: (e, b) => {
    arity(e, 3, 4);
    const opts = parseRegexpOptions(e.name, e.args.length > 3 ? constantText(e, 3) : '');
    return regexpReplace(arg(e, 0, b), arg(e, 1, b), arg(e, 2, b), opts, b.length);
  },
  regexp_extract: (e, b) => {
    arity(e, 2, 4);
    const opts = parseRegexpOptions(e.name, e.args.length > 3 ? constantText(e, 3) : '');
    return regexpExtract(arg(e, 0, b), arg(e, 1, b), optArg(e, 2, b), opts, b.length);
  },

  // conditional
  coalesce: (e, b) => { arity(e, 1, Infinity); return evalCoalesce(e.args, e.type, b); },
  ifnull: (e, b) => { arity(e, 2); return evalCoalesce(e.args, e.type, b); },
  nullif: (e, b) => { arity(e, 2); return nullif(arg(e, 0, b), arg(e, 1, b), e.type, b.length); },
  greatest: (e, b) => { arity(e, 1, Infinity); return greatestLeast(true, e.args.map((a) => evalAny(a, b)), e.type, b.length); },
  least: (e, b) => { arity(e, 1, Infinity); return greatestLeast(false, e.args.map((a) => evalAny(a, b)), e.type, b.length); },

  // dates
  date_part: (e, b) => { arity(e, 2); return anyPart(constantText(e, 0), arg(e, 1, b), e.type); },
  extract: (e, b) => { arity(e, 2); return anyPart(constantText(e, 0), arg(e, 1, b), e.type); },
  // INTERVAL and TIME arithmetic (the binder turns the operators into these calls)
  interval_add: (e, b) => { arity(e, 2); return addIntervals(intervalArg(e, 0, b), intervalArg(e, 1, b), 1, b.length); },
  interval_sub: (e, b) => { arity(e, 2); return addIntervals(intervalArg(e, 0, b), intervalArg(e, 1, b), -1, b.length); },
  interval_neg: (e, b) => { arity(e, 1); return negateInterval(intervalArg(e, 0, b)); },
  interval_mul: (e, b) => { arity(e, 2); return multiplyInterval(intervalArg(e, 0, b), arg(e, 1, b), 1, false, b.length); },
  interval_div: (e, b) => { arity(e, 2); return multiplyInterval(intervalArg(e, 0, b), arg(e, 1, b), 1, true, b.length); },
  timestamp_add_interval: (e, b) => { arity(e, 2); return timestampPlusInterval(arg(e, 0, b), intervalArg(e, 1, b), 1, b.length); },
  timestamp_sub_interval: (e, b) => { arity(e, 2); return timestampPlusInterval(arg(e, 0, b), intervalArg(e, 1, b), -1, b.length); },
  time_add_interval: (e, b) => { arity(e, 2); return timePlusInterval(arg(e, 0, b), intervalArg(e, 1, b), 1, b.length); },
  time_sub_interval: (e, b) => { arity(e, 2); return timePlusInterval(arg(e, 0, b), intervalArg(e, 1, b), -1, b.length); },
  timestamp_diff: (e, b) => { arity(e, 2); return timestampDifference(arg(e, 0, b), arg(e, 1, b), b.length); },
  date_trunc: (e, b) => { arity(e, 2); return dateTrunc(constantText(e, 0), arg(e, 1, b), e.type); },
  date_add_days: (e, b) => { arity(e, 2); return dateAdd('days', arg(e, 0, b), arg(e, 1, b), b.length, e.type); },
  date_add_months: (e, b) => { arity(e, 2); return dateAdd('months', arg(e, 0, b), arg(e, 1, b), b.length, e.type); },
  date_diff: (e, b) => { arity(e, 3); return dateDiff(constantText(e, 0), arg(e, 1, b), arg(e, 2, b), b.length); },
  make_date: (e, b) => { arity(e, 3); return makeDate(arg(e, 0, b), arg(e, 1, b), arg(e, 2, b), b.length); },
  strftime: (e, b) => { arity(e, 2); return strftime(arg(e, 0, b), compileFormat(e.name, constantText(e, 1), false), b.length); },
  strptime: (e, b) => {
    arity(e, 2);
    const format = constantText(e, 1);
    return strptime(arg(e, 0, b), compileFormat(e.name, format, true), format, false, b.length);
  },
  try_strptime: (e, b) => {
    arity(e, 2);
    const format = constantText(e, 1);
    return strptime(arg(e, 0, b), compileFormat(e.name, format, true), format, true, b.length);
  },
  year: extractAlias('year'),
  quarter: extractAlias('quarter'),
  month: extractAlias('month'),
  day: extractAlias('day'),
  dayofweek: extractAlias('dow'),
  dayofyear: extractAlias('doy'),
  week: extractAlias('week'),
  hour: extractAlias('hour'),
  minute: extractAlias('minute'),
  second: extractAlias('second'),
};

/** Names of the supported scalar functions (for binders and error hints). */
export const SUPPORTED_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

export function isSupportedFunction(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name) || Object.prototype.hasOwnProperty.call(NESTED_FUNCTIONS, name);
}

export function callFunction(e: CallExpr, batch: Batch): Column {
  const impl = Object.prototype.hasOwnProperty.call(FUNCTIONS, e.name) ? FUNCTIONS[e.name]
    : Object.prototype.hasOwnProperty.call(NESTED_FUNCTIONS, e.name) ? NESTED_FUNCTIONS[e.name] : undefined;
  if (impl === undefined) throw new SpillwayError('unsupported', `function ${e.name} is not supported`);
  return impl(e, batch);
}
