/** The generators' building blocks: result comparison semantics, modes, rendering, row reduction. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  caseArb, diffResults, parseModes, querySpecArb, reduceRows, renderQuery, schemasArb, tableScript, tablesArb, type QuerySpec,
} from '../../src/testing/index.js';

describe('diffResults', () => {
  it('compares bags, floats within tolerance, numbers against numeric strings', () => {
    expect(diffResults([[1, 'a'], [2, null]], [[2, null], [1, 'a']])).toBeNull();
    expect(diffResults([[0.1 + 0.2]], [[0.3]])).toBeNull();
    expect(diffResults([['12']], [[12]])).toBeNull();
    expect(diffResults([[1], [1]], [[1]])).toMatch(/2 rows != expected 1/);
    expect(diffResults([[null]], [[0]])).toMatch(/row 0 column 0: null != expected 0/);
  });
  it('follows ORDER BY keys; a LIMIT frees the columns beyond the keys', () => {
    const ordered = { orderKeys: [0], limited: false };
    expect(diffResults([[1, 'b'], [1, 'a']], [[1, 'a'], [1, 'b']], ordered)).toBeNull();
    expect(diffResults([[2, 'a'], [1, 'b']], [[1, 'b'], [2, 'a']], ordered)).toMatch(/ORDER BY keys in order/);
    expect(diffResults([[1, 'x']], [[1, 'y']], { orderKeys: [0], limited: true })).toBeNull();
    expect(diffResults([[1, 'x']], [[1, 'y']], ordered)).toMatch(/as bags/);
    expect(diffResults([[1, 'a'], [1, 'b']], [[1, 'b'], [1, 'a']], { orderKeys: [0, 1], limited: true })).toMatch(/ORDER BY keys/);
  });
});

describe('parseModes', () => {
  it('reads local, threads:N and worker lists', () => {
    expect(parseModes('local,threads:3,workers:h1:7001,h2:7002').map((m) => [m.name, m.workers])).toEqual([
      ['local', 0], ['threads:3', 3], ['workers:h1:7001,h2:7002', ['h1:7001', 'h2:7002']],
    ]);
    expect(() => parseModes('threads:0')).toThrow(/threads:N/);
    expect(() => parseModes('h1:7001')).toThrow(/unknown mode "h1:7001"/);
  });
});

describe('generators', () => {
  it('render every spec over every schema, tables as runnable SQL', () => {
    fc.assert(fc.property(tablesArb(), querySpecArb(), (tables, spec) => {
      const q = renderQuery(spec, tables);
      expect(q.sql).toMatch(/^SELECT /);
      for (const k of q.semantics.orderKeys) expect(k).toBeGreaterThanOrEqual(0);
      for (const t of tables) expect(tableScript(t)).toMatch(new RegExp(`^CREATE TABLE ${t.name} \\(k INTEGER`));
    }), { numRuns: 200, seed: 1 });
  });
  it('a minimal spec is a plain projection of one table', () => {
    const [schemas] = fc.sample(schemasArb(), { numRuns: 1, seed: 2 });
    const spec: QuerySpec = { from: 0, fromUnion: false, select: [0], join: null, where: null, subquery: null, group: null, distinct: false, setOp: null, order: null };
    expect(renderQuery(spec, schemas!)).toEqual({ sql: 'SELECT l.k AS c0 FROM t0 l', semantics: { orderKeys: [], limited: false }, operators: [] });
  });
  it('reduceRows keeps only the rows a failure needs', async () => {
    const [c] = fc.sample(caseArb(), { numRuns: 1, seed: 3 });
    const rows = Array.from({ length: 12 }, (_, i) => [i]);
    const reduced = await reduceRows({ ...c!, tables: [{ name: 't0', columns: [{ name: 'k', type: 'int32' }], rows }] },
      async (x) => x.tables![0]!.rows.some((r) => r[0] === 7));
    expect(reduced.tables![0]!.rows).toEqual([[7]]);
  });
});
