/**
 * `spillway sql` on piped scripts and files: every statement's result in order, dot
 * commands between statements, .read, and one clear error for a bad command.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'spillway-shell-script-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/spillway.js'), 'sql', '--workers', '0', ...args], {
    cwd: work, encoding: 'utf8', input, timeout: 60_000, env: { ...process.env, SPILLWAY_SPILL_DIR: join(work, 'spill') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('piped scripts', () => {
  it('prints every statement of a script, in order, also from a pipe', () => {
    const r = run(['--format', 'csv'], 'select 1 as a;\nselect 2 as b; select 3 as c\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('a\n1\nb\n2\nc\n3\n');
  });

  it('csv and json stay data only: statuses of a multi-statement script are left out', () => {
    const r = run(['--format', 'json'], 'create table t(a integer); insert into t values (1), (2); select a from t order by a; select count(*) as n from t;');
    expect(r.stdout).toBe('[\n{"a":1},\n{"a":2}\n]\n[\n{"n":2}\n]\n');
  });

  it('runs dot commands between statements: tables, schema, mode, maxrows, timer', () => {
    const script = [
      'create table people(id integer, name varchar);',
      "insert into people values (1, 'Ann'), (2, '李小龍'), (3, 'Bo');",
      '.tables',
      '.schema people',
      '\\d people',
      '.mode csv',
      'select * from people order by id;',
      '.mode line',
      'select name from people where id = 2;',
      '.mode table',
      '.maxrows 2',
      'select id from people order by id;',
      '.timer on',
      'select 1 as one;',
    ].join('\n');
    const r = run([], script);
    expect(r.stderr).toBe('');
    expect(r.stdout.slice(0, r.stdout.indexOf('┌─────┐\n│ one'))).toBe([
      'CREATE TABLE',
      'INSERT 0 3',
      'people',
      'CREATE TABLE people(id INTEGER, name VARCHAR);',
      'CREATE TABLE people(id INTEGER, name VARCHAR);',
      'id,name', '1,Ann', '2,李小龍', '3,Bo',
      'name = 李小龍',
      '1 row',
      '┌────┐', '│ id │', '├────┤', '│  1 │', '│  … │', '│  3 │', '└────┘', '3 rows (2 shown)',
    ].join('\n') + '\n');
    expect(r.stdout).toMatch(/\n┌─────┐\n│ one │\n├─────┤\n│   1 │\n└─────┘\n1 row \(\d+\.\d\d s\)\n$/);
  });

  it('.read runs a file, -f reads commands too, and .quit stops the script', () => {
    const inner = join(work, 'inner.sql');
    writeFileSync(inner, 'select 7 as seven;\n');
    const outer = join(work, 'outer.sql');
    writeFileSync(outer, `.mode csv\n.read ${inner}\nselect 8 as eight;\n.quit\nselect 9 as nine;\n`);
    const r = run(['-f', outer]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('seven\n7\neight\n8\n');
  });

  it('an unknown command or a bad argument is one clear error, and stops the script', () => {
    const r = run([], '.frobnicate\nselect 1;');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('spillway: error: unknown command ".frobnicate"; .help lists the commands\n');
    expect(r.stdout).toBe('');
    const m = run([], '.mode xml\n');
    expect(m.stderr).toMatch(/^spillway: error: unknown mode "xml": use table, csv, json, ndjson, line\n$/);
    expect(run(['--maxrows', 'lots'], 'select 1;').stderr).toMatch(/--maxrows expects a number of rows/);
    expect(run([], '.schema nope\n').stderr).toMatch(/^spillway: error: .*unknown table "nope"/);
  });

  it('an error stops the script after the results before it, its position that in the statement', () => {
    const r = run([], 'select 1 as a;\n\nselect 2 as b; select * frm t;\nselect 3 as c;\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('spillway: error: syntax error at line 1, column 10: unexpected "frm"\n');
    expect(r.stdout).not.toMatch(/│ c │/);
    expect(r.stdout).toMatch(/│ a │[^]*│ b │/);
  });

  it('.help lists the commands', () => {
    const r = run([], '.help\n');
    for (const c of ['.tables', '.schema', '.mode', '.maxrows', '.timer', '.read', '.quit', '\\d']) expect(r.stdout).toContain(c);
  });
});
