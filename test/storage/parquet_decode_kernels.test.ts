/**
 * The decoder's hot loops against bit-by-bit references: the RLE / bit-packed hybrid at
 * every width (1–32) into indices and into bytes, with runs cut short, odd output offsets
 * and packed data that ends exactly at the end of the buffer (the word-at-a-time path must
 * stop before reading past it); dictionary gathers of fixed-width and string values, with
 * and without NULL rows, and their out-of-range index errors.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/exec/shuffle/range_bounds.js';
import { decodeHybrid } from '../../src/storage/parquet_decode/rle.js';
import { FixedOut, fixedDict } from '../../src/storage/parquet_decode/fixed_values.js';
import { VarOut, varDict } from '../../src/storage/parquet_decode/var_values.js';

const random = seededRandom(20261205);

function uleb(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
  return out;
}

/** A hybrid stream of alternating bit-packed and RLE runs encoding `values` at `w` bits. */
function encode(values: number[], w: number): Uint8Array {
  const bytes: number[] = [];
  let i = 0;
  let packed = true;
  while (i < values.length) {
    if (packed) {
      const groups = 1 + Math.floor(random() * 5);
      bytes.push(...uleb((groups << 1) | 1));
      let acc = 0n;
      let bits = 0n;
      for (let j = 0; j < groups * 8; j++) {
        acc |= BigInt(values[i + j] ?? 0) << bits;
        bits += BigInt(w);
      }
      for (let b = 0n; b < bits; b += 8n) bytes.push(Number((acc >> b) & 0xffn));
      i += groups * 8;
    } else {
      const len = 1 + Math.floor(random() * 20);
      bytes.push(...uleb(len << 1));
      const v = values[i]!;
      for (let b = 0; b < Math.ceil(w / 8); b++) bytes.push(Math.floor(v / 2 ** (8 * b)) & 0xff);
      for (let j = 1; j < len && i + j < values.length; j++) values[i + j] = v;
      i += len;
    }
    packed = !packed;
  }
  return Uint8Array.from(bytes);
}

function randomValues(n: number, w: number): number[] {
  return Array.from({ length: n }, () => Math.floor(random() * 2 ** w));
}

describe('RLE / bit-packed hybrid', () => {
  it('decodes every width 1..32 into indices, at an offset, for counts that cut runs short', () => {
    for (let w = 1; w <= 32; w++) {
      for (const n of [1, 7, 8, 9, 63, 200, 1001]) {
        const values = randomValues(n + 40, w);
        const bytes = encode(values, w);
        const out = new Int32Array(n + 5).fill(-7);
        decodeHybrid(bytes, 0, bytes.length, w, out, 3, n);
        const want = values.slice(0, n).map((v) => v | 0);
        expect([...out.subarray(3, 3 + n)], `w=${w} n=${n}`).toEqual(want);
        expect([out[0], out[1], out[2], out[n + 3], out[n + 4]]).toEqual([-7, -7, -7, -7, -7]);
      }
    }
  });

  it('decodes packed data that ends at the very end of the buffer', () => {
    for (let w = 1; w <= 24; w++) {
      const n = 8 * 13;
      const values = randomValues(n, w);
      const body: number[] = [...uleb((13 << 1) | 1)];
      let acc = 0n, bits = 0n;
      for (const v of values) { acc |= BigInt(v) << bits; bits += BigInt(w); }
      for (let b = 0n; b < bits; b += 8n) body.push(Number((acc >> b) & 0xffn));
      const bytes = Uint8Array.from(body);
      const out = new Int32Array(n);
      decodeHybrid(bytes, 0, bytes.length, w, out, 0, n);
      expect([...out], `w=${w}`).toEqual(values);
    }
  });

  it('decodes levels and booleans into bytes', () => {
    for (const w of [1, 2, 3, 7, 8]) {
      const values = randomValues(500, w);
      const bytes = encode(values, w);
      const out = new Uint8Array(480);
      decodeHybrid(bytes, 0, bytes.length, w, out, 0, 480);
      expect([...out], `w=${w}`).toEqual(values.slice(0, 480));
    }
  });
});

describe('dictionary gathers', () => {
  it('fixed-width values (4, 8, 12 and 3 bytes wide), with and without NULL rows', () => {
    for (const width of [4, 8, 12, 3]) {
      const count = 37;
      const dictBytes = Uint8Array.from({ length: count * width }, () => Math.floor(random() * 256));
      const dict = fixedDict(dictBytes, count, width);
      const rows = 300;
      const validity = Uint8Array.from({ length: rows }, (_, i) => (i % 5 === 3 ? 0 : 1));
      for (const v of [null, validity]) {
        const k = v === null ? rows : v.reduce((a, b) => a + b, 0);
        const idx = Int32Array.from({ length: k }, () => Math.floor(random() * count));
        const out = new FixedOut(rows + 10, width);
        out.gather(dict, idx, k, 10, rows, v === null ? null : Uint8Array.from([...new Array(10).fill(1), ...v]));
        let j = 0;
        for (let r = 0; r < rows; r++) {
          if (v !== null && v[r] === 0) continue;
          const d = idx[j++]!;
          expect([...out.bytes.subarray((10 + r) * width, (11 + r) * width)]).toEqual([...dictBytes.subarray(d * width, (d + 1) * width)]);
        }
      }
      const bad = new FixedOut(4, width);
      expect(() => bad.gather(dict, Int32Array.from([1, count, 2, 0]), 4, 0, 4, null)).toThrow(`dictionary index ${count} is out of range`);
      expect(() => bad.gather(dict, Int32Array.from([-1, 0, 2, 0]), 4, 0, 4, null)).toThrow('dictionary index -1 is out of range');
    }
  });

  it('string values (empty, one byte, long), with and without NULL rows', () => {
    const words = ['', 'A', 'NR', 'a string longer than twenty-four bytes', 'é'];
    const enc = new TextEncoder();
    const plain: number[] = [];
    for (const w of words) {
      const b = enc.encode(w);
      plain.push(b.length & 0xff, 0, 0, 0, ...b);
    }
    const dict = varDict(Uint8Array.from(plain), words.length);
    const rows = 200;
    const validity = Uint8Array.from({ length: rows }, (_, i) => (i % 7 === 2 ? 0 : 1));
    for (const v of [null, validity]) {
      const k = v === null ? rows : v.reduce((a, b) => a + b, 0);
      const idx = Int32Array.from({ length: k }, () => Math.floor(random() * words.length));
      const out = new VarOut(rows, 16);
      out.gather(dict, idx.subarray(0, 90 - (v === null ? 0 : v.subarray(0, 90).filter((x) => x === 0).length)), 0, 90, v);
      const first = v === null ? 90 : v.subarray(0, 90).reduce((a, b) => a + b, 0);
      out.gather(dict, idx.subarray(first), 90, rows - 90, v);
      const { offsets, data } = out.finish();
      const dec = new TextDecoder();
      let j = 0;
      for (let r = 0; r < rows; r++) {
        const text = dec.decode(data.subarray(offsets[r]!, offsets[r + 1]!));
        if (v !== null && v[r] === 0) expect(text).toBe('');
        else expect(text).toBe(words[idx[j++]!]);
      }
    }
    expect(() => new VarOut(2, 4).gather(dict, Int32Array.from([0, 9]), 0, 2, null)).toThrow('dictionary index 9 is out of range');
  });

  it('string values all of one length (flags, codes, empty), in slices that grow the buffer, with and without NULL rows', () => {
    const enc = new TextEncoder();
    for (const words of [['A', 'N', 'R'], ['MAIL', 'SHIP', 'AIR '], ['', ''], ['é', 'ü'], ['x']]) {
      const plain: number[] = [];
      for (const w of words) { const b = enc.encode(w); plain.push(b.length, 0, 0, 0, ...b); }
      const dict = varDict(Uint8Array.from(plain), words.length);
      expect(dict.width).toBe(enc.encode(words[0]!).length);
      const rows = 1000;
      const validity = Uint8Array.from({ length: rows }, (_, i) => (i % 9 === 4 ? 0 : 1));
      for (const v of [null, validity]) {
        const out = new VarOut(rows, 1);
        const picked: number[] = [];
        for (let r = 0; r < rows; r += 300) {
          const m = Math.min(300, rows - r);
          const k = v === null ? m : v.subarray(r, r + m).reduce((a, b) => a + b, 0);
          const idx = Int32Array.from({ length: k }, () => Math.floor(random() * words.length));
          picked.push(...idx);
          out.gather(dict, idx, r, m, v === null ? null : v);
        }
        const { offsets, data } = out.finish();
        const dec = new TextDecoder();
        let j = 0;
        for (let r = 0; r < rows; r++) {
          const text = dec.decode(data.subarray(offsets[r]!, offsets[r + 1]!));
          expect(text).toBe(v !== null && v[r] === 0 ? '' : words[picked[j++]!]);
        }
      }
      expect(() => new VarOut(3, 4).gather(dict, Int32Array.from([0, words.length, 0]), 0, 3, null))
        .toThrow(`dictionary index ${words.length} is out of range`);
      expect(() => new VarOut(3, 4).gather(dict, Int32Array.from([0, -1, 0]), 0, 3, null)).toThrow('dictionary index -1 is out of range');
    }
    expect(varDict(Uint8Array.from([1, 0, 0, 0, 65, 2, 0, 0, 0, 66, 67]), 2).width).toBe(-1);
  });

  it('PLAIN strings taken a few rows at a time from a long page keep only the bytes they use', () => {
    const enc = new TextEncoder();
    const words = Array.from({ length: 5000 }, (_, i) => `value ${i} ${'x'.repeat(i % 40)}`);
    const page: number[] = [];
    for (const w of words) { const b = enc.encode(w); page.push(b.length & 0xff, b.length >> 8, 0, 0, ...b); }
    const bytes = Uint8Array.from(page);
    const rows = 100;
    const out = new VarOut(rows, 64);
    const end = out.plain(bytes, 0, bytes.length, 0, rows, null);
    const { offsets, data } = out.finish();
    const dec = new TextDecoder();
    for (let r = 0; r < rows; r++) expect(dec.decode(data.subarray(offsets[r]!, offsets[r + 1]!))).toBe(words[r]);
    let used = 0;
    for (let r = 0; r < rows; r++) used += enc.encode(words[r]!).length;
    expect(end).toBe(4 * rows + used);
    // The batch's buffer is its bytes, not the rest of the page (which the pool would not see).
    expect(data.buffer.byteLength).toBeLessThanOrEqual(Math.max(4096, Math.ceil(used * 1.125)));
    const truncated = bytes.subarray(0, end - 1);
    expect(() => new VarOut(rows, 64).plain(truncated, 0, truncated.length, 0, rows, null)).toThrow('runs past the end of the page');
  });
});
