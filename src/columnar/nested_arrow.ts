/**
 * Nested columns ⇄ Arrow List, Struct and Map vectors (arrow.ts hands nested types here).
 * Offsets and child buffers are shared, not copied; validity is packed or unpacked as for
 * flat columns. A list whose offsets do not start at 0 or leave child rows unused is first
 * compacted, so the Arrow data is self-contained.
 */
import * as arrow from 'apache-arrow';
import type { DataType, NestedType } from '../common/types.js';
import { isList, isStruct, listElement, listType, mapParams, mapType, structFields, structType } from '../common/nested_types.js';
import type { Column, ListColumn, MapColumn, NestedColumn, StructColumn } from './column.js';
import { columnFromArrowData, columnToArrowData, fromArrowType, toArrowType } from './arrow.js';
import { compactList } from './nested.js';
import { sliceColumn } from './kernels.js';

export function nestedToArrowType(t: NestedType): arrow.DataType {
  if (isList(t)) return new arrow.List(new arrow.Field('item', toArrowType(listElement(t)), true));
  if (isStruct(t)) return new arrow.Struct(structFields(t).map((f) => new arrow.Field(f.name, toArrowType(f.type), true)));
  const { key, value } = mapParams(t);
  const entries = new arrow.Struct([new arrow.Field('key', toArrowType(key), false), new arrow.Field('value', toArrowType(value), true)]);
  return new arrow.Map_(new arrow.Field('entries', entries, false), false);
}

export function nestedFromArrowType(t: arrow.DataType, where: string): DataType {
  switch (t.typeId) {
    case arrow.Type.List: return listType(fromArrowType((t as arrow.List).children[0]!.type, where));
    case arrow.Type.Struct: return structType((t as arrow.Struct).children.map((f) => ({ name: f.name, type: fromArrowType(f.type, where) })));
    case arrow.Type.Map: {
      const entries = (t as arrow.Map_).children[0]!.type as arrow.Struct;
      return mapType(fromArrowType(entries.children[0]!.type, where), fromArrowType(entries.children[1]!.type, where));
    }
    default: throw new Error(`unsupported Arrow type ${String(t)} in ${where}`);
  }
}

export function nestedToArrowData(c: NestedColumn, type: arrow.DataType, nullCount: number, nullBitmap: Uint8Array | undefined): arrow.Data {
  const length = c.length;
  if (isStruct(c.type)) {
    const children = (c as StructColumn).children.map(columnToArrowData);
    return arrow.makeData({ type: type as arrow.Struct, length, nullCount, nullBitmap, children });
  }
  const l = compactList(c as ListColumn | MapColumn);
  const child = columnToArrowData(l.child);
  if (isList(c.type)) return arrow.makeData({ type: type as arrow.List, length, nullCount, nullBitmap, valueOffsets: l.offsets, child });
  return arrow.makeData({ type: type as arrow.Map_, length, nullCount, nullBitmap, valueOffsets: l.offsets, child });
}

export function nestedFromArrowData(d: arrow.Data, type: NestedType, validity: Uint8Array | null): Column {
  const n = d.length;
  const off = d.offset;
  if (isStruct(type)) {
    const fields = structFields(type);
    const children = fields.map((f, k) => {
      const ch = columnFromArrowData(d.children[k]!, f.type);
      // children of a sliced struct may still span the parent's whole range
      return ch.length === n ? ch : sliceColumn(ch, off, off + n);
    });
    return { type, length: n, validity, children } as StructColumn;
  }
  const offsets = (d.valueOffsets as Int32Array).subarray(off, off + n + 1);
  const childType = isList(type) ? listElement(type) : (() => {
    const { key, value } = mapParams(type);
    return structType([{ name: 'key', type: key }, { name: 'value', type: value }]);
  })();
  const child = columnFromArrowData(d.children[0]!, childType);
  return { type, length: n, validity, offsets, child } as ListColumn | MapColumn;
}
