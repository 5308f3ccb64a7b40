/**
 * JSON output (an array for --format json, lines for ndjson) against DuckDB's own JSON
 * writer, BIGINT as exact numbers, QueryResult.toObjects, each command's --help, and what
 * the npm package ships and exports.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spillway } from '../../src/index.js';
import { printResult } from '../../src/cli/sql_command.js';
import { main } from '../../src/cli/main.js';
import type { QueryResult } from '../../src/result.js';
import type { QueryStream } from '../../src/query_stream.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { REPO_ROOT } from '../helpers/paths.js';

let dir: string;
let db: Spillway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-formats-'));
  db = await Spillway.create({ workers: 0 });
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function printed(res: QueryResult | QueryStream, format: string): Promise<string> {
  const parts: Buffer[] = [];
  const out = new Writable({ write(chunk: Buffer, _e, cb) { parts.push(Buffer.from(chunk)); cb(); } });
  await printResult(res, format, out);
  return Buffer.concat(parts).toString('utf8');
}

const QUERY = `select i as id, i * 1000000007::bigint * 1000000007::bigint as big, 'v"' || i as s,
  date '2024-01-01' + i as d, i % 2 = 0 as even, case when i % 3 = 0 then null else i end as maybe
  from (values (1), (2), (3), (4), (5), (6)) v(i) order by i`;
const DUCK_QUERY = QUERY.replace("date '2024-01-01' + i", "date '2024-01-01' + i::int").replace('from (values', 'from (values');

describe('JSON output', () => {
  it('--format json is the array DuckDB writes (ARRAY true), --format ndjson its lines; BIGINT exact', async () => {
    const duck = await DuckOracle.open();
    try {
      const arrayFile = join(dir, 'a.json'), linesFile = join(dir, 'l.json');
      await duck.run(`copy (${DUCK_QUERY}) to '${arrayFile}' (format json, array true)`);
      await duck.run(`copy (${DUCK_QUERY}) to '${linesFile}' (format json)`);
      const theirArray = readFileSync(arrayFile, 'utf8').split('\n').map((l) => l.replace(/^\t/, '')).join('\n');
      const ours = await printed(await db.sql(QUERY), 'json');
      expect(ours).toBe(theirArray.endsWith('\n') ? theirArray : `${theirArray}\n`);
      expect(await printed(await db.sql(QUERY), 'ndjson')).toBe(readFileSync(linesFile, 'utf8'));
      // 6 × 1000000007² > 2^53: digits, not a rounded double or a string.
      expect(ours).toContain('"big":6000000084000000294');
    } finally {
      duck.close();
    }
  });

  it('streamed output is the same text as collected output, and an empty result is []', async () => {
    for (const format of ['json', 'ndjson']) {
      expect(await printed(await db.stream(QUERY), format)).toBe(await printed(await db.sql(QUERY), format));
    }
    expect(await printed(await db.sql('select 1 as a where false'), 'json')).toBe('[\n]\n');
    expect(JSON.parse(await printed(await db.stream('select 1 as a where false'), 'json'))).toEqual([]);
    expect(await printed(await db.sql('select 1 as a where false'), 'ndjson')).toBe('');
  });

  it('BIGINT is a number in every row, however large', async () => {
    const text = await printed(await db.sql(`select x from (values (1::bigint), (9007199254740993), (-9223372036854775808)) v(x)`), 'ndjson');
    expect(text).toBe('{"x":1}\n{"x":9007199254740993}\n{"x":-9223372036854775808}\n');
  });
});

describe('QueryResult.toObjects', () => {
  it('plain objects: ISO dates, safe BIGINTs as numbers, others as exact strings, NaN as text', async () => {
    const res = await db.sql(`select 1 as i, 9007199254740991::bigint as safe, 9007199254740993 as unsafe, -9007199254740993 as neg,
      date '2024-02-29' as d, timestamp '2024-02-29 13:04:05.25' as ts, 'x' as s, true as b, null as n, cast('nan' as double) as f, 0.5 as h`);
    const objects = res.toObjects();
    expect(objects).toEqual([{
      i: 1, safe: 9007199254740991, unsafe: '9007199254740993', neg: '-9007199254740993', d: '2024-02-29',
      ts: '2024-02-29 13:04:05.25', s: 'x', b: true, n: null, f: 'NaN', h: 0.5,
    }]);
    expect(JSON.parse(JSON.stringify(objects))).toEqual(objects);
    expect(Object.getPrototypeOf(objects[0])).toBe(Object.prototype);
  });
});

describe('command line help and package', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin/spillway.js'), ...args], { encoding: 'utf8', timeout: 60_000 });

  it('each command prints its own usage for --help', async () => {
    const explain = cli('explain', '--help');
    expect(explain.status).toBe(0);
    expect(explain.stdout).toMatch(/^usage: spillway explain /);
    // The rest in this process (a CLI start costs seconds on a busy machine).
    const write = process.stdout.write;
    for (const c of ['sql', 'datagen', 'worker', 'slt', 'bench', 'fuzz', 'demo']) {
      let text = '';
      process.stdout.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true; }) as typeof process.stdout.write;
      let code: number;
      try {
        code = await main([c, '--help']);
      } finally {
        process.stdout.write = write;
      }
      expect(code, c).toBe(0);
      expect(text, c).toMatch(new RegExp(`^usage: spillway ${c}`));
    }
  });

  it('npm pack ships the build, the CLI, the protocol and the docs, not sources or tests', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8' });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/slt/runner.js', 'dist/src/datagen/tpch.js',
      'dist/src/testing/index.js', 'dist/bench/tpch_bench.js', 'bin/spillway.js', 'proto/spillway.proto', 'README.md', 'LICENSE', 'package.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|spill)\/|\.map$|^dist\/test\/|node_modules/.test(f))).toEqual([]);
  });

  it('subpath exports spillway/slt, spillway/datagen and spillway/testing resolve', () => {
    const script = `const [a, b, c] = await Promise.all([import('spillway/slt'), import('spillway/datagen'), import('spillway/testing')]);
      console.log(typeof a.runSlt, typeof b.generateTpch, typeof c.assertSameResults);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function function function');
  });
});
