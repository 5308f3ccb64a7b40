/**
 * BLOB kernels: casts to and from text (DuckDB's `\xAA` escapes), octet_length, hex,
 * unhex and ||. Blobs compare, sort and hash bytewise through the utf8 paths (same layout).
 */
import { fixedColumn, type BlobColumn, type Column, type Utf8Column } from '../columnar/column.js';
import { formatBlob, hexOfBytes, parseBlobText } from '../common/blob_text.js';
import { SpillwayError } from '../common/errors.js';
import { decodeRange, Utf8Writer } from './utf8.js';
import { allNull, andValidity, maskOf } from './broadcast.js';

/** BLOB as text, as DuckDB casts it: printable ASCII as itself, other bytes, quotes and the backslash as `\xHH`. */
export function blobToText(c: BlobColumn): Utf8Column {
  const n = c.length, valid = c.validity;
  const w = new Utf8Writer(n, c.data.length + n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) { w.endNull(); continue; }
    w.pushString(formatBlob(c.data, c.offsets[i]!, c.offsets[i + 1]!));
    w.endRow();
  }
  return w.finish();
}

/** Text as BLOB: `\xHH` escapes read as bytes, other characters must be ASCII. */
export function textToBlob(c: Utf8Column): BlobColumn {
  const n = c.length, valid = c.validity;
  const parts: Uint8Array[] = [];
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (valid === null || valid[i] === 1) {
      const b = parseBlobText(decodeRange(c.data, c.offsets[i]!, c.offsets[i + 1]!));
      if (typeof b === 'string') throw new SpillwayError('execution', `cannot cast to BLOB: ${b}`);
      parts.push(b);
      total += b.length;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  let p = 0;
  for (const b of parts) { data.set(b, p); p += b.length; }
  return { type: 'blob', length: n, validity: valid, offsets, data };
}

/** octet_length: bytes of each value (BLOB or text), as BIGINT. */
export function octetLength(c: Column): Column {
  if (c.type !== 'blob' && c.type !== 'utf8') throw new SpillwayError('type', `octet_length expects a BLOB, got ${c.type}`);
  const out = new BigInt64Array(c.length);
  for (let i = 0; i < c.length; i++) out[i] = BigInt(c.offsets[i + 1]! - c.offsets[i]!);
  return fixedColumn('int64', out, c.validity);
}

/** hex(blob or text): upper-case hex digits of the bytes. */
export function hexOf(c: Column): Utf8Column {
  if (c.type !== 'blob' && c.type !== 'utf8') throw new SpillwayError('type', `hex expects a BLOB or VARCHAR, got ${c.type}`);
  const n = c.length, valid = c.validity;
  const w = new Utf8Writer(n, 2 * c.data.length);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) { w.endNull(); continue; }
    w.pushString(hexOfBytes(c.data, c.offsets[i]!, c.offsets[i + 1]!));
    w.endRow();
  }
  return w.finish();
}

/** a || b of two BLOBs (either may be a broadcast constant); NULL when either is. */
export function concatBlobs(a: Column, b: Column, n: number): Column {
  if (a.type === 'null' || b.type === 'null') return allNull('blob', n);
  if (a.type !== 'blob' || b.type !== 'blob') throw new SpillwayError('type', `|| of BLOBs got ${a.type} and ${b.type}`);
  const am = maskOf(a, n), bm = maskOf(b, n);
  const validity = andValidity(a.validity, am, b.validity, bm, n);
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (validity === null || validity[i] === 1) {
      const x = i & am, y = i & bm;
      total += a.offsets[x + 1]! - a.offsets[x]! + b.offsets[y + 1]! - b.offsets[y]!;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    if (offsets[i + 1] === offsets[i]) continue;
    const x = i & am, y = i & bm;
    let p = offsets[i]!;
    data.set(a.data.subarray(a.offsets[x]!, a.offsets[x + 1]!), p);
    p += a.offsets[x + 1]! - a.offsets[x]!;
    data.set(b.data.subarray(b.offsets[y]!, b.offsets[y + 1]!), p);
  }
  return { type: 'blob', length: n, validity, offsets, data };
}

function hexDigit(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 65 && b <= 70) return b - 55;
  if (b >= 97 && b <= 102) return b - 87;
  return -1;
}

/** unhex(text): the bytes of hex digits (an odd count reads a leading 0, as DuckDB does). */
export function unhex(c: Column): BlobColumn {
  if (c.type !== 'utf8') throw new SpillwayError('type', `unhex expects VARCHAR, got ${c.type}`);
  const n = c.length, valid = c.validity, d = c.data;
  const offsets = new Int32Array(n + 1);
  const out = new Uint8Array(Math.ceil(d.length / 2) + n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    if (valid === null || valid[i] === 1) {
      let s = c.offsets[i]!;
      const e = c.offsets[i + 1]!;
      let hi = (e - s) % 2 === 1 ? 0 : -1;
      for (; s < e; s++) {
        const v = hexDigit(d[s]!);
        if (v < 0) throw new SpillwayError('execution', `invalid input for unhex: "${decodeRange(d, c.offsets[i]!, e)}" is not hexadecimal`);
        if (hi < 0) hi = v; else { out[pos++] = hi * 16 + v; hi = -1; }
      }
    }
    offsets[i + 1] = pos;
  }
  return { type: 'blob', length: n, validity: valid, offsets, data: out.slice(0, pos) };
}
