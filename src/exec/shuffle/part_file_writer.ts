/**
 * PartFileWriter: the end of a distributed COPY … TO. Instead of keeping its output for a
 * reader, a task of the copy stage writes it as one part file (Parquet, or CSV / JSON
 * without a header or array brackets, optionally gzip: storage/text_writer.ts) in the
 * folder the coordinator made for the COPY, so the rows never travel to the coordinator:
 *
 *   stage plan, partition t ──batches──▶ <dir>/<file>.tmp-<random> ──rename when complete──▶ <dir>/<file>
 *
 * The coordinator names the files so that their name order is the task order (for a
 * distributed ORDER BY, the range order). A retried or speculative attempt writes its own
 * temporary file and renames it over the same name, so a part file is always one whole
 * attempt. A failed or cancelled attempt removes its temporary file; the coordinator removes
 * the whole folder when the COPY fails. Metrics (under the stage's Exchange node id):
 * rowsWritten, bytesWritten (file bytes).
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpillwayError } from '../../common/errors.js';
import type { PhysicalPlan } from '../../plan/physical.js';
import { ParquetFileWriter, rowGroupBytesFor, type ParquetWriteCodec } from '../../storage/parquet_writer.js';
import { TextFileWriter } from '../../storage/text_writer.js';
import type { TaskContext } from '../context.js';
import { executePlan } from '../execute.js';

/** What a copy-stage task writes, and where. JSON-friendly (it travels in the TaskRequest). */
export interface PartFileSpec {
  /** Absolute folder, made by the coordinator and visible to the workers. */
  dir: string;
  /** The part file's name in `dir` (no separators). */
  file: string;
  /** Default parquet. csv and json parts have no header (the coordinator writes it once). */
  format?: PartFileFormat;
  /** Parquet: any codec; csv and json: gzip or none. */
  compression: ParquetWriteCodec;
  /** Parquet only. */
  rowGroupSize: number | null;
  /** csv: one ASCII character between fields (default ','). */
  delimiter?: string;
  /** json: the objects of one JSON array (no brackets) instead of one object per line. */
  array?: boolean;
}

export type PartFileFormat = 'parquet' | 'csv' | 'json';

export interface PartFileResult {
  rows: number;
  /** Bytes of the finished file. */
  bytes: number;
}

const PLAIN_NAME = /^[A-Za-z0-9._-]{1,255}$/;

/** `spec` if it names a plain file in an absolute folder; otherwise a clear error. */
export function checkPartFileSpec(spec: PartFileSpec): PartFileSpec {
  if (typeof spec.dir !== 'string' || !spec.dir.startsWith('/')) throw new SpillwayError('config', `copy part file: folder ${JSON.stringify(spec.dir)} is not an absolute path`);
  if (typeof spec.file !== 'string' || !PLAIN_NAME.test(spec.file) || spec.file.startsWith('.')) {
    throw new SpillwayError('config', `copy part file: ${JSON.stringify(spec.file)} is not a plain file name`);
  }
  const format = spec.format ?? 'parquet';
  if (!['parquet', 'csv', 'json'].includes(format)) throw new SpillwayError('config', `copy part file: unsupported format ${JSON.stringify(format)}`);
  const codecs = format === 'parquet' ? ['snappy', 'gzip', 'brotli', 'none'] : ['gzip', 'none'];
  if (!codecs.includes(spec.compression)) throw new SpillwayError('config', `copy part file: unsupported compression ${JSON.stringify(spec.compression)} for ${format}`);
  if (spec.delimiter !== undefined && (format !== 'csv' || typeof spec.delimiter !== 'string' || !/^[\x20-\x7e\t]$/.test(spec.delimiter) || spec.delimiter === '"')) {
    throw new SpillwayError('config', `copy part file: delimiter ${JSON.stringify(spec.delimiter)} is not one printable ASCII character of a csv part`);
  }
  if (spec.array !== undefined && (format !== 'json' || typeof spec.array !== 'boolean')) throw new SpillwayError('config', `copy part file: array ${JSON.stringify(spec.array)} is not true or false of a json part`);
  if (spec.rowGroupSize !== null && !(Number.isInteger(spec.rowGroupSize) && spec.rowGroupSize > 0)) {
    throw new SpillwayError('config', `copy part file: row group size ${JSON.stringify(spec.rowGroupSize)} is not a positive integer`);
  }
  return spec;
}

export async function runPartFileWriter(
  spec: PartFileSpec, plan: PhysicalPlan, task: number, metricsNodeId: number, ctx: TaskContext,
): Promise<PartFileResult> {
  checkPartFileSpec(spec);
  const target = join(spec.dir, spec.file);
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  const format = spec.format ?? 'parquet';
  // The Parquet writer's buffered row group is reserved in the pool.
  const reservation = ctx.memory.register(`CopyPart[p${task}]`, { spillable: false });
  try {
    const writer = format === 'parquet'
      ? await ParquetFileWriter.create(temp, plan.schema, {
        compression: spec.compression, ...(spec.rowGroupSize !== null ? { rowGroupSize: spec.rowGroupSize } : {}),
        maxRowGroupBytes: rowGroupBytesFor(ctx.config.memory_limit), reservation,
      })
      : await TextFileWriter.create(temp, plan.schema, {
        format, compression: spec.compression === 'gzip' ? 'gzip' : 'none', part: true,
        ...(spec.delimiter !== undefined ? { delimiter: spec.delimiter } : {}), ...(spec.array === true ? { array: true } : {}),
      });
    let rows = 0;
    try {
      for await (const b of executePlan(plan, task, ctx)) {
        if (b.length === 0) continue;
        await writer.write(b);
        rows += b.length;
      }
      const done = await writer.finish();
      await rename(temp, target);
      ctx.metrics.add(metricsNodeId, 'rowsWritten', rows);
      ctx.metrics.add(metricsNodeId, 'bytesWritten', done.bytes);
      return { rows, bytes: done.bytes };
    } catch (e) {
      await writer.abort().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw e;
    }
  } finally {
    reservation.free();
  }
}
