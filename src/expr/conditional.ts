/**
 * Conditional expressions that must not evaluate a branch on rows that do not reach it:
 * CASE, COALESCE (and the error fallback of AND / OR), plus NULLIF, GREATEST, LEAST.
 *
 * Selective evaluation: each branch runs over a sub-batch gathered (take) from the rows
 * that reach it; only the columns the expression references are gathered. The pieces are
 * then assembled back into row order:
 *
 *   rows 0..n ─ WHEN c1 ─┬─ true ──▶ take ─▶ THEN e1 ─▶ piece 0 ─┐
 *                        └─ rest ─ WHEN c2 ─┬─ true ──▶ piece 1 ─┼─▶ assemble(pieceOfRow, rowInPiece)
 *                                           └─ rest ─▶ ELSE ───▶ piece 2 ─┘
 *
 * When a condition selects every remaining row the sub-batch is reused without copying.
 */
import { allocValues, fixedColumn, intervalColumn, makeBatch, nullColumn, type Batch, type Column, type IntervalColumn, type Utf8Column } from '../columnar/column.js';
import { ColumnBuilder } from '../columnar/builder.js';
import { compareNested, isNestedColumn } from '../columnar/nested.js';
import { isNested } from '../common/nested_types.js';
import { take } from '../columnar/kernels.js';
import type { DataType } from '../common/types.js';
import { castColumn } from './cast.js';
import { compare, compareBytes } from './compare.js';
import { evaluate, evalAny } from './evaluate.js';
import type { PhysicalExpr } from './expr.js';
import { allNull, maskOf } from './broadcast.js';

type CaseExpr = Extract<PhysicalExpr, { kind: 'case' }>;

const referenced = new WeakMap<PhysicalExpr, ReadonlySet<number>>();

/** Column positions an expression reads. */
export function referencedColumns(expr: PhysicalExpr): ReadonlySet<number> {
  let set = referenced.get(expr);
  if (set !== undefined) return set;
  const out = new Set<number>();
  const visit = (e: PhysicalExpr): void => {
    switch (e.kind) {
      case 'column': out.add(e.index); break;
      case 'literal': break;
      case 'binary': visit(e.left); visit(e.right); break;
      case 'unary': case 'cast': visit(e.arg); break;
      case 'case':
        if (e.operand) visit(e.operand);
        for (const w of e.whens) { visit(w.when); visit(w.then); }
        if (e.else) visit(e.else);
        break;
      case 'in_list': visit(e.arg); e.list.forEach(visit); break;
      case 'like': visit(e.arg); visit(e.pattern); break;
      case 'call': e.args.forEach(visit); break;
    }
  };
  visit(expr);
  set = out;
  referenced.set(expr, set);
  return set;
}

/** Gather rows idx of the columns in `needed`; other columns become placeholders. */
export function takeNeeded(batch: Batch, idx: Int32Array, needed: ReadonlySet<number>): Batch {
  const cols = batch.columns.map((c, j) => (needed.has(j) ? take(c, idx) : nullColumn(idx.length)));
  return makeBatch(batch.schema, cols, idx.length);
}

/** Local indices where a bool column is TRUE, and where it is not. */
function split(cond: Column, n: number): { hit: Int32Array; miss: Int32Array } {
  const m = maskOf(cond, n);
  let hits = 0;
  const isHit = new Uint8Array(n);
  if (cond.type === 'bool') {
    const v = cond.values, valid = cond.validity;
    for (let i = 0; i < n; i++) {
      const j = i & m;
      const h = v[j] === 1 && (valid === null || valid[j] === 1) ? 1 : 0;
      isHit[i] = h;
      hits += h;
    }
  }
  const hit = new Int32Array(hits), miss = new Int32Array(n - hits);
  let a = 0, b = 0;
  for (let i = 0; i < n; i++) { if (isHit[i] === 1) hit[a++] = i; else miss[b++] = i; }
  return { hit, miss };
}

function compose(rows: Int32Array | null, local: Int32Array): Int32Array {
  if (rows === null) return local;
  const out = new Int32Array(local.length);
  for (let k = 0; k < local.length; k++) out[k] = rows[local[k]!]!;
  return out;
}

/** Collects branch results and where each output row comes from. */
class Pieces {
  readonly pieces: Column[] = [];
  readonly pieceOfRow: Int32Array;
  readonly rowInPiece: Int32Array;
  constructor(readonly n: number) {
    this.pieceOfRow = new Int32Array(n).fill(-1);
    this.rowInPiece = new Int32Array(n);
  }
  /** `col` holds values for output rows `rows` (null = all rows, in order). */
  add(col: Column, rows: Int32Array | null, count: number): void {
    const p = this.pieces.length;
    this.pieces.push(col);
    const constant = col.length === 1;
    for (let k = 0; k < count; k++) {
      const r = rows === null ? k : rows[k]!;
      this.pieceOfRow[r] = p;
      this.rowInPiece[r] = constant ? 0 : k;
    }
  }
  finish(type: DataType): Column {
    return assemble(type, this.pieces, this.pieceOfRow, this.rowInPiece, this.n);
  }
}

export function evalCase(expr: CaseExpr, batch: Batch): Column {
  const n = batch.length;
  const type = expr.type;
  const needAfter = remainingNeeds(expr);
  const out = new Pieces(n);
  let rows: Int32Array | null = null; // output rows still unresolved (null = all)
  let sub = batch;
  let operand: Column | null = expr.operand === null ? null : evaluate(expr.operand, batch);
  for (let k = 0; k < expr.whens.length; k++) {
    const w = expr.whens[k]!;
    const needed = needAfter[k]!;
    if (sub.length === 0) break;
    const cond = operand === null ? evalAny(w.when, sub) : compare('=', operand, evalAny(w.when, sub), sub.length);
    const { hit, miss } = split(cond, sub.length);
    if (hit.length > 0) {
      const thenBatch = miss.length === 0 ? sub : takeNeeded(sub, hit, referencedColumns(w.then));
      const val = castColumn(evalAny(w.then, thenBatch), type);
      if (miss.length === 0 && rows === null && val.length === n) return val;
      out.add(val, compose(rows, hit), hit.length);
    }
    if (miss.length === 0) return out.finish(type); // every row resolved; no ELSE needed
    if (hit.length > 0) {
      sub = takeNeeded(sub, miss, needed);
      if (operand !== null) operand = take(operand, miss);
      rows = compose(rows, miss);
    }
  }
  if (sub.length > 0 && expr.else !== null) {
    const val = castColumn(evalAny(expr.else, sub), type);
    if (rows === null && val.length === n) return val;
    out.add(val, rows, sub.length);
  }
  return out.pieces.length === 0 ? allNull(type, n) : out.finish(type);
}

const needsCache = new WeakMap<CaseExpr, ReadonlySet<number>[]>();

/** needAfter[k]: columns read by the branches after WHEN k (later WHENs/THENs and ELSE). */
function remainingNeeds(expr: CaseExpr): ReadonlySet<number>[] {
  let needs = needsCache.get(expr);
  if (needs !== undefined) return needs;
  needs = new Array<ReadonlySet<number>>(expr.whens.length);
  let acc = new Set<number>(expr.else === null ? [] : referencedColumns(expr.else));
  for (let k = expr.whens.length - 1; k >= 0; k--) {
    needs[k] = acc;
    const w = expr.whens[k]!;
    acc = new Set([...acc, ...referencedColumns(w.when), ...referencedColumns(w.then)]);
  }
  needsCache.set(expr, needs);
  return needs;
}

/** COALESCE: later arguments are evaluated only on rows where all earlier ones are NULL. */
export function evalCoalesce(args: readonly PhysicalExpr[], type: DataType, batch: Batch): Column {
  const n = batch.length;
  const needed = new Set<number>();
  for (const a of args) for (const j of referencedColumns(a)) needed.add(j);
  const out = new Pieces(n);
  let rows: Int32Array | null = null;
  let sub = batch;
  for (const a of args) {
    const c = castColumn(evaluate(a, sub), type);
    const m = sub.length;
    let nulls = 0;
    if (c.type === 'null') nulls = m;
    else if (c.validity !== null) for (let i = 0; i < m; i++) nulls += c.validity[i]! ^ 1;
    if (nulls === 0 && rows === null) return c;
    if (nulls === m) continue;
    const miss = new Int32Array(nulls);
    let k = 0;
    const v = c.validity;
    if (v !== null) for (let i = 0; i < m; i++) if (v[i] === 0) miss[k++] = i;
    out.add(c, rows, m); // NULL rows are overwritten by later pieces or stay NULL
    if (nulls === 0) break;
    sub = takeNeeded(sub, miss, needed);
    rows = compose(rows, miss);
  }
  return out.pieces.length === 0 ? allNull(type, n) : out.finish(type);
}

/** NULLIF(a, b): NULL where a = b is TRUE, else a. */
export function nullif(a0: Column, b: Column, type: DataType, n: number): Column {
  const a = castColumn(a0.length === n ? a0 : broadcastTo(a0, n), type);
  if (a.type === 'null') return a;
  const eq = compare('=', a, b, n);
  const validity = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const aOk = a.validity === null || a.validity[i] === 1;
    const same = eq.values[i] === 1 && (eq.validity === null || eq.validity[i] === 1);
    validity[i] = aOk && !same ? 1 : 0;
  }
  return { ...a, validity };
}

function broadcastTo(c: Column, n: number): Column {
  return take(c, new Int32Array(n));
}

/** GREATEST / LEAST: NULL arguments are ignored; NULL only when all are NULL. */
export function greatestLeast(greatest: boolean, args0: readonly Column[], type: DataType, n: number): Column {
  const args = args0.map((a) => castColumn(a, type));
  const best = new Int32Array(n).fill(-1);
  const bestRow = new Int32Array(n);
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (a.type === 'null') continue;
    const m = maskOf(a, n);
    for (let i = 0; i < n; i++) {
      const j = i & m;
      if (a.validity !== null && a.validity[j] === 0) continue;
      const b = best[i]!;
      if (b < 0) { best[i] = k; bestRow[i] = j; continue; }
      const cur = args[b]!;
      const c = compareAt(a, j, cur, bestRow[i]!);
      if (greatest ? c > 0 : c < 0) { best[i] = k; bestRow[i] = j; }
    }
  }
  return assemble(type, args, best, bestRow, n);
}

/** Compare value i of a with value j of b (same type, both valid). */
function compareAt(a: Column, i: number, b: Column, j: number): number {
  if ((a.type === 'utf8' || a.type === 'blob') && (b.type === 'utf8' || b.type === 'blob')) {
    return compareBytes(a.data, a.offsets[i]!, a.offsets[i + 1]!, b.data, b.offsets[j]!, b.offsets[j + 1]!);
  }
  if (a.type === 'interval' && b.type === 'interval') {
    // DuckDB's greatest / least order intervals by their raw (months, days, micros), not
    // normalised as comparisons do: least('1 month', '79 days') is '79 days'.
    const x = a.months[i]! - b.months[j]! || a.days[i]! - b.days[j]! || a.micros[i]! - b.micros[j]!;
    return x < 0 ? -1 : x > 0 ? 1 : 0;
  }
  if (isNestedColumn(a)) return compareNested(a, i, b as typeof a, j);
  if (!('values' in a) || !('values' in b)) return 0;
  const x = a.values[i]!, y = b.values[j]!;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Assemble one column from pieces: row i takes row rowInPiece[i] of pieces[pieceOfRow[i]],
 * or NULL when pieceOfRow[i] is -1. Used by CASE and COALESCE, which evaluate each branch
 * only over the rows that reach it.
 */
export function assemble(type: DataType, pieces: readonly Column[], pieceOfRow: Int32Array, rowInPiece: Int32Array, n: number): Column {
  if (type === 'null') return nullColumn(n);
  let validity: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const p = pieceOfRow[i]!;
    const ok = p >= 0 && (pieces[p]!.validity === null || pieces[p]!.validity![rowInPiece[i]!] === 1) && pieces[p]!.type !== 'null';
    if (!ok) { validity ??= new Uint8Array(n).fill(1); validity[i] = 0; }
  }
  if (type === 'interval') {
    const months = new Int32Array(n), days = new Int32Array(n), micros = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const p = pieceOfRow[i]!;
      if (p < 0 || pieces[p]!.type !== 'interval') continue;
      const c = pieces[p] as IntervalColumn, r = rowInPiece[i]!;
      months[i] = c.months[r]!; days[i] = c.days[r]!; micros[i] = c.micros[r]!;
    }
    return intervalColumn(months, days, micros, validity);
  }
  if (type === 'utf8' || type === 'blob') {
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const p = pieceOfRow[i]!;
      if (p >= 0 && (validity === null || validity[i] === 1)) {
        const c = pieces[p] as Utf8Column;
        const r = rowInPiece[i]!;
        total += c.offsets[r + 1]! - c.offsets[r]!;
      }
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      const len = offsets[i + 1]! - offsets[i]!;
      if (len === 0) continue;
      const c = pieces[pieceOfRow[i]!] as Utf8Column;
      const r = rowInPiece[i]!;
      data.set(c.data.subarray(c.offsets[r]!, c.offsets[r + 1]!), offsets[i]!);
    }
    return { type, length: n, validity, offsets, data };
  }
  if (isNested(type)) {
    const b = new ColumnBuilder(type, n);
    for (let i = 0; i < n; i++) {
      if (validity !== null && validity[i] === 0) b.appendNull(); else b.appendFrom(pieces[pieceOfRow[i]!]!, rowInPiece[i]!);
    }
    return b.finish();
  }
  const out = allocValues(type, n);
  for (let i = 0; i < n; i++) {
    const p = pieceOfRow[i]!;
    if (p < 0) continue;
    const c = pieces[p]!;
    if (!('values' in c)) continue;
    (out as Int32Array)[i] = (c.values as Int32Array)[rowInPiece[i]!]!;
  }
  return fixedColumn(type, out, validity);
}
