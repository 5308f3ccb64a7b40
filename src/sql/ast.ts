/**
 * The subset of node-sql-parser's (postgresql build, 5.4) AST that the binder reads.
 * The library's own typings are loose and partly wrong for this dialect, so these
 * interfaces describe what the parser actually emits (see test/sql/parser.test.ts).
 *
 * Quirks worth knowing:
 *   - EXISTS (q) is { type: 'function', name: exists, args: [{ ast }] }, NOT EXISTS is a
 *     unary_expr with operator 'NOT EXISTS', NOT (x) may be a function named `not`.
 *   - `AS c_orders (c_custkey, c_count)` arrives as the alias string "c_orders(c_custkey, c_count)".
 *   - Decimal literals arrive as { type: 'number', value: '0.06' } (a string), integers as
 *     numbers; integers beyond 2^53 and exponent forms as { type: 'bigint', value: '...' }.
 *   - String literals keep SQL escaping: 'it''s' arrives as "it''s".
 *   - Set operations chain through `_next` with `set_op` on the left operand.
 */

export interface Loc { start: { offset: number; line: number; column: number }; end: { offset: number } }

export interface IdentNode { type: string; value: string }

export interface ExprNode {
  type?: string;
  operator?: string;
  left?: ExprNode;
  right?: ExprNode;
  expr?: ExprNode;
  value?: unknown;
  /** column_ref */
  table?: string | IdentNode | null;
  column?: string | { expr: IdentNode };
  /** function / aggr_func */
  name?: string | { name: IdentNode[] };
  args?: FuncArgs | ExtractArgs | CaseArg[] | ExprNode;
  over?: unknown;
  /** cast */
  target?: DataTypeNode[];
  symbol?: string;
  /** interval */
  unit?: string;
  /** subquery */
  ast?: SelectAst;
  parentheses?: boolean;
  /** agg(x) FILTER (WHERE c) */
  filter?: { where?: ExprNode } | null;
  /** percentile_cont(f) WITHIN GROUP (ORDER BY x) */
  within_group_orderby?: OrderByItem[] | null;
  loc?: Loc;
}

export interface FuncArgs {
  type?: string; value?: ExprNode[]; expr?: ExprNode; distinct?: string | null;
  /** string_agg(x, sep ORDER BY …) */
  orderby?: OrderByItem[] | null;
  separator?: { symbol?: string; delimiter?: ExprNode } | null;
}
/** `extract(f FROM TIME '…')`: the grammar gives the typed literal's type apart, in cast_type. */
export interface ExtractArgs { field: string; source: ExprNode; cast_type?: string | null }
export interface CaseArg { type: 'when' | 'else'; cond?: ExprNode; result: ExprNode }

export interface DataTypeNode { dataType: string; length?: number; scale?: number }

export interface SelectColumn { expr: ExprNode; as: string | null }

export interface FromItem {
  db?: string | null;
  table?: string;
  as?: string | null;
  join?: string;
  on?: ExprNode | null;
  using?: IdentNode[] | null;
  prefix?: string | null;
  type?: string;
  /** derived table ({ ast }), VALUES ({ type: 'values' }), parenthesized join ({ type: 'tables' }) or table function */
  expr?: ExprNode & { values?: ExprNode[]; expr?: FromItem[] };
}

export interface OrderByItem { expr: ExprNode; type: string | null; nulls: string | null }

export interface WithItem {
  name: IdentNode; stmt: SelectAst | { ast: SelectAst }; columns: ExprNode[] | null;
  /** WITH RECURSIVE: set on the first item only (it applies to the whole list). */
  recursive?: boolean;
}

export interface SelectAst {
  type: 'select';
  with: WithItem[] | null;
  distinct: { type: string | null } | null;
  columns: SelectColumn[];
  from: FromItem[] | null;
  where: ExprNode | null;
  groupby: { columns: ExprNode[] | null } | null;
  having: ExprNode | null;
  orderby: OrderByItem[] | null;
  limit: { seperator: string; value: ExprNode[] } | null;
  window?: unknown;
  _next?: SelectAst;
  set_op?: string;
  parentheses_symbol?: boolean;
}

export interface ColumnDefinition {
  column: ExprNode;
  definition: DataTypeNode;
  resource: string;
  nullable?: { type: string } | null;
}

export interface CreateAst {
  type: 'create';
  keyword: string;
  table?: { table: string }[];
  if_not_exists?: string | null;
  query_expr?: SelectAst | null;
  create_definitions?: ColumnDefinition[] | null;
  replace?: string | null;
  view?: { view: string };
  columns?: IdentNode[] | null;
  select?: SelectAst;
}

export interface InsertAst {
  type: 'insert';
  table: { table: string }[];
  columns: (IdentNode | string)[] | null;
  values: { type: 'values'; values: ExprNode[] } | SelectAst;
}

export interface DropAst { type: 'drop'; keyword: string; prefix: string | null; name: { table: string }[] }

export interface SetAst { type: 'set'; expr: { left: { name: string }; right: ExprNode }[] }

export type StatementAst = SelectAst | CreateAst | InsertAst | DropAst | SetAst | { type: string };

/** Identifier text of an IdentNode or plain string; unquoted identifiers fold to lower case. */
export function identName(id: IdentNode | string): string {
  if (typeof id === 'string') return id;
  return id.type === 'double_quote_string' ? id.value : id.value.toLowerCase();
}
