/** A catalog with the TPC-H schemas (types as in data/tpch/README.md), no files needed. */
import { Catalog } from '../../src/catalog.js';
import { type ParquetTable } from '../../src/storage/table_discovery.js';
import { field, type DataType } from '../../src/common/types.js';
import { IdGenerator } from '../../src/plan/logical.js';
import type { BindEnv } from '../../src/sql/statement.js';

const I = 'int32', F = 'float64', S = 'utf8', D = 'date32';

const TPCH: Record<string, [string, DataType][]> = {
  region: [['r_regionkey', I], ['r_name', S], ['r_comment', S]],
  nation: [['n_nationkey', I], ['n_name', S], ['n_regionkey', I], ['n_comment', S]],
  supplier: [['s_suppkey', I], ['s_name', S], ['s_address', S], ['s_nationkey', I], ['s_phone', S], ['s_acctbal', F], ['s_comment', S]],
  customer: [['c_custkey', I], ['c_name', S], ['c_address', S], ['c_nationkey', I], ['c_phone', S], ['c_acctbal', F], ['c_mktsegment', S], ['c_comment', S]],
  part: [['p_partkey', I], ['p_name', S], ['p_mfgr', S], ['p_brand', S], ['p_type', S], ['p_size', I], ['p_container', S], ['p_retailprice', F], ['p_comment', S]],
  partsupp: [['ps_partkey', I], ['ps_suppkey', I], ['ps_availqty', I], ['ps_supplycost', F], ['ps_comment', S]],
  orders: [['o_orderkey', I], ['o_custkey', I], ['o_orderstatus', S], ['o_totalprice', F], ['o_orderdate', D], ['o_orderpriority', S], ['o_clerk', S], ['o_shippriority', I], ['o_comment', S]],
  lineitem: [['l_orderkey', I], ['l_partkey', I], ['l_suppkey', I], ['l_linenumber', I], ['l_quantity', F], ['l_extendedprice', F], ['l_discount', F], ['l_tax', F],
    ['l_returnflag', S], ['l_linestatus', S], ['l_shipdate', D], ['l_commitdate', D], ['l_receiptdate', D], ['l_shipinstruct', S], ['l_shipmode', S], ['l_comment', S]],
};

export function parquetTable(name: string, cols: [string, DataType][], rows = 1000): ParquetTable {
  return { kind: 'parquet', name, schema: { fields: cols.map(([n, t]) => field(n, t, true)) }, files: [`/data/${name}.parquet`], rows, bytes: rows * 100 };
}

export function tpchCatalog(): Catalog {
  const c = new Catalog();
  for (const [name, cols] of Object.entries(TPCH)) c.set(parquetTable(name, cols));
  return c;
}

/** TPC-H plus memory tables t(a int, b int, s varchar, d date), u(a int, c float, big bigint), w(c float, big bigint). */
export function smallCatalog(): Catalog {
  const c = tpchCatalog();
  c.set({ kind: 'memory', name: 't', schema: { fields: [field('a', 'int32'), field('b', 'int32'), field('s', 'utf8'), field('d', 'date32')] }, batches: [] });
  c.set({ kind: 'memory', name: 'u', schema: { fields: [field('a', 'int32'), field('c', 'float64'), field('big', 'int64')] }, batches: [] });
  c.set({ kind: 'memory', name: 'w', schema: { fields: [field('c', 'float64'), field('big', 'int64')] }, batches: [] });
  return c;
}

export function testEnv(): BindEnv & { resolved: string[] } {
  const resolved: string[] = [];
  return {
    ids: new IdGenerator(),
    resolved,
    async resolveParquet(path: string) {
      resolved.push(path);
      return parquetTable('read_parquet', [['x', 'int32'], ['y', 'utf8']], 10);
    },
  };
}

import type { LExpr, LogicalPlan } from '../../src/plan/logical.js';

/** Compact text of an expression, for assertions. */
export function showExpr(e: LExpr): string {
  switch (e.kind) {
    case 'column': return `${e.name}#${e.id}`;
    case 'literal': return `${typeof e.value === 'string' ? `'${e.value}'` : String(e.value)}:${e.type}${e.decimal !== undefined ? `(${e.decimal})` : ''}`;
    case 'binary': return `(${showExpr(e.left)} ${e.op} ${showExpr(e.right)})`;
    case 'unary': return `${e.op}(${showExpr(e.arg)})`;
    case 'cast': return `cast(${showExpr(e.arg)} as ${e.type})`;
    case 'case': return `case(${e.operand ? showExpr(e.operand) + '; ' : ''}${e.whens.map((w) => `${showExpr(w.when)} => ${showExpr(w.then)}`).join('; ')}${e.else ? '; else ' + showExpr(e.else) : ''})`;
    case 'in_list': return `${showExpr(e.arg)} ${e.negated ? 'not in' : 'in'} [${e.list.map(showExpr).join(', ')}]`;
    case 'like': return `${showExpr(e.arg)} ${e.negated ? 'not ' : ''}${e.caseInsensitive ? 'ilike' : 'like'} ${showExpr(e.pattern)}`;
    case 'call': return `${e.name}(${e.args.map(showExpr).join(', ')}):${e.type}`;
    case 'scalar_subquery': return `scalar<${showPlan(e.plan, 0).trim()}>`;
    case 'exists': return `${e.negated ? 'not ' : ''}exists<...>`;
    case 'in_subquery': return `${showExpr(e.arg)} ${e.negated ? 'not in' : 'in'} <subquery>`;
  }
}

/** Indented plan tree, one node per line. */
export function showPlan(p: LogicalPlan, depth = 0): string {
  const pad = '  '.repeat(depth);
  const cols = (cs: { name: string; id: number }[]) => cs.map((c) => `${c.name}#${c.id}`).join(', ');
  let line: string;
  let kids: LogicalPlan[] = [];
  switch (p.kind) {
    case 'Scan': line = `Scan ${p.table} [${cols(p.columns)}]`; break;
    case 'Values': line = `Values [${cols(p.columns)}] ${p.rows.map((r) => `(${r.map(showExpr).join(', ')})`).join(' ')}`; break;
    case 'Filter': line = `Filter ${showExpr(p.predicate)}`; kids = [p.input]; break;
    case 'Project': line = `Project ${p.exprs.map((e, i) => `${showExpr(e)} -> ${p.columns[i]!.name}#${p.columns[i]!.id}`).join(', ')}`; kids = [p.input]; break;
    case 'Aggregate': line = `Aggregate by [${p.groupBy.map(showExpr).join(', ')}] -> [${cols(p.groupColumns)}] aggs [${p.aggregates.map((a) => `${a.fn}${a.distinct ? ' distinct' : ''}(${a.arg ? showExpr(a.arg) : '*'}):${a.type} -> ${a.name}#${a.id}`).join(', ')}]`; kids = [p.input]; break;
    case 'Join': line = `Join ${p.joinType} ${p.condition ? showExpr(p.condition) : 'cross'}`; kids = [p.left, p.right]; break;
    case 'Sort': line = `Sort ${p.keys.map((k) => `${showExpr(k.expr)} ${k.ascending ? 'asc' : 'desc'}${k.nullsFirst ? ' nulls first' : ''}`).join(', ')}`; kids = [p.input]; break;
    case 'Limit': line = `Limit skip=${p.skip} fetch=${p.fetch}`; kids = [p.input]; break;
    case 'Union': line = `Union [${cols(p.columns)}]`; kids = p.inputs; break;
    case 'Distinct': line = 'Distinct'; kids = [p.input]; break;
    case 'Window': line = `Window [${p.functions.map((f) => `${f.fn} -> ${f.name}#${f.id}`).join(', ')}]`; kids = [p.input]; break;
    case 'SharedScan': line = `SharedScan ${p.cte.name}#${p.cte.id} [${cols(p.columns)}] <- [${p.sources.join(', ')}]`; break;
    case 'RecursiveCte': line = `RecursiveCte ${p.name} [${cols(p.columns)}]`; kids = [p.anchor, p.recursive]; break;
    case 'WorkTable': line = `WorkTable ${p.name} [${cols(p.columns)}]`; kids = []; break;
  }
  return `${pad}${line}\n${kids.map((k) => showPlan(k, depth + 1)).join('')}`;
}
