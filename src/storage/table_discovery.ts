/**
 * Finding Parquet tables on storage.
 *
 *   discoverTables(dir)          --tables DIR: dir/name.parquet → table "name";
 *                                dir/name/ (any *.parquet below it) → table "name"
 *   resolveParquetPath(location) read_parquet('…') and CREATE EXTERNAL TABLE … LOCATION '…':
 *                                a file, a directory, or a glob with * ? **
 *
 * Every file of a table must have the same columns (names and types, in order); nullability
 * may differ between files and the table's field is nullable if any file's is. Only footers
 * are read; their row-group statistics are aggregated into table-level min/max/null counts per
 * column (for the optimizer's estimates). Files and folders whose names start with '.' or '_' (_SUCCESS, .crc) are ignored.
 * Hive partition folders below a table's root (`year=2024/month=1/`) become columns after
 * the file columns (storage/hive_partitions.ts).
 */
import * as nodePath from 'node:path';
import { SpillwayError } from '../common/errors.js';
import { sqlTypeName, type Field, type Scalar, type Schema } from '../common/types.js';
import { globBase, globToRegExp, hasGlob } from './glob.js';
import { constantStatistics, hivePartitionColumns, partitionValues } from './hive_partitions.js';
import { isRemotePath, storeFor } from './object_store.js';
import { readParquetMetadata, type ColumnStatistics, type ParquetFileInfo } from './parquet_metadata.js';
import { csvPathStem, isCsvPath, resolveCsvTable, type CsvTable } from './csv_table.js';

export interface ParquetTable {
  kind: 'parquet';
  name: string;
  schema: Schema;
  files: string[];
  rows: number;
  bytes: number;
  /**
   * The one local file or folder (without hive partition columns) the table is, when rows
   * can be appended to it (INSERT); absent for globs, object stores and partitioned folders.
   */
  location?: string;
  /** Per schema field: min/max/null count over every row group of every file (a bound is undefined when any group lacks it). */
  columnStatistics?: ColumnStatistics[];
  /**
   * Set when the table's files could not be read at discovery (a corrupt footer, different
   * schemas): the table has no columns and every query that reads it fails with this message.
   */
  error?: string;
}

/** Footers read at once while discovering (the machine has few cores; reads are small). */
const METADATA_CONCURRENCY = 8;

function isParquetFile(path: string): boolean {
  return path.toLowerCase().endsWith('.parquet');
}

/** True when no segment of `rel` (a path relative to the table root) is hidden. */
function isVisible(rel: string): boolean {
  return rel.split(/[\\/]/).every((s) => s === '' || s === '.' || s === '..' || !(s.startsWith('.') || s.startsWith('_')));
}

/** `file` relative to `dir` (object-store URLs are '/'-separated keys). */
function relativePath(dir: string, file: string): string {
  if (!isRemotePath(dir)) return nodePath.relative(dir, file);
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return file.startsWith(d) ? file.slice(d.length) : file;
}

function tableNameOf(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const base = isRemotePath(trimmed) ? trimmed.slice(trimmed.lastIndexOf('/') + 1) : nodePath.basename(trimmed);
  return isParquetFile(base) ? base.slice(0, -'.parquet'.length) : base;
}

/**
 * Register every Parquet file, folder of Parquet files and CSV file (`t.csv`, `t.tsv`,
 * `t.csv.gz`) directly inside `dir`. Local paths are made absolute, so plans shipped to
 * workers started in other folders name the same files. A table whose files cannot be read
 * is registered broken (ParquetTable.error): only the queries that read it fail.
 */
export async function discoverTables(given: string): Promise<(ParquetTable | CsvTable)[]> {
  const dir = isRemotePath(given) ? given : nodePath.resolve(given);
  const store = storeFor(dir);
  const info = await store.stat(dir);
  if (!info) throw new SpillwayError('io', `cannot read table directory "${given}": no such directory`);
  if (info.kind !== 'directory') throw new SpillwayError('io', `cannot read table directory "${given}": it is a file, not a directory`);
  const all = await store.list(dir);
  const csvFiles = new Map<string, string>();
  // Group by the first path segment below dir.
  const groups = new Map<string, string[]>();
  for (const file of all) {
    const rel = relativePath(dir, file);
    if (isVisible(rel) && isCsvPath(rel) && !/[\\/]/.test(rel)) { csvFiles.set(rel, file); continue; }
    if (!isVisible(rel) || !isParquetFile(rel)) continue;
    const first = rel.split(/[\\/]/)[0]!;
    let g = groups.get(first);
    if (!g) { g = []; groups.set(first, g); }
    g.push(file);
  }
  const tables: (ParquetTable | CsvTable)[] = [];
  const seen = new Map<string, string>();
  const claim = (name: string, entry: string): void => {
    const other = seen.get(name.toLowerCase());
    if (other !== undefined) {
      throw new SpillwayError('io', `table "${name}" is defined twice in "${given}": by "${other}" and by "${entry}"`);
    }
    seen.set(name.toLowerCase(), entry);
  };
  const byName = (a: [string, unknown], b: [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  for (const [entry, files] of [...groups.entries()].sort(byName)) {
    const name = tableNameOf(entry);
    claim(name, entry);
    const root = isRemotePath(dir) ? `${dir.replace(/\/+$/, '')}/${entry}` : nodePath.join(dir, entry);
    tables.push(await orBroken(name, files, async () => withLocation(await tableFromFiles(name, files, isParquetFile(entry) ? undefined : root), root)));
  }
  for (const [entry, file] of [...csvFiles.entries()].sort(byName)) {
    const name = csvPathStem(entry);
    claim(name, entry);
    tables.push(await orBroken(name, [file], () => resolveCsvTable([file], {}, name)));
  }
  return tables;
}

/** The table, or a broken entry carrying the error that reading it gave. */
async function orBroken<T>(name: string, files: string[], read: () => Promise<T>): Promise<T | ParquetTable> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof SpillwayError)) throw e;
    return { kind: 'parquet', name, schema: { fields: [] }, files, rows: 0, bytes: 0, error: `table "${name}" cannot be read: ${e.message}` };
  }
}

/** A table over a file, a directory of Parquet files, or a glob (named after the path). */
export async function resolveParquetPath(pathOrGlob: string): Promise<ParquetTable> {
  const store = storeFor(pathOrGlob);
  if (hasGlob(pathOrGlob)) {
    const pattern = isRemotePath(pathOrGlob) ? pathOrGlob : nodePath.resolve(pathOrGlob).split(nodePath.sep).join('/');
    const base = globBase(pattern);
    const re = globToRegExp(pattern);
    const files = (await store.list(base)).filter((f) => {
      const p = f.split(nodePath.sep).join('/');
      return re.test(p) && isParquetFile(p) && isVisible(relativePath(base, f));
    });
    if (files.length === 0) throw new SpillwayError('io', `no Parquet files match "${pathOrGlob}"`);
    return tableFromFiles(tableNameOf(base), files, base);
  }
  const info = await store.stat(pathOrGlob);
  if (!info) throw new SpillwayError('io', `cannot read Parquet file "${pathOrGlob}": no such file or directory`);
  if (info.kind === 'file') return withLocation(await tableFromFiles(tableNameOf(pathOrGlob), [pathOrGlob]), pathOrGlob);
  const files = (await store.list(pathOrGlob)).filter((f) => isParquetFile(f) && isVisible(relativePath(pathOrGlob, f)));
  if (files.length === 0) throw new SpillwayError('io', `no Parquet files in directory "${pathOrGlob}"`);
  return withLocation(await tableFromFiles(tableNameOf(pathOrGlob), files, pathOrGlob), pathOrGlob);
}

/** `t` with its location when rows can be appended to it: a local file, or a folder of files without subfolders (hive partitions). */
function withLocation(t: ParquetTable, path: string): ParquetTable {
  if (isRemotePath(path)) return t;
  const root = nodePath.resolve(path);
  const files = t.files.map((f) => nodePath.resolve(f));
  const flat = (files.length === 1 && files[0] === root) || files.every((f) => nodePath.dirname(f) === root);
  return flat ? { ...t, location: root } : t;
}

/**
 * Read every footer, check the schemas agree, and sum rows and bytes. With the folder the
 * files sit below (`root`), hive partition folders under it become columns.
 */
export async function tableFromFiles(name: string, files: string[], root?: string): Promise<ParquetTable> {
  const infos = await mapLimited(files, METADATA_CONCURRENCY, readParquetMetadata);
  const first = infos[0];
  if (!first) throw new SpillwayError('io', `table "${name}" has no Parquet files`);
  let fields: Field[] = [...first.schema.fields];
  let rows = 0;
  let bytes = 0;
  for (const info of infos) {
    fields = mergeSchemas(first, info, fields);
    rows += info.rows;
    bytes += info.bytes;
  }
  const columnStatistics = aggregateStatistics(infos, fields.length);
  if (root !== undefined) {
    const partitions = hivePartitionColumns(infos.map((i) => relativePath(root, i.path)), fields.map((f) => f.name));
    for (const [k, f] of partitions.entries()) {
      const stats: ColumnStatistics[] = infos.map((i) => constantStatistics(partitionValues(relativePath(root, i.path), partitions).get(k) ?? null, i.rows));
      const nonNull = stats.filter((st) => st.min !== undefined);
      const min = nonNull.reduce<Scalar | undefined>((m, st) => (m === undefined || compareScalars(st.min!, m) < 0 ? st.min : m), undefined);
      const max = nonNull.reduce<Scalar | undefined>((m, st) => (m === undefined || compareScalars(st.max!, m) > 0 ? st.max : m), undefined);
      const nullCount = stats.reduce((n, st) => n + (st.nullCount ?? 0), 0);
      columnStatistics.push({ ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), nullCount });
      fields.push(f);
    }
  }
  return { kind: 'parquet', name, schema: { fields }, files: infos.map((i) => i.path), rows, bytes, columnStatistics };
}

/**
 * Table-level statistics per column from every row group of every file: the least min, the
 * greatest max and the summed null count. A bound is left undefined as soon as one non-empty
 * row group lacks it (the table's bound would not be trustworthy).
 */
export function aggregateStatistics(infos: readonly ParquetFileInfo[], columns: number): ColumnStatistics[] {
  const out: ColumnStatistics[] = [];
  for (let c = 0; c < columns; c++) {
    let min: Scalar | undefined;
    let max: Scalar | undefined;
    let nullCount: number | undefined = 0;
    let minKnown = true;
    let maxKnown = true;
    for (const info of infos) {
      for (const rg of info.rowGroups) {
        if (rg.rows === 0) continue;
        const s = rg.columns[c];
        if (minKnown) {
          if (s?.min === undefined || s.min === null) minKnown = false;
          else if (min === undefined || compareScalars(s.min, min) < 0) min = s.min;
        }
        if (maxKnown) {
          if (s?.max === undefined || s.max === null) maxKnown = false;
          else if (max === undefined || compareScalars(s.max, max) > 0) max = s.max;
        }
        nullCount = nullCount === undefined || s?.nullCount === undefined ? undefined : nullCount + s.nullCount;
      }
    }
    const stats: ColumnStatistics = {};
    if (minKnown && min !== undefined) stats.min = min;
    if (maxKnown && max !== undefined) stats.max = max;
    if (nullCount !== undefined) stats.nullCount = nullCount;
    out.push(stats);
  }
  return out;
}

/** Order of two non-NULL statistics bounds of one column (strings by UTF-8 bytes, as Parquet orders them). */
function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return a < b ? -1 : a > b ? 1 : 0;
  return 0;
}

function describeFields(s: Schema): string {
  return s.fields.map((f) => `${f.name} ${sqlTypeName(f.type)}`).join(', ');
}

function mergeSchemas(first: ParquetFileInfo, other: ParquetFileInfo, fields: Field[]): Field[] {
  const a = first.schema.fields;
  const b = other.schema.fields;
  const mismatch = (what: string): SpillwayError => new SpillwayError('io',
    `Parquet files "${first.path}" and "${other.path}" have different schemas: ${what}`);
  if (a.length !== b.length) {
    throw mismatch(`${a.length} columns (${describeFields(first.schema)}) vs ${b.length} columns (${describeFields(other.schema)})`);
  }
  return fields.map((f, i) => {
    const g = b[i]!;
    if (f.name !== g.name || f.type !== g.type) {
      throw mismatch(`column ${i + 1} is "${f.name}" ${sqlTypeName(f.type)} vs "${g.name}" ${sqlTypeName(g.type)}`);
    }
    return f.nullable || !g.nullable ? f : { ...f, nullable: true };
  });
}

/** Map with at most `limit` calls in flight, keeping input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
