/**
 * Parquet's RLE / bit-packed hybrid encoding, decoded straight into a typed array.
 *
 * Used for dictionary indices (into an Int32Array), definition levels (into validity bytes,
 * 1 = valid) and RLE booleans (into value bytes). One tight loop per run, no per-value
 * objects; runs that overshoot the wanted count (bit-packed groups are padded to 8) are
 * cut at `count`.
 */

/** Unsigned LEB128 varint at bytes[pos]; returns the value and moves `cursor.pos`. */
export function readUleb(bytes: Uint8Array, cursor: { pos: number }): number {
  let pos = cursor.pos;
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    if (b === undefined) throw new Error('varint runs past the end of the page');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  cursor.pos = pos;
  return result;
}

/**
 * Decode `count` values of `bitWidth` bits from bytes[pos, end) into out[outStart, outStart + count).
 * Returns the position after the last run read.
 */
export function decodeHybrid(
  bytes: Uint8Array, pos: number, end: number, bitWidth: number,
  out: Int32Array | Uint8Array, outStart: number, count: number,
): number {
  const stop = outStart + count;
  if (bitWidth === 0) {
    out.fill(0, outStart, stop);
    return pos;
  }
  if (bitWidth > 32) throw new Error(`RLE bit width ${bitWidth} is larger than 32`);
  const byteWidth = (bitWidth + 7) >> 3;
  const cursor = { pos };
  let o = outStart;
  while (o < stop) {
    if (cursor.pos >= end) throw new Error(`RLE data ends after ${o - outStart} of ${count} values`);
    const header = readUleb(bytes, cursor);
    let p = cursor.pos;
    if ((header & 1) === 0) {
      // RLE run: one value, repeated
      const runLength = Math.floor(header / 2);
      let v = 0;
      for (let i = 0; i < byteWidth; i++) v += bytes[p + i]! * 2 ** (8 * i);
      p += byteWidth;
      const runEnd = Math.min(stop, o + runLength);
      out.fill(v | 0, o, runEnd);
      o = runEnd;
    } else {
      // bit-packed run: (header >> 1) groups of 8 values
      const values = Math.floor(header / 2) * 8;
      const runBytes = (values * bitWidth) / 8;
      const take = Math.min(values, stop - o);
      if (p + Math.ceil((take * bitWidth) / 8) > bytes.length) throw new Error('bit-packed run runs past the end of the page');
      unpackBits(bytes, p, bitWidth, out, o, take);
      o += take;
      p += runBytes;
    }
    cursor.pos = p;
  }
  return cursor.pos;
}

/** `n` little-endian bit-packed values of `w` bits from bytes[pos..] into out[o..]. */
export function unpackBits(bytes: Uint8Array, pos: number, w: number, out: Int32Array | Uint8Array, o: number, n: number): void {
  if (w === 1) {
    // definition levels and booleans: 8 values per byte
    const full = n >> 3;
    for (let i = 0; i < full; i++) {
      const b = bytes[pos + i]!;
      const k = o + (i << 3);
      out[k] = b & 1; out[k + 1] = (b >> 1) & 1; out[k + 2] = (b >> 2) & 1; out[k + 3] = (b >> 3) & 1;
      out[k + 4] = (b >> 4) & 1; out[k + 5] = (b >> 5) & 1; out[k + 6] = (b >> 6) & 1; out[k + 7] = (b >> 7) & 1;
    }
    for (let i = full << 3; i < n; i++) out[o + i] = (bytes[pos + (i >> 3)]! >> (i & 7)) & 1;
    return;
  }
  if (w <= 24) {
    const mask = (1 << w) - 1;
    let buf = 0;
    let bits = 0;
    let p = pos;
    const end = o + n;
    for (let i = o; i < end; i++) {
      while (bits < w) {
        buf |= bytes[p++]! << bits;
        bits += 8;
      }
      out[i] = buf & mask;
      buf >>>= w;
      bits -= w;
    }
    return;
  }
  // wide values: arithmetic on doubles (bits never exceed 53)
  let bitPos = 0;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let b = 0; b < w; b++) {
      const at = bitPos + b;
      if ((bytes[pos + (at >> 3)]! >> (at & 7)) & 1) v += 2 ** b;
    }
    out[o + i] = v | 0;
    bitPos += w;
  }
}

/**
 * A zigzag varint modulo 2^32. Writers may encode INT32 (and UINT_32) values and deltas with
 * 64-bit arithmetic, so the varint can be 33+ bits wide; only the low 32 bits of the decoded
 * value matter, and those need bit 32 of the zigzag form.
 */
export function readZigZag32(bytes: Uint8Array, cursor: { pos: number }): number {
  let pos = cursor.pos;
  let lo = 0;
  let bit32 = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    if (b === undefined) throw new Error('varint runs past the end of the page');
    if (shift < 32) {
      lo |= (b & 0x7f) << shift;
      if (shift + 7 > 32) bit32 = ((b & 0x7f) >>> (32 - shift)) & 1;
    }
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  cursor.pos = pos;
  return ((lo >>> 1) | (bit32 << 31)) ^ -(lo & 1);
}
