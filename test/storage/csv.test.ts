/**
 * read_csv against DuckDB's read_csv on generated files (types, NULLs, quotes, embedded
 * newlines, CRLF, headers or none, four delimiters), the options, streaming over chunk
 * boundaries with small batches, gzip, and the errors (file, line and column named).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session.js';
import { sqlTypeName } from '../../src/common/types.js';
import { CSV_CHUNK_BYTES } from '../../src/storage/csv_source.js';
import { diffRows } from '../helpers/compare.js';
import { DuckOracle } from '../helpers/duckdb.js';
import { resultCells } from '../helpers/spillway.js';
import { rng } from '../helpers/random.js';

let dir: string;
let db: Session;
let duck: DuckOracle;

type Kind = 'int' | 'double' | 'bool' | 'date' | 'timestamp' | 'text';
const KINDS: Kind[] = ['int', 'double', 'bool', 'date', 'timestamp', 'text'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function value(kind: Kind, r: () => number, delim: string): { text: string; quote: boolean } {
  const int = (n: number): number => Math.floor(r() * n);
  switch (kind) {
    case 'int': return { text: String(int(2_000_000) - 1_000_000), quote: false };
    case 'double': return { text: (r() * 2000 - 1000).toFixed(int(4) + 1), quote: false };
    case 'bool': return { text: r() < 0.5 ? 'true' : 'false', quote: false };
    case 'date': return { text: `${1990 + int(40)}-${pad(1 + int(12))}-${pad(1 + int(28))}`, quote: false };
    case 'timestamp': {
      const frac = r() < 0.5 ? '' : `.${pad(int(1000), 3)}`;
      return { text: `${1990 + int(40)}-${pad(1 + int(12))}-${pad(1 + int(28))} ${pad(int(24))}:${pad(int(60))}:${pad(int(60))}${frac}`, quote: false };
    }
    case 'text': {
      const pieces = ['ab', 'x y', 'Zürich', 'q"uote', `a${delim}b`, 'line\nbreak', 'crlf\r\nbreak', ' pad ', 'émoji 🎉', 'w'];
      const text = Array.from({ length: 1 + int(3) }, () => pieces[int(pieces.length)]!).join('');
      return { text, quote: /["\r\n]/.test(text) || text.includes(delim) || r() < 0.2 };
    }
  }
}

interface Generated { path: string; kinds: Kind[]; header: boolean; delim: string }

function generate(seed: number): Generated {
  const r = rng(seed);
  const delim = [',', ';', '|', '\t'][seed % 4]!;
  const header = seed % 3 !== 0;
  const eol = seed % 2 === 0 ? '\n' : '\r\n';
  const width = 2 + Math.floor(r() * 5);
  // At least one non-text column so that a headerless file is told apart from one with a header.
  const kinds = Array.from({ length: width }, (_, i) => (i === 0 ? KINDS[Math.floor(r() * 5)]! : KINDS[Math.floor(r() * KINDS.length)]!));
  const rows = 20 + Math.floor(r() * 200);
  const lines: string[] = [];
  if (header) lines.push(kinds.map((k, i) => `${k}_${i}`).join(delim));
  for (let i = 0; i < rows; i++) {
    lines.push(kinds.map((k, c) => {
      if (i > 0 && c > 0 && r() < 0.15) return '';
      const v = value(k, r, delim);
      return v.quote ? `"${v.text.replace(/"/g, '""')}"` : v.text;
    }).join(delim));
  }
  const path = join(dir, `gen_${seed}.csv`);
  writeFileSync(path, lines.join(eol) + (seed % 5 === 0 ? '' : eol));
  return { path, kinds, header, delim };
}

const DUCK_TYPES: Record<string, string> = { BIGINT: 'BIGINT', DOUBLE: 'DOUBLE', BOOLEAN: 'BOOLEAN', DATE: 'DATE', TIMESTAMP: 'TIMESTAMP', VARCHAR: 'VARCHAR' };

async function duckColumns(sql: string): Promise<{ names: string[]; types: string[] }> {
  const rows = await duck.query(`select column_name, column_type from (describe ${sql})`);
  return { names: rows.map((r) => String(r[0])), types: rows.map((r) => DUCK_TYPES[String(r[1])] ?? String(r[1])) };
}

/** Both engines' rows with timestamps as text (DuckDB's JSON rows print them alike). */
async function compare(call: string): Promise<void> {
  const mine = await db.sql(`select * from ${call}`);
  const theirs = await duckColumns(`select * from ${call}`);
  expect(mine.schema.fields.map((f) => f.name)).toEqual(theirs.names);
  expect(mine.schema.fields.map((f) => sqlTypeName(f.type))).toEqual(theirs.types);
  const cols = theirs.names.map((n, i) => (theirs.types[i] === 'TIMESTAMP' ? `strftime("${n}", '%Y-%m-%d %H:%M:%S.%f')` : `"${n}"`));
  const expected = await duck.query(`select ${cols.join(', ')} from ${call}`);
  const actual = resultCells(mine).map((row) => row.map((v, i) => (theirs.types[i] === 'TIMESTAMP' && typeof v === 'string'
    ? `${v.slice(0, 19)}.${(v.slice(20) || '0').padEnd(6, '0')}` : v)));
  const diff = diffRows(actual, expected, true);
  expect(diff, `${call}: ${diff}`).toBeNull();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-csv-'));
  db = await Session.create({});
  duck = await DuckOracle.open();
});

afterAll(async () => {
  duck?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('read_csv against DuckDB', () => {
  for (let seed = 1; seed <= 24; seed++) {
    it(`generated file ${seed}: sniffed dialect, header, names, types and values agree`, async () => {
      const g = generate(seed);
      await compare(`read_csv('${g.path}')`);
    });
  }

  it('explicit options: delimiter, header, columns, nullstr, skip', async () => {
    const path = join(dir, 'explicit.csv');
    writeFileSync(path, 'junk line\nid;price;note\n1;2.5;NA\n2;NA;"x;y"\n3;4;plain\n');
    await compare(`read_csv('${path}', delim=';', header=true, skip=1, nullstr='NA')`);
    await compare(`read_csv('${path}', delim=';', skip=2, header=false, nullstr='NA', columns={'a': 'BIGINT', 'b': 'DOUBLE', 'c': 'VARCHAR'})`);
    await compare(`read_csv('${path}', delim=';', skip=1, all_varchar=true)`);
  });

  it('a BOM, CRLF and a quoted field holding CRLF', async () => {
    const path = join(dir, 'bom.csv');
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\r\n1,"x\r\ny"\r\n2,"say ""hi"""\r\n')]));
    await compare(`read_csv('${path}')`);
  });

  it('read_csv_auto, a list of files, a glob and FROM \'file.csv\'', async () => {
    for (const n of [1, 2, 3]) writeFileSync(join(dir, `part_${n}.csv`), `k,v\n${n},v${n}\n${n * 10},w${n}\n`);
    await compare(`read_csv_auto('${join(dir, 'part_1.csv')}')`);
    await compare(`read_csv(['${join(dir, 'part_1.csv')}', '${join(dir, 'part_3.csv')}'])`);
    await compare(`read_csv('${join(dir, 'part_*.csv')}')`);
    const res = await db.sql(`select p.k, p.v from '${join(dir, 'part_2.csv')}' p order by k`);
    expect(res.rows()).toEqual([[2n, 'v2'], [20n, 'w2']]);
  });
});

describe('round trips and distribution', () => {
  it('COPY … TO a CSV file, read back with read_csv, gives the same rows and types', async () => {
    const path = join(dir, 'copied.csv');
    const query = `select * from (values
      (1, 'plain', 1.5, date '2024-02-29', timestamp '2024-02-29 13:04:05.25', true),
      (2, 'with, comma', -0.25, null, null, false),
      (3, 'quote " and
newline', null, date '1999-12-31', timestamp '1999-12-31 23:59:59', null),
      (null, null, 1e10, date '2000-01-01', timestamp '2000-01-01 00:00:00', true)) t(i, s, d, day, ts, b)`;
    await db.sql(`copy (${query}) to '${path}' (header)`);
    const back = await db.sql(`select * from read_csv('${path}') order by i nulls last`);
    expect(back.schema.fields.map((f) => sqlTypeName(f.type))).toEqual(['BIGINT', 'VARCHAR', 'DOUBLE', 'DATE', 'TIMESTAMP', 'BOOLEAN']);
    const original = await db.sql(`select * from (${query}) order by i nulls last`);
    expect(resultCells(back)).toEqual(resultCells(original));
  });

  it('worker threads read the files of a glob one per task and agree with one thread', async () => {
    for (let f = 0; f < 5; f++) {
      writeFileSync(join(dir, `spread_${f}.csv`), 'g,x\n' + Array.from({ length: 400 }, (_, i) => `${(i * 7 + f) % 13},${i * f}`).join('\n') + '\n');
    }
    const sql = `select g, count(*), sum(x), min(x) from read_csv('${join(dir, 'spread_*.csv')}') group by g order by g`;
    const threads = await Session.create({ workers: 2, config: { force_distribution: true } });
    try {
      const distributed = await threads.sql(sql);
      expect(distributed.rows()).toEqual((await db.sql(sql)).rows());
      const explain = (await threads.sql(`explain ${sql}`)).toString();
      expect(explain).toMatch(/CsvScan spread_\* cols=\[g, x\] files=5 partitions=2/);
    } finally {
      await threads.close();
    }
  });
});

describe('streaming', () => {
  it('a file of several chunks, with quoted newlines across chunk ends, in batches of at most batch_size rows', async () => {
    const path = join(dir, 'big.csv');
    const lines = ['id,text,amount'];
    let bytes = 0, rows = 0, sum = 0;
    while (bytes < 3 * CSV_CHUNK_BYTES) {
      const line = `${rows},"multi\nline ""${'z'.repeat(rows % 50)}""",${rows % 7}`;
      lines.push(line);
      bytes += line.length + 1;
      sum += rows % 7;
      rows++;
    }
    writeFileSync(path, lines.join('\n') + '\n');
    await db.sql('set batch_size = 1000');
    try {
      const stream = await db.stream(`select id, text, amount from read_csv('${path}')`);
      let n = 0, total = 0n;
      for await (const batch of stream) {
        expect(batch.numRows).toBeLessThanOrEqual(1000);
        n += batch.numRows;
        for (const v of batch.getChild('amount')!) total += v as bigint;
      }
      expect(n).toBe(rows);
      expect(total).toBe(BigInt(sum));
    } finally {
      await db.sql('set batch_size = 8192');
    }
    const check = await db.sql(`select count(*), min(length(text)), max(length(text)) from read_csv('${path}') where text like 'multi%line%'`);
    expect(check.rows()).toEqual([[BigInt(rows), 13, 62]]);
  });

  it('a gzipped file (.csv.gz) reads like the plain one', async () => {
    const plain = join(dir, 'zip.csv');
    const text = 'a,b\n' + Array.from({ length: 5000 }, (_, i) => `${i},"v${i}"`).join('\n') + '\n';
    writeFileSync(plain, text);
    writeFileSync(`${plain}.gz`, gzipSync(text));
    const a = await db.sql(`select count(*), sum(a), max(b) from read_csv('${plain}')`);
    const b = await db.sql(`select count(*), sum(a), max(b) from '${plain}.gz'`);
    expect(b.rows()).toEqual(a.rows());
    expect(a.rows()).toEqual([[5000n, 12497500n, 'v999']]);
  });
});

describe('errors', () => {
  const failure = async (sql: string): Promise<string> => {
    const e = await db.sql(sql).then(() => null, (err: unknown) => err as Error);
    expect(e, sql).not.toBeNull();
    return e!.message;
  };

  it('a value that does not convert names the file, line, column and type', async () => {
    const path = join(dir, 'prices.csv');
    writeFileSync(path, 'item,price\n' + Array.from({ length: 1300 }, (_, i) => `i${i},${i === 1232 ? 'abc' : `${i}.5`}`).join('\n') + '\n');
    expect(await failure(`select * from read_csv('${path}', columns={'item': 'VARCHAR', 'price': 'DOUBLE'}, header=true)`))
      .toBe(`file ${path} line 1234 column 'price': could not convert 'abc' to DOUBLE`);
  });

  it('a record with the wrong number of fields, an unterminated quote, a stray quote', async () => {
    const short = join(dir, 'short.csv');
    writeFileSync(short, 'a,b,c\n1,2,3\n4,5\n');
    expect(await failure(`select * from read_csv('${short}')`)).toBe(`file ${short} line 3: expected 3 fields but found 2`);
    const open = join(dir, 'open.csv');
    writeFileSync(open, 'a,b\n1,"never closed\n2,3\n');
    expect(await failure(`select * from read_csv('${open}', header=true, columns={'a': 'INT', 'b': 'VARCHAR'})`))
      .toBe(`file ${open} line 2: unterminated quoted field (a quote opened and never closed)`);
    const stray = join(dir, 'stray.csv');
    writeFileSync(stray, 'a,b\n1,"x"y\n');
    expect(await failure(`select * from read_csv('${stray}', delim=',', header=true, columns={'a': 'INT', 'b': 'VARCHAR'})`))
      .toBe(`file ${stray} line 2: unexpected character 'y' after a closing quote (a quote inside a quoted field must be doubled)`);
  });

  it('bad arguments and missing files', async () => {
    expect(await failure(`select * from read_csv('${join(dir, 'nope.csv')}')`)).toBe(`cannot read CSV file "${join(dir, 'nope.csv')}": no such file`);
    expect(await failure(`select * from read_csv('${join(dir, 'none_*.csv')}')`)).toBe(`no files match "${join(dir, 'none_*.csv')}"`);
    expect(await failure(`select * from read_csv('${join(dir, 'part_1.csv')}', delimiter=',')`)).toMatch(/^read_csv: unknown option "delimiter" \(known: header, delim/);
    expect(await failure(`select * from read_csv('${join(dir, 'part_1.csv')}', header=3)`)).toBe('read_csv: header must be true or false');
    expect(await failure(`select * from read_csv('${join(dir, 'part_1.csv')}', columns={'k': 'WIDGET', 'v': 'VARCHAR'})`)).toBe("read_csv: column 'k': unsupported: data type WIDGET");
    expect(await failure(`select * from read_csv('${join(dir, 'part_1.csv')}', columns={'k': 'INT'})`)).toMatch(/^read_csv: columns=\{…\} names 1 columns \(k INTEGER\) but the records of ".*part_1.csv" have 2 fields$/);
    expect(await failure(`select * from read_csv('${join(dir, 'part_1.csv')}', delim='ab')`)).toBe("read_csv: delim must be a single one-byte character, got 'ab'");
    expect(await failure(`select * from read_csv('${join(dir, 'part_1.csv')}', auto_detect=false)`)).toBe('read_csv: auto_detect=false needs columns={…}');
  });
});
