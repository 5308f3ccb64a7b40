/**
 * Nested data types (LIST, STRUCT, MAP): their canonical spelling, parsing and printing.
 *
 * A nested type is a DataType string like any other, with one spelling per type so types
 * still compare with ===:
 *   list<int64>                 a list of int64 values
 *   struct<a:int64,b:utf8>      fields in order; a name that is not [A-Za-z_][A-Za-z0-9_]*
 *                               is double-quoted ("my field", quotes doubled)
 *   map<utf8,int64>             key and value types (stored as list<struct<key:K,value:V>>)
 * No spaces anywhere. Parsed forms are cached: kernels look them up per column, not per row.
 */
import type { DataType, ListType, MapType, NestedType, StructType } from './types.js';

export interface StructFieldType {
  readonly name: string;
  readonly type: DataType;
}

export type NestedTypeInfo =
  | { readonly kind: 'list'; readonly element: DataType }
  | { readonly kind: 'struct'; readonly fields: readonly StructFieldType[] }
  | { readonly kind: 'map'; readonly key: DataType; readonly value: DataType };

export function isList(t: string): t is ListType { return t.startsWith('list<'); }
export function isStruct(t: string): t is StructType { return t.startsWith('struct<'); }
export function isMap(t: string): t is MapType { return t.startsWith('map<'); }
export function isNested(t: string): t is NestedType { return isList(t) || isStruct(t) || isMap(t); }

export function listType(element: DataType): ListType {
  return `list<${element}>`;
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function quoteName(name: string): string {
  return PLAIN_NAME.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

export function structType(fields: readonly StructFieldType[]): StructType {
  return `struct<${fields.map((f) => `${quoteName(f.name)}:${f.type}`).join(',')}>`;
}

export function mapType(key: DataType, value: DataType): MapType {
  return `map<${key},${value}>`;
}

/** The struct a map's entries are: struct<key:K,value:V>. */
export function mapEntryType(t: MapType): StructType {
  const { key, value } = mapParams(t);
  return structType([{ name: 'key', type: key }, { name: 'value', type: value }]);
}

const cache = new Map<string, NestedTypeInfo>();

/** The parts of a nested type (cached); throws on a malformed spelling. */
export function nestedInfo(t: string): NestedTypeInfo {
  let info = cache.get(t);
  if (info === undefined) {
    const p = new TypeParser(t);
    const parsed = p.type();
    if (p.pos !== t.length) throw new Error(`malformed type "${t}" at ${p.pos}`);
    if (!isNested(parsed)) throw new Error(`not a nested type: ${t}`);
    info = p.lastInfo!;
    cache.set(t, info);
  }
  return info;
}

export function listElement(t: ListType): DataType {
  return (nestedInfo(t) as { element: DataType }).element;
}

export function structFields(t: StructType): readonly StructFieldType[] {
  return (nestedInfo(t) as { fields: readonly StructFieldType[] }).fields;
}

export function mapParams(t: MapType): { key: DataType; value: DataType } {
  return nestedInfo(t) as { key: DataType; value: DataType };
}

/** Parses a DataType spelling; checks nested ones structurally (leaves are taken as spelled). */
class TypeParser {
  pos = 0;
  lastInfo: NestedTypeInfo | undefined;
  constructor(private readonly s: string) {}

  type(): DataType {
    const s = this.s;
    for (const kind of ['list<', 'struct<', 'map<'] as const) {
      if (s.startsWith(kind, this.pos)) {
        this.pos += kind.length;
        let info: NestedTypeInfo;
        if (kind === 'list<') {
          info = { kind: 'list', element: this.type() };
        } else if (kind === 'map<') {
          const key = this.type();
          this.expect(',');
          info = { kind: 'map', key, value: this.type() };
        } else {
          const fields: StructFieldType[] = [];
          while (s[this.pos] !== '>') {
            if (fields.length > 0) this.expect(',');
            const name = this.name();
            this.expect(':');
            fields.push({ name, type: this.type() });
          }
          info = { kind: 'struct', fields };
        }
        this.expect('>');
        this.lastInfo = info;
        switch (info.kind) {
          case 'list': return listType(info.element);
          case 'map': return mapType(info.key, info.value);
          case 'struct': return structType(info.fields);
        }
      }
    }
    // a leaf: up to the next ',' or '>' outside parentheses (decimal(p,s))
    const start = this.pos;
    let depth = 0;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (depth === 0 && (c === ',' || c === '>')) break;
      this.pos++;
    }
    if (this.pos === start) throw new Error(`malformed type "${s}" at ${start}`);
    return s.slice(start, this.pos) as DataType;
  }

  private name(): string {
    const s = this.s;
    if (s[this.pos] === '"') {
      let out = '';
      this.pos++;
      for (;;) {
        const q = s.indexOf('"', this.pos);
        if (q < 0) throw new Error(`malformed type "${s}": unterminated field name`);
        out += s.slice(this.pos, q);
        this.pos = q + 1;
        if (s[this.pos] === '"') { out += '"'; this.pos++; } else return out;
      }
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.pos));
    if (!m) throw new Error(`malformed type "${s}" at ${this.pos}: expected a field name`);
    this.pos += m[0].length;
    return m[0];
  }

  private expect(c: string): void {
    if (this.s[this.pos] !== c) throw new Error(`malformed type "${this.s}" at ${this.pos}: expected '${c}'`);
    this.pos++;
  }
}

/** DuckDB's spelling of a nested type: INTEGER[], STRUCT(a INTEGER, "b c" VARCHAR), MAP(VARCHAR, INTEGER). */
export function nestedSqlTypeName(t: string, leafName: (t: DataType) => string): string {
  const info = nestedInfo(t);
  switch (info.kind) {
    case 'list': return `${leafName(info.element)}[]`;
    case 'map': return `MAP(${leafName(info.key)}, ${leafName(info.value)})`;
    case 'struct': return `STRUCT(${info.fields.map((f) => `${PLAIN_NAME.test(f.name) ? f.name : `"${f.name.replaceAll('"', '""')}"`} ${leafName(f.type)}`).join(', ')})`;
  }
}

/**
 * The nested type both a and b convert to, or null: the same shape (list, map, struct with the
 * same field names in order) with `leaf` giving the common type of each pair of leaves.
 */
export function commonNestedType(a: DataType, b: DataType, leaf: (x: DataType, y: DataType) => DataType | null): DataType | null {
  if (a === b) return a;
  if (!isNested(a) || !isNested(b)) return isNested(a) || isNested(b) ? null : leaf(a, b);
  const x = nestedInfo(a), y = nestedInfo(b);
  if (x.kind === 'list' && y.kind === 'list') {
    const e = commonNestedType(x.element, y.element, leaf);
    return e === null ? null : listType(e);
  }
  if (x.kind === 'map' && y.kind === 'map') {
    const k = commonNestedType(x.key, y.key, leaf), v = commonNestedType(x.value, y.value, leaf);
    return k === null || v === null ? null : mapType(k, v);
  }
  if (x.kind === 'struct' && y.kind === 'struct' && x.fields.length === y.fields.length) {
    const fields: StructFieldType[] = [];
    for (let i = 0; i < x.fields.length; i++) {
      const f = x.fields[i]!, g = y.fields[i]!;
      if (f.name !== g.name) return null;
      const t = commonNestedType(f.type, g.type, leaf);
      if (t === null) return null;
      fields.push({ name: f.name, type: t });
    }
    return structType(fields);
  }
  return null;
}
