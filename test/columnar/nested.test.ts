/**
 * Nested types and kernels: canonical spellings, gather / concat / slice, hashing and
 * equality (NULL elements equal), DuckDB's order, Arrow IPC round trips; and the assembly of
 * Parquet levels for schemas DuckDB does not write (legacy 2-level lists, repeated fields).
 */
import { describe, expect, it } from 'vitest';
import { concatColumns, scalarAt, sliceColumn, take, columnFromScalars } from '../../src/columnar/kernels.js';
import { hashColumns, keysEqual } from '../../src/columnar/hash.js';
import { compareNested } from '../../src/columnar/nested.js';
import type { NestedColumn } from '../../src/columnar/column.js';
import { makeBatch } from '../../src/columnar/column.js';
import { decodeBatchesIpc, encodeBatchesIpc } from '../../src/columnar/ipc.js';
import { batchRows } from '../../src/columnar/kernels.js';
import { listType, mapType, nestedInfo, structType } from '../../src/common/nested_types.js';
import { sqlTypeName, type DataType } from '../../src/common/types.js';
import { assembleNested, nestedShape, type SchemaNode } from '../../src/storage/parquet_nested.js';
import type { SchemaElement } from 'hyparquet';

const L = 'list<int32>' as DataType;

describe('nested type spellings', () => {
  it('have one canonical form, parse back, quote odd names and print as DuckDB', () => {
    const t = structType([{ name: 'a', type: listType('int64') }, { name: 'my "f"', type: mapType('utf8', 'decimal(9,2)') }]);
    expect(t).toBe('struct<a:list<int64>,"my ""f""":map<utf8,decimal(9,2)>>');
    const info = nestedInfo(t);
    expect(info).toEqual({ kind: 'struct', fields: [{ name: 'a', type: 'list<int64>' }, { name: 'my "f"', type: 'map<utf8,decimal(9,2)>' }] });
    expect(sqlTypeName(t)).toBe('STRUCT(a BIGINT[], "my ""f""" MAP(VARCHAR, DECIMAL(9,2)))');
    expect(() => nestedInfo('list<int32')).toThrow(/malformed type/);
  });
});

describe('nested kernels', () => {
  const c = columnFromScalars(L, [[1, 2], null, [], [null, 3], [1, 2]]) as NestedColumn;

  it('take, slice and concat keep NULL lists, empty lists and NULL elements apart', () => {
    const t = take(c, Int32Array.from([3, -1, 2, 0]));
    expect([0, 1, 2, 3].map((i) => scalarAt(t, i))).toEqual([[null, 3], null, [], [1, 2]]);
    const s = sliceColumn(c, 2, 4);
    expect([0, 1].map((i) => scalarAt(s, i))).toEqual([[], [null, 3]]);
    const j = concatColumns(L, [s, c]);
    expect(j.length).toBe(7);
    expect(scalarAt(j, 1)).toEqual([null, 3]);
    expect(scalarAt(j, 6)).toEqual([1, 2]);
  });

  it('equal values hash alike and compare equal; NULL elements equal each other', () => {
    const h = hashColumns([c], c.length);
    expect(h[0]).toBe(h[4]);
    expect(h[0]).not.toBe(h[2]);
    expect(keysEqual([c], 0, [c], 4)).toBe(true);
    const d = columnFromScalars(L, [[null, 3]]);
    expect(keysEqual([c], 3, [d], 0)).toBe(true);
    expect(hashColumns([d], 1)[0]).toBe(h[3]);
  });

  it('orders as DuckDB: element by element, a prefix first, NULL elements last', () => {
    const v = columnFromScalars(L, [[1, null], [1, 2], [1], [], [0, 5]]) as NestedColumn;
    const order = [0, 1, 2, 3, 4].sort((a, b) => compareNested(v, a, v, b));
    expect(order.map((i) => scalarAt(v, i))).toEqual([[], [0, 5], [1], [1, 2], [1, null]]);
  });

  it('cross Arrow IPC as List, Struct and Map vectors', () => {
    const st = structType([{ name: 'a', type: 'int32' }, { name: 'b', type: listType('utf8') }]);
    const mt = mapType('utf8', 'int64');
    const schema = { fields: [{ name: 'l', type: L, nullable: true }, { name: 's', type: st, nullable: true }, { name: 'm', type: mt, nullable: true }] };
    const rows = [
      [[1, null], { a: 1, b: ['x', null] }, [{ key: 'k', value: 5n }]],
      [null, null, null],
      [[], { a: null, b: [] }, []],
    ];
    const batch = makeBatch(schema, schema.fields.map((f, j) => columnFromScalars(f.type, rows.map((r) => r[j] as never))));
    const sliced = makeBatch(schema, batch.columns.map((col) => sliceColumn(col, 1, 3)));
    const back = decodeBatchesIpc(encodeBatchesIpc(schema, [batch, sliced]), schema);
    expect(batchRows(back.batches[0]!)).toEqual(rows);
    expect(batchRows(back.batches[1]!)).toEqual(rows.slice(1));
  });
});

describe('Parquet level assembly of other writers\' schemas', () => {
  const el = (e: Partial<SchemaElement> & { name: string }): SchemaElement => e as SchemaElement;
  const leafType = (e: SchemaElement): DataType => (e.type === 'INT32' ? 'int32' : 'utf8');

  it('reads a legacy 2-level list (repeated primitive inside a LIST group)', () => {
    const tree: SchemaNode = {
      el: el({ name: 'l', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 }),
      children: [{ el: el({ name: 'array', repetition_type: 'REPEATED', type: 'INT32' }), children: [] }],
    };
    const shape = nestedShape(tree, leafType);
    expect(shape.type).toBe('list<int32>');
    // rows: [1, 2], NULL, [], [3]   (def: 0 = NULL list, 1 = empty, 2 = element)
    const values = columnFromScalars('int32', [1, 2, null, null, 3]);
    const col = assembleNested(shape, [{ rep: Uint8Array.from([0, 1, 0, 0, 0]), def: Uint8Array.from([2, 2, 0, 1, 2]), values }], 4);
    expect([0, 1, 2, 3].map((i) => scalarAt(col, i))).toEqual([[1, 2], null, [], [3]]);
  });

  it('reads a repeated field outside a LIST as a list that is never NULL', () => {
    const tree: SchemaNode = { el: el({ name: 'r', repetition_type: 'REPEATED', type: 'BYTE_ARRAY' }), children: [] };
    const shape = nestedShape(tree, leafType);
    expect(shape.type).toBe('list<utf8>');
    const values = columnFromScalars('utf8', ['a', 'b', null, 'c']);
    const col = assembleNested(shape, [{ rep: Uint8Array.from([0, 1, 0, 0]), def: Uint8Array.from([1, 1, 0, 1]), values }], 3);
    expect([0, 1, 2].map((i) => scalarAt(col, i))).toEqual([['a', 'b'], [], ['c']]);
  });
});
