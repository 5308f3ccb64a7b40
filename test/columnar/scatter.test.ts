/** scatter: rows grouped by partition id, stable, one batch per non-empty partition. */
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, utf8At } from '../../src/columnar/column.js';
import { rowsByPartition, scatterBatch } from '../../src/columnar/scatter.js';

const schema = { fields: [{ name: 'n', type: 'int32' as const, nullable: true }, { name: 's', type: 'utf8' as const, nullable: true }] };

describe('rowsByPartition', () => {
  it('groups rows by id, keeping input order within a partition', () => {
    const { starts, order } = rowsByPartition(Int32Array.of(2, 0, 2, 1, 0), 5, 3);
    expect([...starts]).toEqual([0, 2, 3, 5]);
    expect([...order]).toEqual([1, 4, 3, 0, 2]);
  });

  it('handles no rows and empty partitions', () => {
    expect([...rowsByPartition(new Uint8Array(0), 0, 4).starts]).toEqual([0, 0, 0, 0, 0]);
    expect([...rowsByPartition(Uint8Array.of(3, 3), 2, 4).starts]).toEqual([0, 0, 0, 0, 2]);
  });
});

describe('scatterBatch', () => {
  const batch = makeBatch(schema, [fixedColumn('int32', Int32Array.of(10, 11, 12, 13)), utf8Column(['a', null, 'ccc', 'dd'])], 4);

  it('splits every column, rows in input order, null where a partition gets nothing', () => {
    const parts = scatterBatch(batch, Uint8Array.of(1, 0, 1, 3), 4);
    expect(parts[2]).toBeNull();
    expect([...((parts[1]!.columns[0]! as { values: Int32Array }).values)]).toEqual([10, 12]);
    const s = parts[1]!.columns[1]! as Parameters<typeof utf8At>[0];
    expect([utf8At(s, 0), utf8At(s, 1)]).toEqual(['a', 'ccc']);
    expect(parts[0]!.length).toBe(1);
    expect(parts[0]!.columns[1]!.validity![0]).toBe(0);
    expect(parts[3]!.length).toBe(1);
  });

  it('hands the batch itself to a partition that gets every row', () => {
    expect(scatterBatch(batch, Uint8Array.of(2, 2, 2, 2), 3)[2]).toBe(batch);
  });
});
