import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { parseScript, parseStatement } from '../../src/sql/parser.js';
import { SpillwayError } from '../../src/common/errors.js';
import { HAVE_SHARED, TPCH_DIR } from '../helpers/paths.js';

const QUERIES = `${TPCH_DIR}/queries/`;

function syntaxMessage(sql: string): string {
  try {
    parseScript(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(SpillwayError);
    expect((e as SpillwayError).kind).toBe('syntax');
    return (e as Error).message;
  }
  throw new Error(`expected a syntax error for: ${sql}`);
}

describe('parseScript', () => {
  it.skipIf(!HAVE_SHARED)('parses every TPC-H query file, including the three statements of q15_view.sql', () => {
    const files = readdirSync(QUERIES).filter((f) => f.endsWith('.sql')).sort();
    expect(files).toHaveLength(23);
    for (const f of files) {
      const parsed = parseScript(readFileSync(QUERIES + f, 'utf8'));
      expect(parsed.length, f).toBe(f === 'q15_view.sql' ? 3 : 1);
      for (const p of parsed) expect(p.body.kind).toBe('ast');
    }
  });

  it.skipIf(!HAVE_SHARED)('accepts the original Q1 interval precision and Q22 substring FROM/FOR', () => {
    expect(() => parseStatement("select date '1998-12-01' - interval '90' day (3)")).not.toThrow();
    const q22 = readFileSync(QUERIES + 'q22.sql', 'utf8').replace(/substring\(c_phone, 1, 2\)/g, 'substring(c_phone from 1 for 2)');
    expect(q22).toContain('from 1 for 2');
    expect(() => parseStatement(q22)).not.toThrow();
  });

  it('keeps statement text and offsets, and marks EXPLAIN', () => {
    const script = 'select 1;\nexplain analyze select 2;';
    const [a, b] = parseScript(script);
    expect(a!.offset).toBe(0);
    expect(b!.explain).toEqual({ analyze: true });
    expect(script.slice(b!.offset, b!.offset + b!.text.length)).toBe(b!.text);
  });

  it('CREATE EXTERNAL TABLE does not reach the SQL grammar', () => {
    const p = parseStatement("create external table li stored as parquet location '/d/li.parquet';");
    expect(p.body).toEqual({ kind: 'external', spec: { name: 'li', location: '/d/li.parquet' } });
  });

  it('parseStatement rejects zero or several statements', () => {
    expect(() => parseStatement('  -- nothing  ')).toThrow(/empty statement/);
    expect(() => parseStatement('select 1; select 2')).toThrow(/expected one statement, got 2/);
  });
});

describe('syntax errors', () => {
  it('report line and column in the original script', () => {
    expect(syntaxMessage('select a,\n  b frm t')).toBe('syntax error at line 2, column 9: unexpected "t"');
  });

  it('positions count from the script start, not the statement start', () => {
    expect(syntaxMessage('select 1;\nselect 2;\n\nselec 3')).toMatch(/^syntax error at line 4, column 1: unexpected "selec"/);
  });

  it('positions survive a length-changing rewrite earlier in the statement', () => {
    // sum(DISTINCT x) gains two characters before the error.
    expect(syntaxMessage('select sum(distinct a) from t where ) 1')).toBe('syntax error at line 1, column 37: unexpected ")"');
  });

  it('an unfinished statement says so', () => {
    expect(syntaxMessage('select a from t where')).toMatch(/unexpected end of input$/);
  });

  it("LIMIT 'abc' names the bad value", () => {
    expect(syntaxMessage("select 1 limit 'abc'")).toBe("LIMIT must be a non-negative integer, got 'abc' at line 1, column 16");
    expect(syntaxMessage('select 1 limit 5 offset x')).toMatch(/^OFFSET must be a non-negative integer, got x/);
  });
});

describe('AST quirks the binder relies on', () => {
  const firstColumn = (sql: string): Record<string, unknown> => {
    const p = parseStatement(sql);
    if (p.body.kind !== 'ast') throw new Error('not an AST');
    return (p.body.ast as unknown as { columns: { expr: Record<string, unknown> }[] }).columns[0]!.expr;
  };

  it('EXISTS is a function call, NOT EXISTS a unary operator', () => {
    expect(firstColumn('select exists (select 1)')).toMatchObject({ type: 'function' });
    expect(firstColumn('select not exists (select 1)')).toMatchObject({ type: 'unary_expr', operator: 'NOT EXISTS' });
  });

  it('decimal literals arrive as strings, integers as numbers', () => {
    expect(firstColumn('select .06')).toMatchObject({ type: 'number', value: '0.06' });
    expect(firstColumn('select 6')).toMatchObject({ type: 'number', value: 6 });
  });

  it('a derived column list is glued into the alias', () => {
    const p = parseStatement('select * from (select 1, 2) as c_orders (c_custkey, c_count)');
    if (p.body.kind !== 'ast') throw new Error('not an AST');
    expect((p.body.ast as unknown as { from: { as: string }[] }).from[0]!.as).toBe('c_orders(c_custkey, c_count)');
  });
});
