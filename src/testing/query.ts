/**
 * Query arbitraries. A query is generated as a schema-free spec (every table and column is a
 * slot number, resolved modulo what the schema has when the SQL is rendered), so that the
 * tables and the query shrink independently, and every clause is optional so that shrinking
 * removes operators one at a time. Rendering names the operators the SQL uses and how its
 * result must be compared (as a bag, or in the order of its ORDER BY keys).
 */
import fc from 'fast-check';
import type { DataType } from '../common/types.js';
import type { TableSchema } from './schema.js';
import { sqlType } from './schema.js';
import { sqlLiteral, typeClass, valueOf, type ValueSeed } from './values.js';
import { valueSeedArb } from './tables.js';

export type JoinType = 'inner' | 'left' | 'right' | 'full';
export type SubqueryKind = 'in' | 'not in' | 'exists' | 'not exists' | 'count' | 'min';
export type SetOpKind = 'union' | 'union all' | 'intersect' | 'except';

export interface PredicateSpec { col: number; op: number; value: ValueSeed }
export interface AggregateSpec { fn: number; col: number }

export interface QuerySpec {
  from: number;
  /** Read the first table through a derived `UNION ALL` of itself. */
  fromUnion: boolean;
  select: number[];
  join: null | { type: JoinType; table: number; col: number };
  where: null | PredicateSpec;
  subquery: null | { kind: SubqueryKind; table: number; outer: number; inner: number };
  group: null | { keys: number[]; aggs: AggregateSpec[]; having: null | { op: number; value: number } };
  distinct: boolean;
  setOp: null | { op: SetOpKind; table: number };
  order: null | { keys: { col: number; desc: boolean; nullsFirst: boolean }[]; limit: null | number };
}

/** How two answers of a query must agree. */
export interface ResultSemantics {
  /** Output positions of the ORDER BY keys, in order; empty: compare as bags. */
  orderKeys: number[];
  /** A LIMIT cuts the ordered result: rows tied on the keys may differ beyond the keys. */
  limited: boolean;
}

export interface GeneratedQuery {
  sql: string;
  semantics: ResultSemantics;
  /** Operators beyond the scans, e.g. ['left join', 'aggregate', 'order by']. */
  operators: string[];
}

export interface QueryOptions {
  /** Allow joins, subqueries, set operations (default true). */
  joins?: boolean;
  subqueries?: boolean;
  setOps?: boolean;
}

const slot = fc.nat({ max: 15 });
/** Literals in predicates: rarely NULL (a comparison with NULL filters everything out). */
const literalSeedArb: fc.Arbitrary<ValueSeed> = fc.option(valueSeedArb.filter((v) => v !== null), { nil: null, freq: 12 });
const opt = <T>(a: fc.Arbitrary<T>, freq: number) => fc.option(a, { nil: null, freq });

/** Schema-free query specs; shrink towards a plain projection of one table. */
export function querySpecArb(opts: QueryOptions = {}): fc.Arbitrary<QuerySpec> {
  const never = fc.constant(null);
  return fc.record({
    from: slot,
    fromUnion: fc.nat({ max: 5 }).map((n) => n === 5),
    select: fc.array(slot, { minLength: 1, maxLength: 4 }),
    join: opts.joins === false ? never : opt(fc.record({ type: fc.constantFrom<JoinType>('inner', 'left', 'right', 'full'), table: slot, col: slot }), 2),
    where: opt(fc.record({ col: slot, op: fc.nat({ max: 7 }), value: literalSeedArb }), 2),
    subquery: opts.subqueries === false ? never
      : opt(fc.record({ kind: fc.constantFrom<SubqueryKind>('in', 'not in', 'exists', 'not exists', 'count', 'min'), table: slot, outer: slot, inner: slot }), 4),
    group: opt(fc.record({
      keys: fc.array(slot, { maxLength: 2 }),
      aggs: fc.array(fc.record({ fn: fc.nat({ max: 7 }), col: slot }), { minLength: 1, maxLength: 3 }),
      having: opt(fc.record({ op: fc.nat({ max: 2 }), value: fc.nat({ max: 3 }) }), 3),
    }), 2),
    distinct: fc.nat({ max: 3 }).map((n) => n === 3),
    setOp: opts.setOps === false ? never : opt(fc.record({ op: fc.constantFrom<SetOpKind>('union', 'union all', 'intersect', 'except'), table: slot }), 5),
    order: opt(fc.record({
      keys: fc.array(fc.record({ col: slot, desc: fc.boolean(), nullsFirst: fc.boolean() }), { minLength: 1, maxLength: 3 }),
      limit: opt(fc.nat({ max: 6 }), 2),
    }), 3),
  });
}

/** Queries over fixed schemas (your own tables, say). */
export function queryArb(schemas: readonly TableSchema[], opts: QueryOptions = {}): fc.Arbitrary<GeneratedQuery> {
  return querySpecArb(opts).map((spec) => renderQuery(spec, schemas));
}

interface Col { sql: string; type: DataType }

/** An identifier, quoted unless it is plain lower case. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const AGG_NUMBER = ['count(*)', 'count', 'sum', 'min', 'max', 'avg', 'count distinct'];
const AGG_ORDERED = ['count(*)', 'count', 'min', 'max', 'count distinct'];
const AGG_OTHER = ['count(*)', 'count', 'count distinct'];
const PRED_ORDERED = ['=', '<>', '<', '>=', 'is null', 'is not null', 'between', '='];
const PRED_BOOL = ['=', 'is null', 'is not null', 'not'];

function aggregate(fn: string, c: Col): Col {
  switch (fn) {
    case 'count(*)': return { sql: 'count(*)', type: 'int64' };
    case 'count': return { sql: `count(${c.sql})`, type: 'int64' };
    case 'count distinct': return { sql: `count(DISTINCT ${c.sql})`, type: 'int64' };
    case 'sum': return { sql: `sum(${c.sql})`, type: c.type === 'float64' ? 'float64' : 'int64' };
    case 'avg': return { sql: `avg(${c.sql})`, type: 'float64' };
    default: return { sql: `${fn}(${c.sql})`, type: c.type };
  }
}

function literal(seed: ValueSeed, type: DataType): string {
  return sqlLiteral(valueOf(seed, type), type);
}

function predicate(p: PredicateSpec, c: Col): string {
  if (c.type === 'bool') {
    const op = PRED_BOOL[p.op % PRED_BOOL.length]!;
    if (op === '=') return `${c.sql} = ${literal(p.value, 'bool')}`;
    return op === 'not' ? `NOT ${c.sql}` : `${c.sql} ${op.toUpperCase()}`;
  }
  const op = PRED_ORDERED[p.op % PRED_ORDERED.length]!;
  if (op === 'is null' || op === 'is not null') return `${c.sql} ${op.toUpperCase()}`;
  if (op === 'between') {
    const hi: ValueSeed = typeof p.value === 'number' ? p.value + 2 : p.value;
    return `${c.sql} BETWEEN ${literal(p.value, c.type)} AND ${literal(hi, c.type)}`;
  }
  return `${c.sql} ${op} ${literal(p.value, c.type)}`;
}

/** The first column of `t` with type `type`, else of its class; null when none. */
function matching(t: TableSchema, type: DataType): string | null {
  const c = t.columns.find((x) => x.type === type) ?? t.columns.find((x) => typeClass(x.type) === typeClass(type));
  return c ? ident(c.name) : null;
}

/** The SQL of a spec over these schemas, its comparison semantics and its operators. */
export function renderQuery(spec: QuerySpec, schemas: readonly TableSchema[]): GeneratedQuery {
  const tables = schemas.map((t) => ({ ...t, columns: t.columns.filter((c) => c.type !== 'null') })).filter((t) => t.columns.length > 0);
  if (tables.length === 0) throw new Error('no table with a usable column to query');
  const table = (s: number) => tables[s % tables.length]!;
  const pick = <T>(xs: readonly T[], s: number) => xs[s % xs.length]!;
  const operators: string[] = [];

  const left = table(spec.from);
  let from = `${ident(left.name)} l`;
  if (spec.fromUnion) {
    from = `(SELECT * FROM ${ident(left.name)} UNION ALL SELECT * FROM ${ident(left.name)}) l`;
    operators.push('union all');
  }
  const scope: Col[] = left.columns.map((c) => ({ sql: `l.${ident(c.name)}`, type: c.type }));
  if (spec.join) {
    const right = table(spec.join.table);
    const lc = pick(scope, spec.join.col);
    const rc = matching(right, lc.type);
    if (rc !== null) {
      from += ` ${spec.join.type.toUpperCase()} JOIN ${ident(right.name)} r ON ${lc.sql} = r.${rc}`;
      scope.push(...right.columns.map((c) => ({ sql: `r.${ident(c.name)}`, type: c.type })));
      operators.push(`${spec.join.type} join`);
    }
  }

  const conditions: string[] = [];
  if (spec.where) {
    conditions.push(predicate(spec.where, pick(scope, spec.where.col)));
    operators.push('filter');
  }
  if (spec.subquery) {
    const q = spec.subquery;
    const inner = table(q.table);
    const outer = pick(scope, q.outer);
    const ic = matching(inner, outer.type);
    if (ic !== null) {
      const from2 = `${ident(inner.name)} s`;
      let kind = q.kind;
      if (kind === 'min' && outer.type === 'bool') kind = 'in';
      switch (kind) {
        case 'in': conditions.push(`${outer.sql} IN (SELECT s.${ic} FROM ${from2})`); break;
        case 'not in': conditions.push(`${outer.sql} NOT IN (SELECT s.${ic} FROM ${from2})`); break;
        case 'exists': conditions.push(`EXISTS (SELECT 1 FROM ${from2} WHERE s.${ic} = ${outer.sql})`); break;
        case 'not exists': conditions.push(`NOT EXISTS (SELECT 1 FROM ${from2} WHERE s.${ic} = ${outer.sql})`); break;
        case 'count': conditions.push(`(SELECT count(*) FROM ${from2} WHERE s.${ic} = ${outer.sql}) < 2`); break;
        case 'min': conditions.push(`${outer.sql} >= (SELECT min(s.${ic}) FROM ${from2})`); break;
      }
      operators.push(`${kind} subquery`);
    }
  }

  let out: Col[];
  let tail = '';
  if (spec.group) {
    const keys = [...new Set(spec.group.keys.map((s) => s % scope.length))].map((i) => scope[i]!);
    const aggs = spec.group.aggs.map((a) => {
      const c = pick(scope, a.col);
      const fns = typeClass(c.type) === 'number' ? AGG_NUMBER : c.type === 'bool' ? AGG_OTHER : AGG_ORDERED;
      return aggregate(pick(fns, a.fn), c);
    });
    out = [...keys, ...aggs];
    if (keys.length > 0) tail += ` GROUP BY ${keys.map((k) => k.sql).join(', ')}`;
    operators.push('aggregate');
    if (spec.group.having) {
      tail += ` HAVING count(*) ${pick(['>', '<=', '='], spec.group.having.op)} ${spec.group.having.value}`;
      operators.push('having');
    }
  } else {
    out = spec.select.map((s) => pick(scope, s));
  }
  if (spec.distinct) operators.push('distinct');

  const names = out.map((_, i) => `c${i}`);
  let sql = `SELECT ${spec.distinct ? 'DISTINCT ' : ''}${out.map((c, i) => `${c.sql} AS ${names[i]}`).join(', ')} FROM ${from}` +
    (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') + tail;

  if (spec.setOp) {
    const other = table(spec.setOp.table);
    const cols = out.map((c, i) => `${matching(other, c.type) ?? `CAST(NULL AS ${sqlType(c.type)})`} AS ${names[i]}`);
    sql += ` ${spec.setOp.op.toUpperCase()} SELECT ${cols.join(', ')} FROM ${ident(other.name)}`;
    operators.push(spec.setOp.op);
  }

  const semantics: ResultSemantics = { orderKeys: [], limited: false };
  if (spec.order) {
    const seen = new Set<number>();
    const keys = spec.order.keys.filter((k) => { const i = k.col % out.length; if (seen.has(i)) return false; seen.add(i); return true; });
    sql += ` ORDER BY ${keys.map((k) => `${names[k.col % out.length]} ${k.desc ? 'DESC' : 'ASC'} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`).join(', ')}`;
    semantics.orderKeys = keys.map((k) => k.col % out.length);
    operators.push('order by');
    if (spec.order.limit !== null) {
      sql += ` LIMIT ${spec.order.limit}`;
      semantics.limited = true;
      operators.push('limit');
    }
  }
  return { sql, semantics, operators };
}
