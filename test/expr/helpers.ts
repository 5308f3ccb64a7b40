/** Small builders shared by the expression tests. */
import { makeBatch, type Batch } from '../../src/columnar/column.js';
import { batchFromRows, scalarAt } from '../../src/columnar/kernels.js';
import { evaluate } from '../../src/expr/evaluate.js';
import { col, lit, type BinaryOp, type PhysicalExpr, type UnaryOp } from '../../src/expr/expr.js';
import { field, schema, type DataType, type Scalar } from '../../src/common/types.js';

export { col, lit };

/** A batch from rows; types name the columns c0, c1, … */
export function rowsBatch(types: readonly DataType[], rows: readonly (readonly Scalar[])[]): Batch {
  return batchFromRows(schema(types.map((t, i) => field(`c${i}`, t))), rows);
}

/** A one-column batch. */
export function colBatch(type: DataType, values: readonly Scalar[]): Batch {
  return rowsBatch([type], values.map((v) => [v]));
}

/** Evaluate and return the result as JS scalars. */
export function evalRows(expr: PhysicalExpr, batch: Batch): Scalar[] {
  const c = evaluate(expr, batch);
  if (c.length !== batch.length) throw new Error(`result has ${c.length} rows, batch has ${batch.length}`);
  if (c.type !== expr.type && expr.type !== 'null') throw new Error(`result type ${c.type}, expected ${expr.type}`);
  const out: Scalar[] = [];
  for (let i = 0; i < c.length; i++) out.push(scalarAt(c, i));
  return out;
}

/** Evaluate an expression without column references over a one-row batch. */
export function evalOne(expr: PhysicalExpr): Scalar {
  return evalRows(expr, makeBatch(schema([]), [], 1))[0]!;
}

export function bin(op: BinaryOp, left: PhysicalExpr, right: PhysicalExpr, type: DataType): PhysicalExpr {
  return { kind: 'binary', op, left, right, type };
}

export function un(op: UnaryOp, arg: PhysicalExpr, type: DataType): PhysicalExpr {
  return { kind: 'unary', op, arg, type };
}

export function call(name: string, type: DataType, ...args: PhysicalExpr[]): PhysicalExpr {
  return { kind: 'call', name, args, type };
}

export function cast(arg: PhysicalExpr, type: DataType): PhysicalExpr {
  return { kind: 'cast', arg, type };
}

export function str(s: string | null): PhysicalExpr {
  return lit(s, 'utf8');
}

/** Day number of an ISO date, computed independently of the code under test. */
export function day(iso: string): number {
  return Math.round(Date.parse(iso + 'T00:00:00Z') / 86_400_000);
}
