/**
 * Scalar functions the binder accepts: argument count and types are checked and coerced
 * here, so expression evaluation (src/expr/) receives arguments of the types it expects.
 * Names are the lower-case names listed in src/expr/expr.ts.
 */
import type { DataType } from '../common/types.js';
import { isDecimal, isNumeric, sqlTypeName } from '../common/types.js';
import type { LExpr } from '../plan/logical.js';
import { castTo, commonTypeOf, isUntypedString } from './coercion.js';
import { SpillwayError } from '../common/errors.js';
import { compileFormat } from '../expr/datetime_format.js';
import { dateDiffUnit, DATE_DIFF_UNITS } from '../expr/dates.js';
import { compileRegexp, parseRegexpOptions } from '../expr/regexp.js';
import { NESTED_FUNCTION_BINDERS } from './nested_functions.js';

/** Raised by a signature check; the binder turns it into a positioned SpillwayError. */
export class SignatureError extends Error {
  constructor(readonly kind: 'binder' | 'type', message: string) {
    super(message);
  }
}

type FnBinder = (name: string, args: LExpr[]) => LExpr;

/** Spellings that map to one canonical function name. */
const ALIASES: Record<string, string> = {
  substr: 'substring',
  ceiling: 'ceil',
  pow: 'power',
  char_length: 'length',
  character_length: 'length',
  datediff: 'date_diff',
  prefix: 'starts_with',
  suffix: 'ends_with',
};

function arity(name: string, args: LExpr[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new SignatureError('binder', `function ${name} takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
  }
}

function numericArg(name: string, e: LExpr): LExpr {
  if (e.type === 'null') return castTo(e, 'float64');
  if (isUntypedString(e)) return castTo(e, 'float64');
  // Math functions compute in doubles: a DECIMAL argument is converted (DuckDB keeps DECIMAL for abs/round/floor).
  if (isDecimal(e.type)) return castTo(e, 'float64');
  if (!isNumeric(e.type)) throw new SignatureError('type', `function ${name} expects a number, got ${sqlTypeName(e.type)}`);
  return e;
}

function textArg(name: string, e: LExpr): LExpr {
  if (e.type === 'utf8') return e;
  if (e.type === 'null') return castTo(e, 'utf8');
  throw new SignatureError('type', `function ${name} expects text, got ${sqlTypeName(e.type)}`);
}

function intArg(name: string, e: LExpr): LExpr {
  if (e.type === 'int32' || e.type === 'null' || isUntypedString(e)) return castTo(e, 'int32');
  if (e.type === 'int64') return castTo(e, 'int32');
  throw new SignatureError('type', `function ${name} expects an integer, got ${sqlTypeName(e.type)}`);
}

function temporalArg(name: string, e: LExpr): LExpr {
  if (e.type === 'date32' || e.type === 'timestamp') return e;
  if (e.type === 'null') return castTo(e, 'date32');
  if (isUntypedString(e)) return castTo(e, /\d:\d/.test(String((e as { value: unknown }).value)) ? 'timestamp' : 'date32');
  throw new SignatureError('type', `function ${name} expects a DATE or TIMESTAMP, got ${sqlTypeName(e.type)}`);
}

function partArg(name: string, e: LExpr): LExpr {
  if (e.kind !== 'literal' || typeof e.value !== 'string') {
    throw new SignatureError('binder', `function ${name} expects a constant date part such as 'year' as its first argument`);
  }
  const part = e.value.toLowerCase();
  if (!DATE_PARTS.has(part)) throw new SignatureError('binder', `function ${name}: unknown date part '${e.value}'`);
  return { kind: 'literal', value: part, type: 'utf8' };
}

const DATE_PARTS = new Set(['year', 'quarter', 'month', 'week', 'day', 'dow', 'doy', 'hour', 'minute', 'second', 'epoch', 'millennium', 'century', 'decade', 'millisecond', 'microsecond']);

const call = (name: string, args: LExpr[], type: DataType): LExpr => ({ kind: 'call', name, args, type });

/** Argument i as constant text (a regexp's options, a format): its value, after the type check. */
function constantTextArg(name: string, args: LExpr[], i: number, what: string): string {
  const e = args[i]!;
  if (e.kind !== 'literal' || (typeof e.value !== 'string' && e.value !== null)) {
    throw new SignatureError('binder', `function ${name} needs a constant ${what} as argument ${i + 1}`);
  }
  if (e.value === null) throw new SignatureError('binder', `function ${name}: the ${what} (argument ${i + 1}) is NULL`);
  return e.value;
}

/** Run a check from expr/ (a regexp or format compiler) and turn its error into a SignatureError. */
function check(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof SpillwayError) throw new SignatureError('binder', e.message);
    throw e;
  }
}

/** regexp_*: text arguments, constant options checked now, a constant pattern compiled now. */
const regexpFn = (min: number, max: number, optionsAt: number, type: DataType, intAt = -1): FnBinder => (name, args) => {
  arity(name, args, min, max);
  const bound = args.map((a, i) => (i === intAt ? intArg(name, a) : textArg(name, a)));
  const options = args.length > optionsAt ? constantTextArg(name, bound, optionsAt, 'options text') : '';
  check(() => {
    const opts = parseRegexpOptions(name, options);
    const p = bound[1]!;
    if (p.kind === 'literal' && typeof p.value === 'string') compileRegexp(name, p.value, opts);
  });
  return call(name, bound, type);
};

/** Both arguments of date_diff as one type: timestamps when either is. */
function sameTemporal(name: string, a: LExpr, b: LExpr): [LExpr, LExpr] {
  const x = temporalArg(name, a), y = temporalArg(name, b);
  if (x.type === y.type) return [x, y];
  return [castTo(x, 'timestamp'), castTo(y, 'timestamp')];
}

const sameNumeric: FnBinder = (name, args) => {
  arity(name, args, 1, 1);
  const a = numericArg(name, args[0]!);
  return call(name, [a], a.type);
};

const floatFn = (n: number): FnBinder => (name, args) => {
  arity(name, args, n, n);
  return call(name, args.map((a) => castTo(numericArg(name, a), 'float64')), 'float64');
};

const textToText = (min: number, max: number): FnBinder => (name, args) => {
  arity(name, args, min, max);
  return call(name, args.map((a) => textArg(name, a)), 'utf8');
};

const variadicCommon = (min: number): FnBinder => (name, args) => {
  arity(name, args, min, Infinity);
  const t = commonTypeOf(args, `${name} argument`, '');
  const type: DataType = t === 'null' ? 'int32' : t;
  return call(name, args.map((a) => castTo(a, type)), type);
};

const FUNCTIONS: Record<string, FnBinder> = {
  abs: sameNumeric,
  sign: sameNumeric,
  floor: sameNumeric,
  ceil: sameNumeric,
  round: (name, args) => {
    arity(name, args, 1, 2);
    const a = numericArg(name, args[0]!);
    return call(name, args.length === 2 ? [a, intArg(name, args[1]!)] : [a], a.type);
  },
  sqrt: floatFn(1),
  ln: floatFn(1),
  exp: floatFn(1),
  power: floatFn(2),
  upper: textToText(1, 1),
  lower: textToText(1, 1),
  trim: textToText(1, 2),
  ltrim: textToText(1, 2),
  rtrim: textToText(1, 2),
  replace: textToText(3, 3),
  substring: (name, args) => {
    arity(name, args, 2, 3);
    return call(name, [textArg(name, args[0]!), ...args.slice(1).map((a) => intArg(name, a))], 'utf8');
  },
  length: (name, args) => {
    arity(name, args, 1, 1);
    return call(name, [textArg(name, args[0]!)], 'int32');
  },
  octet_length: (name, args) => {
    arity(name, args, 1, 1);
    if (args[0]!.type === 'blob') return call(name, [args[0]!], 'int64');
    return call(name, [textArg(name, args[0]!)], 'int32');
  },
  hex: (name, args) => {
    arity(name, args, 1, 1);
    return call(name, [args[0]!.type === 'blob' ? args[0]! : textArg(name, args[0]!)], 'utf8');
  },
  unhex: (name, args) => {
    arity(name, args, 1, 1);
    return call(name, [textArg(name, args[0]!)], 'blob');
  },
  strpos: (name, args) => {
    arity(name, args, 2, 2);
    return call(name, args.map((a) => textArg(name, a)), 'int32');
  },
  starts_with: (name, args) => {
    arity(name, args, 2, 2);
    return call(name, args.map((a) => textArg(name, a)), 'bool');
  },
  concat: (name, args) => {
    arity(name, args, 1, Infinity);
    return call(name, args.map((a) => castTo(a, 'utf8')), 'utf8');
  },
  coalesce: variadicCommon(1),
  greatest: variadicCommon(1),
  least: variadicCommon(1),
  nullif: (name, args) => {
    arity(name, args, 2, 2);
    const t = commonTypeOf(args, 'nullif argument', '');
    const type: DataType = t === 'null' ? 'int32' : t;
    return call(name, args.map((a) => castTo(a, type)), type);
  },
  date_part: (name, args) => {
    arity(name, args, 2, 2);
    const part = partArg(name, args[0]!);
    const x = args[1]!;
    // TIME and INTERVAL have parts too (expr/interval.ts); their epoch is a DOUBLE, as in DuckDB.
    if (x.type === 'time' || x.type === 'interval') return call(name, [part, x], part.kind === 'literal' && part.value === 'epoch' ? 'float64' : 'int64');
    return call(name, [part, temporalArg(name, x)], part.kind === 'literal' && part.value === 'epoch' ? 'int64' : 'int32');
  },
  date_trunc: (name, args) => {
    arity(name, args, 2, 2);
    const d = temporalArg(name, args[1]!);
    return call(name, [partArg(name, args[0]!), d], d.type);
  },
  ends_with: (name, args) => {
    arity(name, args, 2, 2);
    return call(name, args.map((a) => textArg(name, a)), 'bool');
  },
  split_part: (name, args) => {
    arity(name, args, 3, 3);
    return call(name, [textArg(name, args[0]!), textArg(name, args[1]!), intArg(name, args[2]!)], 'utf8');
  },
  lpad: (name, args) => {
    arity(name, args, 2, 3);
    return call(name, args.map((a, i) => (i === 1 ? intArg(name, a) : textArg(name, a))), 'utf8');
  },
  rpad: (name, args) => {
    arity(name, args, 2, 3);
    return call(name, args.map((a, i) => (i === 1 ? intArg(name, a) : textArg(name, a))), 'utf8');
  },
  regexp_matches: regexpFn(2, 3, 2, 'bool'),
  regexp_full_match: regexpFn(2, 3, 2, 'bool'),
  regexp_replace: regexpFn(3, 4, 3, 'utf8'),
  regexp_extract: regexpFn(2, 4, 3, 'utf8', 2),
  strftime: (name, args) => {
    arity(name, args, 2, 2);
    const format = constantTextArg(name, args, 1, 'format');
    check(() => compileFormat(name, format, false));
    return call(name, [temporalArg(name, args[0]!), castTo(args[1]!, 'utf8')], 'utf8');
  },
  strptime: (name, args) => {
    arity(name, args, 2, 2);
    const format = constantTextArg(name, args, 1, 'format');
    check(() => compileFormat(name, format, true));
    return call(name, [textArg(name, args[0]!), castTo(args[1]!, 'utf8')], 'timestamp');
  },
  try_strptime: (name, args) => {
    arity(name, args, 2, 2);
    const format = constantTextArg(name, args, 1, 'format');
    check(() => compileFormat(name, format, true));
    return call(name, [textArg(name, args[0]!), castTo(args[1]!, 'utf8')], 'timestamp');
  },
  date_diff: (name, args) => {
    arity(name, args, 3, 3);
    const unit = dateDiffUnit(constantTextArg(name, args, 0, 'unit such as \'day\''));
    if (unit === null) {
      throw new SignatureError('binder', `function ${name}: unknown unit '${String((args[0] as { value: unknown }).value)}' (argument 1; one of ${DATE_DIFF_UNITS.join(', ')})`);
    }
    const [a, b] = sameTemporal(name, args[1]!, args[2]!);
    return call(name, [{ kind: 'literal', value: unit, type: 'utf8' }, a, b], 'int64');
  },
  make_date: (name, args) => {
    arity(name, args, 3, 3);
    return call(name, args.map((a) => intArg(name, a)), 'date32');
  },
  date_add_days: (name, args) => {
    arity(name, args, 2, 2);
    const d = temporalArg(name, args[0]!);
    return call(name, [d, intArg(name, args[1]!)], d.type);
  },
  date_add_months: (name, args) => {
    arity(name, args, 2, 2);
    const d = temporalArg(name, args[0]!);
    return call(name, [d, intArg(name, args[1]!)], d.type);
  },
};

export function canonicalFunctionName(name: string): string {
  const n = name.toLowerCase();
  return ALIASES[n] ?? n;
}

export function isKnownFunction(name: string): boolean {
  return canonicalFunctionName(name) in FUNCTIONS || canonicalFunctionName(name) in NESTED_FUNCTION_BINDERS;
}

export function knownFunctionNames(): string[] {
  return Object.keys(FUNCTIONS);
}

/** Bind a call of a known scalar function; throws SignatureError on bad arguments. */
export function bindFunctionCall(name: string, args: LExpr[]): LExpr {
  const canonical = canonicalFunctionName(name);
  const binder = FUNCTIONS[canonical] ?? NESTED_FUNCTION_BINDERS[canonical];
  if (!binder) throw new SignatureError('binder', `unknown function "${name}"`);
  return binder(canonical, args);
}
