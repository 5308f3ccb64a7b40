/**
 * DELTA_BINARY_PACKED decoding.
 *
 * INT32 (and the lengths of the delta byte-array encodings) is decoded here in 32-bit
 * arithmetic, which wraps exactly as the format requires, including writers that encode
 * the values with 64-bit arithmetic (first values and deltas wider than 32 bits). INT64 goes
 * through hyparquet's BigInt decoder.
 */
import { deltaBinaryUnpack } from 'hyparquet/src/delta.js';
import { readUleb, readZigZag32 } from './rle.js';

/** Decode `count` INT32 values from bytes[pos..end) into out[0..count); returns the end position. */
export function deltaInt32(bytes: Uint8Array, pos: number, end: number, count: number, out: Int32Array): number {
  const cursor = { pos };
  const blockSize = readUleb(bytes, cursor);
  const miniblocks = readUleb(bytes, cursor);
  readUleb(bytes, cursor); // total value count
  let value = readZigZag32(bytes, cursor);
  if (miniblocks <= 0 || blockSize % miniblocks !== 0 || (blockSize / miniblocks) % 8 !== 0) {
    throw new Error(`invalid DELTA_BINARY_PACKED header (block ${blockSize}, miniblocks ${miniblocks})`);
  }
  const perMini = blockSize / miniblocks;
  let o = 0;
  if (count > 0) out[o++] = value;
  while (o < count) {
    const minDelta = readZigZag32(bytes, cursor);
    const widths = cursor.pos;
    let p = widths + miniblocks;
    for (let m = 0; m < miniblocks && o < count; m++) {
      const w = bytes[widths + m]!;
      const take = Math.min(perMini, count - o);
      if (p + Math.ceil((take * w) / 8) > end) throw new Error('DELTA_BINARY_PACKED miniblock runs past the end of the page');
      if (w === 0) {
        for (let i = 0; i < take; i++) { value = (value + minDelta) | 0; out[o++] = value; }
      } else if (w <= 24) {
        const mask = (1 << w) - 1;
        let buf = 0;
        let bits = 0;
        let q = p;
        for (let i = 0; i < take; i++) {
          while (bits < w) { buf |= bytes[q++]! << bits; bits += 8; }
          value = (value + minDelta + (buf & mask)) | 0;
          out[o++] = value;
          buf >>>= w;
          bits -= w;
        }
      } else {
        // wide residuals: only their low 32 bits matter
        let bp = 0;
        for (let i = 0; i < take; i++) {
          let v = 0;
          let got = 0;
          let at = bp;
          const want = Math.min(w, 32);
          while (got < want) {
            const off = at & 7;
            const n = Math.min(8 - off, want - got);
            v |= ((bytes[p + (at >> 3)]! >>> off) & ((1 << n) - 1)) << got;
            got += n;
            at += n;
          }
          value = (value + minDelta + v) | 0;
          out[o++] = value;
          bp += w;
        }
      }
      p += (perMini * w) / 8;
    }
    cursor.pos = p;
  }
  return cursor.pos;
}

/** Decode `count` INT64 values from bytes[pos..end) into out; returns the end position. */
export function deltaInt64(bytes: Uint8Array, pos: number, end: number, count: number, out: BigInt64Array): number {
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, end), offset: pos };
  deltaBinaryUnpack(reader, count, out);
  return reader.offset;
}
