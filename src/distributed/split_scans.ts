/**
 * Pass: split_scans — spread each scan over N tasks.
 *
 * ParquetScan: the unit of work is a file, or a row group of a large file. A file is cut
 * into its row groups (sizes from readParquetMetadata) when it is larger than an even
 * share (total bytes / N), or when there are fewer files than tasks. Units are then placed
 * largest first on the least-loaded task by bytes (LPT scheduling: within 4/3 of the best
 * balance), and the units of one file on one task are merged back into one FileSlice:
 *
 *   files a(90) b(40) c(30) d(20), N = 2
 *   sorted: a90 b40 c30 d20  →  task0: a90          = 90
 *                               task1: b40 c30 d20  = 90
 *
 * Local paths are made absolute: a task may run on a worker whose working folder differs.
 *
 * CsvScan: the unit is a whole file (a quoted field may hold a newline, so a byte offset
 * inside a file is not known to start a record); the files are placed the same way.
 *
 * The scan gets min(N, units) partitions (never an empty one). MemoryScan gets N partitions
 * (partition p reads stored batches i with i mod N = p). Values stays one partition.
 * Plans whose scans are already split (more than one partition) are left alone.
 */
import { isAbsolute, resolve } from 'node:path';
import { childrenOf, type FileSlice, type ParquetScanNode, type PhysicalPlan } from '../plan/physical.js';
import { readParquetMetadata, type ParquetFileInfo } from '../storage/parquet_metadata.js';
import { mapPlan } from '../plan/physical_tree.js';

export type MetadataSource = (path: string) => Promise<ParquetFileInfo>;

export interface SplitScansOptions {
  tasks: number;
  /** Footer reader (default readParquetMetadata); distribute.ts passes a per-query cache. */
  metadata?: MetadataSource;
}

/** One piece of scan work: a whole file, or some row groups of one. */
export interface ScanUnit {
  path: string;
  rowGroups?: number[];
  bytes: number;
}

/** The units a scan's files split into for N tasks (see header). */
export async function scanUnits(scan: ParquetScanNode, tasks: number, metadata: MetadataSource = readParquetMetadata): Promise<ScanUnit[]> {
  const slices = scan.slices.flat();
  // Remote files are sized 0 at planning time: their footers give the size.
  const sized: FileSlice[] = [];
  for (const s of slices) sized.push(s.bytes > 0 ? s : { ...s, bytes: (await metadata(s.path)).bytes });
  const total = sized.reduce((n, s) => n + s.bytes, 0);
  const share = total / Math.max(1, tasks);
  const splitAll = sized.length < tasks;
  const units: ScanUnit[] = [];
  for (const s of sized) {
    if (tasks <= 1 || (!splitAll && s.bytes <= share)) { units.push(s); continue; }
    const info = await metadata(s.path);
    const wanted = s.rowGroups === undefined ? null : new Set(s.rowGroups);
    const groups = info.rowGroups.filter((g) => wanted === null || wanted.has(g.index));
    if (groups.length <= 1) { units.push(s); continue; }
    for (const g of groups) units.push({ path: s.path, rowGroups: [g.index], bytes: g.bytes });
  }
  return units;
}

/** Largest first onto the least-loaded task; units of one file on one task merged. */
export function assignUnits(units: readonly ScanUnit[], tasks: number): FileSlice[][] {
  const n = Math.max(1, Math.min(tasks, units.length));
  const order = units.map((_u, i) => i).sort((a, b) => units[b]!.bytes - units[a]!.bytes || a - b);
  const load = new Array<number>(n).fill(0);
  const count = new Array<number>(n).fill(0);
  const byTask: ScanUnit[][] = Array.from({ length: n }, () => []);
  for (const i of order) {
    let best = 0;
    for (let t = 1; t < n; t++) {
      if (load[t]! < load[best]! || (load[t] === load[best] && count[t]! < count[best]!)) best = t;
    }
    byTask[best]!.push(units[i]!);
    load[best] += units[i]!.bytes;
    count[best]++;
  }
  return byTask.map(mergeByFile);
}

function mergeByFile(units: readonly ScanUnit[]): FileSlice[] {
  const byPath = new Map<string, FileSlice>();
  const out: FileSlice[] = [];
  for (const u of units) {
    const prev = byPath.get(u.path);
    if (prev === undefined) {
      const s: FileSlice = u.rowGroups === undefined ? { path: u.path, bytes: u.bytes } : { path: u.path, rowGroups: [...u.rowGroups], bytes: u.bytes };
      byPath.set(u.path, s);
      out.push(s);
    } else if (prev.rowGroups !== undefined && u.rowGroups !== undefined) {
      prev.rowGroups.push(...u.rowGroups);
      prev.rowGroups.sort((a, b) => a - b);
      prev.bytes += u.bytes;
    }
  }
  return out;
}

export async function splitScans(plan: PhysicalPlan, opts: SplitScansOptions): Promise<PhysicalPlan> {
  const metadata = opts.metadata ?? readParquetMetadata;
  const split = new Map<number, FileSlice[][]>();
  const visit = async (p: PhysicalPlan): Promise<void> => {
    if (p.kind === 'ParquetScan' && p.partitions === 1) split.set(p.id, assignUnits(await scanUnits(p, opts.tasks, metadata), opts.tasks));
    if (p.kind === 'CsvScan' && p.partitions === 1) split.set(p.id, assignUnits(p.slices.flat(), opts.tasks));
    for (const c of childrenOf(p)) await visit(c);
  };
  await visit(plan);
  return mapPlan(plan, (p) => {
    if (p.kind === 'ParquetScan' || p.kind === 'CsvScan') {
      const slices = split.get(p.id);
      if (slices === undefined) return p;
      return { ...p, slices: slices.map((task) => task.map(absoluteSlice)), partitions: slices.length };
    }
    if (p.kind === 'MemoryScan' && p.partitions === 1) return { ...p, partitions: Math.max(1, opts.tasks) };
    return p;
  });
}

/** URLs (s3://…) as they are; local paths resolved against this process's working folder. */
function absoluteSlice(s: FileSlice): FileSlice {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s.path) || isAbsolute(s.path)) return s;
  return { ...s, path: resolve(s.path) };
}
