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
  // made once for the word loads of every bit-packed run (runs hold at most a few hundred values)
  let view: DataView | undefined;
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
      if (out instanceof Int32Array) unpackInts(bytes, p, bitWidth, out, o, take, view ??= viewOf(bytes));
      else unpackBytes(bytes, p, bitWidth, out, o, take);
      o += take;
      p += runBytes;
    }
    cursor.pos = p;
  }
  return cursor.pos;
}

// Bit-packed runs. Each width has its own small function so that V8 keeps one stable,
// monomorphic compilation per loop (one shared loop deoptimized at every width change), and
// nothing after a long loop is left without type feedback (an on-stack-replaced loop would
// deoptimize on its way out at every call).

/**
 * `n` little-endian bit-packed values of `w` bits from bytes[pos..] into out[o..] (indices or
 * levels). `view`: a DataView over exactly `bytes`, when the caller keeps one for many calls.
 */
export function unpackBits(
  bytes: Uint8Array, pos: number, w: number, out: Int32Array | Uint8Array, o: number, n: number, view?: DataView,
): void {
  if (out instanceof Int32Array) unpackInts(bytes, pos, w, out, o, n, view);
  else unpackBytes(bytes, pos, w, out, o, n);
}

/** A DataView over exactly the bytes of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `n` little-endian bit-packed values of `w` bits from bytes[pos..] into out[o..] (indices). */
function unpackInts(bytes: Uint8Array, pos: number, w: number, out: Int32Array, o: number, n: number, view?: DataView): void {
  switch (w) {
    case 1: unpack1(bytes, pos, out, o, n); return;
    case 2: unpack2(bytes, pos, out, o, n); return;
    case 4: unpack4(bytes, pos, out, o, n); return;
    case 8: unpack8(bytes, pos, out, o, n); return;
  }
  if (w > 24) { unpackWide(bytes, pos, w, out, o, n); return; }
  const done = unpackWindows(view ?? viewOf(bytes), pos, w, out, o, n);
  if (done < n) unpackTail(bytes, pos * 8 + done * w, w, out, o + done, n - done);
}

/** Definition levels and RLE booleans (1 bit), or any width into bytes. */
function unpackBytes(bytes: Uint8Array, pos: number, w: number, out: Uint8Array, o: number, n: number): void {
  if (w === 1) { unpack1(bytes, pos, out, o, n); return; }
  const mask = (1 << w) - 1;
  let p = pos;
  let buf = 0;
  let bits = 0;
  for (let i = o, end = o + n; i < end; i++) {
    while (bits < w) {
      buf |= bytes[p++]! << bits;
      bits += 8;
    }
    out[i] = buf & mask;
    buf >>>= w;
    bits -= w;
  }
}

/** 8 values per byte. */
function unpack1(bytes: Uint8Array, pos: number, out: Int32Array | Uint8Array, o: number, n: number): void {
  const full = n >> 3;
  // The partial last byte first: code after a long loop would run without type feedback.
  for (let i = full << 3; i < n; i++) out[o + i] = (bytes[pos + (i >> 3)]! >> (i & 7)) & 1;
  for (let i = 0; i < full; i++) {
    const b = bytes[pos + i]!;
    const k = o + (i << 3);
    out[k] = b & 1; out[k + 1] = (b >> 1) & 1; out[k + 2] = (b >> 2) & 1; out[k + 3] = (b >> 3) & 1;
    out[k + 4] = (b >> 4) & 1; out[k + 5] = (b >> 5) & 1; out[k + 6] = (b >> 6) & 1; out[k + 7] = (b >> 7) & 1;
  }
}

/** 4 values per byte. */
function unpack2(bytes: Uint8Array, pos: number, out: Int32Array, o: number, n: number): void {
  const full = n >> 2;
  for (let i = full << 2; i < n; i++) out[o + i] = (bytes[pos + (i >> 2)]! >> ((i & 3) << 1)) & 3;
  for (let i = 0; i < full; i++) {
    const b = bytes[pos + i]!;
    const k = o + (i << 2);
    out[k] = b & 3; out[k + 1] = (b >> 2) & 3; out[k + 2] = (b >> 4) & 3; out[k + 3] = b >> 6;
  }
}

/** 2 values per byte. */
function unpack4(bytes: Uint8Array, pos: number, out: Int32Array, o: number, n: number): void {
  const full = n >> 1;
  if ((n & 1) !== 0) out[o + n - 1] = bytes[pos + full]! & 15;
  for (let i = 0; i < full; i++) {
    const b = bytes[pos + i]!;
    const k = o + (i << 1);
    out[k] = b & 15; out[k + 1] = b >> 4;
  }
}

function unpack8(bytes: Uint8Array, pos: number, out: Int32Array, o: number, n: number): void {
  for (let i = 0; i < n; i++) out[o + i] = bytes[pos + i]!;
}

/**
 * Widths up to 24 bits: value i is the little-endian 32-bit window at byte pos + (i·w)/8,
 * shifted right by the bit within that byte (at most 7, and 7 + 24 bits fit in 32): one
 * unaligned load per value and no branch (a group-of-8 loop that assembled words from bytes
 * and picked one or two of them per value took twice as long). Stops before a value whose
 * window would pass the end of the buffer; returns the values written.
 */
function unpackWindows(view: DataView, pos: number, w: number, out: Int32Array, o: number, n: number): number {
  const mask = (1 << w) - 1;
  // value i fits while pos + floor(i·w / 8) + 4 <= byteLength
  const room = view.byteLength - 4 - pos;
  if (room < 0) return 0;
  const fit = Math.min(n, Math.floor(((room + 1) * 8 - 1) / w) + 1);
  for (let i = 0, bit = 0; i < fit; i++, bit += w) out[o + i] = (view.getUint32(pos + (bit >>> 3), true) >>> (bit & 7)) & mask;
  return fit;
}

/** The values unpackWindows left (a partial last group, the end of the buffer), bit by bit from bit `bit`. */
function unpackTail(bytes: Uint8Array, bit: number, w: number, out: Int32Array, o: number, n: number): void {
  for (let i = 0; i < n; i++, bit += w) {
    let v = 0;
    for (let t = 0; t < w; t++) {
      const at = bit + t;
      if (((bytes[at >> 3]! >> (at & 7)) & 1) !== 0) v |= 1 << t;
    }
    out[o + i] = v;
  }
}

/** Wide values: arithmetic on doubles (bits never exceed 53). */
function unpackWide(bytes: Uint8Array, pos: number, w: number, out: Int32Array, o: number, n: number): void {
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
