/**
 * Spilling benchmark: three queries that cannot fit their memory limit, run by Spillway and
 * by DuckDB (threads=1, same memory_limit) over the same TPC-H Parquet files, each in its
 * own process so that peak RSS is per query.
 *
 *   npx tsc -p . && node dist/bench/spill.js [--sf 0.3] [--data DIR] [--query sort|groupby|join|all]
 *                                           [--engines spillway,duckdb] [--memory-limit 16MB]
 *
 * Data: generated once with generateTpch into DIR (default bench/data/tpch-sf<sf>).
 * Each run prints time, peak RSS (/usr/bin/time -v when present, else the child's
 * process.resourceUsage().maxRSS), spill bytes, and RSS minus the memory limit (the fixed
 * overhead). Results are streamed and discarded (Spillway: executeAll; DuckDB: COPY to
 * /dev/null), so no engine holds the whole answer.
 *
 * A child run is `node dist/bench/spill.js --child <engine> --query <q> --data DIR`; it
 * prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTpch } from '../src/datagen/tpch.js';
import { executeAll } from '../src/exec/execute.js';
import { MetricsSet } from '../src/common/metrics.js';
import type { TaskContext } from '../src/exec/context.js';
import { Session } from '../src/session.js';
import { createMemoryPool } from '../src/memory/fair_pool.js';
import { createSpillManager } from '../src/spill/disk_spill_manager.js';
import { parseScript, bindStatement } from '../src/sql/index.js';
import { optimize } from '../src/plan/optimizer/index.js';
import { createPhysicalPlan } from '../src/plan/physical_planner.js';
import { IdGenerator } from '../src/plan/logical.js';
import { resolveParquetPath } from '../src/storage/table_discovery.js';
import { parseSize } from '../src/common/config.js';

interface BenchQuery { sql: string; memoryLimit: string; what: string }

const QUERIES: Record<string, BenchQuery> = {
  sort: {
    what: 'ORDER BY two keys over lineitem (10 columns)',
    memoryLimit: '16MB',
    sql: `select l_orderkey, l_partkey, l_suppkey, l_linenumber, l_quantity, l_extendedprice, l_shipdate, l_shipinstruct,
          l_shipmode, l_comment from lineitem order by l_shipdate, l_extendedprice desc`,
  },
  groupby: {
    what: 'GROUP BY (l_orderkey, l_linenumber): one group per row',
    memoryLimit: '16MB',
    sql: `select l_orderkey, l_linenumber, count(*) as n, sum(l_quantity) as q, avg(l_extendedprice) as p, max(l_comment) as c
          from lineitem group by l_orderkey, l_linenumber`,
  },
  join: {
    what: 'lineitem self-join on (l_orderkey, l_linenumber), build side ~5x the limit',
    memoryLimit: '16MB',
    sql: `select a.l_orderkey, a.l_quantity, b.l_comment from lineitem a join lineitem b
          on a.l_orderkey = b.l_orderkey and a.l_linenumber = b.l_linenumber`,
  },
};

function repoRoot(): string {
  let dir = nodePath.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(nodePath.join(dir, 'package.json')) && nodePath.dirname(dir) !== dir) dir = nodePath.dirname(dir);
  return dir;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

interface ChildResult { engine: string; query: string; ms: number; rows: number; spillBytes: number; spillFiles: number; maxRssKiB: number }

async function runSpillway(q: BenchQuery, data: string, spillDir: string): Promise<Omit<ChildResult, 'engine' | 'query' | 'maxRssKiB'>> {
  const session = await Session.create({ tables: data, config: { memory_limit: q.memoryLimit, batch_size: 8192, spill_dir: spillDir } });
  const [parsed] = parseScript(q.sql);
  const stmt = await bindStatement(parsed!, session.catalog, { resolveParquet: resolveParquetPath, ids: new IdGenerator() });
  if (stmt.kind !== 'Query') throw new Error('not a query');
  const t0 = performance.now();
  const physical = createPhysicalPlan(optimize(stmt.plan, stmt.ids), { config: session.config, memoryTables: session.catalog.memoryTables() });
  const spill = createSpillManager(session.config, 'bench');
  const ctx: TaskContext = {
    queryId: 'bench', config: session.config, signal: new AbortController().signal, memory: createMemoryPool(session.config), spill,
    metrics: new MetricsSet(), memoryTables: session.catalog.memoryTables(),
  };
  let rows = 0;
  try {
    for await (const b of executeAll(physical, ctx)) rows += b.length;
  } finally {
    await spill.cleanup();
  }
  return { ms: performance.now() - t0, rows, spillBytes: spill.stats.bytes, spillFiles: spill.stats.files };
}

async function runDuckdb(q: BenchQuery, data: string, spillDir: string): Promise<Omit<ChildResult, 'engine' | 'query' | 'maxRssKiB'>> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: q.memoryLimit, temp_directory: spillDir, preserve_insertion_order: 'false' });
  const conn = await db.connect();
  for (const t of ['lineitem', 'orders']) await conn.run(`create view ${t} as select * from read_parquet('${nodePath.join(data, `${t}.parquet`)}')`);
  const t0 = performance.now();
  const copied = await conn.run(`copy (${q.sql}) to '/dev/null' (format csv)`);
  const ms = performance.now() - t0;
  const rows = Number(copied.rowsChanged);
  conn.closeSync();
  return { ms, rows, spillBytes: NaN, spillFiles: NaN };
}

async function child(): Promise<void> {
  const engine = arg('child', 'spillway');
  const query = arg('query', 'sort');
  const data = arg('data', '');
  const spillDir = nodePath.join(repoRoot(), 'bench', 'data', `spill-${process.pid}`);
  mkdirSync(spillDir, { recursive: true });
  try {
    const limit = arg('memory-limit', '');
    const q = limit === '' ? QUERIES[query]! : { ...QUERIES[query]!, memoryLimit: limit };
    const r = engine === 'duckdb' ? await runDuckdb(q, data, spillDir) : await runSpillway(q, data, spillDir);
    const out: ChildResult = { engine, query, ...r, maxRssKiB: process.resourceUsage().maxRSS };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    rmSync(spillDir, { recursive: true, force: true });
  }
}

async function driver(): Promise<void> {
  const sf = Number(arg('sf', '0.3'));
  const data = arg('data', nodePath.join(repoRoot(), 'bench', 'data', `tpch-sf${sf}`));
  if (!existsSync(nodePath.join(data, 'lineitem.parquet'))) {
    console.log(`generating TPC-H sf ${sf} into ${data} …`);
    await generateTpch({ sf, out: data });
  }
  const which = arg('query', 'all');
  const queries = which === 'all' ? Object.keys(QUERIES) : which.split(',');
  const engines = arg('engines', 'spillway,duckdb').split(',');
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const script = fileURLToPath(import.meta.url);
  console.log(`Spilling benchmark, TPC-H sf ${sf}, data ${data}, Node ${process.version}`);
  console.log('| query | engine | memory limit | seconds | rows | peak RSS MiB | RSS − limit MiB | spill MiB (files) |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const qn of queries) {
    const q = arg('memory-limit', '') === '' ? QUERIES[qn]! : { ...QUERIES[qn]!, memoryLimit: arg('memory-limit', '') };
    for (const engine of engines) {
      const limit = arg('memory-limit', '');
      const args = [script, '--child', engine, '--query', qn, '--data', data, ...(limit === '' ? [] : ['--memory-limit', limit])];
      const r = timeBin === null
        ? spawnSync(process.execPath, args, { encoding: 'utf8' })
        : spawnSync(timeBin, ['-v', process.execPath, ...args], { encoding: 'utf8' });
      const line = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !line.startsWith('{')) {
        console.log(`| ${qn} | ${engine} | ${q.memoryLimit} | failed: ${(r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.stderr.slice(0, 200)).trim()} |||||`);
        continue;
      }
      const res = JSON.parse(line) as ChildResult;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
      const rssKiB = m ? Number(m[1]) : res.maxRssKiB;
      const rssMiB = rssKiB / 1024;
      const limitMiB = parseSize(q.memoryLimit) / 1024 ** 2;
      const spill = res.spillBytes === null || Number.isNaN(res.spillBytes) ? 'n/a' : `${(res.spillBytes / 1024 ** 2).toFixed(1)} (${res.spillFiles})`;
      console.log(`| ${qn} | ${engine} | ${q.memoryLimit} | ${(res.ms / 1000).toFixed(2)} | ${res.rows} | ${rssMiB.toFixed(0)} | ${(rssMiB - limitMiB).toFixed(0)} | ${spill} |`);
    }
  }
}

if (process.argv.includes('--child')) await child();
else await driver();
