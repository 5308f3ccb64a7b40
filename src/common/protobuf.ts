/**
 * A small hand-written protobuf (proto3) codec: the field tables of proto/spillway.proto's
 * messages live with their users (exchange/flight_messages.ts, protocol/worker_messages.ts).
 *
 * Why by hand: the messages are few and flat, the data path wants zero-copy decoding of
 * `bytes` fields (IPC bodies of several MiB), and we avoid code generation (no protoc, no
 * proto-loader). Each message is described by a field table (`Spec<T>`) that mirrors the
 * .proto file: field number + kind. One generic encoder sizes the message first and writes
 * it into one Buffer; one generic decoder returns `bytes` fields as views into the input.
 *
 * Wire rules followed (https://protobuf.dev/programming-guides/encoding/):
 *   tag = (field_number << 3) | wire_type; wire types 0 = varint, 1 = 64-bit,
 *   2 = length-delimited, 5 = 32-bit. Proto3 defaults (0, "", empty bytes, false) are not
 *   written. Repeated numbers are written packed and read packed or not. Unknown fields
 *   are skipped; malformed input throws ProtoDecodeError.
 */

export class ProtoDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoDecodeError';
  }
}

type ScalarKind = 'string' | 'bytes' | 'uint32' | 'uint64' | 'bool' | 'enum';

interface ScalarField { readonly no: number; readonly kind: ScalarKind; readonly repeated?: boolean }
interface MessageField { readonly no: number; readonly kind: 'message'; readonly spec: AnySpec; readonly repeated?: false }
type FieldSpec = ScalarField | MessageField;

/** A message's field table: one entry per property of T, keyed by the camelCase name. */
export type Spec<T> = { readonly [K in keyof T]-?: FieldSpec };
// Nested specs are stored untyped; their property names are checked where they are declared.
type AnySpec = Readonly<Record<string, FieldSpec>>;

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes of `v` as a protobuf varint. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) { v = Math.floor(v / 128); n++; }
  return n;
}

/** Write `v` as a protobuf varint at buf[pos]; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 128) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

function checkUnsigned(v: number, kind: ScalarKind, name: string): number {
  const max = kind === 'uint32' || kind === 'enum' ? 0xffffffff : Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`protobuf field ${name}: ${v} is not a valid ${kind}`);
  return v;
}

/**
 * Sizing pass output: strings are encoded once here and reused by the write pass, and
 * nested messages remember their size, so each value is measured exactly once.
 */
interface Plan { size: number; strings: Uint8Array[]; nested: Plan[] }

function scalarIsDefault(kind: ScalarKind, v: unknown): boolean {
  switch (kind) {
    case 'string': return v === '' || v === undefined || v === null;
    case 'bytes': return v === undefined || v === null || (v as Uint8Array).byteLength === 0;
    case 'bool': return v !== true;
    default: return v === undefined || v === null || v === 0;
  }
}

function planMessage(spec: AnySpec, msg: Readonly<Record<string, unknown>>): Plan {
  const plan: Plan = { size: 0, strings: [], nested: [] };
  for (const name in spec) {
    const f = spec[name]!;
    const v = msg[name];
    const tagSize = varintSize(f.no * 8);
    if (f.kind === 'message') {
      if (v === null || v === undefined) continue;
      const sub = planMessage(f.spec, v as Record<string, unknown>);
      plan.nested.push(sub);
      plan.size += tagSize + varintSize(sub.size) + sub.size;
    } else if (f.repeated) {
      const list = (v ?? []) as readonly unknown[];
      if (list.length === 0) continue;
      if (f.kind === 'string' || f.kind === 'bytes') {
        for (const item of list) {
          const b = f.kind === 'string' ? textEncoder.encode(item as string) : (item as Uint8Array);
          if (f.kind === 'string') plan.strings.push(b);
          plan.size += tagSize + varintSize(b.byteLength) + b.byteLength;
        }
      } else {
        let packed = 0;
        for (const item of list) packed += f.kind === 'bool' ? 1 : varintSize(checkUnsigned(item as number, f.kind, name));
        plan.size += tagSize + varintSize(packed) + packed;
      }
    } else {
      if (scalarIsDefault(f.kind, v)) continue;
      switch (f.kind) {
        case 'string': {
          const b = textEncoder.encode(v as string);
          plan.strings.push(b);
          plan.size += tagSize + varintSize(b.byteLength) + b.byteLength;
          break;
        }
        case 'bytes': {
          const n = (v as Uint8Array).byteLength;
          plan.size += tagSize + varintSize(n) + n;
          break;
        }
        case 'bool': plan.size += tagSize + 1; break;
        default: plan.size += tagSize + varintSize(checkUnsigned(v as number, f.kind, name));
      }
    }
  }
  return plan;
}

interface Cursor { pos: number; s: number; n: number }

function writeMessage(buf: Uint8Array, spec: AnySpec, msg: Readonly<Record<string, unknown>>, plan: Plan, c: Cursor): void {
  for (const name in spec) {
    const f = spec[name]!;
    const v = msg[name];
    if (f.kind === 'message') {
      if (v === null || v === undefined) continue;
      const sub = plan.nested[c.n++]!;
      c.pos = writeVarint(buf, c.pos, f.no * 8 + WIRE_LEN);
      c.pos = writeVarint(buf, c.pos, sub.size);
      writeMessage(buf, f.spec, v as Record<string, unknown>, sub, { pos: c.pos, s: 0, n: 0 });
      c.pos += sub.size;
    } else if (f.repeated) {
      const list = (v ?? []) as readonly unknown[];
      if (list.length === 0) continue;
      if (f.kind === 'string' || f.kind === 'bytes') {
        for (const item of list) {
          const b = f.kind === 'string' ? plan.strings[c.s++]! : (item as Uint8Array);
          c.pos = writeVarint(buf, c.pos, f.no * 8 + WIRE_LEN);
          c.pos = writeVarint(buf, c.pos, b.byteLength);
          buf.set(b, c.pos);
          c.pos += b.byteLength;
        }
      } else {
        let packed = 0;
        for (const item of list) packed += f.kind === 'bool' ? 1 : varintSize(item as number);
        c.pos = writeVarint(buf, c.pos, f.no * 8 + WIRE_LEN);
        c.pos = writeVarint(buf, c.pos, packed);
        for (const item of list) c.pos = writeVarint(buf, c.pos, f.kind === 'bool' ? (item ? 1 : 0) : (item as number));
      }
    } else {
      if (scalarIsDefault(f.kind, v)) continue;
      if (f.kind === 'string' || f.kind === 'bytes') {
        const b = f.kind === 'string' ? plan.strings[c.s++]! : (v as Uint8Array);
        c.pos = writeVarint(buf, c.pos, f.no * 8 + WIRE_LEN);
        c.pos = writeVarint(buf, c.pos, b.byteLength);
        buf.set(b, c.pos);
        c.pos += b.byteLength;
      } else {
        c.pos = writeVarint(buf, c.pos, f.no * 8 + WIRE_VARINT);
        c.pos = writeVarint(buf, c.pos, f.kind === 'bool' ? 1 : (v as number));
      }
    }
  }
}

/** Encode a message into one freshly allocated Buffer (what grpc-js serializers return). */
export function encodeMessage<T>(spec: Spec<T>, msg: T): Buffer {
  const s = spec as unknown as AnySpec;
  const m = msg as unknown as Record<string, unknown>;
  const plan = planMessage(s, m);
  const buf = Buffer.allocUnsafe(plan.size);
  const c: Cursor = { pos: 0, s: 0, n: 0 };
  writeMessage(buf, s, m, plan, c);
  if (c.pos !== plan.size) throw new Error(`protobuf encoder wrote ${c.pos} bytes, planned ${plan.size}`);
  return buf;
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

function defaultFor(f: FieldSpec): unknown {
  if (f.repeated) return [];
  switch (f.kind) {
    case 'message': return null;
    case 'string': return '';
    case 'bytes': return EMPTY;
    case 'bool': return false;
    default: return 0;
  }
}

const EMPTY = new Uint8Array(0);

/** Byte reader over one message's bytes; `end` bounds nested messages. */
class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start: number, readonly end: number) { this.pos = start; }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoDecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new ProtoDecodeError('varint longer than 10 bytes');
  }

  length(): number {
    const n = this.varint();
    if (n > this.end - this.pos) throw new ProtoDecodeError(`length ${n} runs past the end of the message`);
    return n;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_FIXED64: this.advance(8); return;
      case WIRE_LEN: this.advance(this.length()); return;
      case WIRE_FIXED32: this.advance(4); return;
      default: throw new ProtoDecodeError(`unsupported wire type ${wire}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new ProtoDecodeError('field runs past the end of the message');
    this.pos += n;
  }
}

function scalarFromVarint(f: ScalarField, raw: number, name: string): number | boolean {
  switch (f.kind) {
    case 'bool': return raw !== 0;
    case 'uint32': case 'enum': return raw % 4294967296;
    case 'uint64':
      if (raw > Number.MAX_SAFE_INTEGER) throw new ProtoDecodeError(`field ${name}: ${raw} exceeds 2^53`);
      return raw;
    default: throw new ProtoDecodeError(`field ${name}: varint where ${f.kind} was expected`);
  }
}

function decodeInto(spec: AnySpec, byNumber: Map<number, [string, FieldSpec]>, r: Reader): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in spec) out[name] = defaultFor(spec[name]!);
  while (r.pos < r.end) {
    const tag = r.varint();
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (no === 0) throw new ProtoDecodeError('field number 0');
    const entry = byNumber.get(no);
    if (!entry) { r.skip(wire); continue; }
    const [name, f] = entry;
    if (f.kind === 'message') {
      if (wire !== WIRE_LEN) throw new ProtoDecodeError(`field ${name}: wire type ${wire}, expected 2`);
      const n = r.length();
      out[name] = decodeInto(f.spec, numberIndex(f.spec), new Reader(r.buf, r.pos, r.pos + n));
      r.pos += n;
      continue;
    }
    if (f.kind === 'string' || f.kind === 'bytes') {
      if (wire !== WIRE_LEN) throw new ProtoDecodeError(`field ${name}: wire type ${wire}, expected 2`);
      const n = r.length();
      // A plain Uint8Array view (not a Buffer slice even when the input is a Buffer).
      const view = new Uint8Array(r.buf.buffer, r.buf.byteOffset + r.pos, n);
      r.pos += n;
      let value: unknown;
      if (f.kind === 'string') {
        try { value = textDecoder.decode(view); } catch { throw new ProtoDecodeError(`field ${name}: invalid UTF-8`); }
      } else {
        value = view;
      }
      if (f.repeated) (out[name] as unknown[]).push(value);
      else out[name] = value;
      continue;
    }
    // numeric / bool / enum
    if (f.repeated && wire === WIRE_LEN) {
      const n = r.length();
      const sub = new Reader(r.buf, r.pos, r.pos + n);
      while (sub.pos < sub.end) (out[name] as unknown[]).push(scalarFromVarint(f, sub.varint(), name));
      r.pos += n;
      continue;
    }
    if (wire !== WIRE_VARINT) throw new ProtoDecodeError(`field ${name}: wire type ${wire}, expected 0`);
    const v = scalarFromVarint(f, r.varint(), name);
    if (f.repeated) (out[name] as unknown[]).push(v);
    else out[name] = v;
  }
  if (r.pos !== r.end) throw new ProtoDecodeError('message ends inside a field');
  return out;
}

const indexCache = new WeakMap<AnySpec, Map<number, [string, FieldSpec]>>();

function numberIndex(spec: AnySpec): Map<number, [string, FieldSpec]> {
  let m = indexCache.get(spec);
  if (!m) {
    m = new Map();
    for (const name in spec) m.set(spec[name]!.no, [name, spec[name]!]);
    indexCache.set(spec, m);
  }
  return m;
}

/**
 * Decode a message. `bytes` fields are views into `buf` (no copy): keep `buf` alive as
 * long as they are used, and copy before mutating.
 */
export function decodeMessage<T>(spec: Spec<T>, buf: Uint8Array): T {
  const s = spec as unknown as AnySpec;
  return decodeInto(s, numberIndex(s), new Reader(buf, 0, buf.byteLength)) as T;
}
