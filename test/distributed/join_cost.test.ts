/**
 * The join cost model's pieces: which rule bounds a broadcast (P/(N−1), the threshold cap,
 * the memory share), and byte estimates that read utf8 widths from the Parquet files.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/common/config.js';
import { field } from '../../src/common/types.js';
import { broadcastLimit, estimatedBytes, utf8Widths } from '../../src/distributed/join_strategy.js';
import type { PhysicalPlan } from '../../src/plan/physical.js';
import { readParquetMetadata } from '../../src/storage/parquet_metadata.js';

const config = (o: Record<string, string | number>) => makeConfig(o, {});

describe('broadcastLimit: the smallest of P/(N−1), broadcast_threshold and the memory share', () => {
  it('names the rule that binds', () => {
    expect(broadcastLimit(40 * 1024 * 1024, 3, config({ broadcast_threshold: '100MB' }), 3)).toEqual({ bytes: 20 * 1024 * 1024, rule: 'P/(N−1)=20.0 MiB' });
    expect(broadcastLimit(40 * 1024 * 1024, 3, config({ broadcast_threshold: '1MB' }), 3).rule).toBe('broadcast_threshold=1.0 MiB');
    expect(broadcastLimit(40 * 1024 * 1024, 3, config({ broadcast_threshold: '100MB', memory_limit: '24MB' }), 4))
      .toEqual({ bytes: 6 * 1024 * 1024, rule: 'memory share=6.0 MiB (memory_limit / 4 workers)' });
    // One task: nothing to save by shuffling, only the cap applies.
    expect(broadcastLimit(1000, 1, config({ broadcast_threshold: 500 }), 1).bytes).toBe(500);
  });
});

const CUSTOMER = '/work/shared/data/tpch/sf0.01/customer.parquet';

describe.skipIf(!existsSync(CUSTOMER))('byte estimates read utf8 widths from Parquet', () => {
  it('plain-encoded columns by their uncompressed bytes, dictionary ones by their min/max lengths', async () => {
    const scan: PhysicalPlan = {
      kind: 'ParquetScan', id: 1, partitions: 1, estimatedRows: 1500, table: 'customer', pruning: [],
      schema: { fields: [field('c_custkey', 'int32'), field('c_name', 'utf8'), field('c_comment', 'utf8'), field('c_mktsegment', 'utf8')] },
      columns: ['c_custkey', 'c_name', 'c_comment', 'c_mktsegment'], slices: [[{ path: CUSTOMER, bytes: 0 }]],
    };
    const widths = await utf8Widths(scan, readParquetMetadata);
    // "Customer#000000001": 18 bytes + a 4-byte offset + a validity byte.
    expect(widths.get('c_name')).toBeCloseTo(23, 0);
    expect(widths.get('c_comment')).toBeGreaterThan(60);
    expect(widths.get('c_mktsegment')).toBeGreaterThan(10);
    expect(widths.has('c_custkey')).toBe(false);
    const guessed = estimatedBytes(scan);
    const measured = estimatedBytes(scan, widths);
    expect(guessed).toBe(1500 * (5 + 3 * 24));
    expect(measured).toBeCloseTo(1500 * (5 + widths.get('c_name')! + widths.get('c_comment')! + widths.get('c_mktsegment')!), 3);
  });
});
