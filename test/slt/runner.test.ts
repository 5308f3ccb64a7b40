import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSlt, runSltFile, runSltText, type SltDatabase, type SltResult } from '../../src/slt/runner.js';
import type { DataType, Scalar } from '../../src/common/types.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A database that answers from a fixed map of SQL → rows, and records what it ran. */
function fakeDb(answers: Record<string, { types: DataType[]; rows: Scalar[][] } | Error>, ran: string[] = []): () => Promise<SltDatabase> {
  return async () => ({
    async sql(text: string): Promise<SltResult> {
      ran.push(text);
      const a = answers[text];
      if (a === undefined) throw new Error(`no answer for ${text}`);
      if (a instanceof Error) throw a;
      return { schema: { fields: a.types.map((type, i) => ({ name: `c${i}`, type })) }, rows: () => a.rows };
    },
    async close() {},
  });
}

describe('runSltFile on Spillway', () => {
  it('passes every record of a correct file and skips by engine', async () => {
    const r = await runSltFile(fixture('basic.slt'));
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.skipped).toBe(3); // skipif postgresql, onlyif mysql (statement), onlyif mysql (label twin)
    expect(r.run).toBe(12);
    expect(r.passed).toBe(12);
  });

  it('with engine mysql the conditions flip', async () => {
    const r = await runSltFile(fixture('basic.slt'), { engine: 'mysql' });
    // skipif postgresql runs now; onlyif postgresql, skipif mysql are skipped.
    expect(r.skipped).toBe(2);
    expect(r.run).toBe(13);
  });

  it('detects wrong values, wrong hashes, statement outcomes, column counts and malformed records', async () => {
    const r = await runSltFile(fixture('failing.slt'));
    const byLine = new Map(r.failures.map((f) => [f.line, f]));
    expect([...byLine.keys()]).toEqual([8, 16, 22, 26, 30, 37]);
    expect(byLine.get(8)!.actual).toEqual(['1', '2', '3']);
    expect(byLine.get(8)!.expected).toEqual(['1', '2', '4']);
    expect(byLine.get(16)!.actual![0]).toMatch(/^3 values hashing to [0-9a-f]{32}$/);
    expect(byLine.get(16)!.actual![0]).not.toBe('3 values hashing to 00000000000000000000000000000000');
    expect(byLine.get(22)!.error).toMatch(/error was expected/);
    expect(byLine.get(26)!.error).toMatch(/no_such_table/);
    expect(byLine.get(30)!.error).toMatch(/expected 2 column/);
    expect(byLine.get(37)!.error).toMatch(/failing\.slt:37.*sort mode "sideways"/);
    // The query after the malformed record ran and passed; nothing after halt ran.
    expect(r.run).toBe(9);
    expect(r.passed).toBe(3);
    expect(r.failed).toBe(6);
  });

  it('stops a file at maxFailures', async () => {
    const r = await runSltFile(fixture('failing.slt'), { maxFailures: 2 });
    expect(r.failed).toBe(2);
    expect(r.stopped).toBe(true);
    expect(r.run).toBe(4);
  });

  it('reads CRLF files', async () => {
    const r = await runSltFile(fixture('crlf.test'));
    expect(r.failures).toEqual([]);
    expect(r.passed).toBe(3);
  });

  it('a missing file is an io error that names it', async () => {
    await expect(runSltFile(fixture('no_such_file.slt'))).rejects.toMatchObject({ kind: 'io', message: expect.stringContaining('no_such_file.slt') });
  });

  it('runSlt uses a fresh database per file', async () => {
    // Both files create table t; the second would fail on a shared database.
    const reports = await runSlt([fixture('crlf.test'), fixture('crlf.test')]);
    expect(reports.map((r) => r.failed)).toEqual([0, 0]);
  });
});

describe('runSltText with a stand-in database', () => {
  it('compares hashed results by count and hash even without a hash-threshold line', async () => {
    const db = fakeDb({ 'SELECT x': { types: ['int64'], rows: [[3n], [1n], [2n]] } });
    // md5("1\n2\n3\n")
    const ok = await runSltText('query I rowsort\nSELECT x\n----\n3 values hashing to c0710d6b4f15dfa88f600b0e6b624077\n', 't', { db });
    expect(ok.failures).toEqual([]);
    const bad = await runSltText('query I nosort\nSELECT x\n----\n3 values hashing to c0710d6b4f15dfa88f600b0e6b624077\n', 't', { db });
    expect(bad.failed).toBe(1);
    expect(bad.failures[0]!.actualValues).toEqual(['3', '1', '2']);
  });

  it('fails the second query of a label whose result differs', async () => {
    const db = fakeDb({ 'SELECT 1': { types: ['int64'], rows: [[1n]] }, 'SELECT 2': { types: ['int64'], rows: [[2n]] } });
    const text = 'query I nosort label-9\nSELECT 1\n----\n1\n\nquery I nosort label-9\nSELECT 2\n----\n2\n';
    const r = await runSltText(text, 't', { db });
    expect(r.failed).toBe(1);
    expect(r.failures[0]!.line).toBe(6);
    expect(r.failures[0]!.error).toMatch(/label-9.*line 1/);
  });

  it('reports errors of statements and queries, and honours statement error', async () => {
    const ran: string[] = [];
    const db = fakeDb({ 'BAD': new Error('boom') }, ran);
    const r = await runSltText('statement ok\nBAD\n\nstatement error\nBAD\n\nquery I\nBAD\n', 't', { db });
    expect(ran).toEqual(['BAD', 'BAD', 'BAD']);
    expect(r.failures.map((f) => [f.line, f.error])).toEqual([[1, 'internal error: Error: boom'], [7, 'internal error: Error: boom']]);
    expect(r.passed).toBe(1);
  });

  it('fails a record that runs past the timeout and continues', async () => {
    const db = async (): Promise<SltDatabase> => ({
      sql: (text: string) => text === 'SLOW'
        ? new Promise<SltResult>(() => {})
        : Promise.resolve({ schema: { fields: [{ name: 'a', type: 'int64' as DataType }] }, rows: () => [[1n]] }),
      async close() {},
    });
    const r = await runSltText('query I\nSLOW\n----\n1\n\nquery I\nFAST\n----\n1\n', 't', { db, timeoutMs: 20 });
    expect(r.failures.map((f) => f.error)).toEqual(['timeout error: no answer after 20 ms']);
    expect(r.passed).toBe(1);
  });

  it('maxRecords bounds the sample', async () => {
    const ran: string[] = [];
    const db = fakeDb({ 'SELECT 1': { types: ['int64'], rows: [[1n]] } }, ran);
    const r = await runSltText('query I\nSELECT 1\n----\n1\n\nskipif postgresql\nquery I\nSELECT 1\n\nquery I\nSELECT 1\n----\n1\n', 't', { db, maxRecords: 2 });
    expect(r.run).toBe(1);
    expect(r.skipped).toBe(1);
    expect(ran).toHaveLength(1);
  });
});

describe('engine behaviours the corpus depends on', () => {
  it('passes engine_regressions.slt (AND/OR precedence, aggregate DISTINCT forms, integer division)', async () => {
    const r = await runSltFile(fixture('engine_regressions.slt'));
    expect(r.failures).toEqual([]);
    expect(r.run).toBe(10);
  });
});
