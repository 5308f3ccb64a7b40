/**
 * concatParquetFiles: several Parquet files of one schema → one file, without decoding a
 * page. The row groups' bytes are copied as they are and the footer is written anew with
 * every offset moved by where its file's bytes landed:
 *
 *   input 0: PAR1 [row groups 0…] footer0     output: PAR1 [input 0's bytes][input 1's bytes]… footer
 *   input 1: PAR1 [row groups 0…] footer1             (footer = every input's row groups, offsets shifted)
 *
 * The first input's bytes keep their offsets, so a reader holding input 0's footer can go
 * on reading the output (INSERT into a one-file table relies on it). Used where a
 * distributed COPY's workers wrote part files and the answer is one file, and to append
 * rows to a Parquet table. The bytes move on the local disk, never through the query.
 *
 * Every input must have the same columns (name, physical type, repetition). Statistics are
 * kept where hyparquet's parse and hyparquet-writer's serialization give back the same bytes
 * (the types Spillway writes); other annotations (DECIMAL, millisecond timestamps, …) keep
 * their null counts and lose their min/max, never their data.
 */
import { createReadStream } from 'node:fs';
import { open as openFile, rm, type FileHandle } from 'node:fs/promises';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { ColumnChunk, FileMetaData, RowGroup, SchemaElement } from 'hyparquet';
import { SpillwayError } from '../common/errors.js';
import { localPath } from './local_store.js';
import { openParquetFile } from './parquet_metadata.js';

export interface ConcatResult {
  rows: number;
  rowGroups: number;
  /** Size of the output file. */
  bytes: number;
}

const MAGIC = 0x31524150; // "PAR1"

/** Write `inputs` (local Parquet files, in order) as the one file `output` (created, must not exist). */
export async function concatParquetFiles(inputs: readonly string[], output: string): Promise<ConcatResult> {
  if (inputs.length === 0) throw new Error('concatParquetFiles: no input');
  const footers: { path: string; metadata: FileMetaData; dataEnd: number }[] = [];
  for (const path of inputs) {
    const f = await openParquetFile(path);
    await f.file.close();
    // The data region: after the leading magic, up to the footer (its length and magic are the last 8 bytes).
    footers.push({ path, metadata: f.metadata, dataEnd: f.file.byteLength - 8 - f.metadata.metadata_length });
  }
  const schema = footers[0]!.metadata.schema;
  for (const f of footers.slice(1)) checkSameColumns(footers[0]!.path, schema, f.path, f.metadata.schema);

  let out: FileHandle;
  try {
    out = await openFile(localPath(output), 'wx');
  } catch (e) {
    throw new SpillwayError('io', `cannot write Parquet file "${output}": ${(e as Error).message}`, { cause: e });
  }
  try {
    const head = new ByteWriter(4);
    head.appendUint32(MAGIC);
    await out.write(new Uint8Array(head.buffer, 0, head.index));
    let position = 4;
    const rowGroups: RowGroup[] = [];
    let rows = 0n;
    for (const f of footers) {
      const shift = BigInt(position - 4);
      for (const rg of f.metadata.row_groups) rowGroups.push(shiftRowGroup(rg, shift, schema));
      rows += BigInt(f.metadata.num_rows);
      await copyRange(f.path, 4, f.dataEnd, out, position);
      position += f.dataEnd - 4;
    }
    const tail = new ByteWriter(1 << 16);
    writeMetadata(tail, {
      version: footers[0]!.metadata.version, created_by: 'spillway', schema, row_groups: rowGroups,
      num_rows: rows, metadata_length: 0,
    });
    tail.appendUint32(MAGIC);
    await out.write(new Uint8Array(tail.buffer, 0, tail.index), 0, tail.index, position);
    position += tail.index;
    await out.close();
    return { rows: Number(rows), rowGroups: rowGroups.length, bytes: position };
  } catch (e) {
    await out.close().catch(() => undefined);
    await rm(localPath(output), { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Copy bytes [start, end) of `path` to `out` at `at`, in chunks (nothing held whole). */
async function copyRange(path: string, start: number, end: number, out: FileHandle, at: number): Promise<void> {
  if (end <= start) return;
  let pos = at;
  for await (const chunk of createReadStream(localPath(path), { start, end: end - 1, highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    let done = 0;
    while (done < b.length) {
      const { bytesWritten } = await out.write(b, done, b.length - done, pos);
      done += bytesWritten;
      pos += bytesWritten;
    }
  }
}

function checkSameColumns(firstPath: string, a: readonly SchemaElement[], path: string, b: readonly SchemaElement[]): void {
  const describe = (s: readonly SchemaElement[]) => s.slice(1).map((e) => `${e.name} ${e.type ?? 'group'} ${e.repetition_type ?? ''}`.trim()).join(', ');
  const same = a.length === b.length && a.every((e, i) => {
    const o = b[i]!;
    return i === 0 || (e.name === o.name && e.type === o.type && e.repetition_type === o.repetition_type && e.num_children === o.num_children);
  });
  if (!same) {
    throw new SpillwayError('io', `cannot join Parquet files "${firstPath}" and "${path}": different columns (${describe(a)}) vs (${describe(b)})`);
  }
}

function shiftRowGroup(rg: RowGroup, shift: bigint, schema: readonly SchemaElement[]): RowGroup {
  const at = (v: bigint | undefined): bigint | undefined => (v === undefined ? undefined : BigInt(v) + shift);
  const columns = rg.columns.map((c): ColumnChunk => {
    const m = c.meta_data;
    const leaf = m ? schema.find((e) => e.name === m.path_in_schema[m.path_in_schema.length - 1] && e.type !== undefined) : undefined;
    return {
      ...c,
      file_offset: at(c.file_offset)!,
      ...(c.offset_index_offset !== undefined ? { offset_index_offset: at(c.offset_index_offset) } : {}),
      ...(c.column_index_offset !== undefined ? { column_index_offset: at(c.column_index_offset) } : {}),
      ...(m ? {
        meta_data: {
          ...m,
          data_page_offset: at(m.data_page_offset)!,
          ...(m.dictionary_page_offset !== undefined ? { dictionary_page_offset: at(m.dictionary_page_offset) } : {}),
          ...(m.index_page_offset !== undefined ? { index_page_offset: at(m.index_page_offset) } : {}),
          ...(m.bloom_filter_offset !== undefined ? { bloom_filter_offset: at(m.bloom_filter_offset) } : {}),
          statistics: m.statistics === undefined || (leaf !== undefined && statisticsRoundTrip(leaf)) ? m.statistics
            : { ...(m.statistics.null_count !== undefined ? { null_count: m.statistics.null_count } : {}) },
        },
      } : {}),
    };
  });
  return { ...rg, columns, ...(rg.file_offset !== undefined ? { file_offset: at(rg.file_offset) } : {}) };
}

/** Are min/max of this column read (with SPILLWAY_PARSERS) and written back unchanged? */
function statisticsRoundTrip(e: SchemaElement): boolean {
  const lt = e.logical_type;
  switch (e.type) {
    case 'BOOLEAN': case 'DOUBLE': return true;
    case 'BYTE_ARRAY': return (e.converted_type === undefined || e.converted_type === 'UTF8') && (lt === undefined || lt.type === 'STRING');
    case 'INT32': return (e.converted_type === undefined || e.converted_type === 'DATE' || e.converted_type === 'INT_32')
      && (lt === undefined || lt.type === 'DATE' || (lt.type === 'INTEGER' && lt.isSigned));
    case 'INT64': return (e.converted_type === undefined || e.converted_type === 'INT_64' || e.converted_type === 'TIMESTAMP_MICROS')
      && (lt === undefined || (lt.type === 'INTEGER' && lt.isSigned) || (lt.type === 'TIMESTAMP' && lt.unit === 'MICROS'));
    default: return false;
  }
}
