/**
 * Property: for random small tables (NULLs, duplicates, empty tables), a handful of query
 * templates, random worker and partition counts, batch sizes and broadcast thresholds, the
 * distributed answer equals the single-node answer. A counterexample prints as a SQL script
 * (CREATE TABLE, INSERT, SET, the query) that reproduces it.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Scalar } from '../../src/common/types.js';
import { field } from '../../src/common/types.js';
import { diffRows, type Cell } from '../helpers/compare.js';
import { catalogOf, cells, memoryTable, runDistributed, runSingle, singleNodePlan, testConfig } from './harness.js';

interface Template { sql: (k: number) => string; keys?: number[]; limit?: boolean }

const TEMPLATES: Template[] = [
  { sql: () => 'select a, count(*), sum(c), avg(c), min(b) from t group by a' },
  { sql: () => 'select b, count(distinct a), count(a) from t group by b' },
  { sql: () => 'select count(*), sum(a), max(b), avg(c) from t' },
  { sql: () => 'select t.a, t.b, u.x from t join u on t.a = u.a' },
  { sql: () => 'select t.a, u.x from t left join u on t.a = u.a' },
  { sql: () => 'select t.b, u.a, u.x from t full join u on t.a = u.a' },
  { sql: () => 'select a, b from t where a not in (select a from u)' },
  { sql: () => 'select a, b, c from t order by a desc, b', keys: [0, 1] },
  { sql: (k) => `select a, c from t order by a nulls first, c limit ${k}`, keys: [0, 1], limit: true },
  { sql: () => 'select a, count(*) from (select a from t union all select a from u) s group by a' },
];

interface Case {
  t: [Scalar, Scalar, Scalar][]; u: [Scalar, Scalar][]; template: number; limit: number; workers: number;
  partitions: number; batchSize: number; tableBatch: number; broadcast: boolean;
}

const smallInt = fc.option(fc.integer({ min: -3, max: 6 }), { nil: null, freq: 5 });
const word = fc.option(fc.constantFrom('p', 'q', 'rr', ''), { nil: null, freq: 5 });
const real = fc.option(fc.constantFrom(0, 1.5, -2.25, 10, 3.75), { nil: null, freq: 6 });

const caseArb = fc.record({
  t: fc.array(fc.tuple(smallInt, word, real), { maxLength: 30 }),
  u: fc.array(fc.tuple(smallInt, word), { maxLength: 12 }),
  template: fc.nat({ max: TEMPLATES.length - 1 }),
  limit: fc.integer({ min: 0, max: 8 }),
  workers: fc.integer({ min: 1, max: 4 }),
  partitions: fc.integer({ min: 0, max: 5 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
  tableBatch: fc.integer({ min: 1, max: 9 }),
  broadcast: fc.boolean(),
}).map((c: Case) => Object.assign(c, { [fc.toStringMethod]: () => script(c) }));


const lit = (v: Scalar): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
const values = (rows: readonly Scalar[][]) => rows.map((r) => `(${r.map(lit).join(', ')})`).join(', ');

function script(c: Case): string {
  return [
    'create table t (a int, b varchar, c double);',
    ...(c.t.length > 0 ? [`insert into t values ${values(c.t)};`] : []),
    'create table u (a int, x varchar);',
    ...(c.u.length > 0 ? [`insert into u values ${values(c.u)};`] : []),
    `set force_distribution = true; set batch_size = ${c.batchSize}; set target_partitions = ${c.partitions};`,
    `set broadcast_threshold = ${c.broadcast ? '1GB' : '0'};  -- ${c.workers} workers, stored batches of ${c.tableBatch} rows`,
    `${TEMPLATES[c.template]!.sql(c.limit)};`,
  ].join('\n');
}

function compare(actual: Cell[][], expected: Cell[][], tpl: Template): string | null {
  if (tpl.keys === undefined) return diffRows(actual, expected, false);
  const keysOf = (rows: Cell[][]) => rows.map((r) => tpl.keys!.map((k) => r[k]!));
  return diffRows(keysOf(actual), keysOf(expected), true) ?? (tpl.limit ? null : diffRows(actual, expected, false));
}

describe('distributed = single node (property)', () => {
  it('holds for random tables, queries and partition counts', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const catalog = catalogOf([
        memoryTable({ name: 't', fields: [field('a', 'int32'), field('b', 'utf8'), field('c', 'float64')], rows: c.t }, [c.tableBatch]),
        memoryTable({ name: 'u', fields: [field('a', 'int32'), field('x', 'utf8')], rows: c.u }, [c.tableBatch]),
      ]);
      const config = testConfig({
        force_distribution: true, batch_size: c.batchSize, target_partitions: c.partitions, broadcast_threshold: c.broadcast ? 1 << 30 : 0,
      });
      const tpl = TEMPLATES[c.template]!;
      const plan = await singleNodePlan(tpl.sql(c.limit), catalog, config);
      const expected = cells(await runSingle(plan, catalog, config));
      const { result } = await runDistributed(plan, catalog, config, c.workers);
      const diff = compare(cells(result.batches), expected, tpl);
      if (diff !== null) throw new Error(`distributed answer differs:\n${diff}\n-- reproduce with:\n${script(c)}`);
    }), { numRuns: 60, seed: 424242 });
  });
});
