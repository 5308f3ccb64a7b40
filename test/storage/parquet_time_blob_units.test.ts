/**
 * Parquet physical forms of TIME and BLOB that DuckDB does not write: TIME(MILLIS) in INT32,
 * TIME(NANOS) adjusted to UTC in INT64, and FIXED_LEN_BYTE_ARRAY without annotation (BLOB).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Session } from '../../src/session.js';

let dir: string;
let db: Session;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spillway-parquet-time-units-'));
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'ms', data: [45296789, 0, null, 86399999] },
      { name: 'ns', data: [45296789123456n, 1999n, 5n, null] },
      { name: 'fb', data: [new Uint8Array([0xaa, 0x41, 0x5c]), new Uint8Array([0, 0, 1]), null, new Uint8Array([0x7a, 0x7a, 0x7a])] },
    ],
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'ms', type: 'INT32', converted_type: 'TIME_MILLIS', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MILLIS' }, repetition_type: 'OPTIONAL' },
      { name: 'ns', type: 'INT64', logical_type: { type: 'TIME', isAdjustedToUTC: true, unit: 'NANOS' }, repetition_type: 'OPTIONAL' },
      { name: 'fb', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 3, repetition_type: 'OPTIONAL' },
    ],
  });
  writeFileSync(join(dir, 'u.parquet'), new Uint8Array(buf));
  db = await Session.create({ tables: dir });
});

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('reads TIME in milliseconds and nanoseconds and fixed-length binary as BLOB', async () => {
  const res = await db.sql('select ms, ns, fb, octet_length(fb) from u');
  expect(res.schema.fields.map((f) => f.type)).toEqual(['time', 'time', 'blob', 'int64']);
  expect(res.toCsv()).toBe('ms,ns,fb,octet_length(fb)\n12:34:56.789,12:34:56.789123,\\xAAA\\x5C,3\n00:00:00,00:00:00.000001,\\x00\\x00\\x01,3\n,00:00:00,,\n23:59:59.999,,zzz,3\n');
});
