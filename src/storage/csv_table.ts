/**
 * CSV tables: read_csv('…' | ['…', …] | 'glob*.csv', options), `FROM 'x.csv'` and `t.csv`
 * under --tables. The files are listed and sized, the first one is sniffed
 * (storage/csv_sniff.ts) and every file is read with that dialect and those columns.
 */
import * as nodePath from 'node:path';
import { SpillwayError } from '../common/errors.js';
import type { Schema } from '../common/types.js';
import { globBase, globToRegExp, hasGlob } from './glob.js';
import { isRemotePath, storeFor } from './object_store.js';
import { csvFileSize, isCsvPath } from './csv_source.js';
import { sniffCsv, type CsvDialect, type CsvOptions } from './csv_sniff.js';

export interface CsvTable {
  kind: 'csv';
  name: string;
  /** Every column of the files, in file order. */
  schema: Schema;
  files: string[];
  /** Bytes on storage (compressed for .gz). */
  bytes: number;
  /** Estimated records (exact when the sample was the whole of a single file). */
  rows: number;
  dialect: CsvDialect;
}

/** A local path made absolute (workers may run in another folder); URLs as they are. */
function absolute(path: string): string {
  return isRemotePath(path) || path.startsWith('file://') ? path : nodePath.resolve(path);
}

/** The files a path or glob names, sorted (a glob matches files only). */
async function expand(path: string): Promise<string[]> {
  if (!hasGlob(path)) return [absolute(path)];
  const store = storeFor(path);
  const pattern = isRemotePath(path) ? path : nodePath.resolve(path).split(nodePath.sep).join('/');
  const re = globToRegExp(pattern);
  const files = (await store.list(globBase(pattern))).filter((f) => re.test(f.split(nodePath.sep).join('/')));
  if (files.length === 0) throw new SpillwayError('io', `no files match "${path}"`);
  return files.sort();
}

/** The table name of a CSV path: its file name without the extensions ('t' for 'data/t.csv.gz'). */
export function csvPathStem(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  return base.replace(/\.gz$/i, '').replace(/\.(csv|tsv)$/i, '');
}

/** Resolve read_csv's paths (files or globs) and options into a table. */
export async function resolveCsvTable(paths: readonly string[], options: CsvOptions, name?: string): Promise<CsvTable> {
  if (paths.length === 0) throw new SpillwayError('binder', 'read_csv needs at least one path');
  const files: string[] = [];
  for (const p of paths) files.push(...await expand(p));
  const sizes: number[] = [];
  for (const f of files) sizes.push(await csvFileSize(f));
  const bytes = sizes.reduce((a, b) => a + b, 0);
  const opts = options.delimiter === undefined && /\.tsv(\.gz)?$/i.test(files[0]!) ? { ...options, delimiter: '\t' } : options;
  const sniff = await sniffCsv(files[0]!, opts);
  const rows = files.length === 1 && sniff.wholeFile ? sniff.sampleRecords : Math.round(bytes * sniff.recordsPerByte);
  return {
    kind: 'csv', name: name ?? csvPathStem(paths[0]!), schema: { fields: sniff.fields }, files, bytes, rows, dialect: sniff.dialect,
  };
}

export { isCsvPath };
