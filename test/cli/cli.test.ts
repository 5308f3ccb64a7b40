/**
 * The `spillway` command line as a user meets it: results in each format, and bad input
 * answered by one clear line on stderr, exit code 1, no stack trace, nothing left behind.
 * Runs the compiled CLI (npm test compiles first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, REPO_ROOT, SHARED_MISSING_MESSAGE, TPCH_SF001 } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'spillway-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/spillway.js'), ...args], {
    cwd: work, encoding: 'utf8', input, timeout: 60_000, env: { ...process.env, SPILLWAY_SPILL_DIR: join(work, 'spill') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^spillway: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('spillway sql output formats', () => {
  const sql = "create table t(a integer, s varchar, d date, x double); insert into t values (1, 'plain', date '2024-02-29', 0.1), (2, 'with, comma', null, 1e21), (null, 'say \"hi\"', date '1999-12-31', -2.5); select * from t order by a nulls last";

  it('csv: header, RFC 4180 quoting only where needed, NULL empty, dates, shortest floats', () => {
    const r = run(['sql', '--format', 'csv', sql]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('a,s,d,x\n1,plain,2024-02-29,0.1\n2,"with, comma",,1e+21\n,"say ""hi""",1999-12-31,-2.5\n');
  });

  it('ndjson: one object per line', () => {
    const r = run(['sql', '--format', 'ndjson', sql]);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows[0]).toEqual({ a: 1, s: 'plain', d: '2024-02-29', x: 0.1 });
    expect(rows[2].a).toBeNull();
  });

  it('json: one array', () => {
    const r = run(['sql', '--format', 'json', sql]);
    const rows = JSON.parse(r.stdout);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ a: 1, s: 'plain', d: '2024-02-29', x: 0.1 });
    expect(rows[2].a).toBeNull();
  });

  it('table, and SQL read from a file and from stdin', () => {
    const f = join(work, 'q.sql');
    writeFileSync(f, 'select 1 + 1 as two;');
    expect(run(['sql', '-f', f]).stdout).toContain('two');
    expect(run(['sql', '--format', 'csv'], 'select 40 + 2 as answer').stdout).toBe('answer\n42\n');
  });

  it('division by zero yields NULL (as DuckDB)', () => {
    expect(run(['sql', '--format', 'csv', 'select 1 / 0 as a, 5 % 0 as b, 1.5 / 0 as c']).stdout).toBe('a,b,c\n,,\n');
  });
});

describe('spillway sql bad input: one clear line, exit 1', () => {
  it('syntax error with its position', () => {
    expectOneLineError(run(['sql', 'select * frm t']), /syntax error at line 1, column 10/);
  });
  it('unsupported construct is named', () => {
    expectOneLineError(run(['sql', 'select * from (values (1)) v(x), lateral (select x + 1) y']), /unsupported: LATERAL/);
  });
  it('LIMIT that is not a number', () => {
    expectOneLineError(run(['sql', 'select 1 limit abc']), /LIMIT must be a non-negative integer, got abc/);
  });
  it('missing Parquet file is named', () => {
    expectOneLineError(run(['sql', "select * from read_parquet('nope/missing.parquet')"]), /cannot read Parquet file ".*missing\.parquet"/);
  });
  it('corrupt Parquet file is named', () => {
    const dir = join(work, 'corrupt');
    rmSync(dir, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'bad.parquet'), 'this is not parquet at all, just text');
    expectOneLineError(run(['sql', '--tables', dir, 'select * from bad']), /bad\.parquet/);
  });
  it('unknown option and unknown command', () => {
    expectOneLineError(run(['sql', '--bogus', 'select 1']), /unknown option "--bogus"/);
    expect(run(['frobnicate']).code).toBe(1);
  });
  it('bad memory limit', () => {
    expectOneLineError(run(['sql', '--memory-limit', 'lots', 'select 1']), /invalid memory_limit "lots"/);
  });
  it('no stack trace unless --verbose', () => {
    const r = run(['sql', '--verbose', 'select * frm t']);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
  it('leaves no spill files behind', () => {
    run(['sql', '--memory-limit', '1MB', 'select * frm t']);
    let left: string[] = [];
    try { left = readdirSync(join(work, 'spill')); } catch { /* never created */ }
    expect(left).toEqual([]);
  });
});

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);

describe.skipIf(!HAVE_SHARED)('spillway sql on the TPC-H tables', () => {
  it('unknown table and column suggest the nearest name', () => {
    expectOneLineError(run(['sql', '--tables', TPCH_SF001, 'select * from linitem']), /unknown table "linitem".*did you mean "lineitem"/);
    expectOneLineError(run(['sql', '--tables', TPCH_SF001, 'select o_orderky from orders']), /unknown column "o_orderky".*did you mean "o_orderkey"/);
  });
  it('ambiguous column lists the candidates', () => {
    expectOneLineError(run(['sql', '--tables', TPCH_SF001, 'select n_name from nation a, nation b']), /ambiguous.*a\.n_name, b\.n_name/);
  });
  it('type mismatch names the types', () => {
    expectOneLineError(run(['sql', '--tables', TPCH_SF001, 'select n_name + 1 from nation']), /VARCHAR and INTEGER/);
  });
  it('explain prints the logical and physical plans', () => {
    const r = run(['explain', '--tables', TPCH_SF001, 'select count(*) from lineitem where l_quantity < 5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Logical plan/);
    expect(r.stdout).toMatch(/ParquetScan/);
  });
});

describe('spillway sql on big results, pipes and signals', () => {
  const values = Array.from({ length: 2000 }, (_, i) => `(${i})`).join(',');
  const cross = `select a.x * 2000 + b.x as y from (values ${values}) a(x), (values ${values}) b(x)`;
  const spillDir = join(work, 'spill');
  const leftInSpill = () => { try { return readdirSync(spillDir); } catch { return []; } };

  it('a reader that closes the pipe (| head) ends the query quietly with exit 0', () => {
    const r = spawnSync('bash', ['-c', `node ${join(REPO_ROOT, 'bin/spillway.js')} sql --workers 0 --memory-limit 4MB --format csv "${cross} order by y desc" | head -2; exit \${PIPESTATUS[0]}`], {
      cwd: work, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SPILLWAY_SPILL_DIR: spillDir },
    });
    expect(r.stdout).toBe('y\n3999999\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(leftInSpill()).toEqual([]);
  });

  it('the table format shows the first and last rows and counts them all', () => {
    const r = run(['sql', '--workers', '0', `select y from (${cross}) c where y < 5000 order by y`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ +19 │\n│ +… │\n│ +4980 │\n/);
    expect(r.stdout).toMatch(/│ +4999 │\n└─+┘\n5000 rows \(40 shown\)\n$/);
    const all = run(['sql', '--workers', '0', '--maxrows', '0', `select y from (${cross}) c where y < 5000 order by y`]);
    expect(all.stdout.split('\n')).toHaveLength(5000 + 6);
  });

  it('-o writes the last query to a file in the format of its extension', () => {
    const out = join(work, 'answer.csv');
    const r = run(['sql', '--workers', '0', '-o', out, "create table t(a integer); insert into t values (1), (2); select a, a * 10 as b from t order by a"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Count/);
    expect(readFileSync(out, 'utf8')).toBe('a,b\n1,10\n2,20\n');
    // A trailing comment is part of the query, not of a rewritten statement.
    expect(run(['sql', '--workers', '0', '-o', out, 'select 7 as n -- the answer']).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('n\n7\n');
  });

  it('SIGTERM cancels the query, removes its spill files and exits with one line', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/spillway.js'), 'sql', '--workers', '0', '--memory-limit', '2MB', `${cross} order by y desc`], {
      cwd: work, env: { ...process.env, SPILLWAY_SPILL_DIR: spillDir },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    for (let i = 0; i < 400 && !leftInSpill().some((d) => readdirSync(join(spillDir, d)).length > 1); i++) await new Promise((r) => setTimeout(r, 25));
    expect(leftInSpill().length).toBe(1);
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(stderr.trim()).toBe('spillway: error: query cancelled by SIGTERM');
    expect(leftInSpill()).toEqual([]);
  }, 60_000);
});
