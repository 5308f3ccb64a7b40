/**
 * Tables and CSV files read by REAL worker processes started in another folder: a relative
 * --tables folder (its paths are made absolute before plans are shipped), CSV tables and
 * read_csv globs spread one file per task, and a corrupt Parquet file that fails only the
 * queries reading its table.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFromRows } from '../../src/columnar/kernels.js';
import { field, schema } from '../../src/common/types.js';
import { createExecutor, type DistributedExecutor } from '../../src/scheduler/distributed_executor.js';
import { Session } from '../../src/session.js';
import { DataRoots } from '../../src/worker/data_roots.js';
import type { PhysicalPlan } from '../../src/plan/physical.js';
import { writeParquet } from '../../src/storage/parquet_writer.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST, startWorkerProcess, stopCluster, tempDir, type WorkerProcess } from './helpers.js';

if (!HAVE_DIST) console.warn(DIST_MISSING_MESSAGE);

const SETTINGS = { force_distribution: true, network_timeout_ms: 10_000, heartbeat_interval_ms: 500 };

describe.skipIf(!HAVE_DIST)('CSV and table paths on worker processes in another folder', () => {
  let root = '';
  let session: Session | undefined;
  let executor: DistributedExecutor;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    root = tempDir('spillway-csv-workers-');
    const tables = join(root, 'tables');
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    mkdirSync(tables, { recursive: true });
    const s = schema([field('k', 'int32', false), field('v', 'utf8')]);
    await writeParquet(join(tables, 'good.parquet'), [batchFromRows(s, Array.from({ length: 100 }, (_, i) => [i, `v${i}`]))], s);
    writeFileSync(join(tables, 'bad.parquet'), 'this is not a Parquet file at all');
    writeFileSync(join(tables, 'people.csv'), 'id,name,born\n1,Ada,1815-12-10\n2,"Grace, Rear Admiral",1906-12-09\n3,Alan,1912-06-23\n');
    mkdirSync(join(root, 'logs'));
    for (let f = 0; f < 4; f++) {
      writeFileSync(join(root, 'logs', `day_${f}.csv`), 'day,hits\n' + Array.from({ length: 50 }, (_, i) => `${f},${i}`).join('\n') + '\n');
    }
    // The workers run in another folder: a relative path shipped as is would not resolve there.
    workers.push(...await Promise.all([0, 1].map(() => startWorkerProcess([], undefined, join(root, 'elsewhere')))));
    session = await Session.create({ tables: relative(process.cwd(), tables), config: SETTINGS });
    executor = createExecutor({ workers: workers.map((w) => w.address), config: session.config }) as DistributedExecutor;
    session.executor = executor;
  }, 60_000);

  afterAll(async () => {
    await stopCluster(session, workers);
    if (root !== '') rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('a Parquet table of a relative --tables folder is read by the workers', async () => {
    const res = await session!.sql('select count(*), sum(k) from good');
    expect(res.rows()).toEqual([[100n, 4950n]]);
    expect(executor.lastRun!.dag?.decision.distribute).toBe(true);
  });

  it('people.csv in the tables folder is table "people", read on a worker', async () => {
    const res = await session!.sql('select name, born from people where id >= 2 order by id');
    expect(res.rows().map((r) => r[0])).toEqual(['Grace, Rear Admiral', 'Alan']);
    expect(res.schema.fields.map((f) => f.type)).toEqual(['utf8', 'date32']);
    expect(Object.keys(executor.lastRun!.tasksPerWorker).length).toBeGreaterThan(0);
  });

  it('a read_csv glob (relative) is spread one file per task over both workers', async () => {
    const glob = relative(process.cwd(), join(root, 'logs', 'day_*.csv'));
    const res = await session!.sql(`select day, count(*), sum(hits) from read_csv('${glob}') group by day order by day`);
    expect(res.rows()).toEqual([0n, 1n, 2n, 3n].map((d) => [d, 50n, 1225n]));
    const run = executor.lastRun!;
    expect(run.dag?.decision.distribute).toBe(true);
    expect(Object.keys(run.tasksPerWorker).length).toBe(2);
    const explain = await session!.sql(`explain select count(*) from read_csv('${glob}')`);
    expect(explain.toString()).toMatch(/CsvScan day_\* cols=\[day\] files=4 partitions=2/);
  });

  it('a corrupt Parquet file fails the queries on its table only', async () => {
    const e = await session!.sql('select * from bad').then(() => null, (err: unknown) => err as Error);
    expect(e?.message).toMatch(/^table "bad" cannot be read: cannot read Parquet file ".*bad\.parquet": /);
    expect((await session!.sql('select count(*) from good join people on k = id')).rows()).toEqual([[3n]]);
    const tables = await session!.sql('show tables');
    expect(tables.rows().map((r) => r[0])).toEqual(['bad', 'good', 'people']);
  });
});

describe('data roots', () => {
  it('a worker refuses a CSV scan of a file outside its data roots', () => {
    const root = tempDir('spillway-csv-roots-');
    try {
      const scan = (path: string): PhysicalPlan => ({
        kind: 'CsvScan', id: 1, schema: schema([field('a', 'utf8')]), partitions: 1, table: 't', slices: [[{ path, bytes: 1 }]],
        positions: [0], width: 1, dialect: { delimiter: ',', quote: '"', escape: '"', header: false, skip: 0, nullstr: '' },
      });
      const roots = new DataRoots([root]);
      expect(() => roots.checkPlan(scan(join(root, 'a.csv')))).not.toThrow();
      expect(() => roots.checkPlan(scan('/etc/passwd'))).toThrow(/this worker reads only below its data roots .* the plan names "\/etc\/passwd"/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
