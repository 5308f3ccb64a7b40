/**
 * Nested Parquet columns (LIST, MAP, STRUCT groups and bare repeated fields) → Spillway's
 * nested types and columns.
 *
 * A nested column is stored as one column chunk per leaf, each entry with a repetition level
 * (at which repeated ancestor a new value starts; 0 = a new row) and a definition level (how
 * many optional or repeated ancestors are present). `nestedShape` reads the schema subtree
 * into a Shape that knows, for every node, the levels that make it present; `assembleNested`
 * turns the leaves' levels and values into one Column, level by level:
 *
 *   slots of a node: ranges [start, end) of a leaf's entries, one per value of the node
 *     row          entries from one rep = 0 to the next
 *     struct       the same slots for every child; NULL where def < the struct's level
 *     list         NULL where def < the list's level, empty where def < its repeated
 *                  node's level, else its slot cut at each entry with rep ≤ its rep level:
 *                  one child slot per element
 *     leaf         the value of the slot's first entry (valid where def = the leaf's max)
 *
 * All typed arrays: offsets, slot starts and ends, a gather of each leaf's values.
 * Schema rules as the Parquet spec's LogicalTypes.md, backward-compatibility rules included:
 * a LIST group's repeated child is the element itself when it is primitive, has several
 * fields, or is named `array` or `<list>_tuple` (2-level lists); a repeated field outside a
 * LIST is a required list of required elements.
 */
import type { SchemaElement } from 'hyparquet';
import type { Column, ListColumn, MapColumn, StructColumn } from '../columnar/column.js';
import { take } from '../columnar/kernels.js';
import { listType, mapType, structType } from '../common/nested_types.js';
import type { DataType, ListType, MapType, StructType } from '../common/types.js';

export type Shape =
  | { kind: 'leaf'; type: DataType; leaf: number; el: SchemaElement; path: string[]; maxRep: number; maxDef: number }
  | { kind: 'struct'; type: StructType; def: number; children: Shape[] }
  | { kind: 'list'; type: ListType | MapType; def: number; elemDef: number; rep: number; element: Shape };

/** A schema element with its descendants, as a tree. */
export interface SchemaNode {
  el: SchemaElement;
  children: SchemaNode[];
}

/** The tree of the schema element at `i` and the index after its subtree. */
export function schemaTree(elements: readonly SchemaElement[], i: number): { node: SchemaNode; next: number } {
  const el = elements[i];
  if (!el) throw new Error('the footer schema is truncated');
  const children: SchemaNode[] = [];
  let next = i + 1;
  for (let c = 0; c < (el.num_children ?? 0); c++) {
    const sub = schemaTree(elements, next);
    children.push(sub.node);
    next = sub.next;
  }
  return { node: { el, children }, next };
}

/** Whether a top-level element is a nested column (a group or a repeated field). */
export function isNestedElement(el: SchemaElement): boolean {
  return (el.num_children ?? 0) > 0 || el.repetition_type === 'REPEATED';
}

/**
 * The Shape of a top-level nested column; `leafType` maps a primitive element to its Spillway
 * type (throwing for one Spillway does not read). Leaves are numbered in schema order, as the
 * column chunks are.
 */
export function nestedShape(top: SchemaNode, leafType: (el: SchemaElement) => DataType): Shape {
  let leaves = 0;
  const walk = (node: SchemaNode, path: string[], rep: number, def: number, asRequired = false): Shape => {
    const el = node.el;
    const repetition = asRequired ? 'REQUIRED' : el.repetition_type ?? 'REQUIRED';
    const here = [...path, el.name];
    if (repetition === 'REPEATED') {
      // a repeated field outside a LIST: a required list of required elements
      const element = walk(node, path, rep + 1, def + 1, true);
      return { kind: 'list', type: listType(element.type), def, elemDef: def + 1, rep: rep + 1, element };
    }
    const d = repetition === 'OPTIONAL' ? def + 1 : def;
    if (node.children.length === 0) {
      return { kind: 'leaf', type: leafType(el), leaf: leaves++, el, path: here, maxRep: rep, maxDef: d };
    }
    const annotation = el.logical_type?.type ?? el.converted_type;
    if (annotation === 'LIST') {
      const r = node.children[0]!;
      if (node.children.length !== 1 || r.el.repetition_type !== 'REPEATED') throw new Error(`LIST group "${el.name}" must have one repeated field`);
      const twoLevel = r.children.length !== 1 || r.el.name === 'array' || r.el.name === `${el.name}_tuple`;
      const element = twoLevel ? walk(r, here, rep + 1, d + 1, true) : walk(r.children[0]!, [...here, r.el.name], rep + 1, d + 1);
      return { kind: 'list', type: listType(element.type), def: d, elemDef: d + 1, rep: rep + 1, element };
    }
    if (annotation === 'MAP' || annotation === 'MAP_KEY_VALUE') {
      const kv = node.children[0]!;
      if (node.children.length !== 1 || kv.el.repetition_type !== 'REPEATED' || kv.children.length < 1 || kv.children.length > 2) {
        throw new Error(`MAP group "${el.name}" must have one repeated key_value group of key and value`);
      }
      const inner = [...here, kv.el.name];
      const key = walk(kv.children[0]!, inner, rep + 1, d + 1);
      const value = kv.children[1] !== undefined ? walk(kv.children[1], inner, rep + 1, d + 1) : null;
      if (value === null) throw new Error(`MAP group "${el.name}" has no value field`);
      const entry: Shape = {
        kind: 'struct', type: structType([{ name: 'key', type: key.type }, { name: 'value', type: value.type }]), def: d + 1, children: [key, value],
      };
      return { kind: 'list', type: mapType(key.type, value.type), def: d, elemDef: d + 1, rep: rep + 1, element: entry };
    }
    const children = node.children.map((c) => walk(c, here, rep, d));
    return { kind: 'struct', type: structType(children.map((c, k) => ({ name: node.children[k]!.el.name, type: c.type }))), def: d, children };
  };
  return walk(top, [], 0, 0);
}

/** The leaves of a shape, in chunk order. */
export function shapeLeaves(shape: Shape): Extract<Shape, { kind: 'leaf' }>[] {
  switch (shape.kind) {
    case 'leaf': return [shape];
    case 'struct': return shape.children.flatMap(shapeLeaves);
    case 'list': return shapeLeaves(shape.element);
  }
}

/** One leaf's decoded entries: levels (null: all 0, or all the leaf's max) and one value slot per entry. */
export interface LeafStream {
  rep: Uint8Array | null;
  def: Uint8Array | null;
  values: Column;
}

interface Slots { starts: Int32Array; ends: Int32Array }

/** The nested column of `rows` rows from the entries of each leaf (streams[k] for leaf k). */
export function assembleNested(shape: Shape, streams: readonly LeafStream[], rows: number): Column {
  const slots = new Map<number, Slots>();
  for (const leaf of shapeLeaves(shape)) {
    const s = streams[leaf.leaf]!;
    const total = s.values.length;
    const starts = new Int32Array(rows), ends = new Int32Array(rows);
    let r = 0;
    for (let k = 0; k < total; k++) {
      if (s.rep === null || s.rep[k] === 0) {
        if (r >= rows) throw new Error(`column "${leaf.path[0]}": leaf ${leaf.path.join('.')} has more than ${rows} rows`);
        if (r > 0) ends[r - 1] = k;
        starts[r++] = k;
      }
    }
    if (r !== rows) throw new Error(`column "${leaf.path[0]}": leaf ${leaf.path.join('.')} has ${r} rows where the row group has ${rows}`);
    if (r > 0) ends[r - 1] = total;
    slots.set(leaf.leaf, { starts, ends });
  }
  return build(shape, streams, slots, rows);
}

function defAt(s: LeafStream, k: number, max: number): number {
  return s.def === null ? max : s.def[k]!;
}

function build(shape: Shape, streams: readonly LeafStream[], slots: Map<number, Slots>, n: number): Column {
  switch (shape.kind) {
    case 'leaf':
      return take(streams[shape.leaf]!.values, slots.get(shape.leaf)!.starts, n);
    case 'struct': {
      const first = shapeLeaves(shape)[0]!;
      const s = streams[first.leaf]!, { starts } = slots.get(first.leaf)!;
      let validity: Uint8Array | null = null;
      for (let i = 0; i < n; i++) {
        if (defAt(s, starts[i]!, first.maxDef) < shape.def) { validity ??= new Uint8Array(n).fill(1); validity[i] = 0; }
      }
      const children = shape.children.map((c) => build(c, streams, slots, n));
      return { type: shape.type, length: n, validity, children } as StructColumn;
    }
    case 'list': {
      const leaves = shapeLeaves(shape);
      const first = leaves[0]!;
      const s = streams[first.leaf]!, { starts, ends } = slots.get(first.leaf)!;
      const offsets = new Int32Array(n + 1);
      let validity: Uint8Array | null = null;
      let count = 0;
      for (let i = 0; i < n; i++) {
        const a = starts[i]!, d = defAt(s, a, first.maxDef);
        if (d < shape.def) { validity ??= new Uint8Array(n).fill(1); validity[i] = 0; }
        else if (d >= shape.elemDef) {
          count++;
          for (let k = a + 1, e = ends[i]!; k < e; k++) if (s.rep![k]! <= shape.rep) count++;
        }
        offsets[i + 1] = count;
      }
      // every leaf's slots cut into one slot per element
      const childSlots = new Map<number, Slots>();
      for (const leaf of leaves) {
        const ls = streams[leaf.leaf]!, p = slots.get(leaf.leaf)!;
        const cs = new Int32Array(count), ce = new Int32Array(count);
        let j = 0;
        for (let i = 0; i < n; i++) {
          if (offsets[i + 1] === offsets[i]) continue;
          const a = p.starts[i]!, e = p.ends[i]!;
          cs[j] = a;
          for (let k = a + 1; k < e; k++) {
            if (ls.rep![k]! <= shape.rep) { ce[j++] = k; cs[j] = k; }
          }
          ce[j++] = e;
          if (j !== offsets[i + 1]) throw new Error(`column "${leaf.path[0]}": leaf ${leaf.path.join('.')} disagrees with its siblings on list lengths`);
        }
        childSlots.set(leaf.leaf, { starts: cs, ends: ce });
      }
      const child = build(shape.element, streams, childSlots, count);
      return { type: shape.type, length: n, validity, offsets, child } as ListColumn | MapColumn;
    }
  }
}
