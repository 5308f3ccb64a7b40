/**
 * Name resolution: the columns a FROM clause makes visible, and the enclosing queries'
 * scopes for correlated references (which simply use the outer column's id).
 */
import { didYouMean } from '../common/errors.js';
import type { DataType } from '../common/types.js';
import type { LExpr } from '../plan/logical.js';
import type { BindContext } from './bind_context.js';

export interface ScopeColumn {
  /** Table name or alias this column can be qualified with (lower case). */
  qualifier: string | undefined;
  name: string;
  id: number;
  type: DataType;
  nullable: boolean;
  /** The right-hand copy of a JOIN … USING column: reachable only when qualified. */
  hiddenUnqualified?: boolean;
}

export class Scope {
  constructor(readonly columns: ScopeColumn[], readonly outer: Scope | null = null) {}

  static empty(outer: Scope | null = null): Scope {
    return new Scope([], outer);
  }

  /** Columns of this level matching (qualifier, name), without outer levels. */
  private matches(name: string, qualifier: string | undefined): ScopeColumn[] {
    const n = name.toLowerCase();
    const q = qualifier?.toLowerCase();
    return this.columns.filter((c) => c.name.toLowerCase() === n
      && (q === undefined ? !c.hiddenUnqualified : c.qualifier === q));
  }

  hasQualifier(q: string): boolean {
    const lq = q.toLowerCase();
    return this.columns.some((c) => c.qualifier === lq);
  }

  /** Resolve a possibly qualified name here or in an enclosing scope; undefined if nowhere. */
  lookup(name: string, qualifier: string | undefined, ctx: BindContext): ScopeColumn | undefined {
    for (let s: Scope | null = this; s; s = s.outer) {
      const found = s.matches(name, qualifier);
      if (found.length === 1) return found[0];
      if (found.length > 1) {
        const list = found.map((c) => (c.qualifier ? `${c.qualifier}.${c.name}` : c.name)).join(', ');
        throw ctx.error('binder', `column reference "${name}" is ambiguous${ctx.atIdent(name, qualifier)}: ${list}`);
      }
    }
    return undefined;
  }

  /** Resolve or fail with "unknown column" and the nearest visible name. */
  resolve(name: string, qualifier: string | undefined, ctx: BindContext): LExpr {
    const c = this.lookup(name, qualifier, ctx);
    if (c) return { kind: 'column', id: c.id, type: c.type, name: c.name };
    const shown = qualifier ? `${qualifier}.${name}` : name;
    const where = ctx.atIdent(name, qualifier);
    if (qualifier !== undefined) {
      let known = false;
      for (let s: Scope | null = this; s; s = s.outer) if (s.hasQualifier(qualifier)) known = true;
      if (!known) {
        const quals = new Set<string>();
        for (let s: Scope | null = this; s; s = s.outer) for (const col of s.columns) if (col.qualifier) quals.add(col.qualifier);
        throw ctx.error('binder', `missing FROM-clause entry for table "${qualifier}"${where}${didYouMean(qualifier, quals)}`);
      }
    }
    const candidates = new Set<string>();
    for (let s: Scope | null = this; s; s = s.outer) {
      for (const col of s.columns) {
        if (qualifier === undefined || col.qualifier === qualifier.toLowerCase()) candidates.add(col.name);
      }
    }
    throw ctx.error('binder', `unknown column "${shown}"${where}${didYouMean(name, candidates)}`);
  }

  /** Columns of this level that `*` (or `t.*`) expands to. */
  star(qualifier: string | undefined, ctx: BindContext): ScopeColumn[] {
    if (qualifier === undefined) return this.columns.filter((c) => !c.hiddenUnqualified);
    const q = qualifier.toLowerCase();
    const cols = this.columns.filter((c) => c.qualifier === q);
    if (cols.length === 0) throw ctx.error('binder', `missing FROM-clause entry for table "${qualifier}"${ctx.atIdent(qualifier)}`);
    return cols;
  }
}
