import { describe, expect, it } from 'vitest';
import { extractJoinHints } from '../../src/sql/join_hints.js';
import { parseStatement } from '../../src/sql/parser.js';

describe('join hints are read from /*+ … */ comments before parsing', () => {
  it('reads every hint, table names lower-cased unless quoted', () => {
    const hints = extractJoinHints('select /*+ BROADCAST(Nation) partitioned(a, "Big") */ 1 from t /*+ COLOCATED(x) */');
    expect(hints.map((h) => [h.strategy, h.table, h.text])).toEqual([
      ['broadcast', 'nation', 'BROADCAST(Nation)'],
      ['partitioned', 'a', 'PARTITIONED(a)'],
      ['partitioned', 'Big', 'PARTITIONED("Big")'],
      ['colocated', 'x', 'COLOCATED(x)'],
    ]);
  });

  it('ignores plain comments and hint-like text inside strings', () => {
    expect(extractJoinHints("select '/*+ BROADCAST(a) */' /* BROADCAST(b) */ -- /*+ BROADCAST(c) */")).toEqual([]);
  });

  it('reports a malformed or unknown hint with its position', () => {
    expect(() => extractJoinHints('select 1\n/*+ BRODCAST(a) */')).toThrow(/join hint at line 2, column 1: unknown hint BRODCAST; expected BROADCAST, PARTITIONED or COLOCATED/);
    expect(() => extractJoinHints('select /*+ BROADCAST */ 1')).toThrow(/expected NAME\(table, …\)/);
    expect(() => extractJoinHints('select /*+ BROADCAST() */ 1')).toThrow(/BROADCAST\(\) names no table/);
  });

  it('travel with the parsed statement; the parser never sees them', () => {
    const p = parseStatement('select /*+ BROADCAST(b) */ a.x from a join b on a.x = b.x');
    expect(p.hints.map((h) => h.text)).toEqual(['BROADCAST(b)']);
    expect(p.body.kind).toBe('ast');
  });
});
