/**
 * Hive-style partition folders: `table/year=2024/month=1/part-0.parquet` gives every row of
 * that file the columns year = 2024 and month = 1.
 *
 *   discovery  hivePartitionColumns(relative paths) → the keys every file has, in folder
 *              order, typed int64 when every value is an integer, else varchar
 *   scan       partitionValues(path, fields) → each value parsed to its column's type, read
 *              from the file's own path (nothing extra travels in the plan); the scan fills
 *              those columns with constants and skips a whole file whose values make a
 *              pruning conjunct false, before reading a byte of it
 *
 * Values are percent-decoded (COPY … PARTITION_BY encodes them); `NULL` and
 * `__HIVE_DEFAULT_PARTITION__` are NULL. A key that is also a column inside the files is not
 * a partition column; the scan still prunes by the folder's value, so the two must agree.
 */
import type { DataType, Field, Scalar } from '../common/types.js';
import type { ColumnStatistics } from './parquet_metadata.js';

const NULL_VALUES = new Set(['NULL', '__HIVE_DEFAULT_PARTITION__']);

/** The `key=value` folder segments of a path (its last segment, the file name, excluded). */
export function partitionSegments(path: string): [string, string][] {
  const parts = path.split(/[\\/]/);
  parts.pop();
  const out: [string, string][] = [];
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    out.push([decode(p.slice(0, eq)), decode(p.slice(eq + 1))]);
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The partition columns of a table whose files sit at these paths relative to its root:
 * present only when every file has the same keys in the same order, and none is a file column.
 */
export function hivePartitionColumns(relativePaths: readonly string[], fileColumns: readonly string[]): Field[] {
  if (relativePaths.length === 0) return [];
  const first = partitionSegments(relativePaths[0]!).map(([k]) => k);
  if (first.length === 0) return [];
  const taken = new Set(fileColumns.map((c) => c.toLowerCase()));
  if (first.some((k) => taken.has(k.toLowerCase())) || new Set(first.map((k) => k.toLowerCase())).size !== first.length) return [];
  const integer = first.map(() => true);
  const nullable = first.map(() => false);
  for (const rel of relativePaths) {
    const segs = partitionSegments(rel);
    if (segs.length !== first.length || segs.some(([k], i) => k !== first[i])) return [];
    segs.forEach(([, v], i) => {
      if (NULL_VALUES.has(v)) nullable[i] = true;
      else if (!/^-?\d{1,18}$/.test(v)) integer[i] = false;
    });
  }
  return first.map((name, i) => ({ name, type: integer[i] ? 'int64' : 'utf8', nullable: nullable[i]! }) as Field);
}

function parseValue(text: string, type: DataType): Scalar {
  if (NULL_VALUES.has(text)) return null;
  if (type === 'int64') return /^-?\d+$/.test(text) ? BigInt(text) : null;
  if (type === 'int32') return /^-?\d+$/.test(text) ? Number(text) : null;
  return text;
}

/**
 * Output column index → value, for the requested columns that are partition keys of `path`
 * (the innermost folder wins when a key repeats).
 */
export function partitionValues(path: string, fields: readonly Field[]): Map<number, Scalar> {
  const out = new Map<number, Scalar>();
  const segs = partitionSegments(path);
  if (segs.length === 0) return out;
  fields.forEach((f, i) => {
    for (let s = segs.length - 1; s >= 0; s--) {
      if (segs[s]![0] === f.name) {
        out.set(i, parseValue(segs[s]![1], f.type));
        break;
      }
    }
  });
  return out;
}

/** Statistics of a constant column (min = max = the value), for pruning a file by its folder. */
export function constantStatistics(value: Scalar, rows: number): ColumnStatistics {
  return value === null ? { nullCount: rows } : { min: value, max: value, nullCount: 0 };
}
