/**
 * State shared while binding one statement: id allocation, the catalog, Parquet tables
 * resolved before binding (read_parquet), CTEs in scope, and the source text used to put
 * line:column into error messages.
 */
import type { Catalog } from '../catalog.js';
import type { ParquetTable } from '../storage/table_discovery.js';
import type { CsvTable } from '../storage/csv_table.js';
import { didYouMean, SpillwayError, type ErrorKind } from '../common/errors.js';
import type { DataType } from '../common/types.js';
import type { IdGenerator, LColumn, LExpr } from '../plan/logical.js';
import type { ExprNode, SelectAst } from './ast.js';
import { describePosition, findIdentifier } from './preparse.js';
import type { RecursiveBinding } from './bind_recursive.js';

/** Where the text being bound came from (a statement of a script, or a view body). */
export interface SourceText {
  script: string;
  /** Offset of the statement in `script`. */
  offset: number;
  /** The statement text the parser saw (same length as the original). */
  text: string;
  /** Prefix for messages, e.g. 'in view "v": '. */
  prefix: string;
  /** Parser offset → offset in `text` (pre-parse insertions undone). */
  toOriginal?: (offset: number) => number;
}

export class BindContext {
  /** Views being expanded, to reject a view that refers to itself. */
  readonly viewStack: string[] = [];
  /** Recursive CTEs whose body is being bound: references to them read their work table. */
  readonly recursiveBindings = new Map<CteDefinition, RecursiveBinding>();
  private readonly nullability = new Map<number, boolean>();

  constructor(
    readonly catalog: Catalog,
    readonly ids: IdGenerator,
    readonly parquet: ReadonlyMap<string, ParquetTable>,
    public source: SourceText,
    /** CSV tables resolved before binding, by call key (sql/table_functions.ts). */
    readonly csv: ReadonlyMap<string, CsvTable> = new Map(),
  ) {}

  fresh(): number {
    return this.ids.fresh();
  }

  column(name: string, type: DataType, nullable: boolean, qualifier?: string): LColumn {
    const c: LColumn = { id: this.fresh(), name, type, nullable };
    if (qualifier !== undefined) c.qualifier = qualifier;
    this.nullability.set(c.id, nullable);
    return c;
  }

  /** Record that column `id` may be NULL from here up (outer join) or never is (count). */
  markNullable(id: number, nullable: boolean): void {
    this.nullability.set(id, nullable);
  }

  /** Whether an expression can be NULL: conservative (true unless provably not). */
  nullable(e: LExpr): boolean {
    switch (e.kind) {
      case 'column': return this.nullability.get(e.id) ?? true;
      case 'literal': return e.value === null;
      case 'cast': case 'unary':
        return e.kind === 'unary' && (e.op === 'is_null' || e.op === 'is_not_null' || e.op === 'is_true' || e.op === 'is_false') ? false : this.nullable(e.arg);
      case 'binary':
        if (e.op === '/' || e.op === '%') return true;
        if (e.op === 'is_distinct_from' || e.op === 'is_not_distinct_from') return false;
        return this.nullable(e.left) || this.nullable(e.right);
      case 'like': return this.nullable(e.arg) || this.nullable(e.pattern);
      case 'in_list': return this.nullable(e.arg) || e.list.some((x) => this.nullable(x));
      case 'exists': return false;
      default: return true;
    }
  }

  /** " at line L, column C" for a parser location, or '' when there is none. */
  at(node?: ExprNode | null): string {
    const off = node?.loc?.start.offset;
    if (off === undefined) return '';
    const local = this.source.toOriginal ? this.source.toOriginal(off) : off;
    return ` at ${describePosition(this.source.script, this.source.offset + local)}`;
  }

  /** " at line L, column C" of the first occurrence of an identifier, or ''. */
  atIdent(name: string, qualifier?: string): string {
    const off = findIdentifier(this.source.text, name, qualifier);
    if (off < 0) return '';
    return ` at ${describePosition(this.source.script, this.source.offset + off)}`;
  }

  error(kind: ErrorKind, message: string): SpillwayError {
    return new SpillwayError(kind, this.source.prefix + message);
  }

  /** `unknown table "x" at line L, column C (did you mean "y"?)` */
  unknownTable(name: string, ctes: CteScope | null): SpillwayError {
    const candidates = [...this.catalog.names(), ...(ctes ? ctes.names() : [])];
    return this.error('binder', `unknown table "${name}"${this.atIdent(name)}${didYouMean(name, candidates)}`);
  }
}

/** One WITH item: bound anew at each reference, in the scope it was defined in. */
export interface CteDefinition {
  name: string;
  ast: SelectAst;
  columnNames: string[] | null;
  /** CTEs visible to this CTE's body (earlier items of the same WITH and outer WITHs). */
  scope: CteScope | null;
  /** An item of WITH RECURSIVE: its body may read itself (bind_recursive.ts). */
  recursive?: boolean;
}

export class CteScope {
  constructor(readonly defs: Map<string, CteDefinition>, readonly parent: CteScope | null) {}

  lookup(name: string): CteDefinition | undefined {
    const key = name.toLowerCase();
    for (let s: CteScope | null = this; s; s = s.parent) {
      const d = s.defs.get(key);
      if (d) return d;
    }
    return undefined;
  }

  names(): string[] {
    const out: string[] = [];
    for (let s: CteScope | null = this; s; s = s.parent) for (const d of s.defs.values()) out.push(d.name);
    return out;
  }
}
