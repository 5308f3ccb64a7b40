import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/common/config.js';
import type { TaskRequest } from '../../src/exec/task_runner.js';
import { serializePlan, type ValuesNode } from '../../src/plan/physical.js';
import { field, schema } from '../../src/common/types.js';
import { decodeRunTaskRequest, decodeTaskResult, encodeRunTaskRequest, encodeTaskResult } from '../../src/protocol/task_codec.js';

const plan: ValuesNode = { kind: 'Values', id: 1, schema: schema([field('k', 'int64')]), partitions: 2, rows: [[1n], [null]] };
const request: TaskRequest = {
  queryId: 'abc123', stageId: 3, task: 1, plan: serializePlan(plan), writerMetricsId: 42,
  output: { kind: 'hash', keys: [{ kind: 'column', index: 0, type: 'int64' }], partitions: 4 },
  inputs: { 1: { workers: ['h:1', null], bounds: [[5n], [9007199254740993n]] }, 2: { workers: ['h:2'] } },
};

describe('task codec', () => {
  it('round-trips a task request with its settings, bigints included', () => {
    const config = makeConfig({ batch_size: 1024, exchange_compression: 'lz4' }, {});
    const back = decodeRunTaskRequest(encodeRunTaskRequest({ request, config, attempt: 1 }));
    expect(back.request).toEqual(request);
    expect(back.config).toEqual(config);
    expect(back.attempt).toBe(1);
  });

  it('round-trips a result with a range sample', () => {
    const r = { worker: 'h:1', metrics: { 3: { outputRows: 2, outputBatches: 1, elapsedMs: 1, spillCount: 0, spillBytes: 0, spillRows: 0, extra: {} } }, sample: { rows: [[1n, null]], seen: 7 } };
    expect(decodeTaskResult(encodeTaskResult(r), 'h:1')).toEqual(r);
    expect(() => decodeTaskResult(new TextEncoder().encode('[]'), 'h:9')).toThrow(/h:9/);
  });

  it('carries the task figures, and refuses figures that are not non-negative numbers', () => {
    const r = { worker: 'h:1', metrics: {}, figures: { wallMs: 12.5, cpuMs: 9.25, peakMemoryBytes: 4096 } };
    expect(decodeTaskResult(encodeTaskResult(r), 'h:1')).toEqual(r);
    const bad = (figures: unknown) => new TextEncoder().encode(JSON.stringify({ metrics: {}, figures }));
    expect(() => decodeTaskResult(bad({ wallMs: 1, cpuMs: '2', peakMemoryBytes: 0 }), 'h:2')).toThrow(/worker h:2 sent task figures/);
    expect(() => decodeTaskResult(bad({ wallMs: -1, cpuMs: 2, peakMemoryBytes: 0 }), 'h:2')).toThrow(/task figures/);
    expect(() => decodeTaskResult(bad(7), 'h:2')).toThrow(/task figures/);
  });

  const base = encodeRunTaskRequest({ request, config: makeConfig({}, {}), attempt: 0 });
  const utf8 = (s: string) => new TextEncoder().encode(s);
  it.each([
    ['an empty query id', { queryId: '' }, /query id/],
    ['a query id that is a path', { queryId: '../x' }, /query id/],
    ['no plan', { plan: new Uint8Array(0) }, /no plan/],
    ['a plan that is not JSON', { plan: utf8('{') }, /not JSON/],
    ['a foreign plan', { plan: utf8('{"a":1}') }, /not a Spillway physical plan/],
    ['a task beyond the plan partitions', { partition: 2 }, /out of range/],
    ['bytes that are not UTF-8', { config: new Uint8Array([0xff, 0xfe]) }, /not UTF-8/],
    ['a config that is an array', { config: utf8('[]') }, /config is not a JSON object/],
    ['a bad setting value', { config: utf8('{"exchange_compression":"zip"}') }, /exchange_compression/],
    ['no output partitioning', { inputLocations: utf8('{"writerMetricsId":1}') }, /output partitioning/],
    ['bad input locations', { inputLocations: utf8('{"writerMetricsId":1,"output":{"kind":"single"},"inputs":{"1":{"workers":[3]}}}') }, /input stage 1/],
  ])('rejects %s as invalid_argument', (_what, change, message) => {
    expect(() => decodeRunTaskRequest({ ...base, ...change })).toThrow(message);
    try { decodeRunTaskRequest({ ...base, ...change }); } catch (e) { expect((e as { failure?: string }).failure).toBe('invalid_argument'); }
  });
});
