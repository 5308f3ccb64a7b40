/**
 * EXPLAIN: logical and physical plans as indented trees, one node per line with its
 * essentials, expressions in SQL-ish form with column names. With metrics (EXPLAIN
 * ANALYZE) each physical line ends with `rows=… batches=… time=…ms` and the spill and
 * operator-specific figures that are non-zero.
 *
 *   HashJoin[inner] on l_orderkey = o_orderkey build=right est=60175
 *     ParquetScan lineitem cols=[l_orderkey, l_quantity] files=1 est=60175
 *     Filter o_orderdate < DATE '1995-03-15' est=4950
 *       ParquetScan orders cols=[o_orderkey, o_orderdate] files=1 pruning=[…] est=15000
 *
 * explainFigures prints a query's stage and exchange-edge figures (common/figures.ts)
 * after the analyzed plan, under a title line:
 *
 *   Figures per stage and exchange:
 *   Stage 1: tasks=2 wall=41.2ms cpu=60.3ms peak_memory=1048576 spill_bytes=0 spill_files=0
 *   Exchange stage 0 → stage 1 (hash): streams=4 rows=6000 batches=4 wire_bytes=60112 raw_bytes=72000
 *     partition_bytes max=36100 median=35900 skew=1.01 writer_credit_wait=3.1ms reader_wait=12.0ms
 */
import type { PhysicalExpr, SortKey } from '../expr/expr.js';
import type { MetricsSet } from '../common/metrics.js';
import type { EdgeFigures, QueryFigures, StageFigures } from '../common/figures.js';
import { decimalParams, isDecimal, sqlTypeName, type DataType, type Scalar, type Schema } from '../common/types.js';
import { decimalText } from '../expr/decimal.js';
import { estimateRows } from './estimate.js';
import { logicalChildren, type FrameBound, type LExpr, type LogicalPlan, type SharedCte, type WindowFrame } from './logical.js';
import { ADAPTIVE_BACK_FACTOR, childrenOf, type Partitioning, type PhysicalPlan } from './physical.js';

const INDENT = '  ';

// ---------- expressions ----------

type AnyExpr = LExpr | PhysicalExpr;

const PRECEDENCE: Record<string, number> = {
  or: 1, and: 2,
  '=': 4, '<>': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, is_distinct_from: 4, is_not_distinct_from: 4,
  '||': 5, '+': 6, '-': 6, '*': 7, '/': 7, '%': 7,
};

const ASSOCIATIVE = new Set(['and', 'or', '+', '*', '||']);

const OP_TEXT: Record<string, string> = {
  and: 'AND', or: 'OR', is_distinct_from: 'IS DISTINCT FROM', is_not_distinct_from: 'IS NOT DISTINCT FROM',
};

/** A scalar as a SQL literal of type `t`. */
export function formatScalar(v: Scalar, t: DataType): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  if (t === 'date32' && typeof v === 'number') return `DATE '${isoDay(v)}'`;
  if (isDecimal(t) && (typeof v === 'number' || typeof v === 'bigint')) return decimalText(v, decimalParams(t).scale);
  if (t === 'timestamp' && typeof v === 'bigint') {
    const ms = Number(v / 1000n);
    return `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;
  }
  return String(v);
}

function isoDay(days: number): string {
  const d = new Date(days * 86_400_000);
  return Number.isNaN(d.getTime()) ? String(days) : d.toISOString().slice(0, 10);
}

/**
 * An expression in SQL-ish form. Logical column refs print their name; physical ones their
 * `name`, else the input schema's field name, else `#position`.
 */
export function formatExpr(e: AnyExpr, input?: Schema): string {
  const go = (x: AnyExpr): string => formatExpr(x, input);
  const operand = (x: AnyExpr, parentPrec: number): string => {
    const s = go(x);
    return x.kind === 'binary' && (PRECEDENCE[x.op] ?? 9) < parentPrec ? `(${s})` : s;
  };
  switch (e.kind) {
    case 'column':
      if ('id' in e) return e.name;
      return e.name ?? input?.fields[e.index]?.name ?? `#${e.index}`;
    case 'literal':
      if ('decimal' in e && e.decimal !== undefined) return e.decimal;
      return formatScalar(e.value, e.type);
    case 'binary': {
      const prec = PRECEDENCE[e.op] ?? 9;
      // The right operand also needs parens at equal precedence unless it is the same associative op: a - (b - c).
      const rp = e.right.kind === 'binary' ? (PRECEDENCE[e.right.op] ?? 9) : 99;
      const rightParens = e.right.kind === 'binary' && (rp < prec || (rp === prec && !(e.right.op === e.op && ASSOCIATIVE.has(e.op))));
      const right = rightParens ? `(${go(e.right)})` : go(e.right);
      return `${operand(e.left, prec)} ${OP_TEXT[e.op] ?? e.op} ${right}`;
    }
    case 'unary': {
      const arg = e.arg.kind === 'binary' ? `(${go(e.arg)})` : go(e.arg);
      switch (e.op) {
        case 'not': return `NOT ${arg}`;
        case 'neg': return `-${arg}`;
        case 'is_null': return `${arg} IS NULL`;
        case 'is_not_null': return `${arg} IS NOT NULL`;
        case 'is_true': return `${arg} IS TRUE`;
        case 'is_false': return `${arg} IS FALSE`;
      }
      break;
    }
    case 'cast': return `CAST(${go(e.arg)} AS ${sqlTypeName(e.type)})`;
    case 'case': {
      const parts = ['CASE'];
      if (e.operand) parts.push(go(e.operand));
      for (const w of e.whens as { when: AnyExpr; then: AnyExpr }[]) parts.push(`WHEN ${go(w.when)} THEN ${go(w.then)}`);
      if (e.else) parts.push(`ELSE ${go(e.else)}`);
      parts.push('END');
      return parts.join(' ');
    }
    case 'in_list':
      return `${go(e.arg)} ${e.negated ? 'NOT IN' : 'IN'} (${(e.list as AnyExpr[]).map(go).join(', ')})`;
    case 'like':
      return `${go(e.arg)} ${e.negated ? 'NOT ' : ''}${e.caseInsensitive ? 'ILIKE' : 'LIKE'} ${go(e.pattern)}`;
    case 'call':
      return `${e.name}(${(e.args as AnyExpr[]).map(go).join(', ')})`;
    case 'scalar_subquery': return '(<subquery>)';
    case 'exists': return `${e.negated ? 'NOT ' : ''}EXISTS (<subquery>)`;
    case 'in_subquery': return `${go(e.arg)} ${e.negated ? 'NOT IN' : 'IN'} (<subquery>)`;
  }
  return '?';
}

function formatSortKeys(keys: readonly { expr: AnyExpr; ascending: boolean; nullsFirst: boolean }[], input?: Schema): string {
  return keys.map((k) => {
    const defaultNullsFirst = !k.ascending;
    return `${formatExpr(k.expr, input)} ${k.ascending ? 'ASC' : 'DESC'}${k.nullsFirst === defaultNullsFirst ? '' : k.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST'}`;
  }).join(', ');
}

function aliased(text: string, name: string): string {
  return text === name ? text : `${text} AS ${name}`;
}

function list(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

// ---------- logical ----------

export function explainLogical(plan: LogicalPlan): string {
  const lines: string[] = [];
  const shared = new Map<number, SharedCte>();
  const visit = (p: LogicalPlan, depth: number): void => {
    lines.push(`${INDENT.repeat(depth)}${logicalLine(p)} est=${estimateRows(p)}`);
    if (p.kind === 'SharedScan') shared.set(p.cte.id, p.cte);
    for (const c of logicalChildren(p)) visit(c, depth + 1);
  };
  visit(plan, 0);
  // Each shared WITH query once, after its readers (its plan may read others).
  const done = new Set<number>();
  for (let next = [...shared.values()]; next.length > 0; next = [...shared.values()].filter((c) => !done.has(c.id))) {
    for (const cte of next) {
      done.add(cte.id);
      lines.push(`Shared ${cte.name}#${cte.id}:`);
      visit(cte.plan, 1);
    }
  }
  return lines.join('\n');
}

function logicalLine(p: LogicalPlan): string {
  switch (p.kind) {
    case 'Scan': {
      const src = p.source.kind === 'memory' ? 'memory' : `${p.source.kind === 'csv' ? 'csv ' : ''}files=${p.source.files.length}`;
      const filters = p.filters.length > 0 ? ` filters=${list(p.filters.map((f) => formatExpr(f)))}` : '';
      return `Scan ${p.table} cols=${list(p.columns.map((c) => c.name))} ${src}${filters}`;
    }
    case 'Values': return `Values cols=${list(p.columns.map((c) => c.name))} rows=${p.rows.length}`;
    case 'Filter': return `Filter ${formatExpr(p.predicate)}`;
    case 'Project': return `Project ${p.exprs.map((e, i) => aliased(formatExpr(e), p.columns[i]!.name)).join(', ')}`;
    case 'Aggregate': {
      const group = p.groupBy.map((e, i) => aliased(formatExpr(e), p.groupColumns[i]!.name));
      const aggs = p.aggregates.map((a) => aliased(aggText(a.fn, a.arg, a.distinct), a.name));
      const sets = p.groupingSets ? ` sets=${setsText(p.groupingSets, p.groupColumns.map((c) => c.name))}` : '';
      return `Aggregate group=${list(group)}${sets} aggs=${list(aggs)}`;
    }
    case 'Join': {
      const kind = p.joinType === 'inner' && p.condition === null ? 'cross' : p.joinType;
      return `Join[${kind}${p.nullAware ? ', null-aware' : ''}]${p.condition ? ` on ${formatExpr(p.condition)}` : ''}`;
    }
    case 'Sort': return `Sort ${formatSortKeys(p.keys)}`;
    case 'Window': return `Window ${windowText(p.partitionBy, p.orderBy)}${p.partitionBy.length + p.orderBy.length > 0 ? ' ' : ''}fns=${list(p.functions.map((f) => aliased(windowFnText(f), f.name)))}`;
    case 'Limit': return `Limit${p.skip > 0 ? ` skip=${p.skip}` : ''} fetch=${p.fetch ?? 'all'}`;
    case 'Union': return `Union cols=${list(p.columns.map((c) => c.name))}`;
    case 'Distinct': return 'Distinct';
    case 'SharedScan': return `SharedScan ${p.cte.name}#${p.cte.id} cols=${list(p.columns.map((c) => c.name))}`;
    case 'RecursiveCte': return `RecursiveCte ${p.name}${p.distinct ? ' distinct' : ''} cols=${list(p.columns.map((c) => c.name))}`;
    case 'WorkTable': return `WorkTable ${p.name} cols=${list(p.columns.map((c) => c.name))}`;
  }
}

function windowText(partitionBy: readonly AnyExpr[], orderBy: readonly { expr: AnyExpr; ascending: boolean; nullsFirst: boolean }[], input?: Schema): string {
  const parts: string[] = [];
  if (partitionBy.length > 0) parts.push(`partition=${list(partitionBy.map((e) => formatExpr(e, input)))}`);
  if (orderBy.length > 0) parts.push(`order=[${formatSortKeys(orderBy, input)}]`);
  return parts.join(' ');
}

function frameText(f: WindowFrame): string {
  const bound = (b: FrameBound): string => {
    switch (b.kind) {
      case 'unbounded_preceding': return 'UNBOUNDED PRECEDING';
      case 'preceding': return `${b.offset} PRECEDING`;
      case 'current_row': return 'CURRENT ROW';
      case 'following': return `${b.offset} FOLLOWING`;
      case 'unbounded_following': return 'UNBOUNDED FOLLOWING';
    }
  };
  return `${f.units.toUpperCase()} BETWEEN ${bound(f.start)} AND ${bound(f.end)}`;
}

/** A window function with its frame, e.g. `sum(x) ROWS BETWEEN 2 PRECEDING AND CURRENT ROW`. */
function windowFnText(
  f: { fn: string; arg: AnyExpr | null; n: number; defaultValue: AnyExpr | null; frame: WindowFrame }, input?: Schema,
): string {
  if (f.fn === 'count_star' || AGGREGATE_FNS.has(f.fn)) return `${aggText(f.fn, f.arg, false, input)} ${frameText(f.frame)}`;
  const args: string[] = [];
  if (f.arg) args.push(formatExpr(f.arg, input));
  if (f.fn === 'lag' || f.fn === 'lead' || f.fn === 'ntile' || f.fn === 'nth_value') args.push(String(f.n));
  if (f.defaultValue) args.push(formatExpr(f.defaultValue, input));
  const text = `${f.fn}(${args.join(', ')})`;
  return f.fn === 'first_value' || f.fn === 'last_value' || f.fn === 'nth_value' ? `${text} ${frameText(f.frame)}` : text;
}

const AGGREGATE_FNS: ReadonlySet<string> = new Set(['count', 'sum', 'avg', 'min', 'max']);

/** Grouping sets as `[(a, b), (a), ()]`. */
function setsText(sets: readonly number[][], keys: readonly string[]): string {
  return `[${sets.map((s) => `(${s.map((i) => keys[i]).join(', ')})`).join(', ')}]`;
}

function aggText(fn: string, arg: AnyExpr | null, distinct: boolean, input?: Schema): string {
  if (fn === 'count_star') return 'count(*)';
  return `${fn}(${distinct ? 'DISTINCT ' : ''}${arg ? formatExpr(arg, input) : ''})`;
}

// ---------- physical ----------

export function explainPhysical(plan: PhysicalPlan, metrics?: MetricsSet): string {
  const lines: string[] = [];
  const visit = (p: PhysicalPlan, depth: number): void => {
    let line = `${INDENT.repeat(depth)}${physicalLine(p)}`;
    if (p.partitions !== 1) line += ` partitions=${p.partitions}`;
    if (p.estimatedRows !== undefined) line += ` est=${p.estimatedRows}`;
    if (metrics) line += metricsText(metrics, p.id);
    lines.push(line);
    for (const c of childrenOf(p)) visit(c, depth + 1);
  };
  visit(plan, 0);
  return lines.join('\n');
}

function joinedSchema(a: Schema, b: Schema): Schema {
  return { fields: [...a.fields, ...b.fields] };
}

function physicalLine(p: PhysicalPlan): string {
  switch (p.kind) {
    case 'ParquetScan': {
      const files = p.slices.reduce((n, s) => n + s.length, 0);
      const pruning = p.pruning.length > 0 ? ` pruning=${list(p.pruning.map((e) => formatExpr(e, p.schema)))}` : '';
      const filter = p.filter !== undefined ? ` filter=${formatExpr(p.filter, p.schema)}` : '';
      const keys = p.keyFilters !== undefined
        ? ` keyFilters=${list(p.keyFilters.map((f) => `${p.schema.fields[f.column]?.name ?? '?'} from keyFilter#${f.join}`))}`
        : '';
      return `ParquetScan ${p.table} cols=${list(p.columns)} files=${files}${filter}${pruning}${keys}`;
    }
    case 'CsvScan': {
      const files = p.slices.reduce((n, s) => n + s.length, 0);
      return `CsvScan ${p.table} cols=${list(p.schema.fields.map((f) => f.name))} files=${files}`;
    }
    case 'MemoryScan': return `MemoryScan ${p.table} cols=${list(p.schema.fields.map((f) => f.name))}`;
    case 'Values': return `Values cols=${list(p.schema.fields.map((f) => f.name))} rows=${p.rows.length}`;
    case 'Filter': return `Filter ${formatExpr(p.predicate, p.input.schema)}`;
    case 'Projection':
      return `Projection ${p.exprs.map((e, i) => aliased(formatExpr(e, p.input.schema), p.schema.fields[i]?.name ?? '?')).join(', ')}`;
    case 'Expand': return `Expand sets=${setsText(p.sets, p.keys.map((k) => formatExpr(k, p.input.schema)))}`;
    case 'HashAggregate': {
      const group = p.groupBy.map((e) => formatExpr(e, p.input.schema));
      const aggs = p.aggregates.map((a) => aliased(aggText(a.fn, a.arg, a.distinct, p.input.schema), a.name));
      return `HashAggregate[${p.mode}] group=${list(group)}${aggs.length > 0 ? ` aggs=${list(aggs)}` : ''}`;
    }
    case 'HashJoin': {
      const keys = p.leftKeys.map((k, i) => `${formatExpr(k, p.left.schema)} = ${formatExpr(p.rightKeys[i]!, p.right.schema)}`);
      const filter = p.filter ? ` filter=${formatExpr(p.filter, joinedSchema(p.left.schema, p.right.schema))}` : '';
      return `HashJoin[${p.joinType}${p.nullAware ? ', null-aware' : ''}] on ${keys.join(' AND ')}${filter} build=right${p.keyFilter !== undefined ? ` keyFilter#${p.id}` : ''}${joinStrategyText(p)}`;
    }
    case 'NestedLoopJoin': {
      const kind = p.joinType === 'inner' && p.filter === null ? 'cross' : p.joinType;
      return `NestedLoopJoin[${kind}]${p.filter ? ` on ${formatExpr(p.filter, joinedSchema(p.left.schema, p.right.schema))}` : ''}`;
    }
    case 'Sort': return `Sort ${formatSortKeys(p.keys as SortKey[], p.input.schema)}`;
    case 'Window': {
      const fns = p.functions.map((f) => aliased(windowFnText(f, p.input.schema), f.name));
      return `Window ${windowText(p.partitionBy, p.orderBy, p.input.schema)} fns=${list(fns)}`;
    }
    case 'TopK': return `TopK fetch=${p.fetch} ${formatSortKeys(p.keys, p.input.schema)}`;
    case 'Limit': return `Limit${p.skip > 0 ? ` skip=${p.skip}` : ''} fetch=${p.fetch ?? 'all'}`;
    case 'UnionAll': return `UnionAll inputs=${p.inputs.length}`;
    case 'Coalesce': return 'Coalesce';
    case 'Exchange': return `Exchange ${formatPartitioning(p.partitioning, p.input.schema)}${p.preserveOrder ? ' order-preserving' : ''}`;
    case 'ExchangeRead': return `ExchangeRead stage=${p.stageId} ${formatPartitioning(p.partitioning, p.schema)} from ${p.producerTasks} tasks`;
    case 'MergeGather': return `MergeGather stage=${p.stageId} ${formatSortKeys(p.keys)} from ${p.producerTasks} tasks`;
    case 'SharedSubplans': return `SharedSubplans ${list(p.shared.map((s) => `${s.name}#${s.id} (${s.readers} readers)`))}`;
    case 'SharedRead': return `SharedRead ${p.name}#${p.shareId}`;
    case 'RecursiveCte': return `RecursiveCte ${p.name} ${p.distinct ? 'UNION' : 'UNION ALL'} (anchor, then recursive term until no new rows)`;
    case 'WorkTableScan': return `WorkTableScan ${p.name}`;
  }
}

/**
 * ` strategy=broadcast (auto: B=1.2 KiB < P/(N−1)=40.0 MiB)`; an adaptive switch is shown
 * first: ` strategy=broadcast (adaptive: partitioned → broadcast (measured B=…); planned: …)`.
 * Before distribution (or when it runs as one task) the forced strategy, if any.
 */
function joinStrategyText(p: Extract<PhysicalPlan, { kind: 'HashJoin' }>): string {
  const s = p.strategy;
  if (s === undefined) {
    if (p.forced !== undefined) return ` forced=${p.forced.strategy} (${p.forced.by})`;
    return p.distribution === 'single' ? '' : ` ${p.distribution}`;
  }
  const adaptive = s.switched !== undefined ? `${s.switched}; planned: ` : '';
  let open = '';
  if (s.adaptive !== undefined && s.switched === undefined) {
    open = s.kind === 'broadcast'
      ? `; adaptive: partitioned instead if the build side measures ≥ ${ADAPTIVE_BACK_FACTOR} × ${s.adaptive.limitReason}`
      : `; adaptive: broadcast instead if the build side measures under ${s.adaptive.limitReason}`;
  }
  return ` strategy=${s.kind} (${adaptive}${s.reason}${open})`;
}

/** hash(a, b; 4), range(a ASC; 4), broadcast, single, round_robin(4). */
export function formatPartitioning(p: Partitioning, input?: Schema): string {
  switch (p.kind) {
    case 'hash': return `hash(${p.keys.map((k) => formatExpr(k, input)).join(', ')}; ${p.partitions})`;
    case 'range': return `range(${formatSortKeys(p.keys, input)}; ${p.partitions})`;
    case 'round_robin': return `round_robin(${p.partitions})`;
    default: return p.kind;
  }
}

function metricsText(metrics: MetricsSet, id: number): string {
  const m = metrics.byNode.get(id);
  if (!m) return ' rows=0 batches=0 time=0ms';
  let s = ` rows=${m.outputRows} batches=${m.outputBatches} time=${m.elapsedMs.toFixed(1)}ms`;
  if (m.spillCount > 0) s += ` spills=${m.spillCount}`;
  if (m.spillBytes > 0) s += ` spill_bytes=${m.spillBytes}`;
  if (m.spillRows > 0) s += ` spill_rows=${m.spillRows}`;
  for (const [k, v] of Object.entries(m.extra)) if (v !== 0) s += ` ${k}=${Number.isInteger(v) ? v : v.toFixed(1)}`;
  return s;
}

// ---------- stage and exchange figures ----------

const ms = (v: number): string => `${v.toFixed(1)}ms`;

/** A title, one line per stage, then two per exchange edge (see the header). */
export function explainFigures(f: QueryFigures): string {
  return ['Figures per stage and exchange:', ...f.stages.map(stageFiguresLine), ...f.edges.map(edgeFiguresLines)].join('\n');
}

function stageFiguresLine(s: StageFigures): string {
  const skew = (s.skewSplits ?? []).map((k) =>
    `\n  skew split: partition ${k.partition} of stage ${k.input} (${k.bytes} bytes, ${(k.bytes / Math.max(1, k.medianBytes)).toFixed(1)}× the median ${k.medianBytes}) ran as ${k.pieces} tasks`);
  return `Stage ${s.stageId}: tasks=${s.tasks} wall=${ms(s.wallMs)} cpu=${ms(s.cpuMs)} peak_memory=${s.peakMemoryBytes}` +
    ` spill_bytes=${s.spillBytes} spill_files=${s.spillFiles}${skew.join('')}`;
}

function edgeFiguresLines(e: EdgeFigures): string {
  const to = e.consumerStage === null ? 'result' : `stage ${e.consumerStage}`;
  const kind = e.partitioning === 'result' ? '' : ` (${e.partitioning})`;
  const skew = e.skew === null ? 'inf' : e.skew.toFixed(2);
  return `Exchange stage ${e.producerStage} → ${to}${kind}: streams=${e.streams} rows=${e.rows} batches=${e.batches}` +
    ` wire_bytes=${e.wireBytes} raw_bytes=${e.rawBytes}\n` +
    `  partition_bytes max=${e.maxPartitionBytes} median=${e.medianPartitionBytes} skew=${skew}` +
    ` writer_credit_wait=${ms(e.writerCreditWaitMs)} reader_wait=${ms(e.readerWaitMs)}`;
}
