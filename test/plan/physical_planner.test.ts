import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPhysicalPlan, commonType } from '../../src/plan/physical_planner.js';
import { childrenOf, deserializePlan, serializePlan, type PhysicalPlan } from '../../src/plan/physical.js';
import type { LogicalPlan } from '../../src/plan/logical.js';
import type { MemoryTable } from '../../src/catalog.js';
import { DEFAULT_CONFIG } from '../../src/common/config.js';
import { SpillwayError } from '../../src/common/errors.js';
import { HAVE_SHARED, TPCH_SF001 } from '../helpers/paths.js';
import { and, bin, Builder, eq, gt, int, join, lit, lt, num, ref } from './builders.js';

const NATION = `${TPCH_SF001}/nation.parquet`;

function plan(p: LogicalPlan, memoryTables: ReadonlyMap<string, MemoryTable> = new Map()): PhysicalPlan {
  return createPhysicalPlan(p, { config: { ...DEFAULT_CONFIG }, memoryTables });
}

function all(p: PhysicalPlan): PhysicalPlan[] {
  return [p, ...childrenOf(p).flatMap(all)];
}

function twoTables(tRows: number, uRows: number) {
  const b = new Builder();
  const t = b.table('t', { a: 'int32', b: 'int32' }, tRows);
  const u = b.table('u', { c: 'int32', d: 'utf8' }, uRows);
  return { b, t, u };
}

describe('physical planning: joins and column positions', () => {
  it('maps a projection over a join to the right positions of left ++ right', () => {
    const { b, t, u } = twoTables(1000, 10);
    const p = b.project(join(t.plan, u.plan, 'inner', eq(t.r('a'), u.r('c'))), [['d', u.r('d')], ['a', t.r('a')], ['s', bin('+', t.r('b'), u.r('c'))]]);
    const out = plan(p);
    expect(out.kind).toBe('Projection');
    if (out.kind !== 'Projection' || out.input.kind !== 'HashJoin') throw new Error(out.kind);
    expect(out.exprs).toEqual([
      { kind: 'column', index: 3, type: 'utf8', name: 'd' },
      { kind: 'column', index: 0, type: 'int32', name: 'a' },
      { kind: 'binary', op: '+', type: 'int32', left: { kind: 'column', index: 1, type: 'int32', name: 'b' }, right: { kind: 'column', index: 2, type: 'int32', name: 'c' } },
    ]);
    expect(out.schema.fields.map((f) => f.name)).toEqual(['d', 'a', 's']);
    const j = out.input;
    expect(j.joinType).toBe('inner');
    expect(j.distribution).toBe('single');
    expect(j.leftKeys).toEqual([{ kind: 'column', index: 0, type: 'int32', name: 'a' }]);
    expect(j.rightKeys).toEqual([{ kind: 'column', index: 0, type: 'int32', name: 'c' }]);
    expect(j.schema.fields.map((f) => f.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('builds the smaller side: swaps a small left input and restores the column order', () => {
    const { b, t, u } = twoTables(10, 1000);
    const p = b.project(join(t.plan, u.plan, 'inner', and(eq(t.r('a'), u.r('c')), lt(t.r('b'), u.r('c')))), [['d', u.r('d')], ['a', t.r('a')]]);
    const out = plan(p);
    if (out.kind !== 'Projection' || out.input.kind !== 'Projection' || out.input.input.kind !== 'HashJoin') throw new Error('shape');
    const restore = out.input;
    const j = out.input.input;
    expect(j.left.kind === 'ParquetScan' && j.left.table).toBe('u');
    expect(j.right.kind === 'ParquetScan' && j.right.table).toBe('t');
    expect(j.schema.fields.map((f) => f.name)).toEqual(['c', 'd', 'a', 'b']);
    // residual b < c over (u ++ t)
    expect(j.filter).toEqual({ kind: 'binary', op: '<', type: 'bool', left: { kind: 'column', index: 3, type: 'int32', name: 'b' }, right: { kind: 'column', index: 0, type: 'int32', name: 'c' } });
    expect(restore.exprs.map((e) => (e.kind === 'column' ? e.index : -1))).toEqual([2, 3, 0, 1]);
    expect(restore.schema.fields.map((f) => f.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(out.exprs.map((e) => (e.kind === 'column' ? e.index : -1))).toEqual([3, 0]);
  });

  it('turns a swapped left join into a right join, and a semi/anti join on a small kept side into right_semi/right_anti', () => {
    const { t, u } = twoTables(10, 1000);
    const lj = plan(join(t.plan, u.plan, 'left', eq(t.r('a'), u.r('c'))));
    expect(lj.kind === 'Projection' && lj.input.kind === 'HashJoin' && lj.input.joinType).toBe('right');
    for (const [kind, swapped] of [['semi', 'right_semi'], ['anti', 'right_anti']] as const) {
      const j = plan(join(t.plan, u.plan, kind, eq(t.r('a'), u.r('c'))));
      if (j.kind !== 'HashJoin') throw new Error(j.kind);
      expect(j.joinType).toBe(swapped);
      // the kept side (t) is the build side; its columns are the output, no Projection needed
      expect(j.right.kind === 'ParquetScan' && j.right.table).toBe('t');
      expect(j.schema.fields.map((f) => f.name)).toEqual(['a', 'b']);
    }
    // NOT IN keeps the subquery side as the build side (a NULL there empties the result).
    const anti = plan({ ...join(t.plan, u.plan, 'anti', eq(t.r('a'), u.r('c'))), nullAware: true });
    expect(anti.kind === 'HashJoin' && anti.nullAware && anti.joinType).toBe('anti');
    // A kept side that is not much smaller stays the probe side.
    const big = twoTables(1000, 1000);
    const semi = plan(join(big.t.plan, big.u.plan, 'semi', eq(big.t.r('a'), big.u.r('c'))));
    expect(semi.kind === 'HashJoin' && semi.joinType).toBe('semi');
  });

  it('casts join keys of different types to a common type', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32' }, 100);
    const u = b.table('u', { c: 'int64' }, 10);
    const j = plan(join(t.plan, u.plan, 'inner', eq(t.r('a'), u.r('c'))));
    if (j.kind !== 'HashJoin') throw new Error(j.kind);
    expect(j.leftKeys).toEqual([{ kind: 'cast', type: 'int64', arg: { kind: 'column', index: 0, type: 'int32', name: 'a' } }]);
    expect(j.rightKeys).toEqual([{ kind: 'column', index: 0, type: 'int64', name: 'c' }]);
    expect(commonType('int32', 'float64')).toBe('float64');
    expect(commonType('date32', 'timestamp')).toBe('timestamp');
    expect(commonType('utf8', 'int32')).toBeUndefined();
  });

  it('uses a nested loop join without an equality, with a null filter for a cross join', () => {
    const { t, u } = twoTables(100, 10);
    const nl = plan(join(t.plan, u.plan, 'left', lt(t.r('a'), u.r('c'))));
    expect(nl.kind === 'NestedLoopJoin' && nl.filter).toEqual({ kind: 'binary', op: '<', type: 'bool', left: { kind: 'column', index: 0, type: 'int32', name: 'a' }, right: { kind: 'column', index: 2, type: 'int32', name: 'c' } });
    const cj = plan(join(t.plan, u.plan));
    expect(cj.kind === 'NestedLoopJoin' && cj.filter).toBeNull();
    const trueCond = plan(join(t.plan, u.plan, 'left', lit(true, 'bool')));
    expect(trueCond.kind === 'NestedLoopJoin' && trueCond.joinType === 'left' && trueCond.filter).toBeNull();
  });
});

describe('physical planning: scans, values, sort, limit, union', () => {
  it.skipIf(!HAVE_SHARED)('plans a Parquet scan with its filters as the scan filter and as pruning, sized from the file', () => {
    const b = new Builder();
    const n = b.table('nation', { n_nationkey: 'int32', n_name: 'utf8' }, 25, [NATION]);
    const scan: LogicalPlan = { ...n.plan, columns: [n.c.n_name!, n.c.n_nationkey!], filters: [gt(n.r('n_nationkey'), int(3))] };
    const out = plan(scan);
    if (out.kind !== 'ParquetScan') throw new Error(out.kind);
    const ps = out;
    const pred = { kind: 'binary', op: '>', type: 'bool', left: { kind: 'column', index: 1, type: 'int32', name: 'n_nationkey' }, right: { kind: 'literal', value: 3, type: 'int32' } };
    expect(ps.filter).toEqual(pred);
    expect(ps.pruning).toEqual([pred]);
    expect(ps.columns).toEqual(['n_name', 'n_nationkey']);
    expect(ps.partitions).toBe(1);
    expect(ps.slices).toEqual([[{ path: NATION, bytes: statSync(NATION).size }]]);
    expect(ps.slices[0]![0]!.bytes).toBeGreaterThan(0);
    // Without filters: the bare scan.
    expect(plan(n.plan).kind).toBe('ParquetScan');
  });

  it('fails with an io error naming a missing file', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32' }, 1, ['/nonexistent/dir/t.parquet']);
    expect(() => plan(t.plan)).toThrow(/cannot read Parquet file "\/nonexistent\/dir\/t.parquet" of table "t"/);
  });

  it('plans a memory scan with the projected positions, and rejects unknown tables', () => {
    const b = new Builder();
    const m = b.memoryTable('Mem', { z: 'utf8', x: 'int32' });
    const tables = new Map<string, MemoryTable>([['mem', { schema: { fields: [{ name: 'x', type: 'int32', nullable: true }, { name: 'y', type: 'utf8', nullable: true }, { name: 'z', type: 'utf8', nullable: true }] }, batches: [] }]]);
    const out = plan({ ...m.plan, filters: [gt(m.r('x'), int(0))] }, tables);
    if (out.kind !== 'Filter' || out.input.kind !== 'MemoryScan') throw new Error(out.kind);
    expect(out.input.projection).toEqual([2, 0]);
    expect(out.predicate).toMatchObject({ left: { index: 1 } });
    expect(() => plan(m.plan)).toThrow(/unknown table "Mem"/);
  });

  it('folds VALUES to scalars of the column types and rejects non-constant values', () => {
    const b = new Builder();
    const cols = [b.column('i', 'int64'), b.column('f', 'float64'), b.column('s', 'utf8')];
    const out = plan({ kind: 'Values', columns: cols, rows: [[lit(5, 'int64'), bin('-', num('.06'), num('0.01')), lit(null, 'utf8')], [bin('+', lit(1n, 'int64'), lit(2n, 'int64')), num('1'), lit("it's", 'utf8')]] });
    expect(out.kind === 'Values' && out.rows).toEqual([[5n, 0.05, null], [3n, 1, "it's"]]);
    const t = b.table('t', { a: 'int32' });
    expect(() => plan({ kind: 'Values', columns: [cols[0]!], rows: [[t.r('a')]] })).toThrow(SpillwayError);
  });

  it('turns Sort + Limit into TopK, keeping a Limit for an offset', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32', b: 'int32' });
    const sort: LogicalPlan = { kind: 'Sort', input: t.plan, keys: [{ expr: t.r('b'), ascending: false, nullsFirst: true }] };
    const top = plan({ kind: 'Limit', input: sort, skip: 0, fetch: 10 });
    expect(top.kind === 'TopK' && top.fetch).toBe(10);
    expect(top.kind === 'TopK' && top.keys).toEqual([{ expr: { kind: 'column', index: 1, type: 'int32', name: 'b' }, ascending: false, nullsFirst: true }]);
    const off = plan({ kind: 'Limit', input: sort, skip: 5, fetch: 10 });
    expect(off.kind === 'Limit' && off.skip === 5 && off.fetch === 10 && off.input.kind === 'TopK' && off.input.fetch).toBe(15);
    const proj = plan({ kind: 'Limit', input: b.project(sort, [['a', t.r('a')]]), skip: 0, fetch: 3 });
    expect(proj.kind === 'Projection' && proj.input.kind === 'TopK').toBe(true);
    const bare = plan({ kind: 'Limit', input: t.plan, skip: 2, fetch: null });
    expect(bare.kind === 'Limit' && bare.fetch === null && bare.input.kind).toBe('ParquetScan');
    const sortOnly = plan({ kind: 'Limit', input: sort, skip: 2, fetch: null });
    expect(sortOnly.kind === 'Limit' && sortOnly.input.kind).toBe('Sort');
  });

  it('plans Distinct as a HashAggregate on every column, Aggregate as single mode', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32', b: 'utf8' });
    const d = plan({ kind: 'Distinct', input: t.plan });
    expect(d.kind === 'HashAggregate' && d.mode === 'single' && d.aggregates.length === 0 && d.groupBy.length).toBe(2);
    const agg = b.aggregate(t.plan, [['b', t.r('b')]], [['s', 'sum', t.r('a'), 'int64'], ['n', 'count_star', null, 'int64']]);
    const a = plan(agg);
    if (a.kind !== 'HashAggregate') throw new Error(a.kind);
    expect(a.groupBy).toEqual([{ kind: 'column', index: 1, type: 'utf8', name: 'b' }]);
    expect(a.aggregates).toEqual([
      { fn: 'sum', arg: { kind: 'column', index: 0, type: 'int32', name: 'a' }, distinct: false, type: 'int64', name: 's' },
      { fn: 'count_star', arg: null, distinct: false, type: 'int64', name: 'n' },
    ]);
    expect(a.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['b:utf8', 's:int64', 'n:int64']);
  });

  it('gives UnionAll the sum of its inputs’ partitions, casts differing inputs, and coalesces under a Sort', () => {
    const b = new Builder();
    const t = b.table('t', { a: 'int32' });
    const u = b.table('u', { c: 'int64' });
    const col = b.column('x', 'int64');
    const union: LogicalPlan = { kind: 'Union', inputs: [t.plan, u.plan], columns: [col] };
    const un = plan(union);
    if (un.kind !== 'UnionAll') throw new Error(un.kind);
    expect(un.partitions).toBe(2);
    expect(un.inputs[0]!.kind === 'Projection' && un.inputs[0]!.exprs[0]).toEqual({ kind: 'cast', type: 'int64', arg: { kind: 'column', index: 0, type: 'int32', name: 'a' } });
    expect(un.inputs[1]!.kind).toBe('ParquetScan');
    const sorted = plan({ kind: 'Sort', input: union, keys: [{ expr: ref(col), ascending: true, nullsFirst: false }] });
    expect(sorted.kind === 'Sort' && sorted.partitions === 1 && sorted.input.kind).toBe('Coalesce');
  });
});

describe('physical planning: ids and serialization', () => {
  it.skipIf(!HAVE_SHARED)('gives every node a unique id and survives serializePlan round trips for every node kind', () => {
    const b = new Builder();
    const n = b.table('nation', { n_nationkey: 'int32', n_name: 'utf8' }, 25, [NATION]);
    const m = b.memoryTable('mem', { x: 'int64' });
    const mFiltered: LogicalPlan = { ...m.plan, filters: [gt(m.r('x'), lit(0n, 'int64'))] }; // a Filter node (a MemoryScan's)
    const u = b.table('u', { c: 'int32' }, 5);
    const vcol = b.column('v', 'int64');
    const values: LogicalPlan = { kind: 'Values', columns: [vcol], rows: [[lit(7n, 'int64')], [lit(null, 'int64')]] };
    const filtered: LogicalPlan = { ...n.plan, filters: [gt(n.r('n_nationkey'), int(1))] };
    const hj = join(filtered, u.plan, 'inner', eq(n.r('n_nationkey'), u.r('c')));
    const nl = join(hj, mFiltered, 'left', gt(m.r('x'), lit(3n, 'int64')));
    const proj = b.project(nl, [['k', n.r('n_nationkey')], ['x', m.r('x')]]);
    const ycol = b.column('y', 'int64');
    const union: LogicalPlan = { kind: 'Union', inputs: [b.project(proj, [['x', ref(proj.columns[1]!)]]), values], columns: [ycol] };
    const agg = b.aggregate(union, [['y', ref(ycol)]], [['n', 'count_star', null, 'int64']]);
    const sorted: LogicalPlan = { kind: 'Sort', input: agg, keys: [{ expr: ref(agg.groupColumns[0]!), ascending: true, nullsFirst: false }] };
    const top: LogicalPlan = { kind: 'Limit', input: sorted, skip: 1, fetch: 5 };
    const full: LogicalPlan = { kind: 'Limit', input: { kind: 'Sort', input: { kind: 'Distinct', input: top }, keys: [{ expr: ref(agg.groupColumns[0]!), ascending: false, nullsFirst: true }] }, skip: 0, fetch: null };
    const memoryTables = new Map<string, MemoryTable>([['mem', { schema: { fields: [{ name: 'x', type: 'int64', nullable: true }] }, batches: [] }]]);
    const p = plan(full, memoryTables);
    const kinds = new Set(all(p).map((x) => x.kind));
    expect([...kinds].sort()).toEqual(['Coalesce', 'Filter', 'HashAggregate', 'HashJoin', 'Limit', 'MemoryScan', 'NestedLoopJoin', 'ParquetScan', 'Projection', 'Sort', 'TopK', 'UnionAll', 'Values']);
    const ids = all(p).map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    const round = deserializePlan(serializePlan(p));
    expect(round).toEqual(p);
    const v = all(round).find((x) => x.kind === 'Values');
    expect(v?.kind === 'Values' && v.rows).toEqual([[7n], [null]]);
  });
});
