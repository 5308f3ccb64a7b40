/**
 * Nested columns → Parquet leaves (the inverse of parquet_nested.ts): the schema elements of
 * a LIST, STRUCT or MAP field and, per leaf, one entry per value slot with its repetition and
 * definition levels and the row of the leaf's column it takes (-1: no value).
 *
 *   list<T>    optional group (LIST) { repeated group list { optional T element } }
 *   struct<…>  optional group { optional field … }
 *   map<K,V>   optional group (MAP) { repeated group key_value { required K key; optional V value } }
 *
 * visit(node, row, rep, def): a NULL value or an empty list ends the walk with one entry per
 * leaf below at the levels reached; a list's first element keeps the parent's repetition
 * level, the next ones take the list's. One recursive call per value; the levels and rows
 * go into growable typed arrays.
 */
import type { SchemaElement } from 'hyparquet';
import { emptyColumn, type Column, type ListColumn, type MapColumn, type StructColumn } from '../columnar/column.js';
import { take } from '../columnar/kernels.js';
import { isList, isMap, isNested, listElement, mapParams, structFields } from '../common/nested_types.js';
import type { DataType, NestedType } from '../common/types.js';

type Node =
  | { kind: 'leaf'; optional: boolean; leaf: number }
  | { kind: 'struct'; optional: boolean; children: Node[] }
  | { kind: 'list'; optional: boolean; rep: number; element: Node; leaves: number[] };

/** One leaf of a shredded column: what parquet_encode.ts writes as a column chunk. */
export interface ShreddedLeaf {
  path: string[];
  el: SchemaElement;
  maxRep: number;
  maxDef: number;
  /** One value per entry (NULL where the entry has no value). */
  values: Column;
  rep: Uint8Array;
  def: Uint8Array;
}

class Sink {
  rep = new Uint8Array(64);
  def = new Uint8Array(64);
  row = new Int32Array(64);
  n = 0;
  source: Column | null = null;
  push(rep: number, def: number, row: number): void {
    if (this.n === this.row.length) {
      const grow = <T extends Uint8Array | Int32Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(a.length * 2); b.set(a); return b; };
      this.rep = grow(this.rep); this.def = grow(this.def); this.row = grow(this.row);
    }
    this.rep[this.n] = rep; this.def[this.n] = def; this.row[this.n++] = row;
  }
}

export interface NestedFieldPlan {
  elements: SchemaElement[];
  root: Node;
  leaves: { path: string[]; el: SchemaElement; maxRep: number; maxDef: number; type: DataType }[];
}

/** The schema elements and leaf plan of a nested field; `leafElement` gives a leaf's element as for a flat field. */
export function nestedFieldPlan(name: string, type: NestedType, nullable: boolean, leafElement: (name: string, type: DataType, nullable: boolean) => SchemaElement): NestedFieldPlan {
  const elements: SchemaElement[] = [];
  const leaves: NestedFieldPlan['leaves'] = [];
  const walk = (name: string, type: DataType, optional: boolean, path: string[], rep: number, def: number): Node => {
    const d = optional ? def + 1 : def;
    const here = [...path, name];
    const repetition_type = optional ? 'OPTIONAL' : 'REQUIRED';
    if (!isNested(type)) {
      const el = leafElement(name, type, optional);
      elements.push(el);
      leaves.push({ path: here, el, maxRep: rep, maxDef: d, type });
      return { kind: 'leaf', optional, leaf: leaves.length - 1 };
    }
    if (isList(type) || isMap(type)) {
      const map = isMap(type);
      elements.push({ name, repetition_type, num_children: 1, converted_type: map ? 'MAP' : 'LIST', logical_type: { type: map ? 'MAP' : 'LIST' } } as SchemaElement);
      const first = leaves.length;
      let element: Node;
      if (map) {
        const { key, value } = mapParams(type);
        if (isNested(key)) throw new Error(`a MAP key of type ${key} cannot be written to Parquet`);
        elements.push({ name: 'key_value', repetition_type: 'REPEATED', num_children: 2 } as SchemaElement);
        const inner = [...here, 'key_value'];
        element = { kind: 'struct', optional: false, children: [walk('key', key, false, inner, rep + 1, d + 1), walk('value', value, true, inner, rep + 1, d + 1)] };
      } else {
        elements.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 } as SchemaElement);
        element = walk('element', listElement(type), true, [...here, 'list'], rep + 1, d + 1);
      }
      return { kind: 'list', optional, rep: rep + 1, element, leaves: range(first, leaves.length) };
    }
    const fields = structFields(type);
    elements.push({ name, repetition_type, num_children: fields.length } as SchemaElement);
    return { kind: 'struct', optional, children: fields.map((f) => walk(f.name, f.type, true, here, rep, d)) };
  };
  const root = walk(name, type, nullable, [], 0, 0);
  return { elements, root, leaves };
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

function leavesOf(node: Node): number[] {
  switch (node.kind) {
    case 'leaf': return [node.leaf];
    case 'struct': return node.children.flatMap(leavesOf);
    case 'list': return node.leaves;
  }
}

/** The leaves of nested column `c` (all its rows), per the plan. */
export function shredNested(plan: NestedFieldPlan, c: Column): ShreddedLeaf[] {
  const sinks = plan.leaves.map(() => new Sink());
  const absent = (node: Node, rep: number, def: number): void => { for (const l of leavesOf(node)) sinks[l]!.push(rep, def, -1); };
  const visit = (node: Node, col: Column, i: number, rep: number, def: number): void => {
    const isNull = col.type === 'null' || (col.validity !== null && col.validity[i] === 0);
    if (node.kind === 'leaf') {
      const s = sinks[node.leaf]!;
      s.source ??= col;
      if (isNull) s.push(rep, def, -1); else s.push(rep, node.optional ? def + 1 : def, i);
      return;
    }
    if (isNull) { absent(node, rep, def); return; }
    const d = node.optional ? def + 1 : def;
    if (node.kind === 'struct') {
      const children = (col as StructColumn).children;
      for (let k = 0; k < node.children.length; k++) visit(node.children[k]!, children[k]!, i, rep, d);
      return;
    }
    const l = col as ListColumn | MapColumn;
    const s = l.offsets[i]!, e = l.offsets[i + 1]!;
    if (s === e) { absent(node, rep, d); return; }
    for (let j = s; j < e; j++) visit(node.element, l.child, j, j === s ? rep : node.rep, d + 1);
  };
  for (let i = 0; i < c.length; i++) visit(plan.root, c, i, 0, 0);
  return plan.leaves.map((leaf, k) => {
    const s = sinks[k]!;
    const rows = s.row.subarray(0, s.n);
    // a leaf no row reached (NULL above it everywhere) takes NULLs of its type
    const values = s.source === null ? take(emptyColumn(leaf.type), rows.slice().fill(-1)) : take(s.source, rows);
    return { path: leaf.path, el: leaf.el, maxRep: leaf.maxRep, maxDef: leaf.maxDef, values, rep: s.rep.slice(0, s.n), def: s.def.slice(0, s.n) };
  });
}

