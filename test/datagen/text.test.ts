import { describe, expect, it } from 'vitest';
import { utf8At } from '../../src/columnar/column.js';
import { RowRandom, streamKey } from '../../src/datagen/random.js';
import { TextPool } from '../../src/datagen/text.js';
import { ascii, Utf8ColumnWriter } from '../../src/datagen/utf8_writer.js';

const decoder = new TextDecoder();

describe('TextPool', () => {
  const pool = new TextPool(new RowRandom(streamKey(1, 'text.pool')), 200_000);
  const text = decoder.decode(pool.bytes);

  it('fills the pool with grammar sentences: lower-case words, single spaces, terminators', () => {
    expect(pool.bytes.length).toBe(200_000);
    expect(text).toMatch(/^[A-Za-z ,.;:?!-]+$/);
    expect(text).not.toMatch(/ {2}/);
    expect(text).toContain('. ');
    expect(text).toContain('the ');
    expect(text).toMatch(/special/);
    expect(text).toMatch(/requests/);
  });

  it('is the same for the same stream and differs for another seed', () => {
    const again = new TextPool(new RowRandom(streamKey(1, 'text.pool')), 200_000);
    expect(Buffer.compare(Buffer.from(again.bytes), Buffer.from(pool.bytes))).toBe(0);
    const other = new TextPool(new RowRandom(streamKey(2, 'text.pool')), 200_000);
    expect(Buffer.compare(Buffer.from(other.bytes), Buffer.from(pool.bytes))).not.toBe(0);
  });

  it('cuts comments of length in [min, max] out of the pool', () => {
    const rows = 2000;
    const out = new Utf8ColumnWriter(rows, 4);
    const rng = new RowRandom(streamKey(1, 'c'));
    const lengths = new Set<number>();
    for (let r = 0; r < rows; r++) pool.comment(out, rng.seek(r), 10, 43);
    const col = out.finish();
    const bad: string[] = [];
    for (let r = 0; r < rows; r++) {
      const s = utf8At(col, r);
      if (s.length < 10 || s.length > 43 || !text.includes(s)) bad.push(s);
      lengths.add(s.length);
    }
    expect(bad).toEqual([]);
    expect(lengths.has(10)).toBe(true);
    expect(lengths.has(43)).toBe(true);
  });
});

describe('Utf8ColumnWriter', () => {
  it('composes values from pieces, pads digits and grows past its first buffer', () => {
    const w = new Utf8ColumnWriter(3, 1);
    w.bytes(ascii('Customer#')).digits(42, 9).end();
    w.digits(1234567, 3).byte(45).bytes(ascii('x'.repeat(100))).end();
    w.end(); // an empty string
    const c = w.finish();
    expect(utf8At(c, 0)).toBe('Customer#000000042');
    expect(utf8At(c, 1)).toBe('1234567-' + 'x'.repeat(100));
    expect(utf8At(c, 2)).toBe('');
    expect(c.validity).toBeNull();
  });

  it('refuses to finish with fewer values than announced', () => {
    const w = new Utf8ColumnWriter(2, 4);
    w.value(ascii('a'));
    expect(() => w.finish()).toThrow(/1 rows, expected 2/);
  });
});
