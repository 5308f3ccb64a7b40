/**
 * Physical planning: an optimized LogicalPlan → a PhysicalPlan the operators in exec/ run.
 *
 * Each node gets a plan-unique id (a counter, children first), its Schema (from the
 * logical columns) and `estimatedRows`; column ids in expressions become positions in the
 * node's input (left ++ right for joins). Mapping:
 *
 *   Scan(parquet)   Filter(filters) over ParquetScan(columns, pruning = the same terms,
 *                   one partition holding every file); no filters → the bare ParquetScan
 *   Scan(memory)    [Filter] over MemoryScan(projection = the columns' positions)
 *   Values          Values (each expression folded to a constant, else its error)
 *   Project         Projection          Filter → Filter
 *   Aggregate       HashAggregate mode 'single'; Distinct → HashAggregate on every column;
 *                   GROUPING SETS → HashAggregate over Expand (keys + grouping id)
 *   Window          Window over Sort(partition keys, order keys) (no Sort for OVER ())
 *   Sort            Sort; Limit over Sort → TopK(fetch = skip + fetch) [+ Limit(skip) when skip > 0]
 *   Limit           Limit               Union → UnionAll (casts where an input's type differs)
 *   Join            ≥ 1 equality between a left-only and a right-only expression → HashJoin
 *                   (keys cast to a common type when they differ; the rest is the residual
 *                   filter); the smaller estimated side is built (HashJoin builds its right
 *                   input): inner/left/right/full joins swap inputs when the left is smaller
 *                   (left ↔ right join types) and a Projection restores the column order;
 *                   semi/anti (not NOT IN) build on the kept side when it is estimated
 *                   2× smaller (right_semi/right_anti), else on the subquery side.
 *                   No equality → NestedLoopJoin with the whole condition (null = cross).
 *
 * Partitions: scans have one partition for now (the distributed planner splits them);
 * Filter/Projection keep their input's count, UnionAll has the sum of its inputs', and a
 * Coalesce is put under any operator that needs one partition when its input has more.
 */
import { statSync } from 'node:fs';
import type { Config } from '../common/config.js';
import { binderError, didYouMean, ioError, SpillwayError } from '../common/errors.js';
import type { MemoryTable } from '../catalog.js';
import type { AggregateExpr, PhysicalExpr, SortKey } from '../expr/expr.js';
import { evaluateConstant } from '../expr/evaluate.js';
import type { DataType, Scalar, Schema } from '../common/types.js';
import { estimateRows } from './estimate.js';
import { logicalChildren, outputColumns, type JoinHint, type JoinStrategy, type LColumn, type LExpr, type LogicalPlan, type TableSource } from './logical.js';
import { childrenOf, type FileSlice, type HashJoinType, type JoinType, type PhysicalPlan, type WindowFunctionExpr } from './physical.js';
import { foldExpr } from './optimizer/constant_folding.js';
import { addJoinKeyFilters } from './join_key_filters.js';
import { columnRefs, conjoin, conjuncts, idSet, isTrue, resolverFor, toPhysicalExpr } from './logical_exprs.js';
import type { LAggregate } from './logical.js';

export interface PhysicalPlanOptions {
  config: Config;
  /** The session's in-memory tables by lower-case name (Catalog.memoryTables()). */
  memoryTables: ReadonlyMap<string, MemoryTable>;
  /** Unused until the distributed planner splits scans; scans have one partition. */
  targetPartitions?: number;
}

export function createPhysicalPlan(plan: LogicalPlan, opts: PhysicalPlanOptions): PhysicalPlan {
  const planner = new PhysicalPlanner(opts);
  const out = planner.withSharedSubplans(planner.plan(plan));
  planner.checkHintsUsed(plan);
  return opts.config.join_key_filters ? addJoinKeyFilters(out) : out;
}

/** Schema of a list of logical columns. */
export function schemaOf(cols: readonly LColumn[]): Schema {
  return { fields: cols.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })) };
}

/** Lower a logical expression over a node whose input has columns `cols`. */
export function lowerExpr(e: LExpr, cols: readonly LColumn[]): PhysicalExpr {
  return toPhysicalExpr(e, resolverFor(cols));
}

/** The type both sides of a comparison are cast to, or undefined if there is none. */
export function commonType(a: DataType, b: DataType): DataType | undefined {
  if (a === b) return a;
  if (a === 'null') return b;
  if (b === 'null') return a;
  const numeric = ['int32', 'int64', 'float64'];
  if (numeric.includes(a) && numeric.includes(b)) {
    return a === 'float64' || b === 'float64' ? 'float64' : 'int64';
  }
  if ((a === 'date32' && b === 'timestamp') || (a === 'timestamp' && b === 'date32')) return 'timestamp';
  return undefined;
}

function castTo(e: PhysicalExpr, t: DataType): PhysicalExpr {
  return e.type === t ? e : { kind: 'cast', arg: e, type: t };
}

/** A semi/anti join builds on its kept side when that side is estimated this many times smaller. */
const SEMI_SWAP_FACTOR = 2;

function mirror(t: JoinType): JoinType {
  return t === 'left' ? 'right' : t === 'right' ? 'left' : t;
}

class PhysicalPlanner {
  private nextId = 1;
  /** Hints a join applied (every hint must apply to a join). */
  private readonly hintsUsed = new Set<JoinHint>();
  /** Shared WITH queries planned so far, by SharedCte id: each is planned once for all its readers. */
  private readonly shared = new Map<number, { name: string; plan: PhysicalPlan; outputs: LColumn[] }>();

  constructor(private readonly opts: PhysicalPlanOptions) {}

  plan(p: LogicalPlan): PhysicalPlan {
    switch (p.kind) {
      case 'Scan':
        switch (p.source.kind) {
          case 'parquet': return this.parquetScan(p, p.source.files);
          case 'csv': return this.csvScan(p, p.source);
          case 'memory': return this.memoryScan(p, p.source.name);
        }
        break;
      case 'Values': return this.values(p);
      case 'SharedScan': return this.sharedRead(p);
      case 'Filter': {
        const input = this.plan(p.input);
        return this.filterOver(input, lowerExpr(p.predicate, outputColumns(p.input)), estimateRows(p));
      }
      case 'Project': {
        const input = this.plan(p.input);
        const cols = outputColumns(p.input);
        return {
          kind: 'Projection', id: this.id(), schema: schemaOf(p.columns), partitions: input.partitions,
          estimatedRows: estimateRows(p), input, exprs: p.exprs.map((e) => lowerExpr(e, cols)),
        };
      }
      case 'Aggregate': {
        const input = this.single(this.plan(p.input));
        const cols = outputColumns(p.input);
        const aggregates: AggregateExpr[] = p.aggregates.map((a) => lowerAggregate(a, cols));
        const groupBy = p.groupBy.map((e) => lowerExpr(e, cols));
        if (p.groupingSets) return this.groupingSets(p, p.groupingSets, input, groupBy, aggregates);
        return {
          kind: 'HashAggregate', id: this.id(), schema: schemaOf(outputColumns(p)), partitions: 1,
          estimatedRows: estimateRows(p), input, mode: 'single', groupBy, aggregates,
        };
      }
      case 'Distinct': {
        const input = this.single(this.plan(p.input));
        const cols = outputColumns(p.input);
        return {
          kind: 'HashAggregate', id: this.id(), schema: schemaOf(cols), partitions: 1, estimatedRows: estimateRows(p),
          input, mode: 'single', groupBy: cols.map((c, i) => ({ kind: 'column', index: i, type: c.type, name: c.name })), aggregates: [],
        };
      }
      case 'Sort': {
        const input = this.single(this.plan(p.input));
        return {
          kind: 'Sort', id: this.id(), schema: input.schema, partitions: 1, estimatedRows: estimateRows(p),
          input, keys: this.sortKeys(p, outputColumns(p.input)),
        };
      }
      case 'Window': return this.window(p);
      case 'Limit': return this.limit(p);
      case 'Union': return this.union(p);
      case 'Join': return this.join(p);
      case 'RecursiveCte': {
        const anchor = this.single(this.plan(p.anchor));
        const recursive = this.single(this.plan(p.recursive));
        return {
          kind: 'RecursiveCte', id: this.id(), schema: schemaOf(p.columns), partitions: 1, estimatedRows: estimateRows(p),
          name: p.name, workTable: p.workTable, anchor, recursive, distinct: p.distinct,
        };
      }
      case 'WorkTable':
        return { kind: 'WorkTableScan', id: this.id(), schema: schemaOf(p.columns), partitions: 1, estimatedRows: 1, name: p.name, workTable: p.workTable };
    }
  }

  /**
   * GROUPING SETS: Expand (each row once per set, keys NULLed out, set index appended) under
   * a HashAggregate grouped by the expanded keys and the set index. Aggregate arguments read
   * the input columns, which Expand keeps in place.
   */
  private groupingSets(
    p: Extract<LogicalPlan, { kind: 'Aggregate' }>, sets: number[][], input: PhysicalPlan, keys: PhysicalExpr[], aggregates: AggregateExpr[],
  ): PhysicalPlan {
    const width = input.schema.fields.length;
    const expand: PhysicalPlan = {
      kind: 'Expand', id: this.id(), partitions: input.partitions, input, keys, sets,
      schema: { fields: [
        ...input.schema.fields,
        ...keys.map((k, i) => ({ name: p.groupColumns[i]!.name, type: k.type, nullable: true })),
        { name: p.groupingId?.name ?? 'grouping_id', type: 'int32' as const, nullable: false },
      ] },
      ...(input.estimatedRows !== undefined ? { estimatedRows: input.estimatedRows * sets.length } : {}),
    };
    const groupBy: PhysicalExpr[] = [...keys.map((k, i): PhysicalExpr => ({ kind: 'column', index: width + i, type: k.type })),
      { kind: 'column', index: width + keys.length, type: 'int32' }];
    const empty = sets.flatMap((s, i) => (s.length === 0 ? [i] : []));
    return {
      kind: 'HashAggregate', id: this.id(), schema: schemaOf(outputColumns(p)), partitions: 1,
      estimatedRows: estimateRows(p), input: expand, mode: 'single', groupBy, aggregates,
      ...(empty.length > 0 ? { emptyGroupingSets: empty } : {}),
    };
  }

  private id(): number {
    return this.nextId++;
  }

  /**
   * SharedScan → Projection(the reader's columns) over SharedRead(every column of the CTE).
   * The CTE's plan is planned at its first reader, one partition.
   */
  private sharedRead(p: Extract<LogicalPlan, { kind: 'SharedScan' }>): PhysicalPlan {
    let s = this.shared.get(p.cte.id);
    if (s === undefined) {
      s = { name: p.cte.name, plan: this.single(this.plan(p.cte.plan)), outputs: outputColumns(p.cte.plan) };
      this.shared.set(p.cte.id, s);
    }
    const read: PhysicalPlan = {
      kind: 'SharedRead', id: this.id(), schema: s.plan.schema, partitions: 1, shareId: p.cte.id, name: s.name,
      ...(s.plan.estimatedRows !== undefined ? { estimatedRows: s.plan.estimatedRows } : {}),
    };
    const outputs = s.outputs;
    const positions = p.sources.map((id) => {
      const i = outputs.findIndex((c) => c.id === id);
      if (i < 0) throw new Error(`internal: WITH query ${p.cte.name} has no output column #${id}`);
      return i;
    });
    if (positions.length === outputs.length && positions.every((x, i) => x === i)) return { ...read, schema: schemaOf(p.columns) };
    return {
      kind: 'Projection', id: this.id(), schema: schemaOf(p.columns), partitions: 1, input: read,
      exprs: positions.map((index, i): PhysicalExpr => ({ kind: 'column', index, type: p.columns[i]!.type, name: p.columns[i]!.name })),
      ...(read.estimatedRows !== undefined ? { estimatedRows: read.estimatedRows } : {}),
    };
  }

  /** The root of a plan with shared WITH queries: SharedSubplans over it, with each subplan's reader count. */
  withSharedSubplans(root: PhysicalPlan): PhysicalPlan {
    if (this.shared.size === 0) return root;
    const readers = new Map<number, number>();
    const count = (n: PhysicalPlan): void => {
      if (n.kind === 'SharedRead') readers.set(n.shareId, (readers.get(n.shareId) ?? 0) + 1);
      for (const c of childrenOf(n)) count(c);
    };
    count(root);
    for (const s of this.shared.values()) count(s.plan);
    const input = this.single(root);
    return {
      kind: 'SharedSubplans', id: this.id(), schema: input.schema, partitions: 1, input,
      shared: [...this.shared].map(([id, s]) => ({ id, name: s.name, plan: s.plan, readers: readers.get(id) ?? 0 })),
      ...(input.estimatedRows !== undefined ? { estimatedRows: input.estimatedRows } : {}),
    };
  }

  /** A Coalesce over `input` when it has more than one partition. */
  private single(input: PhysicalPlan): PhysicalPlan {
    if (input.partitions <= 1) return input;
    return { kind: 'Coalesce', id: this.id(), schema: input.schema, partitions: 1, input, ...(input.estimatedRows !== undefined ? { estimatedRows: input.estimatedRows } : {}) };
  }

  private filterOver(input: PhysicalPlan, predicate: PhysicalExpr, estimatedRows: number): PhysicalPlan {
    return { kind: 'Filter', id: this.id(), schema: input.schema, partitions: input.partitions, estimatedRows, input, predicate };
  }

  private parquetScan(p: Extract<LogicalPlan, { kind: 'Scan' }>, files: readonly string[]): PhysicalPlan {
    const slices: FileSlice[] = files.map((path) => ({ path, bytes: fileBytes(path, p.table) }));
    const pruning = p.filters.map((f) => lowerExpr(f, p.columns));
    const scan: PhysicalPlan = {
      kind: 'ParquetScan', id: this.id(), schema: schemaOf(p.columns), partitions: 1,
      estimatedRows: p.rowEstimate, table: p.table, slices: [slices], columns: p.columns.map((c) => c.name), pruning,
    };
    return this.scanFilters(scan, p);
  }

  /** All files in one partition (split_scans spreads them over tasks); filters above it. */
  private csvScan(p: Extract<LogicalPlan, { kind: 'Scan' }>, source: Extract<TableSource, { kind: 'csv' }>): PhysicalPlan {
    const positions = p.columns.map((c) => {
      const i = source.fields.indexOf(c.name);
      if (i < 0) throw binderError(`CSV table "${p.table}" has no column "${c.name}"${didYouMean(c.name, source.fields)}`);
      return i;
    });
    const slices: FileSlice[] = source.files.map((path) => ({ path, bytes: localFileBytes(path) }));
    const scan: PhysicalPlan = {
      kind: 'CsvScan', id: this.id(), schema: schemaOf(p.columns), partitions: 1, estimatedRows: p.rowEstimate,
      table: p.table, slices: [slices], positions, width: source.fields.length, dialect: source.dialect,
    };
    return this.scanFilters(scan, p);
  }

  private memoryScan(p: Extract<LogicalPlan, { kind: 'Scan' }>, name: string): PhysicalPlan {
    const table = this.opts.memoryTables.get(name.toLowerCase()) ?? this.opts.memoryTables.get(name);
    if (!table) throw binderError(`unknown table "${name}"${didYouMean(name, this.opts.memoryTables.keys())}`);
    const names = table.schema.fields.map((f) => f.name);
    const projection = p.columns.map((c) => {
      let i = names.indexOf(c.name);
      if (i < 0) i = names.findIndex((n) => n.toLowerCase() === c.name.toLowerCase());
      if (i < 0) throw binderError(`table "${name}" has no column "${c.name}"${didYouMean(c.name, names)}`);
      return i;
    });
    const scan: PhysicalPlan = {
      kind: 'MemoryScan', id: this.id(), schema: schemaOf(p.columns), partitions: 1,
      estimatedRows: p.rowEstimate, table: name, projection,
    };
    return this.scanFilters(scan, p);
  }

  /** The scan's filters still have to be applied: pruning only skips whole row groups. */
  private scanFilters(scan: PhysicalPlan, p: Extract<LogicalPlan, { kind: 'Scan' }>): PhysicalPlan {
    const pred = conjoin(p.filters);
    if (pred === null) return scan;
    // A Parquet scan filters its own row groups (per distinct value of dictionary-encoded strings).
    if (scan.kind === 'ParquetScan') return { ...scan, filter: lowerExpr(pred, p.columns), estimatedRows: estimateRows(p) };
    return this.filterOver(scan, lowerExpr(pred, p.columns), estimateRows(p));
  }

  private values(p: Extract<LogicalPlan, { kind: 'Values' }>): PhysicalPlan {
    const rows = p.rows.map((row, r) => row.map((e, c) => {
      const column = p.columns[c];
      if (!column) throw new SpillwayError('binder', `VALUES row ${r + 1} has ${row.length} values, expected ${p.columns.length}`);
      return coerceScalar(constantValue(e, r, c), column.type);
    }));
    return { kind: 'Values', id: this.id(), schema: schemaOf(p.columns), partitions: 1, estimatedRows: rows.length, rows };
  }

  private sortKeys(p: Extract<LogicalPlan, { kind: 'Sort' }>, cols: readonly LColumn[]): SortKey[] {
    return p.keys.map((k) => ({ expr: lowerExpr(k.expr, cols), ascending: k.ascending, nullsFirst: k.nullsFirst }));
  }

  /** Window over a Sort by (partition keys, order keys); no Sort for `OVER ()`. */
  private window(p: Extract<LogicalPlan, { kind: 'Window' }>): PhysicalPlan {
    const input = this.single(this.plan(p.input));
    const cols = outputColumns(p.input);
    const est = estimateRows(p);
    const partitionBy = p.partitionBy.map((e) => lowerExpr(e, cols));
    const orderBy: SortKey[] = p.orderBy.map((k) => ({ expr: lowerExpr(k.expr, cols), ascending: k.ascending, nullsFirst: k.nullsFirst }));
    const keys: SortKey[] = [...partitionBy.map((expr) => ({ expr, ascending: true, nullsFirst: false })), ...orderBy];
    const sorted: PhysicalPlan = keys.length === 0 ? input : {
      kind: 'Sort', id: this.id(), schema: input.schema, partitions: 1, estimatedRows: est, input, keys,
    };
    const functions: WindowFunctionExpr[] = p.functions.map((f) => ({
      fn: f.fn, arg: f.arg ? lowerExpr(f.arg, cols) : null, n: f.n,
      defaultValue: f.defaultValue ? lowerExpr(f.defaultValue, cols) : null, frame: f.frame, type: f.type, name: f.name,
      ...(f.aggregate ? { aggregate: lowerAggregate(f.aggregate, cols) } : {}),
    }));
    return {
      kind: 'Window', id: this.id(), schema: schemaOf(outputColumns(p)), partitions: 1, estimatedRows: est,
      input: sorted, partitionBy, orderBy, functions,
    };
  }

  private limit(p: Extract<LogicalPlan, { kind: 'Limit' }>): PhysicalPlan {
    const est = estimateRows(p);
    // ORDER BY … LIMIT n [OFFSET m] → TopK(n + m) [→ Limit(m, n)], possibly under a Projection.
    let sort: Extract<LogicalPlan, { kind: 'Sort' }> | null = null;
    let project: Extract<LogicalPlan, { kind: 'Project' }> | null = null;
    if (p.input.kind === 'Sort') sort = p.input;
    else if (p.input.kind === 'Project' && p.input.input.kind === 'Sort') { project = p.input; sort = p.input.input; }
    if (sort !== null && p.fetch !== null) {
      const input = this.single(this.plan(sort.input));
      let node: PhysicalPlan = {
        kind: 'TopK', id: this.id(), schema: input.schema, partitions: 1, estimatedRows: Math.min(est + p.skip, estimateRows(sort)),
        input, keys: this.sortKeys(sort, outputColumns(sort.input)), fetch: p.skip + p.fetch,
      };
      if (project !== null) {
        node = {
          kind: 'Projection', id: this.id(), schema: schemaOf(project.columns), partitions: 1, estimatedRows: node.estimatedRows ?? est,
          input: node, exprs: project.exprs.map((e) => lowerExpr(e, outputColumns(sort.input))),
        };
      }
      if (p.skip === 0) return node;
      return { kind: 'Limit', id: this.id(), schema: node.schema, partitions: 1, estimatedRows: est, input: node, skip: p.skip, fetch: p.fetch };
    }
    const input = this.single(this.plan(p.input));
    return { kind: 'Limit', id: this.id(), schema: input.schema, partitions: 1, estimatedRows: est, input, skip: p.skip, fetch: p.fetch };
  }

  private union(p: Extract<LogicalPlan, { kind: 'Union' }>): PhysicalPlan {
    const inputs = p.inputs.map((lp) => {
      const node = this.plan(lp);
      const cols = outputColumns(lp);
      if (cols.length !== p.columns.length) {
        throw new SpillwayError('binder', `UNION inputs have ${cols.length} and ${p.columns.length} columns`);
      }
      if (cols.every((c, i) => c.type === p.columns[i]!.type || c.type === 'null')) return node;
      const exprs = cols.map((c, i): PhysicalExpr => castTo({ kind: 'column', index: i, type: c.type, name: c.name }, p.columns[i]!.type));
      return {
        kind: 'Projection', id: this.id(), schema: schemaOf(p.columns), partitions: node.partitions,
        estimatedRows: estimateRows(lp), input: node, exprs,
      } satisfies PhysicalPlan;
    });
    return {
      kind: 'UnionAll', id: this.id(), schema: schemaOf(p.columns), estimatedRows: estimateRows(p),
      partitions: inputs.reduce((n, i) => n + i.partitions, 0), inputs,
    };
  }

  /** Every hinted table must be a whole input of some join. */
  checkHintsUsed(plan: LogicalPlan): void {
    const visit = (q: LogicalPlan): void => {
      if (q.kind === 'Scan' && q.joinHint !== undefined && !this.hintsUsed.has(q.joinHint)) {
        throw new SpillwayError('unsupported', `join hint ${q.joinHint.text} cannot apply: ${q.joinHint.table} is not a whole input of any join (it is joined only together with other tables, or not joined)`);
      }
      logicalChildren(q).forEach(visit);
    };
    visit(plan);
  }

  /** `equi`: the join has equality keys (a hash join); SET join_strategy governs hash joins only. */
  private forcedStrategy(p: Extract<LogicalPlan, { kind: 'Join' }>, equi: boolean): ForcedOnJoin | null {
    const hl = inputHint(p.left);
    const hr = inputHint(p.right);
    for (const h of [hl, hr]) if (h !== undefined) this.hintsUsed.add(h);
    if (hl !== undefined && hr !== undefined) {
      if (hl.strategy !== hr.strategy) throw new SpillwayError('unsupported', `join hints ${hl.text} and ${hr.text} ask for different strategies for one join`);
      if (hl.strategy === 'broadcast') throw new SpillwayError('unsupported', `join hints ${hl.text} and ${hr.text}: a join broadcasts one input only (a table joined with itself: name one side by its alias)`);
    }
    const hint = hl ?? hr;
    if (hint !== undefined) {
      const side = hl !== undefined && hr === undefined ? 'left' : hr !== undefined && hl === undefined ? 'right' : null;
      if (hint.strategy === 'broadcast') this.checkBroadcastable(p.joinType, side === 'left', `join hint ${hint.text}`, hint.table);
      return { strategy: hint.strategy, by: `hint ${hint.text}`, hint: true, side };
    }
    const setting = this.opts.config.join_strategy;
    if (!equi || setting === 'auto' || setting === undefined) return null;
    if (setting === 'broadcast') this.checkBroadcastable(p.joinType, null, 'SET join_strategy = broadcast', null);
    return { strategy: setting, by: 'SET join_strategy', hint: false, side: null };
  }

  /** Broadcasting an input is wrong when that input's unmatched rows are kept (they would repeat in every task). */
  private checkBroadcastable(t: JoinType, leftInput: boolean | null, what: string, table: string | null): void {
    const name = table ?? 'its build side';
    if (t === 'full') throw new SpillwayError('unsupported', `${what} cannot apply to a FULL JOIN: both inputs are preserved (the unmatched rows of a broadcast input would repeat in every task)`);
    if (leftInput === null) return; // SET: the planner builds the side that may be broadcast
    const preserved = (t === 'left' && leftInput) || (t === 'right' && !leftInput);
    if (preserved) throw new SpillwayError('unsupported', `${what} cannot apply: ${name} is the preserved side of the ${JOIN_WORDS[t]} (its unmatched rows would repeat in every task)`);
    if ((t === 'semi' || t === 'anti') && leftInput) {
      throw new SpillwayError('unsupported', `${what} cannot apply: ${name} is the outer side of a ${JOIN_WORDS[t]}; only the subquery side can be broadcast`);
    }
  }

  /**
   * Build (hash) the logical left input? The smaller estimated side, unless a forced
   * broadcast says which input must be the build side.
   */
  private buildLeft(p: Extract<LogicalPlan, { kind: 'Join' }>, forced: ForcedOnJoin | null): boolean {
    if (forced?.strategy === 'broadcast') {
      if (forced.side !== null) return forced.side === 'left';
      // SET broadcast: the non-preserved side of an outer join is built.
      if (p.joinType === 'left') return false;
      if (p.joinType === 'right') return true;
    }
    return estimateRows(p.left) < estimateRows(p.right);
  }

  private join(p: Extract<LogicalPlan, { kind: 'Join' }>): PhysicalPlan {
    const left = this.single(this.plan(p.left));
    const right = this.single(this.plan(p.right));
    const leftCols = outputColumns(p.left);
    const rightCols = outputColumns(p.right);
    const est = estimateRows(p);
    const condition = p.condition !== null && isTrue(p.condition) ? null : p.condition;

    const leftIds = idSet(leftCols);
    const rightIds = idSet(rightCols);
    const pairs: { l: LExpr; r: LExpr }[] = [];
    const residual: LExpr[] = [];
    for (const t of conjuncts(condition)) {
      const pair = t.kind === 'binary' && t.op === '=' ? splitEquality(t.left, t.right, leftIds, rightIds) : null;
      if (pair && commonType(pair.l.type, pair.r.type) !== undefined) pairs.push(pair);
      else residual.push(t);
    }

    const forced = this.forcedStrategy(p, pairs.length > 0);
    if (pairs.length === 0) {
      if (p.nullAware) {
        throw new SpillwayError('unsupported', 'unsupported subquery: NOT IN whose left side reads no column of the outer query');
      }
      if (forced !== null && forced.hint && !(forced.strategy === 'broadcast' && forced.side === 'right' && (p.joinType === 'inner' || p.joinType === 'left' || p.joinType === 'semi' || p.joinType === 'anti'))) {
        throw new SpillwayError('unsupported', `join hint ${forced.by.replace(/^hint /, '')} cannot apply: the join has no equality between its inputs, so it runs as a nested loop that broadcasts its right input (or gathers both)`);
      }
      return {
        kind: 'NestedLoopJoin', id: this.id(), schema: schemaOf(outputColumns(p)), partitions: 1, estimatedRows: est,
        left, right, joinType: p.joinType,
        filter: condition === null ? null : lowerExpr(condition, [...leftCols, ...rightCols]),
      };
    }

    const swappable = p.joinType === 'inner' || p.joinType === 'left' || p.joinType === 'right' || p.joinType === 'full';
    // A semi/anti join whose kept side is much the smaller builds on it instead (right_semi/
    // right_anti): hashing a large subquery side costs more than marking a small table. Not
    // when broadcast is forced: the kept side cannot be broadcast.
    const keptSideBuild = (p.joinType === 'semi' || p.joinType === 'anti') && !p.nullAware && forced?.strategy !== 'broadcast'
      && SEMI_SWAP_FACTOR * estimateRows(p.left) < estimateRows(p.right);
    const swap = (swappable && this.buildLeft(p, forced)) || keptSideBuild;
    const [probe, build] = swap ? [right, left] : [left, right];
    const [probeCols, buildCols] = swap ? [rightCols, leftCols] : [leftCols, rightCols];
    const leftKeys: PhysicalExpr[] = [];
    const rightKeys: PhysicalExpr[] = [];
    for (const pair of pairs) {
      const [pe, be] = swap ? [pair.r, pair.l] : [pair.l, pair.r];
      const t = commonType(pe.type, be.type)!;
      leftKeys.push(castTo(lowerExpr(pe, probeCols), t));
      rightKeys.push(castTo(lowerExpr(be, buildCols), t));
    }
    const filterExpr = conjoin(residual);
    const joinType: HashJoinType = keptSideBuild ? (p.joinType === 'semi' ? 'right_semi' : 'right_anti') : swap ? mirror(p.joinType) : p.joinType;
    const joinCols = joinType === 'semi' || joinType === 'anti' ? probeCols
      : joinType === 'right_semi' || joinType === 'right_anti' ? buildCols : [...probeCols, ...buildCols];
    const node: PhysicalPlan = {
      kind: 'HashJoin', id: this.id(), schema: schemaOf(joinCols), partitions: 1, estimatedRows: est,
      left: probe, right: build, joinType, leftKeys, rightKeys,
      filter: filterExpr === null ? null : lowerExpr(filterExpr, [...probeCols, ...buildCols]),
      distribution: 'single',
      ...(p.nullAware ? { nullAware: true } : {}),
      ...(forced !== null ? { forced: { strategy: forced.strategy, by: forced.by } } : {}),
    };
    if (!swap || keptSideBuild) return node; // right_semi/right_anti output the left columns already
    // Restore left ++ right column order.
    const outCols = outputColumns(p);
    return {
      kind: 'Projection', id: this.id(), schema: schemaOf(outCols), partitions: 1, estimatedRows: est,
      input: node, exprs: outCols.map((c) => lowerExpr({ kind: 'column', id: c.id, type: c.type, name: c.name }, joinCols)),
    };
  }
}

/**
 * The strategy forced on a join: a hint on the table that is one whole input of it, else a
 * non-auto SET join_strategy. `side` is the hinted input (logical left or right).
 */
interface ForcedOnJoin { strategy: JoinStrategy; by: string; hint: boolean; side: 'left' | 'right' | null }

/** The join hint of a join input that reads exactly one table (no join below), if any. */
function inputHint(p: LogicalPlan): JoinHint | undefined {
  let hint: JoinHint | undefined;
  let scans = 0;
  const visit = (q: LogicalPlan): boolean => {
    if (q.kind === 'Join' || q.kind === 'Union') return false;
    if (q.kind === 'Scan') { scans++; hint = q.joinHint; }
    return logicalChildren(q).every(visit);
  };
  return visit(p) && scans === 1 ? hint : undefined;
}

const JOIN_WORDS: Record<JoinType, string> = {
  inner: 'INNER JOIN', left: 'LEFT JOIN', right: 'RIGHT JOIN', full: 'FULL JOIN', semi: 'semi join (EXISTS/IN)', anti: 'anti join (NOT EXISTS/NOT IN)',
};

/** For `a = b`: the side reading only left columns and the side reading only right ones. */
function splitEquality(a: LExpr, b: LExpr, leftIds: Set<number>, rightIds: Set<number>): { l: LExpr; r: LExpr } | null {
  const only = (e: LExpr, ids: Set<number>): boolean => {
    const refs = columnRefs(e);
    return refs.size > 0 && [...refs].every((id) => ids.has(id));
  };
  if (only(a, leftIds) && only(b, rightIds)) return { l: a, r: b };
  if (only(b, leftIds) && only(a, rightIds)) return { l: b, r: a };
  return null;
}

function constantValue(e: LExpr, row: number, col: number): Scalar {
  const folded = foldExpr(e);
  if (folded.kind === 'literal') return folded.value;
  if (columnRefs(folded).size > 0) {
    throw new SpillwayError('binder', `VALUES row ${row + 1}, column ${col + 1}: the value must be a constant expression`);
  }
  // Folding left it: evaluate again to surface its error (or its value).
  return evaluateConstant(toPhysicalExpr(folded, () => undefined));
}

/** A literal's value in the representation of the column type (int64 → bigint, …). */
function coerceScalar(v: Scalar, t: DataType): Scalar {
  if (v === null) return null;
  switch (t) {
    case 'int64': case 'timestamp':
      return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
    case 'int32': case 'float64': case 'date32':
      return typeof v === 'bigint' ? Number(v) : v;
    default: return v;
  }
}

/** Size of a local file for scheduling; remote URLs (s3://…) are sized later from metadata. */
function fileBytes(path: string, table: string): number {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return 0;
  try {
    return statSync(path).size;
  } catch (err) {
    throw ioError(`cannot read Parquet file "${path}" of table "${table}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`, err);
  }
}

/** Size of a local file for scheduling (0 for URLs and missing files: the scan reports those). */
function localFileBytes(path: string): number {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return 0;
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** One aggregate over a node whose input has columns `cols`. */
function lowerAggregate(a: LAggregate, cols: readonly LColumn[]): AggregateExpr {
  return {
    fn: a.fn, arg: a.arg ? lowerExpr(a.arg, cols) : null, distinct: a.distinct, type: a.type, name: a.name,
    ...(a.separator !== undefined ? { separator: a.separator } : {}),
    ...(a.fraction !== undefined ? { fraction: a.fraction } : {}),
    ...(a.orderBy ? { orderBy: a.orderBy.map((k) => ({ expr: lowerExpr(k.expr, cols), ascending: k.ascending, nullsFirst: k.nullsFirst })) } : {}),
  };
}
