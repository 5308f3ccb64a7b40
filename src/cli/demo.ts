/**
 * `spillway demo`: generates TPC-H at SF 0.01 (about 87 k rows, deterministic) into a
 * folder, then runs a few queries on it: a TPC-H query, a join with its plan, and a sort
 * under a 2 MB memory limit that has to spill to finish.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Spillway } from '../index.js';
import { generateTpch } from '../datagen/tpch.js';
import { flag, hasFlag, parseArgs } from './args.js';
import { printResult } from './sql_command.js';
import { formatBytes } from '../memory/pool.js';

const QUERIES: { title: string; sql: string; memoryLimit?: string }[] = [
  {
    title: 'TPC-H Q1: pricing summary report (scan, filter, hash aggregate, sort)',
    sql: `select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty,
       sum(l_extendedprice * (1 - l_discount)) as sum_disc_price, avg(l_discount) as avg_disc, count(*) as count_order
from lineitem where l_shipdate <= date '1998-12-01' - interval '90' day
group by l_returnflag, l_linestatus order by l_returnflag, l_linestatus`,
  },
  {
    title: 'Top customers by revenue (3-way hash join, top-K)',
    sql: `select c_name, n_name, round(sum(o_totalprice), 2) as revenue, count(*) as orders
from customer join orders on c_custkey = o_custkey join nation on c_nationkey = n_nationkey
group by c_name, n_name order by revenue desc limit 5`,
  },
  {
    title: 'Sort all of lineitem under a 2 MB memory limit into a Parquet table (external sort: sorted runs spilled to disk, then merged)',
    sql: `create or replace table sorted as select l_orderkey, l_linenumber, l_extendedprice, l_comment from lineitem order by l_extendedprice desc, l_orderkey`,
    memoryLimit: '2MB',
  },
];

export async function demoCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { value: ['out'], boolean: ['help', 'verbose'] });
  if (hasFlag(args, 'help')) {
    process.stdout.write('usage: spillway demo [--out DIR]   (default DIR: <tmp>/spillway-demo/tpch-sf0.01)\n');
    return 0;
  }
  const dir = resolve(flag(args, 'out') ?? join(tmpdir(), 'spillway-demo', 'tpch-sf0.01'));
  if (!existsSync(join(dir, 'lineitem.parquet'))) {
    mkdirSync(dir, { recursive: true });
    process.stdout.write(`Generating TPC-H SF 0.01 into ${dir} …\n`);
    const t0 = performance.now();
    const r = await generateTpch({ sf: 0.01, out: dir });
    const rows = r.tables.reduce((n, t) => n + t.rows, 0);
    process.stdout.write(`  ${r.tables.length} tables, ${rows} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  } else {
    process.stdout.write(`Using the TPC-H SF 0.01 data in ${dir}\n`);
  }
  for (const q of QUERIES) {
    const db = await Spillway.create({ tables: dir, memoryLimit: q.memoryLimit, settings: { batch_size: q.memoryLimit ? 1024 : 8192 } });
    try {
      process.stdout.write(`\n== ${q.title}\n${q.sql}\n\n`);
      const res = await db.sql(q.sql);
      printResult(res, 'table');
      const s = res.stats;
      if (s) {
        process.stdout.write(`time ${s.elapsedMs.toFixed(0)} ms, peak memory ${formatBytes(s.peakMemoryBytes)}` +
          (s.spillFiles > 0 ? `, spilled ${formatBytes(s.spillBytes)} in ${s.spillFiles} files (removed)` : '') + '\n');
      }
    } finally {
      await db.close();
    }
  }
  process.stdout.write(`\nTry it yourself:\n  node bin/spillway.js sql --tables ${dir} "select count(*) from lineitem"\n`);
  return 0;
}
