import { describe, expect, it } from 'vitest';
import type { Batch, Column, FixedColumn } from '../../src/columnar/column.js';
import { utf8At } from '../../src/columnar/column.js';
import { concatBatches } from '../../src/columnar/kernels.js';
import {
  COLOURS, CURRENT_DATE, generateCustomer, generateNation, generateOrdersAndLines, generatePart, generatePartsupp,
  generateRegion, generateSupplier, orderKeyOf, partSupplier, retailPriceCents, TpchContext, tpchScale, TPCH_SCHEMAS,
} from '../../src/datagen/tpch_tables.js';
import { SpillwayError } from '../../src/common/errors.js';

const ctx = new TpchContext(tpchScale(0.01), 1);

function columnBytes(c: Column): Buffer {
  if (c.type === 'utf8') return Buffer.concat([Buffer.from(c.offsets.buffer, c.offsets.byteOffset, c.offsets.byteLength), Buffer.from(c.data)]);
  if (c.type === 'null') return Buffer.alloc(0);
  const v = (c as FixedColumn).values;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function expectSameBatch(a: Batch, b: Batch): void {
  expect(a.length).toBe(b.length);
  a.columns.forEach((c, i) => {
    expect(Buffer.compare(columnBytes(c), columnBytes(b.columns[i]!)), a.schema.fields[i]!.name).toBe(0);
  });
}

const col = (b: Batch, name: string): Column => b.columns[b.schema.fields.findIndex((f) => f.name === name)]!;
const ints = (b: Batch, name: string): ArrayLike<number> => {
  const c = col(b, name);
  if (c.type !== 'int32' && c.type !== 'date32' && c.type !== 'float64') throw new Error(`${name} is ${c.type}`);
  return c.values;
};
const strings = (b: Batch, name: string): string[] => {
  const c = col(b, name);
  if (c.type !== 'utf8') throw new Error(`${name} is ${c.type}`);
  return Array.from({ length: c.length }, (_, i) => utf8At(c, i));
};

describe('tpchScale', () => {
  it('gives the spec cardinalities', () => {
    expect(tpchScale(1)).toEqual({ sf: 1, suppliers: 10_000, customers: 150_000, parts: 200_000, orders: 1_500_000, clerks: 1000 });
    expect(tpchScale(0.01)).toMatchObject({ suppliers: 100, customers: 1500, parts: 2000, orders: 15_000, clerks: 10 });
  });

  it('rejects scale factors the spec formulas cannot serve, naming the value', () => {
    for (const sf of [0, -1, Number.NaN, 0.001, 1000]) {
      expect(() => tpchScale(sf)).toThrow(SpillwayError);
    }
    expect(() => tpchScale(0.001)).toThrow(/scale factor 0.001 is too small/);
    expect(() => tpchScale(1000)).toThrow(/too large.*INT32/);
  });
});

describe('spec formulas', () => {
  it('sparse order keys keep the first 8 of every 32', () => {
    expect(Array.from({ length: 17 }, (_, r) => orderKeyOf(r))).toEqual([1, 2, 3, 4, 5, 6, 7, 32, 33, 34, 35, 36, 37, 38, 39, 64, 65]);
    expect(orderKeyOf(14_999)).toBe(60_000);
  });

  it('p_retailprice follows (90000 + ((pk/10) mod 20001) + 100·(pk mod 1000)) / 100', () => {
    expect(retailPriceCents(1)).toBe(90_100);
    expect(retailPriceCents(1000)).toBe(90_100);
    expect(retailPriceCents(999)).toBe(90_000 + 99 + 99_900);
  });

  it('ps_suppkey gives 4 distinct suppliers per part', () => {
    const s = 100;
    for (let pk = 1; pk <= 2000; pk++) {
      const keys = new Set([0, 1, 2, 3].map((i) => partSupplier(pk, i, s)));
      if (keys.size !== 4 || [...keys].some((k) => k < 1 || k > s)) throw new Error(`part ${pk}: ${[...keys]}`);
    }
    expect(partSupplier(1, 0, 10_000)).toBe(2);
    expect(partSupplier(1, 1, 10_000)).toBe(2502);
  });
});

describe('chunk generators', () => {
  it('give the same rows whether a range is generated at once or in pieces', () => {
    expectSameBatch(generateCustomer(ctx, 0, 700), concatBatches(TPCH_SCHEMAS.customer, [generateCustomer(ctx, 0, 333), generateCustomer(ctx, 333, 700)]));
    expectSameBatch(generatePart(ctx, 100, 400), concatBatches(TPCH_SCHEMAS.part, [generatePart(ctx, 100, 101), generatePart(ctx, 101, 400)]));
    expectSameBatch(generatePartsupp(ctx, 0, 50), concatBatches(TPCH_SCHEMAS.partsupp, [generatePartsupp(ctx, 0, 20), generatePartsupp(ctx, 20, 50)]));
    const whole = generateOrdersAndLines(ctx, 10, 600);
    const a = generateOrdersAndLines(ctx, 10, 11);
    const b = generateOrdersAndLines(ctx, 11, 600);
    expectSameBatch(whole.orders, concatBatches(TPCH_SCHEMAS.orders, [a.orders, b.orders]));
    expectSameBatch(whole.lineitem, concatBatches(TPCH_SCHEMAS.lineitem, [a.lineitem, b.lineitem]));
  });

  it('depend on the seed', () => {
    const other = new TpchContext(tpchScale(0.01), 2);
    expectSameBatch(generateSupplier(ctx, 0, 100), generateSupplier(new TpchContext(tpchScale(0.01), 1), 0, 100));
    expect(strings(generateSupplier(other, 0, 100), 's_address')).not.toEqual(strings(generateSupplier(ctx, 0, 100), 's_address'));
  });

  it('an empty range gives an empty batch with the schema', () => {
    const e = generateCustomer(ctx, 5, 5);
    expect(e.length).toBe(0);
    expect(e.schema).toBe(TPCH_SCHEMAS.customer);
    const o = generateOrdersAndLines(ctx, 3, 3);
    expect(o.orders.length).toBe(0);
    expect(o.lineitem.length).toBe(0);
  });

  it('region and nation hold the spec names and keys', () => {
    const r = generateRegion(ctx);
    expect(strings(r, 'r_name')).toEqual(['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST']);
    const n = generateNation(ctx);
    expect(n.length).toBe(25);
    const names = strings(n, 'n_name');
    expect(names[0]).toBe('ALGERIA');
    expect(names[24]).toBe('UNITED STATES');
    expect(Array.from(ints(n, 'n_regionkey')).slice(0, 8)).toEqual([0, 1, 1, 1, 4, 0, 3, 3]);
    for (const c of strings(n, 'n_comment')) { expect(c.length).toBeGreaterThanOrEqual(31); expect(c.length).toBeLessThanOrEqual(114); }
  });

  it('supplier: names, phones by nation, and exactly one Complaints and one Recommends row at SF 0.01', () => {
    const s = generateSupplier(ctx, 0, 100);
    expect(strings(s, 's_name')[0]).toBe('Supplier#000000001');
    const nations = ints(s, 's_nationkey');
    strings(s, 's_phone').forEach((p, i) => expect(p).toMatch(new RegExp(`^${nations[i]! + 10}-\\d{3}-\\d{3}-\\d{4}$`)));
    const comments = strings(s, 's_comment');
    expect(comments.filter((c) => /Customer.*Complaints/.test(c))).toHaveLength(1);
    expect(comments.filter((c) => /Customer.*Recommends/.test(c))).toHaveLength(1);
    for (const c of comments) { expect(c.length).toBeGreaterThanOrEqual(25); expect(c.length).toBeLessThanOrEqual(100); }
  });

  it('part: five distinct colours, brand matches manufacturer, known domains', () => {
    expect(COLOURS).toHaveLength(92);
    expect(new Set(COLOURS).size).toBe(92);
    const p = generatePart(ctx, 0, 2000);
    const colours = new Set(COLOURS);
    const mfgrs = strings(p, 'p_mfgr');
    const brands = strings(p, 'p_brand');
    const problems: string[] = [];
    strings(p, 'p_name').forEach((name, i) => {
      const words = name.split(' ');
      if (words.length !== 5 || new Set(words).size !== 5 || words.some((w) => !colours.has(w))) problems.push(`p_name ${name}`);
      const m = /^Manufacturer#([1-5])$/.exec(mfgrs[i]!);
      if (m === null || !new RegExp(`^Brand#${m[1]}[1-5]$`).test(brands[i]!)) problems.push(`${mfgrs[i]} ${brands[i]}`);
    });
    expect(problems).toEqual([]);
    expect(new Set(strings(p, 'p_type')).size).toBe(150);
    expect(new Set(strings(p, 'p_container')).size).toBe(40);
    expect(Array.from(ints(p, 'p_retailprice')).slice(0, 2)).toEqual([901, 902]);
  });

  it('orders and lines: keys, dates, flags, status and total price follow the spec rules', () => {
    const { orders, lineitem } = generateOrdersAndLines(ctx, 0, 2000);
    const oKeys = ints(orders, 'o_orderkey'), cust = ints(orders, 'o_custkey'), date = ints(orders, 'o_orderdate');
    const total = ints(orders, 'o_totalprice'), status = strings(orders, 'o_orderstatus');
    const lKey = ints(lineitem, 'l_orderkey'), lNo = ints(lineitem, 'l_linenumber'), ship = ints(lineitem, 'l_shipdate');
    const commit = ints(lineitem, 'l_commitdate'), receipt = ints(lineitem, 'l_receiptdate');
    const price = ints(lineitem, 'l_extendedprice'), qty = ints(lineitem, 'l_quantity'), part = ints(lineitem, 'l_partkey');
    const supp = ints(lineitem, 'l_suppkey'), disc = ints(lineitem, 'l_discount'), tax = ints(lineitem, 'l_tax');
    const flag = strings(lineitem, 'l_returnflag'), lstatus = strings(lineitem, 'l_linestatus');
    let l = 0;
    const problems: string[] = [];
    for (let o = 0; o < orders.length; o++) {
      if (cust[o]! % 3 === 0 || cust[o]! < 1 || cust[o]! > 1500) problems.push(`custkey ${cust[o]}`);
      let cents = 0, shipped = 0, n = 0;
      for (; l < lineitem.length && lKey[l] === oKeys[o]; l++, n++) {
        if (lNo[l] !== n + 1) problems.push(`linenumber ${lNo[l]}`);
        if (ship[l]! - date[o]! < 1 || ship[l]! - date[o]! > 121) problems.push('shipdate');
        if (commit[l]! - date[o]! < 30 || commit[l]! - date[o]! > 90) problems.push('commitdate');
        if (receipt[l]! - ship[l]! < 1 || receipt[l]! - ship[l]! > 30) problems.push('receiptdate');
        if (Math.round(price[l]! * 100) !== qty[l]! * retailPriceCents(part[l]!)) problems.push('extendedprice');
        if (![0, 1, 2, 3].some((i) => partSupplier(part[l]!, i, 100) === supp[l])) problems.push('suppkey');
        const expectedFlag = receipt[l]! <= CURRENT_DATE ? /^[RA]$/ : /^N$/;
        if (!expectedFlag.test(flag[l]!)) problems.push(`returnflag ${flag[l]}`);
        if (lstatus[l] !== (ship[l]! > CURRENT_DATE ? 'O' : 'F')) problems.push('linestatus');
        if (lstatus[l] === 'F') shipped++;
        cents += Math.round(Math.round(price[l]! * 100) * (100 + Math.round(tax[l]! * 100)) * (100 - Math.round(disc[l]! * 100)) / 10_000);
      }
      if (n < 1 || n > 7) problems.push(`order ${oKeys[o]} has ${n} lines`);
      if (Math.round(total[o]! * 100) !== cents) problems.push(`totalprice of ${oKeys[o]}`);
      if (status[o] !== (shipped === n ? 'F' : shipped === 0 ? 'O' : 'P')) problems.push(`orderstatus of ${oKeys[o]}`);
    }
    expect(l).toBe(lineitem.length);
    expect(problems).toEqual([]);
    expect(new Set(status)).toEqual(new Set(['F', 'O', 'P']));
    expect(new Set(flag)).toEqual(new Set(['R', 'A', 'N']));
  });
});
