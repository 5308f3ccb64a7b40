/**
 * Comparison kernels: = <> < <= > >=, IS [NOT] DISTINCT FROM, and IN (list).
 *
 * Numbers compare by value across int32 / int64 / float64 without conversion (JS compares
 * a bigint and a number exactly); date32 against timestamp promotes the date to midnight;
 * utf8 compares bytes (= code-point order); bool orders false < true. NULL in, NULL out,
 * except IS [NOT] DISTINCT FROM, which is never NULL. NaN follows IEEE (never equal).
 */
import { encodeUtf8, fixedColumn, type BoolColumn, type Column, type IntervalColumn, type NestedColumn, type VarColumn } from '../columnar/column.js';
import { compareIntervalRows } from '../columnar/interval.js';
import { repeatScalar } from '../columnar/kernels.js';
import { compareNested, isNestedColumn, nestedEqual } from '../columnar/nested.js';
import { SpillwayError } from '../common/errors.js';
import type { Scalar } from '../common/types.js';
import { isDecimal } from '../common/types.js';
import { castColumn } from './cast.js';
import { andValidity, maskOf } from './broadcast.js';
import { decodeRange } from './utf8.js';

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

export function isCompareOp(op: string): op is CompareOp {
  return op === '=' || op === '<>' || op === '<' || op === '<=' || op === '>' || op === '>=';
}

type Fixed = Int32Array | Float64Array | BigInt64Array | Uint8Array;

const TYPE_CLASS: Record<string, string> = {
  int32: 'num', int64: 'num', float64: 'num', bool: 'bool', utf8: 'utf8', date32: 'date', timestamp: 'date', null: 'null',
  time: 'time', interval: 'interval', blob: 'blob',
};

/** Bring both sides to comparable representations (only dates vs timestamps need work). */
function align(left: Column, right: Column): [Column, Column] {
  // Decimals compare by unscaled value: the binder gives both sides one decimal type.
  const lc = TYPE_CLASS[left.type] ?? (isDecimal(left.type) ? 'num' : undefined);
  const rc = TYPE_CLASS[right.type] ?? (isDecimal(right.type) ? 'num' : undefined);
  if (left.type !== right.type && (isDecimal(left.type) || isDecimal(right.type))) {
    // Not expected from the binder; compare the values as doubles rather than wrongly.
    return [castColumn(left, 'float64'), castColumn(right, 'float64')];
  }
  if (lc !== rc) {
    throw new SpillwayError('type', `cannot compare ${left.type} with ${right.type}`);
  }
  if (left.type === 'date32' && right.type === 'timestamp') return [castColumn(left, 'timestamp'), right];
  if (left.type === 'timestamp' && right.type === 'date32') return [left, castColumn(right, 'timestamp')];
  return [left, right];
}

/** left op right over n rows; either side may be a broadcast constant. */
export function compare(op: CompareOp, left0: Column, right0: Column, n: number): BoolColumn {
  if (left0.type === 'null' || right0.type === 'null') return fixedColumn('bool', new Uint8Array(n), new Uint8Array(n)) as BoolColumn;
  const [left, right] = align(left0, right0);
  const lm = maskOf(left, n), rm = maskOf(right, n);
  const validity = andValidity(left.validity, lm, right.validity, rm, n);
  const out = new Uint8Array(n);
  if ((left.type === 'utf8' || left.type === 'blob') && (right.type === 'utf8' || right.type === 'blob')) compareUtf8(op, left, lm, right, rm, n, out);
  else if (left.type === 'interval' && right.type === 'interval') compareIntervals(op, left, lm, right, rm, n, out);
  else if (isNestedColumn(left) && isNestedColumn(right)) compareNestedColumns(op, left, lm, right, rm, n, out);
  else if ('values' in left && 'values' in right) {
    compareFixed(op, left.values, lm, right.values, rm, n, out);
  } else throw new Error('compare: unreachable');
  return fixedColumn('bool', out, validity) as BoolColumn;
}

/** Nested values: = and <> by value (NULL elements equal), the others in DuckDB's order. */
function compareNestedColumns(op: CompareOp, a: NestedColumn, am: number, b: NestedColumn, bm: number, n: number, out: Uint8Array): void {
  if (a.type !== b.type) throw new SpillwayError('type', `cannot compare ${a.type} with ${b.type}`);
  for (let i = 0; i < n; i++) {
    const x = i & am, y = i & bm;
    if (op === '=' || op === '<>') { out[i] = nestedEqual(a, x, b, y) === (op === '=') ? 1 : 0; continue; }
    const r = compareNested(a, x, b, y);
    out[i] = (op === '<' ? r < 0 : op === '<=' ? r <= 0 : op === '>' ? r > 0 : r >= 0) ? 1 : 0;
  }
}

/* eslint-disable eqeqeq -- loose equality compares a bigint and a number by value */
function compareFixed(op: CompareOp, a: Fixed, am: number, b: Fixed, bm: number, n: number, out: Uint8Array): void {
  // A column against a number constant (a WHERE clause's usual shape): one loop per array
  // kind, so each stays monomorphic instead of one loop deoptimized by every kind it meets.
  if (am === -1 && bm === 0 && typeof b[0] === 'number') {
    if (a instanceof Int32Array) { compareI32Const(op, a, b[0], n, out); return; }
    if (a instanceof Float64Array) { compareF64Const(op, a, b[0], n, out); return; }
  }
  if (am === 0 && bm === -1 && typeof a[0] === 'number') {
    const flipped = FLIP[op];
    if (b instanceof Int32Array) { compareI32Const(flipped, b, a[0], n, out); return; }
    if (b instanceof Float64Array) { compareF64Const(flipped, b, a[0], n, out); return; }
  }
  compareAny(op, a, am, b, bm, n, out);
}

/** c op x ≡ x FLIP[op] c. */
const FLIP: Record<CompareOp, CompareOp> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function compareI32Const(op: CompareOp, a: Int32Array, c: number, n: number, out: Uint8Array): void {
  switch (op) {
    case '=': for (let i = 0; i < n; i++) out[i] = a[i]! === c ? 1 : 0; break;
    case '<>': for (let i = 0; i < n; i++) out[i] = a[i]! !== c ? 1 : 0; break;
    case '<': for (let i = 0; i < n; i++) out[i] = a[i]! < c ? 1 : 0; break;
    case '<=': for (let i = 0; i < n; i++) out[i] = a[i]! <= c ? 1 : 0; break;
    case '>': for (let i = 0; i < n; i++) out[i] = a[i]! > c ? 1 : 0; break;
    case '>=': for (let i = 0; i < n; i++) out[i] = a[i]! >= c ? 1 : 0; break;
  }
}

function compareF64Const(op: CompareOp, a: Float64Array, c: number, n: number, out: Uint8Array): void {
  switch (op) {
    case '=': for (let i = 0; i < n; i++) out[i] = a[i]! === c ? 1 : 0; break;
    case '<>': for (let i = 0; i < n; i++) out[i] = a[i]! !== c ? 1 : 0; break;
    case '<': for (let i = 0; i < n; i++) out[i] = a[i]! < c ? 1 : 0; break;
    case '<=': for (let i = 0; i < n; i++) out[i] = a[i]! <= c ? 1 : 0; break;
    case '>': for (let i = 0; i < n; i++) out[i] = a[i]! > c ? 1 : 0; break;
    case '>=': for (let i = 0; i < n; i++) out[i] = a[i]! >= c ? 1 : 0; break;
  }
}

function compareAny(op: CompareOp, a: Fixed, am: number, b: Fixed, bm: number, n: number, out: Uint8Array): void {
  switch (op) {
    case '=': for (let i = 0; i < n; i++) out[i] = a[i & am]! == b[i & bm]! ? 1 : 0; break;
    case '<>': for (let i = 0; i < n; i++) out[i] = a[i & am]! != b[i & bm]! ? 1 : 0; break;
    case '<': for (let i = 0; i < n; i++) out[i] = a[i & am]! < b[i & bm]! ? 1 : 0; break;
    case '<=': for (let i = 0; i < n; i++) out[i] = a[i & am]! <= b[i & bm]! ? 1 : 0; break;
    case '>': for (let i = 0; i < n; i++) out[i] = a[i & am]! > b[i & bm]! ? 1 : 0; break;
    case '>=': for (let i = 0; i < n; i++) out[i] = a[i & am]! >= b[i & bm]! ? 1 : 0; break;
  }
}
/* eslint-enable eqeqeq */

/** Lexicographic byte comparison of a[as, ae) and b[bs, be): negative, zero or positive. */
export function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const la = ae - as, lb = be - bs;
  const len = la < lb ? la : lb;
  for (let k = 0; k < len; k++) {
    const d = a[as + k]! - b[bs + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

export function equalBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  const len = ae - as;
  if (len !== be - bs) return false;
  for (let k = 0; k < len; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

/** Intervals in DuckDB's normalised order (`1 month` = `30 days`). */
function compareIntervals(op: CompareOp, l: IntervalColumn, lm: number, r: IntervalColumn, rm: number, n: number, out: Uint8Array): void {
  for (let i = 0; i < n; i++) {
    const c = compareIntervalRows(l, i & lm, r, i & rm);
    out[i] = op === '=' ? (c === 0 ? 1 : 0) : op === '<>' ? (c !== 0 ? 1 : 0) : op === '<' ? (c < 0 ? 1 : 0)
      : op === '<=' ? (c <= 0 ? 1 : 0) : op === '>' ? (c > 0 ? 1 : 0) : (c >= 0 ? 1 : 0);
  }
}

function compareUtf8(op: CompareOp, l: VarColumn, lm: number, r: VarColumn, rm: number, n: number, out: Uint8Array): void {
  const ad = l.data, ao = l.offsets, bd = r.data, bo = r.offsets;
  if (op === '=' || op === '<>') {
    const hit = op === '=' ? 1 : 0;
    for (let i = 0; i < n; i++) {
      const ia = i & lm, ib = i & rm;
      out[i] = equalBytes(ad, ao[ia]!, ao[ia + 1]!, bd, bo[ib]!, bo[ib + 1]!) ? hit : 1 - hit;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const ia = i & lm, ib = i & rm;
    const c = compareBytes(ad, ao[ia]!, ao[ia + 1]!, bd, bo[ib]!, bo[ib + 1]!);
    out[i] = op === '<' ? (c < 0 ? 1 : 0) : op === '<=' ? (c <= 0 ? 1 : 0) : op === '>' ? (c > 0 ? 1 : 0) : (c >= 0 ? 1 : 0);
  }
}

/** IS DISTINCT FROM (distinct = true) / IS NOT DISTINCT FROM (distinct = false): never NULL. */
export function distinctFrom(distinct: boolean, left: Column, right: Column, n: number): BoolColumn {
  const out = new Uint8Array(n);
  const yes = distinct ? 1 : 0;
  if (left.type === 'null' || right.type === 'null') {
    const other = left.type === 'null' ? right : left;
    const om = maskOf(other, n);
    for (let i = 0; i < n; i++) {
      const otherNull = other.type === 'null' || (other.validity !== null && other.validity[i & om] === 0);
      out[i] = otherNull ? 1 - yes : yes;
    }
    return fixedColumn('bool', out, null) as BoolColumn;
  }
  const eq = compare('=', left, right, n);
  const lm = maskOf(left, n), rm = maskOf(right, n);
  const lv = left.validity, rv = right.validity;
  for (let i = 0; i < n; i++) {
    const ln = lv !== null && lv[i & lm] === 0;
    const rn = rv !== null && rv[i & rm] === 0;
    const same = ln || rn ? ln && rn : eq.values[i] === 1;
    out[i] = same ? 1 - yes : yes;
  }
  return fixedColumn('bool', out, null) as BoolColumn;
}

/**
 * x [NOT] IN (constant list): a hash lookup per row. Rows that find no match are NULL when
 * x is NULL or the list holds a NULL (SQL semantics), else FALSE (TRUE when negated).
 */
export function inConstantList(arg: Column, list: readonly Scalar[], negated: boolean, n: number): BoolColumn {
  let listHasNull = false;
  const out = new Uint8Array(n);
  const am = maskOf(arg, n);
  if (arg.type === 'null') return fixedColumn('bool', out, new Uint8Array(n)) as BoolColumn;
  let validity: Uint8Array | null = arg.validity === null ? null : Uint8Array.from(arg.validity);
  if (validity !== null && am === 0) validity = new Uint8Array(n).fill(validity[0]!);
  if (arg.type === 'blob' || arg.type === 'interval') {
    // One comparison per list item (their Scalars are text, not the column's bytes).
    for (const v of list) {
      if (v === null) { listHasNull = true; continue; }
      const eq = compare('=', arg, repeatScalar(arg.type, v, 1), n);
      for (let i = 0; i < n; i++) out[i] = out[i]! | eq.values[i]!;
    }
  } else if (arg.type === 'utf8') {
    const set = new Set<string>();
    for (const v of list) { if (v === null) listHasNull = true; else set.add(String(v)); }
    const d = arg.data, o = arg.offsets;
    if (set.size <= 16) {
      // Short lists: compare bytes, no per-row string decoding.
      const items = [...set].map((s) => encodeUtf8(s));
      for (let i = 0; i < n; i++) {
        const j = i & am;
        const s = o[j]!, e = o[j + 1]!;
        let hit = 0;
        for (const it of items) if (equalBytes(d, s, e, it, 0, it.length)) { hit = 1; break; }
        out[i] = hit;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const j = i & am;
        out[i] = set.has(decodeRange(d, o[j]!, o[j + 1]!)) ? 1 : 0;
      }
    }
  } else if (isNestedColumn(arg)) {
    throw new SpillwayError('unsupported', `IN (…) on a ${arg.type} value is not supported`);
  } else if (arg.type === 'int64' || arg.type === 'timestamp' || (isDecimal(arg.type) && arg.values instanceof BigInt64Array)) {
    const set = new Set<bigint>();
    for (const v of list) {
      if (v === null) listHasNull = true;
      else if (typeof v === 'bigint') set.add(v);
      else if (typeof v === 'number' && Number.isInteger(v)) set.add(BigInt(v));
    }
    const a = arg.values as BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = set.has(a[i & am]!) ? 1 : 0;
  } else {
    const set = new Set<number>();
    for (const v of list) {
      if (v === null) listHasNull = true;
      else if (typeof v === 'boolean') set.add(v ? 1 : 0);
      else set.add(Number(v));
    }
    const a = (arg as { values: Float64Array | Int32Array | Uint8Array }).values;
    for (let i = 0; i < n; i++) out[i] = set.has(a[i & am]!) ? 1 : 0;
  }
  if (listHasNull) {
    validity ??= new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) if (out[i] === 0) validity[i] = 0;
  }
  if (negated) for (let i = 0; i < n; i++) out[i] = out[i]! ^ 1;
  return fixedColumn('bool', out, validity) as BoolColumn;
}
