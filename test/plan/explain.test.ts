import { describe, expect, it } from 'vitest';
import { explainLogical, explainPhysical, formatExpr, formatScalar } from '../../src/plan/explain.js';
import { createPhysicalPlan } from '../../src/plan/physical_planner.js';
import { MetricsSet } from '../../src/common/metrics.js';
import { DEFAULT_CONFIG } from '../../src/common/config.js';
import type { LExpr, LogicalPlan } from '../../src/plan/logical.js';
import { and, bin, Builder, eq, gt, int, isNull, join, lit, not, num } from './builders.js';

describe('formatExpr', () => {
  const b = new Builder();
  const t = b.table('t', { a: 'int32', b: 'int32', s: 'utf8', d: 'date32' });

  it('prints SQL-ish text with names and minimal parentheses', () => {
    expect(formatExpr(and(gt(t.r('a'), int(1)), bin('or', eq(t.r('b'), int(2)), isNull(t.r('s')))))).toBe('a > 1 AND (b = 2 OR s IS NULL)');
    expect(formatExpr(bin('-', t.r('a'), bin('-', t.r('b'), int(1))))).toBe('a - (b - 1)');
    expect(formatExpr(bin('*', bin('+', t.r('a'), int(1)), t.r('b')))).toBe('(a + 1) * b');
    expect(formatExpr(bin('+', t.r('a'), bin('+', t.r('b'), int(1))))).toBe('a + b + 1');
    expect(formatExpr(not({ kind: 'like', arg: t.r('s'), pattern: lit("%o'k", 'utf8'), negated: false, caseInsensitive: false, type: 'bool' }))).toBe("NOT s LIKE '%o''k'");
    expect(formatExpr({ kind: 'in_list', arg: t.r('a'), list: [int(1), int(2)], negated: true, type: 'bool' })).toBe('a NOT IN (1, 2)');
    expect(formatExpr({ kind: 'cast', arg: t.r('a'), type: 'int64' })).toBe('CAST(a AS BIGINT)');
    expect(formatExpr(num('.06'))).toBe('.06');
    const c: LExpr = { kind: 'case', operand: null, whens: [{ when: gt(t.r('a'), int(0)), then: lit('p', 'utf8') }], else: lit(null, 'utf8'), type: 'utf8' };
    expect(formatExpr(c)).toBe("CASE WHEN a > 0 THEN 'p' ELSE NULL END");
    expect(formatExpr({ kind: 'call', name: 'substring', args: [t.r('s'), int(1), int(2)], type: 'utf8' })).toBe('substring(s, 1, 2)');
  });

  it('prints literals of every type', () => {
    expect(formatScalar(9131, 'date32')).toBe("DATE '1995-01-01'");
    expect(formatScalar(0n, 'timestamp')).toBe("TIMESTAMP '1970-01-01 00:00:00.000'");
    expect(formatScalar(12n, 'int64')).toBe('12');
    expect(formatScalar(true, 'bool')).toBe('TRUE');
    expect(formatScalar(null, 'int32')).toBe('NULL');
  });

  it('names physical columns from the expression, then the input schema, then the position', () => {
    const schema = { fields: [{ name: 'x', type: 'int32' as const, nullable: true }] };
    expect(formatExpr({ kind: 'column', index: 0, type: 'int32' }, schema)).toBe('x');
    expect(formatExpr({ kind: 'column', index: 0, type: 'int32', name: 'named' }, schema)).toBe('named');
    expect(formatExpr({ kind: 'column', index: 4, type: 'int32' })).toBe('#4');
  });
});

describe('explain trees', () => {
  function sample() {
    const b = new Builder();
    const l = b.table('lineitem', { l_orderkey: 'int32', l_quantity: 'float64' }, 60000);
    const o = b.table('orders', { o_orderkey: 'int32', o_orderdate: 'date32' }, 15000);
    const orders: LogicalPlan = { ...o.plan, filters: [gt(o.r('o_orderdate'), lit(9131, 'date32'))] };
    const j = join(l.plan, orders, 'inner', eq(l.r('l_orderkey'), o.r('o_orderkey')));
    return b.project(j, [['q', l.r('l_quantity')]]);
  }

  it('prints the logical plan as an indented tree with estimates', () => {
    expect(explainLogical(sample())).toBe([
      'Project l_quantity AS q est=60000',
      '  Join[inner] on l_orderkey = o_orderkey est=60000',
      '    Scan lineitem cols=[l_orderkey, l_quantity] files=0 est=60000',
      "    Scan orders cols=[o_orderkey, o_orderdate] files=0 filters=[o_orderdate > DATE '1995-01-01'] est=4950",
    ].join('\n'));
  });

  it('prints the physical plan, with metrics when given', () => {
    // join key filters have their own test (test/plan/join_key_filters.test.ts)
    const p = createPhysicalPlan(sample(), { config: { ...DEFAULT_CONFIG, join_key_filters: false }, memoryTables: new Map() });
    const text = explainPhysical(p);
    expect(text).toBe([
      'Projection l_quantity AS q est=60000',
      '  HashJoin[inner] on l_orderkey = o_orderkey build=right est=60000',
      '    ParquetScan lineitem cols=[l_orderkey, l_quantity] files=0 est=60000',
      "    ParquetScan orders cols=[o_orderkey, o_orderdate] files=0 filter=o_orderdate > DATE '1995-01-01' pruning=[o_orderdate > DATE '1995-01-01'] est=4950",
    ].join('\n'));
    const m = new MetricsSet();
    const jm = m.forNode(p.kind === 'Projection' ? p.input.id : -1);
    jm.outputRows = 42; jm.outputBatches = 2; jm.elapsedMs = 3.25; jm.spillCount = 1; jm.spillBytes = 1024; jm.extra.buildRows = 7;
    const lines = explainPhysical(p, m).split('\n');
    expect(lines[1]).toBe('  HashJoin[inner] on l_orderkey = o_orderkey build=right est=60000 rows=42 batches=2 time=3.3ms spills=1 spill_bytes=1024 buildRows=7');
    expect(lines[0]).toBe('Projection l_quantity AS q est=60000 rows=0 batches=0 time=0ms');
  });
});
