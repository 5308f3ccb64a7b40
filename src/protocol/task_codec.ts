/**
 * How a task (exec/task_runner.ts TaskRequest / TaskResult) travels over the Worker
 * service of proto/spillway.proto, and how a worker checks what it receives.
 *
 *   RunTaskRequest.plan             serializePlan() text of the stage (TaskRequest.plan)
 *   RunTaskRequest.config           JSON of the query's settings (Config)
 *   RunTaskRequest.input_locations  encodeTaskMessage(TaskRequest without its plan): the
 *                                   inputs {stage: StageInputLocation}, the output
 *                                   Partitioning and writerMetricsId; bigint-safe like
 *                                   serializePlan (range bounds may hold bigints)
 *   RunTaskResponse.metrics         encodeTaskMessage(TaskResult): the task's metrics, its
 *                                   figures (wall, CPU, peak memory) and, for a
 *                                   range-partitioned stage, its key sample
 *
 * The proto documents input_locations as a bare list and metrics as MetricsSet JSON; the
 * task also needs its output partitioning, its writer metrics id and (range) the sample
 * back, so both fields carry the wider object above. Everything a worker decodes is
 * validated here: anything malformed or foreign becomes an ExchangeError
 * 'invalid_argument' (gRPC INVALID_ARGUMENT) that names what was wrong.
 */
import { applySetting, DEFAULT_CONFIG, MAX_PARTITIONS, type Config } from '../common/config.js';
import { NODE_TRAITS } from '../plan/node_traits.js';
import type { TaskRequest, TaskResult } from '../exec/task_runner.js';
import { ExchangeError } from '../exchange/transport.js';
import type { RunTaskRequest } from './worker_messages.js';
import type { StageInputLocation } from '../exec/shuffle/task_exchange.js';
import { checkPartFileSpec, type PartFileSpec } from '../exec/shuffle/part_file_writer.js';
import { deserializePlan, type Partitioning, type PhysicalPlan } from '../plan/physical.js';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A task as a worker runs it: the request, the query's settings, the attempt number. */
export interface TaskAssignment {
  request: TaskRequest;
  config: Config;
  attempt: number;
}

/** Query ids become folder names and log fields: keep them short and plain. */
const QUERY_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function validQueryId(id: unknown): id is string {
  return typeof id === 'string' && QUERY_ID.test(id);
}

function invalid(message: string): ExchangeError {
  return new ExchangeError('invalid_argument', `malformed task request: ${message}`);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The settings a request carries, over the defaults; unknown names are ignored (version skew). */
export function configFromJson(value: unknown): Config {
  if (!isObject(value)) throw invalid('config is not a JSON object');
  const cfg: Config = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof Config)[]) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalid(`setting ${key} has a ${typeof v} value`);
    try {
      applySetting(cfg, key, v);
    } catch (e) {
      throw invalid((e as Error).message);
    }
  }
  return cfg;
}

const PARTITIONING_KINDS = new Set<Partitioning['kind']>(['hash', 'range', 'broadcast', 'single', 'round_robin']);

function checkPartitioning(v: unknown): Partitioning {
  if (!isObject(v) || typeof v.kind !== 'string' || !PARTITIONING_KINDS.has(v.kind as Partitioning['kind'])) {
    throw invalid('output partitioning must be {"kind": "hash" | "range" | "broadcast" | "single" | "round_robin", …}');
  }
  if ((v.kind === 'hash' || v.kind === 'range' || v.kind === 'round_robin') && !(isIndex(v.partitions) && v.partitions >= 1 && v.partitions <= MAX_PARTITIONS)) {
    throw invalid(`output partitioning ${v.kind} needs a partition count from 1 to ${MAX_PARTITIONS}`);
  }
  if ((v.kind === 'hash' || v.kind === 'range') && !Array.isArray(v.keys)) throw invalid(`output partitioning ${v.kind} needs keys`);
  return v as unknown as Partitioning;
}

function checkLocation(stage: string, v: unknown): StageInputLocation {
  if (!isObject(v) || !Array.isArray(v.workers) || !v.workers.every((w) => w === null || typeof w === 'string')) {
    throw invalid(`input stage ${stage}: expected {"workers": [address | null, …]}`);
  }
  if (v.bounds !== undefined && !(Array.isArray(v.bounds) && v.bounds.every((r) => Array.isArray(r)))) {
    throw invalid(`input stage ${stage}: bounds must be a list of rows`);
  }
  const extra = v.extra;
  if (extra !== undefined && !(Array.isArray(extra) && extra.length <= MAX_TASK_ID
    && extra.every((e) => isObject(e) && isIndex(e.task) && e.task <= MAX_TASK_ID && (e.worker === null || typeof e.worker === 'string')))) {
    throw invalid(`input stage ${stage}: extra must be a list of {"task": n, "worker": address | null}`);
  }
  const writers = v.workers.length + (extra?.length ?? 0);
  if (v.only !== undefined && !(Array.isArray(v.only) && v.only.every((i) => isIndex(i) && i < writers))) {
    throw invalid(`input stage ${stage}: only must list writer indexes below ${writers}`);
  }
  return v as unknown as StageInputLocation;
}

/** Task numbers stop here: a stage's partitions plus the pieces of its skewed ones. */
const MAX_TASK_ID = 16 * MAX_PARTITIONS;

/** Most plan nodes one task may carry (a 64-way join plans to a few hundred). */
const MAX_PLAN_NODES = 10_000;

/**
 * Every node has a known kind, an id, a schema and 1..MAX_PARTITIONS partitions, so no
 * field of a hostile plan can make the worker allocate without bound before it runs.
 */
function checkNodes(root: unknown): void {
  const stack: unknown[] = [root];
  let seen = 0;
  while (stack.length > 0) {
    const n = stack.pop();
    if (++seen > MAX_PLAN_NODES) throw invalid(`plan has more than ${MAX_PLAN_NODES} nodes`);
    if (!isObject(n) || typeof n.kind !== 'string' || !Object.hasOwn(NODE_TRAITS, n.kind) || !isIndex(n.id) || !isObject(n.schema)) {
      throw invalid('plan is not a Spillway physical plan');
    }
    if (!isIndex(n.partitions) || n.partitions < 1 || n.partitions > MAX_PARTITIONS) {
      throw invalid(`plan node ${n.kind}#${n.id} has ${String(n.partitions)} partitions; expected 1 to ${MAX_PARTITIONS}`);
    }
    for (const key of ['input', 'left', 'right', 'anchor', 'recursive'] as const) if (n[key] !== undefined) stack.push(n[key]);
    if (n.inputs !== undefined) {
      if (!Array.isArray(n.inputs)) throw invalid(`plan node ${n.kind}#${n.id}: inputs must be a list`);
      stack.push(...n.inputs);
    }
  }
}

function checkPlan(text: string): PhysicalPlan {
  let plan: unknown;
  try {
    plan = deserializePlan(text);
  } catch {
    throw invalid('plan is not JSON');
  }
  checkNodes(plan);
  return plan as unknown as PhysicalPlan;
}

function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return fromUtf8.decode(bytes);
  } catch {
    throw invalid(`${what} is not UTF-8`);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`${what} is not JSON`);
  }
}

export function encodeRunTaskRequest(a: TaskAssignment): RunTaskRequest {
  const r = a.request;
  const locations = encodeTaskMessage({ ...r, plan: '' });
  return {
    queryId: r.queryId, stageId: r.stageId, partition: r.task, attempt: a.attempt,
    plan: utf8.encode(r.plan), config: utf8.encode(JSON.stringify(a.config)), inputLocations: utf8.encode(locations),
  };
}

/** Decode and check a RunTaskRequest; throws ExchangeError 'invalid_argument'. */
export function decodeRunTaskRequest(m: RunTaskRequest): TaskAssignment {
  if (!validQueryId(m.queryId)) throw invalid(`query id ${JSON.stringify(m.queryId)} is missing or not of the form [A-Za-z0-9._-]{1,128}`);
  if (!isIndex(m.stageId) || !isIndex(m.partition)) throw invalid('stage and partition must be non-negative integers');
  if (m.plan.byteLength === 0) throw invalid('no plan');
  const plan = decodeText(m.plan, 'plan');
  const root = checkPlan(plan);
  const config = configFromJson(parseJson(decodeText(m.config, 'config'), 'config'));
  let wrapper: unknown;
  try {
    wrapper = decodeTaskMessage<TaskRequest>(decodeText(m.inputLocations, 'input locations'));
  } catch (e) {
    if (e instanceof ExchangeError) throw e;
    throw invalid('input locations are not JSON');
  }
  if (!isObject(wrapper)) throw invalid('input locations are not a JSON object');
  if (!isIndex(wrapper.writerMetricsId)) throw invalid('writerMetricsId must be a non-negative integer');
  // A piece of a skewed partition runs plan partition `partition` under its own task number.
  if (wrapper.partition !== undefined && !(isIndex(wrapper.partition) && m.partition <= MAX_TASK_ID)) {
    throw invalid(`partition must be a non-negative integer and task ${m.partition} at most ${MAX_TASK_ID}`);
  }
  const partition = wrapper.partition as number | undefined;
  const runs = partition ?? m.partition;
  if (runs >= root.partitions) throw invalid(`${partition === undefined ? 'task' : 'partition'} ${runs} is out of range: the stage plan has ${root.partitions} partitions`);
  const output = checkPartitioning(wrapper.output);
  const inputs: Record<string, StageInputLocation> = {};
  if (wrapper.inputs !== undefined) {
    if (!isObject(wrapper.inputs)) throw invalid('inputs must be an object keyed by stage id');
    for (const [k, v] of Object.entries(wrapper.inputs)) {
      if (!/^\d+$/.test(k)) throw invalid(`input stage id ${JSON.stringify(k)} is not an integer`);
      inputs[k] = checkLocation(k, v);
    }
  }
  const copy = wrapper.copy === undefined ? undefined : checkCopy(wrapper.copy);
  return {
    request: {
      queryId: m.queryId, stageId: m.stageId, task: m.partition, plan, output, writerMetricsId: wrapper.writerMetricsId, inputs,
      ...(copy !== undefined ? { copy } : {}), ...(partition !== undefined ? { partition } : {}),
    },
    config,
    attempt: isIndex(m.attempt) ? m.attempt : 0,
  };
}

/** A distributed COPY's part file spec, checked (part_file_writer.ts). */
function checkCopy(v: unknown): PartFileSpec {
  if (!isObject(v)) throw invalid('copy must be an object {dir, file, compression, rowGroupSize}');
  try {
    return checkPartFileSpec(v as unknown as PartFileSpec);
  } catch (e) {
    throw invalid((e as Error).message);
  }
}

export function encodeTaskResult(r: TaskResult): Uint8Array {
  return utf8.encode(encodeTaskMessage(r));
}

/** A worker's TaskResult bytes; throws a plain Error naming the worker when they are not one. */
export function decodeTaskResult(bytes: Uint8Array, worker: string): TaskResult {
  let v: unknown;
  try {
    v = decodeTaskMessage<TaskResult>(fromUtf8.decode(bytes));
  } catch {
    throw new Error(`worker ${worker} sent a task result that is not JSON`);
  }
  if (!isObject(v) || !isObject(v.metrics)) throw new Error(`worker ${worker} sent a task result without metrics`);
  if (v.figures !== undefined) {
    const f = v.figures;
    const ok = isObject(f) && (['wallMs', 'cpuMs', 'peakMemoryBytes'] as const).every((k) => typeof f[k] === 'number' && Number.isFinite(f[k]) && f[k] >= 0);
    if (!ok) throw new Error(`worker ${worker} sent task figures that are not {wallMs, cpuMs, peakMemoryBytes} non-negative numbers`);
  }
  return v as unknown as TaskResult;
}

/** JSON that keeps bigints and non-finite doubles, as serializePlan does. */
export function encodeTaskMessage(m: TaskRequest | TaskResult): string {
  return JSON.stringify(m, (_k, v: unknown) => {
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
}

export function decodeTaskMessage<T extends TaskRequest | TaskResult>(s: string): T {
  return JSON.parse(s, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$bigint === 'string') return BigInt(o.$bigint);
      if (keys.length === 1 && typeof o.$num === 'string') return Number(o.$num);
    }
    return v;
  }) as T;
}
