/**
 * generateTpch: the eight TPC-H tables at a scale factor, written as Parquet.
 *
 *   region, nation, supplier ─────────────► out/<table>.parquet
 *   customer, part, partsupp ─ K files ───► out/<table>.parquet            (K = 1)
 *                                           out/<table>/part-<k>.parquet   (K > 1; row ranges)
 *   orders + lineitem: one generator ─┬──► orders writer    (same order range per file k)
 *                                     └──► lineitem writer
 *
 * Memory stays bounded: each writer takes one chunk (a row group's worth of rows) at a time;
 * orders and lineitem share a generator whose chunk is handed to both writers through
 * single-slot channels, so neither runs more than one chunk ahead of the other.
 * Output depends only on (sf, seed): row values are chunk-independent (see random.ts), and
 * files split a table into contiguous row ranges.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Batch } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { DEFAULT_ROW_GROUP_SIZE, writeParquet } from '../storage/parquet_writer.js';
import { BatchChannel } from '../columnar/batch_channel.js';
import {
  generateCustomer, generateNation, generateOrdersAndLines, generatePart, generatePartsupp, generateRegion,
  generateSupplier, tpchScale, TpchContext, TPCH_SCHEMAS, type TpchTableName,
} from './tpch_tables.js';

export interface GenerateTpchOptions {
  /** Scale factor (≥ 0.01): SF 1 is about 1 GB of CSV text, 6 M lineitem rows. */
  sf: number;
  /** Output directory (created if missing). */
  out: string;
  /** Files per large table (customer, part, partsupp, orders, lineitem); default 1. */
  filesPerTable?: number;
  /** Seed of all random streams; default 1. Same seed → same data. */
  seed?: number;
  /** Rows per Parquet row group; default 122880. */
  rowGroupSize?: number;
  onProgress?: (msg: string) => void;
}

export interface GeneratedTable {
  name: TpchTableName;
  rows: number;
  files: string[];
  /** Wall time spent on the table, in milliseconds (orders and lineitem share theirs). */
  millis: number;
}

export interface GenerateTpchResult {
  tables: GeneratedTable[];
}

export const DEFAULT_SEED = 1;

/** The tables that may be split into several files. */
const SPLIT_TABLES: ReadonlySet<TpchTableName> = new Set(['customer', 'part', 'partsupp', 'orders', 'lineitem']);

export async function generateTpch(opts: GenerateTpchOptions): Promise<GenerateTpchResult> {
  const scale = tpchScale(opts.sf);
  const filesPerTable = opts.filesPerTable ?? 1;
  if (!Number.isInteger(filesPerTable) || filesPerTable < 1) {
    throw new SpillwayError('config', `files per table must be a positive integer, got ${filesPerTable}`);
  }
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new SpillwayError('config', `seed must be a non-negative integer, got ${seed}`);
  const rowGroupSize = opts.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new SpillwayError('config', `row group size must be a positive integer, got ${rowGroupSize}`);
  }
  const progress = opts.onProgress ?? (() => undefined);
  try {
    await mkdir(opts.out, { recursive: true });
  } catch (e) {
    throw new SpillwayError('io', `cannot create output directory "${opts.out}": ${(e as Error).message}`, { cause: e });
  }

  const ctx = new TpchContext(scale, seed);
  const tables: GeneratedTable[] = [];
  const done = (t: GeneratedTable) => {
    tables.push(t);
    progress(`${t.name}: ${t.rows} rows in ${t.files.length} file(s), ${(t.millis / 1000).toFixed(1)} s`);
  };

  let t0 = Date.now();
  const region = await writeOne(opts.out, 'region', 1, rowGroupSize, [{ start: 0, end: 1 }], () => [generateRegion(ctx)]);
  done({ ...region, millis: Date.now() - t0 });
  t0 = Date.now();
  const nation = await writeOne(opts.out, 'nation', 1, rowGroupSize, [{ start: 0, end: 1 }], () => [generateNation(ctx)]);
  done({ ...nation, millis: Date.now() - t0 });

  const simple: [TpchTableName, number, number, (start: number, end: number) => Batch][] = [
    // [table, generator units (rows, or parts for partsupp), rows per unit, generator]
    ['supplier', scale.suppliers, 1, (s, e) => generateSupplier(ctx, s, e)],
    ['customer', scale.customers, 1, (s, e) => generateCustomer(ctx, s, e)],
    ['part', scale.parts, 1, (s, e) => generatePart(ctx, s, e)],
    ['partsupp', scale.parts, 4, (s, e) => generatePartsupp(ctx, s, e)],
  ];
  for (const [name, units, rowsPerUnit, generate] of simple) {
    t0 = Date.now();
    const files = SPLIT_TABLES.has(name) ? filesPerTable : 1;
    const chunk = Math.max(1, Math.floor(rowGroupSize / rowsPerUnit));
    const t = await writeOne(opts.out, name, files, rowGroupSize, splitRange(units, files), (range) => chunks(range, chunk, generate));
    done({ ...t, millis: Date.now() - t0 });
  }

  t0 = Date.now();
  const [orders, lineitem] = await writeOrdersAndLines(ctx, opts.out, filesPerTable, rowGroupSize, scale.orders);
  const millis = Date.now() - t0;
  done({ ...orders, millis });
  done({ ...lineitem, millis });
  return { tables };
}

interface Range { start: number; end: number }

/** Split [0, n) into k contiguous ranges of near-equal size. */
function splitRange(n: number, k: number): Range[] {
  const out: Range[] = [];
  for (let i = 0; i < k; i++) out.push({ start: Math.floor((n * i) / k), end: Math.floor((n * (i + 1)) / k) });
  return out;
}

function* chunks(range: Range, size: number, generate: (start: number, end: number) => Batch): Generator<Batch> {
  for (let s = range.start; s < range.end; s += size) yield generate(s, Math.min(range.end, s + size));
}

function filePaths(out: string, name: string, files: number): string[] {
  if (files === 1) return [join(out, `${name}.parquet`)];
  return Array.from({ length: files }, (_, k) => join(out, name, `part-${k}.parquet`));
}

/** Remove what a previous run with another file layout left, then create the table's folder. */
async function prepareTable(out: string, name: string, files: number): Promise<void> {
  await rm(files === 1 ? join(out, name) : join(out, `${name}.parquet`), { recursive: true, force: true });
  if (files > 1) {
    await rm(join(out, name), { recursive: true, force: true });
    await mkdir(join(out, name), { recursive: true });
  }
}

async function writeOne(
  out: string, name: TpchTableName, files: number, rowGroupSize: number, ranges: Range[],
  batches: (range: Range) => Iterable<Batch>,
): Promise<Omit<GeneratedTable, 'millis'>> {
  await prepareTable(out, name, files);
  const paths = filePaths(out, name, files);
  let rows = 0;
  for (let k = 0; k < paths.length; k++) {
    const r = await writeParquet(paths[k]!, batches(ranges[k]!), TPCH_SCHEMAS[name], { rowGroupSize });
    rows += r.rows;
  }
  return { name, rows, files: paths };
}

async function writeOrdersAndLines(
  ctx: TpchContext, out: string, files: number, rowGroupSize: number, orderCount: number,
): Promise<[Omit<GeneratedTable, 'millis'>, Omit<GeneratedTable, 'millis'>]> {
  await prepareTable(out, 'orders', files);
  await prepareTable(out, 'lineitem', files);
  const orderPaths = filePaths(out, 'orders', files);
  const linePaths = filePaths(out, 'lineitem', files);
  const ranges = splitRange(orderCount, files);
  // About a lineitem row group per chunk (4 lines per order on average).
  const chunk = Math.max(1, Math.ceil(rowGroupSize / 4));
  let orderRows = 0;
  let lineRows = 0;
  for (let k = 0; k < files; k++) {
    const orders = new BatchChannel();
    const lines = new BatchChannel();
    const range = ranges[k]!;
    const pump = async (): Promise<void> => {
      try {
        for (let s = range.start; s < range.end; s += chunk) {
          const g = generateOrdersAndLines(ctx, s, Math.min(range.end, s + chunk));
          await orders.put(g.orders);
          await lines.put(g.lineitem);
        }
        orders.close();
        lines.close();
      } catch (e) {
        orders.fail(e);
        lines.fail(e);
        throw e;
      }
    };
    // A failed writer stops the pump (its put rejects) and the other writer (its input fails).
    const stopBoth = (e: unknown): never => { orders.fail(e); lines.fail(e); throw e; };
    const results = await Promise.allSettled([
      pump(),
      writeParquet(orderPaths[k]!, orders, TPCH_SCHEMAS.orders, { rowGroupSize }).catch(stopBoth),
      writeParquet(linePaths[k]!, lines, TPCH_SCHEMAS.lineitem, { rowGroupSize }).catch(stopBoth),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    orderRows += (results[1] as PromiseFulfilledResult<{ rows: number }>).value.rows;
    lineRows += (results[2] as PromiseFulfilledResult<{ rows: number }>).value.rows;
  }
  return [{ name: 'orders', rows: orderRows, files: orderPaths }, { name: 'lineitem', rows: lineRows, files: linePaths }];
}
