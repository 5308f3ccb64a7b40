/**
 * The CSV / JSON file writer (storage/text_writer.ts) and the joining of its part
 * files by their bytes (storage/text_concat.ts): header once, parts in order, empty parts,
 * gzip parts as members of one valid gzip file (read back by gunzip and by DuckDB), JSON
 * arrays' brackets and commas, and a part file spec a task refuses (exec/shuffle/part_file_writer.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch } from '../../src/columnar/column.js';
import { schema as makeSchema, field } from '../../src/common/types.js';
import { checkPartFileSpec } from '../../src/exec/shuffle/part_file_writer.js';
import { toCsvChunks, toJsonArrayChunks, toJsonChunks } from '../../src/format.js';
import { concatTextFiles } from '../../src/storage/text_concat.js';
import { JSON_ARRAY_CLOSE, JSON_ARRAY_OPEN, JSON_ARRAY_SEPARATOR, TextFileWriter, textHeader, type TextWriteOptions } from '../../src/storage/text_writer.js';
import { DuckOracle } from '../helpers/duckdb.js';

const SCHEMA = makeSchema([field('id', 'int32', false), field('note', 'utf8', true)]);

function batch(ids: number[]): Batch {
  const notes = ids.map((i) => (i % 3 === 0 ? null : i % 3 === 1 ? `n${i}` : `say "${i}", ok`));
  return makeBatch(SCHEMA, [fixedColumn('int32', Int32Array.from(ids)), utf8Column(notes)], ids.length);
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

let dir = '';
let duck: DuckOracle;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-text-concat-'));
  duck = await DuckOracle.open();
});
afterAll(() => {
  duck?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function writePart(name: string, batches: Batch[], opts: TextWriteOptions): Promise<string> {
  const path = join(dir, name);
  const w = await TextFileWriter.create(path, SCHEMA, opts);
  for (const b of batches) await w.write(b);
  await w.finish();
  return path;
}

describe('text part files joined by their bytes', () => {
  const parts = [[1, 2, 3], [], [4, 5], [6, 7, 8, 9]];
  const all = batch(parts.flat());

  it('CSV: the header once, then every part in order, equal to one file written whole', async () => {
    const files = await Promise.all(parts.map((ids, i) => writePart(`p${i}.csv`, ids.length ? [batch(ids)] : [], { format: 'csv', compression: 'none', part: true })));
    expect(readFileSync(files[1]!).length).toBe(0); // an empty part is an empty file
    const out = join(dir, 'joined.csv');
    const { bytes } = await concatTextFiles(files, out, { gzip: false, head: textHeader(SCHEMA, {}) });
    const whole = Buffer.concat([...toCsvChunks(SCHEMA, [all])]);
    expect(readFileSync(out)).toEqual(whole);
    expect(bytes).toBe(whole.length);
  });

  it('JSON lines with gzip: members one after the other gunzip to the whole text; DuckDB reads the file', async () => {
    const files = await Promise.all(parts.map((ids, i) => writePart(`p${i}.json.gz`, ids.length ? [batch(ids)] : [], { format: 'json', compression: 'gzip', part: true })));
    const out = join(dir, 'joined.json.gz');
    await concatTextFiles(files, out, { gzip: true });
    expect(text(gunzipSync(readFileSync(out)))).toBe(text(Buffer.concat([...toJsonChunks(SCHEMA, [all])])));
    expect(await duck.query(`select count(*)::int, sum(id)::int, count(note)::int from read_json('${out}')`)).toEqual([[9, 45, 6]]);
  });

  it('CSV with gzip and a delimiter: the header is a member of its own', async () => {
    const opts: TextWriteOptions = { format: 'csv', compression: 'gzip', delimiter: ';', part: true };
    const files = [await writePart('g0.csv.gz', [batch([1, 2])], opts), await writePart('g1.csv.gz', [batch([3])], opts)];
    const out = join(dir, 'joined.csv.gz');
    await concatTextFiles(files, out, { gzip: true, head: textHeader(SCHEMA, { delimiter: ';' }) });
    expect(text(gunzipSync(readFileSync(out)))).toBe('id;note\n1;n1\n2;"say ""2"", ok"\n3;\n');
    expect(await duck.query(`select count(*)::int from read_csv('${out}', delim = ';', header = true)`)).toEqual([[3]]);
  });

  it('JSON array parts, empty ones among them, join into the array one writer writes, gzip or not', async () => {
    const whole = text(Buffer.concat([...toJsonArrayChunks(SCHEMA, [all])]));
    for (const compression of ['none', 'gzip'] as const) {
      const opts: TextWriteOptions = { format: 'json', compression, array: true, part: true };
      const files = await Promise.all([[], ...parts, []].map((ids, i) => writePart(`a${i}-${compression}.json`, ids.length ? [batch(ids)] : [], opts)));
      expect(readFileSync(files[0]!).length).toBe(0); // an empty part has no byte, not even a gzip header
      const out = join(dir, `joined-array.json${compression === 'gzip' ? '.gz' : ''}`);
      await concatTextFiles(files, out, { gzip: compression === 'gzip', head: JSON_ARRAY_OPEN, separator: JSON_ARRAY_SEPARATOR, tail: JSON_ARRAY_CLOSE });
      const bytes = readFileSync(out);
      expect(text(compression === 'gzip' ? gunzipSync(bytes) : bytes)).toBe(whole);
      expect(await duck.query(`select count(*)::int, sum(id)::int from read_json('${out}', format = 'array')`)).toEqual([[9, 45]]);
    }
    // No rows in any part: an empty array, as one writer writes it.
    const empty = await writePart('none.json', [], { format: 'json', compression: 'none', array: true, part: true });
    const out = join(dir, 'joined-empty.json');
    await concatTextFiles([empty, empty], out, { gzip: false, head: JSON_ARRAY_OPEN, separator: JSON_ARRAY_SEPARATOR, tail: JSON_ARRAY_CLOSE });
    expect(readFileSync(out, 'utf8')).toBe(text(Buffer.concat([...toJsonArrayChunks(SCHEMA, [])])));
  });

  it('a whole file with no rows: the CSV header, an empty JSON array, a gzip stream of nothing', async () => {
    expect(readFileSync(await writePart('empty.csv', [], { format: 'csv', compression: 'none', header: true }), 'utf8')).toBe('id,note\n');
    expect(readFileSync(await writePart('empty.json', [], { format: 'json', compression: 'none', array: true }), 'utf8')).toBe('[\n]\n');
    expect(gunzipSync(readFileSync(await writePart('empty.json.gz', [], { format: 'json', compression: 'gzip' }))).length).toBe(0);
  });

  it('refuses an output that exists, and leaves it as it was', async () => {
    const out = join(dir, 'taken.csv');
    writeFileSync(out, 'mine');
    await expect(concatTextFiles([], out, { gzip: false })).rejects.toThrow(`cannot write "${out}"`);
    await expect(TextFileWriter.create(out, SCHEMA, { format: 'csv', compression: 'none' })).rejects.toThrow(/EEXIST/);
    expect(readFileSync(out, 'utf8')).toBe('mine');
  });

  it('a missing part fails the join and leaves no output', async () => {
    const out = join(dir, 'broken.csv');
    await expect(concatTextFiles([join(dir, 'no-such-part.csv')], out, { gzip: false })).rejects.toThrow(/ENOENT/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('part file specs of CSV and JSON tasks', () => {
  const base = { dir: '/tmp/x', file: 'part-00000.csv', rowGroupSize: null } as const;

  it('accepts csv and json with gzip or none, and a csv delimiter', () => {
    expect(checkPartFileSpec({ ...base, format: 'csv', compression: 'gzip', delimiter: ';' }).delimiter).toBe(';');
    expect(checkPartFileSpec({ ...base, format: 'json', compression: 'none' }).format).toBe('json');
  });

  it('refuses a Parquet codec for text, an unknown format and a delimiter outside csv', () => {
    expect(() => checkPartFileSpec({ ...base, format: 'csv', compression: 'snappy' })).toThrow('unsupported compression "snappy" for csv');
    expect(() => checkPartFileSpec({ ...base, format: 'xml' as never, compression: 'none' })).toThrow('unsupported format "xml"');
    expect(() => checkPartFileSpec({ ...base, format: 'json', compression: 'none', delimiter: ';' })).toThrow('delimiter ";"');
    expect(() => checkPartFileSpec({ ...base, format: 'csv', compression: 'none', delimiter: '\n' })).toThrow('is not one printable ASCII character');
    expect(() => checkPartFileSpec({ ...base, format: 'csv', compression: 'none', array: true })).toThrow('array true is not true or false of a json part');
  });
});
