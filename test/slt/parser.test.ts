import { describe, expect, it } from 'vitest';
import { parseSlt, type QueryRecord, type StatementRecord } from '../../src/slt/parser.js';

describe('parseSlt', () => {
  it('parses statements, queries and control records with their lines', () => {
    const text = [
      'hash-threshold 8', // 1
      '',
      'statement ok', // 3
      'CREATE TABLE t(a INTEGER)',
      '',
      '',
      'statement error', // 7
      'SELECT nope',
      '',
      'query IT rowsort label-7', // 10
      'SELECT a,',
      '  b FROM t',
      '----',
      '1',
      'x',
      '',
      'halt', // 17
    ].join('\n');
    const recs = parseSlt(text, 'f.test');
    expect(recs.map((r) => [r.kind, r.line])).toEqual([
      ['hash-threshold', 1], ['statement', 3], ['statement', 7], ['query', 10], ['halt', 17],
    ]);
    const st = recs[1] as StatementRecord;
    expect(st.expectError).toBe(false);
    expect(st.sql).toBe('CREATE TABLE t(a INTEGER)');
    expect((recs[2] as StatementRecord).expectError).toBe(true);
    const q = recs[3] as QueryRecord;
    expect(q.types).toBe('IT');
    expect(q.sortMode).toBe('rowsort');
    expect(q.label).toBe('label-7');
    expect(q.sql).toBe('SELECT a,\n  b FROM t');
    expect(q.expected).toEqual(['1', 'x']);
    expect(q.file).toBe('f.test');
  });

  it('strips CR, drops comments without splitting records, and reads conditions', () => {
    const text = '# header comment\r\nskipif mysql # not compatible\r\n# inside\r\nonlyif postgresql\r\nquery I\r\nSELECT 1\r\n----\r\n1\r\n\r\n';
    const recs = parseSlt(text, 'c.test');
    expect(recs).toHaveLength(1);
    const q = recs[0] as QueryRecord;
    expect(q.line).toBe(2);
    expect(q.conditions).toEqual([{ kind: 'skipif', engine: 'mysql' }, { kind: 'onlyif', engine: 'postgresql' }]);
    expect(q.sortMode).toBe('nosort');
    expect(q.label).toBeNull();
    expect(q.sql).toBe('SELECT 1');
    expect(q.expected).toEqual(['1']);
  });

  it('treats whitespace-only lines as blank and a missing ---- as an empty result', () => {
    const recs = parseSlt('query I\nSELECT 1 WHERE false\n   \t\nquery T\nSELECT 2\n----\n', 'e.test');
    expect(recs).toHaveLength(2);
    expect((recs[0] as QueryRecord).expected).toEqual([]);
    expect((recs[1] as QueryRecord).expected).toEqual([]);
  });

  it('reports malformed records with their line and keeps parsing', () => {
    const text = [
      'query I sideways', // 1
      'SELECT 1',
      '',
      'statement maybe', // 4
      'SELECT 1',
      '',
      'frobnicate', // 7
      '',
      'query Q', // 9
      'SELECT 1',
      '',
      'skipif mysql', // 12
      '',
      'hash-threshold x', // 14
      '',
      'statement ok', // 16
      'SELECT 1',
    ].join('\n');
    const recs = parseSlt(text, 'm.test');
    expect(recs.map((r) => [r.kind, r.line])).toEqual([
      ['malformed', 1], ['malformed', 4], ['malformed', 7], ['malformed', 9], ['malformed', 12], ['malformed', 14], ['statement', 16],
    ]);
    const m = recs[0]!;
    expect(m.kind === 'malformed' && m.message).toMatch(/sort mode "sideways"/);
  });

  it('reads the DataFusion error forms', () => {
    const recs = parseSlt('statement error Table .* not found\nSELECT * FROM x\n\nquery error\nSELECT 1/0\n', 'd.slt');
    expect(recs[0]).toMatchObject({ kind: 'statement', expectError: true, errorPattern: 'Table .* not found' });
    expect(recs[1]).toMatchObject({ kind: 'query', expectError: true, errorPattern: null, sql: 'SELECT 1/0' });
  });
});
