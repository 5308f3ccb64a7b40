/**
 * What a distributed task needs to reach the outputs of the stages it reads: the
 * transport, and per input stage where its writer tasks ran (and, for a range-partitioned
 * stage, the bounds the scheduler computed from their samples). The scheduler fills it in
 * (TaskContext.exchange); plans stay free of run-time addresses so they serialize once.
 */
import { SpillwayError } from '../../common/errors.js';
import type { ExchangeCompression } from '../../exchange/batch_codec.js';
import type { ExchangeTransport } from '../../exchange/transport.js';
import type { Scalar } from '../../common/types.js';
import type { TaskContext } from '../context.js';

/** Where the writer tasks of one finished stage keep their output. JSON-friendly. */
export interface StageInputLocation {
  /** Worker address ("host:port") of each writer task, by task index; null = this process. */
  workers: (string | null)[];
  /**
   * Range-partitioned stages only: ascending upper bounds (rows of sort-key values, at most
   * partitions - 1 of them); a row goes to the first partition whose bound is ≥ its key.
   */
  bounds?: Scalar[][];
  /**
   * Writer tasks beyond the plan's count: the pieces of a skewed partition the scheduler
   * split across tasks (their outputs together are that one task's).
   */
  extra?: { task: number; worker: string | null }[];
  /** A piece of a skewed partition reads only these writers (indexes into workers ++ extra). */
  only?: number[];
}

/** The writer outputs a reader fetches: every writer task (the plan's and the extra ones), or `only` those. */
export function writerOutputs(location: StageInputLocation): { task: number; worker: string | null }[] {
  const all = [...location.workers.map((worker, task) => ({ task, worker })), ...(location.extra ?? [])];
  return location.only === undefined ? all : location.only.map((i) => all[i]!);
}

export interface TaskExchange {
  transport: ExchangeTransport;
  /** By stage id. */
  inputs: ReadonlyMap<number, StageInputLocation>;
  compression: ExchangeCompression;
  /** Producer streams one reader partition keeps open at once. */
  maxStreams: number;
}

/** The input location of `stageId`, or a clear error when the task was started without it. */
export function inputLocation(ctx: TaskContext, stageId: number, nodeId: number): { exchange: TaskExchange; location: StageInputLocation } {
  const exchange = ctx.exchange;
  if (!exchange) {
    throw new SpillwayError('execution', `exchange reader #${nodeId} of stage ${stageId} runs outside a distributed task (no exchange context)`);
  }
  const location = exchange.inputs.get(stageId);
  if (!location) {
    throw new SpillwayError('execution', `exchange reader #${nodeId}: no location for input stage ${stageId} (known: ${[...exchange.inputs.keys()].join(', ') || 'none'})`);
  }
  return { exchange, location };
}
