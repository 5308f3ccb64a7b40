import { describe, expect, it } from 'vitest';
import { findIdentifier, lineColumn, rewriteStatement, splitStatements, tokenize } from '../../src/sql/preparse.js';
import { SpillwayError } from '../../src/common/errors.js';

describe('splitStatements', () => {
  it('splits on ; and keeps offsets into the script', () => {
    const script = 'select 1;\n  select 2 ;select 3';
    const parts = splitStatements(script);
    expect(parts.map((p) => p.text.trim())).toEqual(['select 1', 'select 2', 'select 3']);
    for (const p of parts) expect(script.slice(p.offset, p.offset + p.text.length)).toBe(p.text);
  });

  it('ignores ; inside strings, quoted identifiers and comments', () => {
    const script = "select 'a;b', \"x;y\" -- c;d\n from t /* e;f */ where s = 'it''s;';select 2";
    const parts = splitStatements(script);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.text).toContain("'it''s;'");
    expect(parts[1]!.text).toBe('select 2');
  });

  it('drops empty and comment-only statements', () => {
    expect(splitStatements(';;  -- only a comment\n;')).toEqual([]);
    expect(splitStatements('')).toEqual([]);
    expect(splitStatements('-- header\nselect 1;\n-- trailing')).toHaveLength(1);
  });
});

describe('rewriteStatement', () => {
  it('substring(x from a for b) → substring(x, a, b), same length', () => {
    const sql = 'select substring(c_phone from 1 for 2) from customer';
    const r = rewriteStatement(sql);
    expect(r.sql.replace(/\s+/g, ' ')).toBe('select substring(c_phone , 1 , 2) from customer');
    expect(r.sql.length).toBe(sql.length);
    expect(r.rewrites).toContain('substring_from_for');
  });

  it('substring(x from a) alone, and nested parentheses stay untouched', () => {
    const r = rewriteStatement('select substring(upper(s) FROM (1 + 1)) from t');
    expect(r.sql.replace(/\s+/g, ' ')).toBe('select substring(upper(s) , (1 + 1)) from t');
  });

  it('does not touch FROM outside substring, or substring inside strings', () => {
    const sql = "select 'substring(x from 1)' from t";
    expect(rewriteStatement(sql).sql).toBe(sql);
  });

  it("interval '90' day (3) → interval '90' day", () => {
    const sql = "select date '1998-12-01' - interval '90' day (3)";
    const r = rewriteStatement(sql);
    expect(r.sql.trimEnd()).toBe("select date '1998-12-01' - interval '90' day");
    expect(r.sql.length).toBe(sql.length);
  });

  it('x::blob and CAST(x AS blob) → bytea; a column named blob stays', () => {
    expect(rewriteStatement("select x::blob, cast(y as BLOB), blob from t").sql).toBe("select x::bytea    , cast(y as bytea    ), blob from t");
    expect(rewriteStatement('select 1 as blob').sql).toBe('select 1 as blob');
    expect(rewriteStatement('create table x (a int, b blob)').sql).toBe('create table x (a int, b bytea    )');
  });

  it('EXPLAIN [ANALYZE] prefix is blanked and reported', () => {
    expect(rewriteStatement('explain select 1')).toMatchObject({ explain: { analyze: false } });
    const r = rewriteStatement('EXPLAIN ANALYZE select 1');
    expect(r.explain).toEqual({ analyze: true });
    expect(r.sql.trim()).toBe('select 1');
    expect(rewriteStatement('select 1').explain).toBeNull();
  });

  it('SELECT ALL and count(ALL x) lose the ALL; UNION ALL keeps it', () => {
    const r = rewriteStatement('SELECT ALL count(ALL a) FROM t UNION ALL SELECT 1');
    expect(r.sql.replace(/\s+/g, ' ')).toBe('SELECT count( a) FROM t UNION ALL SELECT 1');
  });

  it('CASE (x) WHEN → CASE+(x) WHEN', () => {
    expect(rewriteStatement('SELECT CASE ( 1 ) WHEN 1 THEN 2 END').sql).toBe('SELECT CASE+( 1 ) WHEN 1 THEN 2 END');
  });

  it('sum(DISTINCT x) → sum(DISTINCT(x)) with offsets mapped back', () => {
    const sql = 'SELECT sum(DISTINCT - a) + min(distinct b), count(DISTINCT c) FROM t';
    const r = rewriteStatement(sql);
    expect(r.sql).toBe('SELECT sum(DISTINCT( - a)) + min(distinct( b)), count(DISTINCT c) FROM t');
    // `FROM` in the rewritten text maps back to `FROM` in the original
    expect(r.toOriginal(r.sql.indexOf('FROM'))).toBe(sql.indexOf('FROM'));
    expect(r.toOriginal(0)).toBe(0);
  });

  it('CREATE EXTERNAL TABLE is parsed here', () => {
    const r = rewriteStatement("CREATE EXTERNAL TABLE Lineitem STORED AS PARQUET LOCATION 'data/li''s/*.parquet'");
    expect(r.external).toEqual({ name: 'lineitem', location: "data/li's/*.parquet" });
  });

  it('CREATE EXTERNAL TABLE errors name the expected word and the position', () => {
    const script = "select 1;\ncreate external table t stored as parquet at 'x'";
    const stmt = splitStatements(script)[1]!;
    let err: unknown;
    try { rewriteStatement(stmt.text, stmt.offset, script); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SpillwayError);
    expect((err as SpillwayError).kind).toBe('syntax');
    expect((err as Error).message).toBe('syntax error at line 2, column 43: expected LOCATION in CREATE EXTERNAL TABLE, found "at"');
    expect(() => rewriteStatement("create external table t stored as csv location 'x'")).toThrow(/unsupported: external table format CSV/);
  });
});

describe('helpers', () => {
  it('SHOW TABLES becomes a query of information_schema.tables', () => {
    const r = rewriteStatement('SHOW  TABLES');
    expect(r.sql).toMatch(/^select table_name as name from information_schema\.tables order by table_name$/);
    expect(r.rewrites).toEqual(['show_tables']);
    expect(r.describe).toBeNull();
  });

  it('DESCRIBE name, SHOW name and DESCRIBE query set the flag; positions map back to the name', () => {
    const t = rewriteStatement('describe "My T"');
    expect(t.sql).toBe('select * from "My T"');
    expect(t.describe).toEqual({ table: true });
    expect(t.toOriginal('select * from '.length + 1)).toBe('describe '.length + 1);
    expect(rewriteStatement("desc 'x.parquet'").sql).toBe("select * from 'x.parquet'");
    expect(rewriteStatement('show lineitem').describe).toEqual({ table: true });
    const q = rewriteStatement('DESCRIBE select a from t');
    expect(q.sql).toBe('         select a from t');
    expect(q.describe).toEqual({ table: false });
    expect(rewriteStatement('select 1').describe).toBeNull();
  });

  it('a minus sign glued to a long integer is spaced off so the digits stay exact', () => {
    const r = rewriteStatement('select -9007199254740993, 1-9223372036854775807, -5, x-12');
    expect(r.sql).toBe('select - 9007199254740993, 1- 9223372036854775807, -5, x-12');
    expect(r.rewrites).toContain('signed_long_integer');
    expect(r.toOriginal('select - 9'.length)).toBe('select -9'.length);
  });

  it('lineColumn is 1-based', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('findIdentifier skips strings and comments and honours qualifiers', () => {
    const text = "select 'x', -- x\n t.x, x from t";
    expect(findIdentifier(text, 'x', 't')).toBe(text.indexOf('t.x'));
    expect(findIdentifier(text, 'x')).toBe(text.indexOf(' x from') + 1);
    expect(findIdentifier(text, 'nope')).toBe(-1);
  });

  it('tokenize covers the whole text', () => {
    const text = "select e'a\\'b', 1.5e3, \"Q\" /* c */";
    expect(tokenize(text).map((t) => t.text).join('')).toBe(text);
  });
});

describe('window functions: pre-parse', () => {
  it('encodes frames into the one shape the grammar takes, and QUALIFY into HAVING', () => {
    expect(rewriteStatement('select sum(a) over (order by a range between 2 preceding and 1 following) from t').sql)
      .toContain('ROWS BETWEEN 9112 FOLLOWING AND 9131 FOLLOWING');
    expect(rewriteStatement('select sum(a) over (order by a groups current row) from t').sql).toContain('ROWS BETWEEN 922 FOLLOWING AND 922 FOLLOWING');
    expect(rewriteStatement('select a from t qualify rank() over (order by a) = 1 order by a').sql).toMatch(/HAVING +__qualify\(rank\(\) over \(order by a\) = 1\) order by a/);
    // A column named range is left alone.
    expect(rewriteStatement('select range from t').sql).toBe('select range from t');
  });

  it('renames percent_rank and cume_dist for the grammar, and maps positions after inserted text back', () => {
    expect(rewriteStatement('select cume_dist() over (order by a) from t').sql).toBe('select ntile    () over (order by a) from t');
    const sql = 'select sum(a) over (order by a rows 2 preceding) from t';
    const r = rewriteStatement(sql);
    expect(r.toOriginal(r.sql.indexOf(' from t'))).toBe(sql.indexOf(' from t'));
  });

  it('wraps an aggregate the grammar takes no OVER after (or one with FILTER) in first_value and a marker', () => {
    expect(rewriteStatement('select median(x) over () from t').sql).toBe('select first_value(__window_aggregate(median(x))) over () from t');
    expect(rewriteStatement('select sum(x) filter (where b) over (order by a) from t').sql)
      .toBe('select first_value(__window_aggregate(sum(x) ,      (      b))) over (order by a) from t');
    expect(rewriteStatement('select percentile_cont(0.5) within group (order by x) over () from t').sql)
      .toBe('select first_value(__window_aggregate(percentile_cont(0.5) within group (order by x))) over () from t');
    // Left alone: OVER after count/sum/avg/min/max parses, and aggregates without OVER are grouped.
    expect(rewriteStatement('select sum(x) over (), median(x), median(x) filter (where b) from t').sql).toBe('select sum(x) over (), median(x), median(x) filter (where b) from t');
    const sql = 'select string_agg(s, \',\') over (partition by g) from t';
    const r = rewriteStatement(sql);
    expect(r.toOriginal(r.sql.indexOf(' from t'))).toBe(sql.indexOf(' from t'));
  });
});

describe('table function arguments: pre-parse', () => {
  it("read_csv's lists and structs become marker calls; brackets elsewhere are left alone", () => {
    const sql = "select * from read_csv(['a.csv', 'b.csv'], columns={'x': 'INT', 'y': 'VARCHAR'}) where s = '[{:}]'";
    const r = rewriteStatement(sql);
    expect(r.sql).toBe("select * from read_csv(__list('a.csv', 'b.csv'), columns=__struct('x', 'INT', 'y', 'VARCHAR')) where s = '[{:}]'");
    expect(r.rewrites).toContain('table_function_literals');
    // Positions after the inserted names map back to the original text.
    expect(r.toOriginal(r.sql.indexOf(' where'))).toBe(sql.indexOf(' where'));
    expect(rewriteStatement('select a[1] from t').sql).toBe('select a[1] from t');
  });
});
