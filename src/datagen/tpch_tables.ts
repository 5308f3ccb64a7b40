/**
 * Column generators for the eight TPC-H tables (specification clause 4.2.3), one chunk of
 * rows at a time, straight into typed arrays and utf8 byte buffers.
 *
 * Every value of row r is drawn from its column's own stream positioned at r (random.ts),
 * so a chunk [start, end) is the same whether it is generated alone or inside a larger one.
 * Lines of order r use stream rows r·8 + (line number − 1).
 *
 * Keys, formulas and domains, as in the spec:
 *   supplier  10 000·SF   s_name Supplier#000000001, phone by nation, acctbal [-999.99, 9999.99],
 *                         ⌈5·SF⌉ comments hold Customer…Complaints, another ⌈5·SF⌉ Customer…Recommends
 *   customer  150 000·SF  c_mktsegment one of 5, comment [29, 116]
 *   part      200 000·SF  p_name 5 distinct of 92 colours, Manufacturer#M, Brand#MN, type from
 *                         3 syllable lists, container from 2, retailprice
 *                         (90000 + ((key/10) mod 20001) + 100·(key mod 1000)) / 100
 *   partsupp  4 per part  ps_suppkey = (pk + i·(S/4 + (pk−1)/S)) mod S + 1, i = 0..3
 *   orders    1 500 000·SF  sparse keys: index i (1-based) → (i/8)·32 + i mod 8,
 *                         o_custkey uniform over [1, C] minus multiples of 3,
 *                         o_orderdate uniform in [1992-01-01, 1998-12-31 − 151 days]
 *   lineitem  1..7 per order  l_suppkey by the partsupp formula with i random in 0..3,
 *                         l_extendedprice = qty · p_retailprice, ship = order + [1, 121],
 *                         commit = order + [30, 90], receipt = ship + [1, 30],
 *                         returnflag R|A if receipt ≤ 1995-06-17 else N,
 *                         linestatus O if ship > 1995-06-17 else F
 *   o_totalprice = Σ extendedprice·(1 + tax)·(1 − discount), in exact cents;
 *   o_orderstatus F / O when all lines are F / O, else P.
 * Money is integer cents until the column is written (cents / 100 is the nearest double).
 */
import { fixedColumn, makeBatch, type Batch } from '../columnar/column.js';
import { SpillwayError } from '../common/errors.js';
import { field, schema, type Schema } from '../common/types.js';
import { RandomStreams, type RowRandom } from './random.js';
import { TextPool } from './text.js';
import { ascii, encodeAll, Utf8ColumnWriter } from './utf8_writer.js';

// ── schemas (names and order of dss.ddl; keys INT32, money DOUBLE, dates DATE, all REQUIRED) ──

const f = (name: string, type: 'int32' | 'float64' | 'utf8' | 'date32') => field(name, type, false);

export const TPCH_SCHEMAS: Readonly<Record<TpchTableName, Schema>> = {
  region: schema([f('r_regionkey', 'int32'), f('r_name', 'utf8'), f('r_comment', 'utf8')]),
  nation: schema([f('n_nationkey', 'int32'), f('n_name', 'utf8'), f('n_regionkey', 'int32'), f('n_comment', 'utf8')]),
  supplier: schema([
    f('s_suppkey', 'int32'), f('s_name', 'utf8'), f('s_address', 'utf8'), f('s_nationkey', 'int32'),
    f('s_phone', 'utf8'), f('s_acctbal', 'float64'), f('s_comment', 'utf8'),
  ]),
  customer: schema([
    f('c_custkey', 'int32'), f('c_name', 'utf8'), f('c_address', 'utf8'), f('c_nationkey', 'int32'),
    f('c_phone', 'utf8'), f('c_acctbal', 'float64'), f('c_mktsegment', 'utf8'), f('c_comment', 'utf8'),
  ]),
  part: schema([
    f('p_partkey', 'int32'), f('p_name', 'utf8'), f('p_mfgr', 'utf8'), f('p_brand', 'utf8'), f('p_type', 'utf8'),
    f('p_size', 'int32'), f('p_container', 'utf8'), f('p_retailprice', 'float64'), f('p_comment', 'utf8'),
  ]),
  partsupp: schema([
    f('ps_partkey', 'int32'), f('ps_suppkey', 'int32'), f('ps_availqty', 'int32'), f('ps_supplycost', 'float64'),
    f('ps_comment', 'utf8'),
  ]),
  orders: schema([
    f('o_orderkey', 'int32'), f('o_custkey', 'int32'), f('o_orderstatus', 'utf8'), f('o_totalprice', 'float64'),
    f('o_orderdate', 'date32'), f('o_orderpriority', 'utf8'), f('o_clerk', 'utf8'), f('o_shippriority', 'int32'),
    f('o_comment', 'utf8'),
  ]),
  lineitem: schema([
    f('l_orderkey', 'int32'), f('l_partkey', 'int32'), f('l_suppkey', 'int32'), f('l_linenumber', 'int32'),
    f('l_quantity', 'float64'), f('l_extendedprice', 'float64'), f('l_discount', 'float64'), f('l_tax', 'float64'),
    f('l_returnflag', 'utf8'), f('l_linestatus', 'utf8'), f('l_shipdate', 'date32'), f('l_commitdate', 'date32'),
    f('l_receiptdate', 'date32'), f('l_shipinstruct', 'utf8'), f('l_shipmode', 'utf8'), f('l_comment', 'utf8'),
  ]),
};

export type TpchTableName = 'region' | 'nation' | 'supplier' | 'customer' | 'part' | 'partsupp' | 'orders' | 'lineitem';

// ── value domains (clause 4.2.2.13 / 4.2.3) ──

const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
/** [name, regionkey] by nationkey. */
const NATIONS: readonly (readonly [string, number])[] = [
  ['ALGERIA', 0], ['ARGENTINA', 1], ['BRAZIL', 1], ['CANADA', 1], ['EGYPT', 4], ['ETHIOPIA', 0],
  ['FRANCE', 3], ['GERMANY', 3], ['INDIA', 2], ['INDONESIA', 2], ['IRAN', 4], ['IRAQ', 4], ['JAPAN', 2],
  ['JORDAN', 4], ['KENYA', 0], ['MOROCCO', 0], ['MOZAMBIQUE', 0], ['PERU', 1], ['CHINA', 2], ['ROMANIA', 3],
  ['SAUDI ARABIA', 4], ['VIETNAM', 2], ['RUSSIA', 3], ['UNITED KINGDOM', 3], ['UNITED STATES', 1],
];
export const COLOURS = [
  'almond', 'antique', 'aquamarine', 'azure', 'beige', 'bisque', 'black', 'blanched', 'blue', 'blush', 'brown',
  'burlywood', 'burnished', 'chartreuse', 'chiffon', 'chocolate', 'coral', 'cornflower', 'cornsilk', 'cream',
  'cyan', 'dark', 'deep', 'dim', 'dodger', 'drab', 'firebrick', 'floral', 'forest', 'frosted', 'gainsboro',
  'ghost', 'goldenrod', 'green', 'grey', 'honeydew', 'hot', 'indian', 'ivory', 'khaki', 'lace', 'lavender',
  'lawn', 'lemon', 'light', 'lime', 'linen', 'magenta', 'maroon', 'medium', 'metallic', 'midnight', 'mint',
  'misty', 'moccasin', 'navajo', 'navy', 'olive', 'orange', 'orchid', 'pale', 'papaya', 'peach', 'peru', 'pink',
  'plum', 'powder', 'puff', 'purple', 'red', 'rose', 'rosy', 'royal', 'saddle', 'salmon', 'sandy', 'seashell',
  'sienna', 'sky', 'slate', 'smoke', 'snow', 'spring', 'steel', 'tan', 'thistle', 'tomato', 'turquoise',
  'violet', 'wheat', 'white', 'yellow',
];
const TYPE_S1 = encodeAll(['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO']);
const TYPE_S2 = encodeAll(['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED']);
const TYPE_S3 = encodeAll(['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER']);
const CONTAINER_S1 = encodeAll(['SM', 'LG', 'MED', 'JUMBO', 'WRAP']);
const CONTAINER_S2 = encodeAll(['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM']);
const SEGMENTS = encodeAll(['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD']);
const PRIORITIES = encodeAll(['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW']);
const INSTRUCTIONS = encodeAll(['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN']);
const SHIP_MODES = encodeAll(['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB']);
const COLOUR_BYTES = encodeAll(COLOURS);
const REGION_BYTES = encodeAll(REGIONS);
const NATION_BYTES = encodeAll(NATIONS.map(([n]) => n));
/** 64 symbols for random v-strings (addresses). */
const ALPHANUMERIC = ascii('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,.');
const SUPPLIER_PREFIX = ascii('Supplier#');
const CUSTOMER_PREFIX = ascii('Customer#');
const CLERK_PREFIX = ascii('Clerk#');
const MFGR_PREFIX = ascii('Manufacturer#');
const BRAND_PREFIX = ascii('Brand#');
const CUSTOMER_WORD = ascii('Customer ');
const COMPLAINTS = ascii('Complaints');
const RECOMMENDS = ascii('Recommends');
const CH_SPACE = 32;
const CH_DASH = 45;
const CH_R = 82, CH_A = 65, CH_N = 78, CH_O = 79, CH_F = 70, CH_P = 80;

const dayNumber = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000;
export const START_DATE = dayNumber(1992, 1, 1);
export const CURRENT_DATE = dayNumber(1995, 6, 17);
export const END_DATE = dayNumber(1998, 12, 31);
const LAST_ORDER_DATE = END_DATE - 151;

// ── scale ──

export interface TpchScale {
  sf: number;
  suppliers: number;
  customers: number;
  parts: number;
  orders: number;
  clerks: number;
}

const INT32_MAX = 2_147_483_647;

/** Sparse order key of 0-based order index r: keep 8 of every 32 keys (dbgen's mk_sparse). */
export function orderKeyOf(r: number): number {
  const i = r + 1;
  return Math.floor(i / 8) * 32 + (i % 8);
}

/** Row counts at scale factor sf, or a config error if sf cannot follow the spec's formulas. */
export function tpchScale(sf: number): TpchScale {
  if (!Number.isFinite(sf) || sf <= 0) throw new SpillwayError('config', `scale factor must be a positive number, got ${sf}`);
  const count = (base: number) => Math.floor(sf * base + 1e-6);
  const scale: TpchScale = {
    sf,
    suppliers: count(10_000),
    customers: count(150_000),
    parts: count(200_000),
    orders: count(1_500_000),
    clerks: Math.max(1, count(1_000)),
  };
  if (scale.suppliers < 100) throw new SpillwayError('config', `scale factor ${sf} is too small: the smallest is 0.01 (100 suppliers)`);
  if (orderKeyOf(scale.orders - 1) > INT32_MAX) {
    throw new SpillwayError('config', `scale factor ${sf} is too large: order keys must fit in INT32 (at most about SF 350)`);
  }
  // The partsupp formula gives each part 4 distinct suppliers only if no multiple d·k (d = 1..3)
  // of the step k = S/4 + (pk−1)/S is a multiple of S.
  const s = scale.suppliers;
  const maxStep = Math.floor(s / 4) + Math.floor((scale.parts - 1) / s);
  for (let k = Math.floor(s / 4); k <= maxStep; k++) {
    for (let d = 1; d <= 3; d++) {
      if ((d * k) % s === 0) throw new SpillwayError('config', `scale factor ${sf} gives duplicate partsupp keys with the spec's supplier formula; choose another scale factor`);
    }
  }
  return scale;
}

/** Supplier key of the i-th (0..3) supplier of part pk (clause 4.2.3, PS_SUPPKEY). */
export function partSupplier(pk: number, i: number, suppliers: number): number {
  return ((pk + i * (Math.floor(suppliers / 4) + Math.floor((pk - 1) / suppliers))) % suppliers) + 1;
}

/** p_retailprice of part pk in cents. */
export function retailPriceCents(pk: number): number {
  return 90_000 + (Math.floor(pk / 10) % 20_001) + 100 * (pk % 1000);
}

// ── generation context ──

/** Everything a chunk generator needs: scale, seeded streams, the text pool. */
export class TpchContext {
  readonly streams: RandomStreams;
  readonly pool: TextPool;
  /** Supplier row → 1 (Complaints) or 2 (Recommends). */
  readonly supplierSpecials = new Map<number, number>();

  constructor(readonly scale: TpchScale, readonly seed: number) {
    this.streams = new RandomStreams(seed);
    this.pool = new TextPool(this.streams.get('text.pool'));
    const perKind = Math.ceil(scale.sf * 5 - 1e-9);
    const pick = this.streams.get('supplier.s_comment.special').seek(0);
    for (let kind = 1; kind <= 2; kind++) {
      for (let n = 0; n < perKind; ) {
        const row = pick.below(scale.suppliers);
        if (!this.supplierSpecials.has(row)) { this.supplierSpecials.set(row, kind); n++; }
      }
    }
  }

  rng(name: string): RowRandom {
    return this.streams.get(name);
  }
}

/** Random v-string of uniform length in [min, max] (addresses). */
function vString(out: Utf8ColumnWriter, rng: RowRandom, min: number, max: number): void {
  const n = rng.int(min, max);
  for (let i = 0; i < n; i++) out.byte(ALPHANUMERIC[rng.next() & 63]!);
  out.end();
}

/** Phone number of clause 4.2.2.9: (nation + 10)-ddd-ddd-dddd. */
function phone(out: Utf8ColumnWriter, rng: RowRandom, nation: number): void {
  out.digits(nation + 10, 2).byte(CH_DASH).digits(rng.int(100, 999), 3).byte(CH_DASH)
    .digits(rng.int(100, 999), 3).byte(CH_DASH).digits(rng.int(1000, 9999), 4).end();
}

function cents(values: Int32Array | Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = values[i]! / 100;
  return out;
}

// ── small tables ──

export function generateRegion(ctx: TpchContext): Batch {
  const n = REGIONS.length;
  const keys = new Int32Array(n);
  const names = new Utf8ColumnWriter(n, 8);
  const comments = new Utf8ColumnWriter(n, 80);
  const rc = ctx.rng('region.r_comment');
  for (let r = 0; r < n; r++) {
    keys[r] = r;
    names.value(REGION_BYTES[r]!);
    ctx.pool.comment(comments, rc.seek(r), 31, 115);
  }
  return makeBatch(TPCH_SCHEMAS.region, [fixedColumn('int32', keys), names.finish(), comments.finish()], n);
}

export function generateNation(ctx: TpchContext): Batch {
  const n = NATIONS.length;
  const keys = new Int32Array(n);
  const regions = new Int32Array(n);
  const names = new Utf8ColumnWriter(n, 10);
  const comments = new Utf8ColumnWriter(n, 80);
  const nc = ctx.rng('nation.n_comment');
  for (let r = 0; r < n; r++) {
    keys[r] = r;
    regions[r] = NATIONS[r]![1];
    names.value(NATION_BYTES[r]!);
    ctx.pool.comment(comments, nc.seek(r), 31, 114);
  }
  return makeBatch(TPCH_SCHEMAS.nation, [fixedColumn('int32', keys), names.finish(), fixedColumn('int32', regions), comments.finish()], n);
}

/** Supplier rows [start, end) (0-based; s_suppkey = row + 1). */
export function generateSupplier(ctx: TpchContext, start: number, end: number): Batch {
  const n = end - start;
  const keys = new Int32Array(n);
  const nations = new Int32Array(n);
  const balances = new Int32Array(n);
  const names = new Utf8ColumnWriter(n, 18);
  const addresses = new Utf8ColumnWriter(n, 25);
  const phones = new Utf8ColumnWriter(n, 15);
  const comments = new Utf8ColumnWriter(n, 63);
  const ra = ctx.rng('supplier.s_address'), rn = ctx.rng('supplier.s_nationkey'), rp = ctx.rng('supplier.s_phone');
  const rb = ctx.rng('supplier.s_acctbal'), rc = ctx.rng('supplier.s_comment');
  for (let i = 0; i < n; i++) {
    const row = start + i;
    const key = row + 1;
    keys[i] = key;
    names.bytes(SUPPLIER_PREFIX).digits(key, 9).end();
    vString(addresses, ra.seek(row), 10, 40);
    const nation = rn.seek(row).int(0, 24);
    nations[i] = nation;
    phone(phones, rp.seek(row), nation);
    balances[i] = rb.seek(row).int(-99_999, 999_999);
    const special = ctx.supplierSpecials.get(row);
    if (special === undefined) {
      ctx.pool.comment(comments, rc.seek(row), 25, 100);
    } else {
      // "Customer" … "Complaints|Recommends" at random positions inside a [25, 100] comment (Q16).
      rc.seek(row);
      const word = special === 1 ? COMPLAINTS : RECOMMENDS;
      const filler = rc.int(25, 100) - CUSTOMER_WORD.length - word.length;
      const before = rc.int(0, filler);
      const between = rc.int(0, filler - before);
      ctx.pool.piece(comments, rc, before);
      comments.bytes(CUSTOMER_WORD);
      ctx.pool.piece(comments, rc, between);
      comments.bytes(word);
      ctx.pool.piece(comments, rc, filler - before - between);
      comments.end();
    }
  }
  return makeBatch(TPCH_SCHEMAS.supplier, [
    fixedColumn('int32', keys), names.finish(), addresses.finish(), fixedColumn('int32', nations),
    phones.finish(), fixedColumn('float64', cents(balances, n)), comments.finish(),
  ], n);
}

/** Customer rows [start, end) (c_custkey = row + 1). */
export function generateCustomer(ctx: TpchContext, start: number, end: number): Batch {
  const n = end - start;
  const keys = new Int32Array(n);
  const nations = new Int32Array(n);
  const balances = new Int32Array(n);
  const names = new Utf8ColumnWriter(n, 18);
  const addresses = new Utf8ColumnWriter(n, 25);
  const phones = new Utf8ColumnWriter(n, 15);
  const segments = new Utf8ColumnWriter(n, 10);
  const comments = new Utf8ColumnWriter(n, 73);
  const ra = ctx.rng('customer.c_address'), rn = ctx.rng('customer.c_nationkey'), rp = ctx.rng('customer.c_phone');
  const rb = ctx.rng('customer.c_acctbal'), rs = ctx.rng('customer.c_mktsegment'), rc = ctx.rng('customer.c_comment');
  for (let i = 0; i < n; i++) {
    const row = start + i;
    const key = row + 1;
    keys[i] = key;
    names.bytes(CUSTOMER_PREFIX).digits(key, 9).end();
    vString(addresses, ra.seek(row), 10, 40);
    const nation = rn.seek(row).int(0, 24);
    nations[i] = nation;
    phone(phones, rp.seek(row), nation);
    balances[i] = rb.seek(row).int(-99_999, 999_999);
    segments.value(SEGMENTS[rs.seek(row).int(0, SEGMENTS.length - 1)]!);
    ctx.pool.comment(comments, rc.seek(row), 29, 116);
  }
  return makeBatch(TPCH_SCHEMAS.customer, [
    fixedColumn('int32', keys), names.finish(), addresses.finish(), fixedColumn('int32', nations),
    phones.finish(), fixedColumn('float64', cents(balances, n)), segments.finish(), comments.finish(),
  ], n);
}

/** Part rows [start, end) (p_partkey = row + 1). */
export function generatePart(ctx: TpchContext, start: number, end: number): Batch {
  const n = end - start;
  const keys = new Int32Array(n);
  const sizes = new Int32Array(n);
  const prices = new Float64Array(n);
  const names = new Utf8ColumnWriter(n, 34);
  const mfgrs = new Utf8ColumnWriter(n, 14);
  const brands = new Utf8ColumnWriter(n, 8);
  const types = new Utf8ColumnWriter(n, 21);
  const containers = new Utf8ColumnWriter(n, 8);
  const comments = new Utf8ColumnWriter(n, 14);
  const rname = ctx.rng('part.p_name'), rm = ctx.rng('part.p_mfgr'), rb = ctx.rng('part.p_brand');
  const rt = ctx.rng('part.p_type'), rs = ctx.rng('part.p_size'), rk = ctx.rng('part.p_container');
  const rc = ctx.rng('part.p_comment');
  const chosen = new Int32Array(5);
  for (let i = 0; i < n; i++) {
    const row = start + i;
    const key = row + 1;
    keys[i] = key;
    // Five distinct colours, space-separated.
    rname.seek(row);
    for (let w = 0; w < 5; w++) {
      let c: number;
      let repeat: boolean;
      do {
        c = rname.int(0, COLOUR_BYTES.length - 1);
        repeat = false;
        for (let v = 0; v < w; v++) if (chosen[v] === c) repeat = true;
      } while (repeat);
      chosen[w] = c;
      if (w > 0) names.byte(CH_SPACE);
      names.bytes(COLOUR_BYTES[c]!);
    }
    names.end();
    const m = rm.seek(row).int(1, 5);
    mfgrs.bytes(MFGR_PREFIX).digits(m, 1).end();
    brands.bytes(BRAND_PREFIX).digits(m, 1).digits(rb.seek(row).int(1, 5), 1).end();
    rt.seek(row);
    types.bytes(TYPE_S1[rt.int(0, 5)]!).byte(CH_SPACE).bytes(TYPE_S2[rt.int(0, 4)]!).byte(CH_SPACE).bytes(TYPE_S3[rt.int(0, 4)]!).end();
    sizes[i] = rs.seek(row).int(1, 50);
    rk.seek(row);
    containers.bytes(CONTAINER_S1[rk.int(0, 4)]!).byte(CH_SPACE).bytes(CONTAINER_S2[rk.int(0, 7)]!).end();
    prices[i] = retailPriceCents(key) / 100;
    ctx.pool.comment(comments, rc.seek(row), 5, 22);
  }
  return makeBatch(TPCH_SCHEMAS.part, [
    fixedColumn('int32', keys), names.finish(), mfgrs.finish(), brands.finish(), types.finish(),
    fixedColumn('int32', sizes), containers.finish(), fixedColumn('float64', prices), comments.finish(),
  ], n);
}

/** Partsupp rows of parts [partStart, partEnd): 4 rows per part, row = part row · 4 + i. */
export function generatePartsupp(ctx: TpchContext, partStart: number, partEnd: number): Batch {
  const n = (partEnd - partStart) * 4;
  const partKeys = new Int32Array(n);
  const suppKeys = new Int32Array(n);
  const quantities = new Int32Array(n);
  const costs = new Int32Array(n);
  const comments = new Utf8ColumnWriter(n, 124);
  const rq = ctx.rng('partsupp.ps_availqty'), rcost = ctx.rng('partsupp.ps_supplycost'), rc = ctx.rng('partsupp.ps_comment');
  const s = ctx.scale.suppliers;
  let out = 0;
  for (let part = partStart; part < partEnd; part++) {
    const pk = part + 1;
    for (let i = 0; i < 4; i++, out++) {
      const row = part * 4 + i;
      partKeys[out] = pk;
      suppKeys[out] = partSupplier(pk, i, s);
      quantities[out] = rq.seek(row).int(1, 9999);
      costs[out] = rcost.seek(row).int(100, 100_000);
      ctx.pool.comment(comments, rc.seek(row), 49, 198);
    }
  }
  return makeBatch(TPCH_SCHEMAS.partsupp, [
    fixedColumn('int32', partKeys), fixedColumn('int32', suppKeys), fixedColumn('int32', quantities),
    fixedColumn('float64', cents(costs, n)), comments.finish(),
  ], n);
}

// ── orders and lineitem, generated together ──

/** Orders rows [start, end) (0-based order indexes) and all their lines. */
export function generateOrdersAndLines(ctx: TpchContext, start: number, end: number): { orders: Batch; lineitem: Batch } {
  const n = end - start;
  const { customers, parts, suppliers, clerks } = ctx.scale;
  const custChoices = customers - Math.floor(customers / 3);

  // Pass 1: lines per order, to size the lineitem arrays exactly.
  const rcount = ctx.rng('lineitem.count');
  const lineCounts = new Uint8Array(n);
  let lines = 0;
  for (let i = 0; i < n; i++) { const c = rcount.seek(start + i).int(1, 7); lineCounts[i] = c; lines += c; }

  const oKeys = new Int32Array(n);
  const oCust = new Int32Array(n);
  const oTotal = new Float64Array(n);
  const oDate = new Int32Array(n);
  const oShipPriority = new Int32Array(n);
  const oStatus = new Utf8ColumnWriter(n, 1);
  const oPriority = new Utf8ColumnWriter(n, 9);
  const oClerk = new Utf8ColumnWriter(n, 15);
  const oComment = new Utf8ColumnWriter(n, 49);

  const lOrderKey = new Int32Array(lines);
  const lPart = new Int32Array(lines);
  const lSupp = new Int32Array(lines);
  const lLine = new Int32Array(lines);
  const lQty = new Float64Array(lines);
  const lPrice = new Float64Array(lines);
  const lDisc = new Float64Array(lines);
  const lTax = new Float64Array(lines);
  const lShip = new Int32Array(lines);
  const lCommit = new Int32Array(lines);
  const lReceipt = new Int32Array(lines);
  const lReturnFlag = new Utf8ColumnWriter(lines, 1);
  const lLineStatus = new Utf8ColumnWriter(lines, 1);
  const lInstruct = new Utf8ColumnWriter(lines, 12);
  const lMode = new Utf8ColumnWriter(lines, 5);
  const lComment = new Utf8ColumnWriter(lines, 27);

  const rcust = ctx.rng('orders.o_custkey'), rdate = ctx.rng('orders.o_orderdate'), rprio = ctx.rng('orders.o_orderpriority');
  const rclerk = ctx.rng('orders.o_clerk'), rocomment = ctx.rng('orders.o_comment');
  const rpart = ctx.rng('lineitem.l_partkey'), rsupp = ctx.rng('lineitem.l_suppkey'), rqty = ctx.rng('lineitem.l_quantity');
  const rdisc = ctx.rng('lineitem.l_discount'), rtax = ctx.rng('lineitem.l_tax'), rship = ctx.rng('lineitem.l_shipdate');
  const rcommit = ctx.rng('lineitem.l_commitdate'), rreceipt = ctx.rng('lineitem.l_receiptdate');
  const rflag = ctx.rng('lineitem.l_returnflag'), rinstr = ctx.rng('lineitem.l_shipinstruct');
  const rmode = ctx.rng('lineitem.l_shipmode'), rlcomment = ctx.rng('lineitem.l_comment');

  let l = 0;
  for (let i = 0; i < n; i++) {
    const row = start + i;
    const orderKey = orderKeyOf(row);
    oKeys[i] = orderKey;
    // Uniform over the customer keys that are not multiples of 3: t-th such key is t + t/2 + 1.
    const t = rcust.seek(row).below(custChoices);
    oCust[i] = t + Math.floor(t / 2) + 1;
    const orderDate = START_DATE + rdate.seek(row).int(0, LAST_ORDER_DATE - START_DATE);
    oDate[i] = orderDate;
    oPriority.value(PRIORITIES[rprio.seek(row).int(0, 4)]!);
    oClerk.bytes(CLERK_PREFIX).digits(rclerk.seek(row).int(1, clerks), 9).end();
    ctx.pool.comment(oComment, rocomment.seek(row), 19, 78);

    let totalCents = 0;
    let shipped = 0;
    const count = lineCounts[i]!;
    for (let j = 0; j < count; j++, l++) {
      const lineRow = row * 8 + j;
      const pk = 1 + rpart.seek(lineRow).below(parts);
      const qty = rqty.seek(lineRow).int(1, 50);
      const disc = rdisc.seek(lineRow).int(0, 10);
      const tax = rtax.seek(lineRow).int(0, 8);
      const priceCents = qty * retailPriceCents(pk);
      const ship = orderDate + rship.seek(lineRow).int(1, 121);
      const receipt = ship + rreceipt.seek(lineRow).int(1, 30);
      lOrderKey[l] = orderKey;
      lPart[l] = pk;
      lSupp[l] = partSupplier(pk, rsupp.seek(lineRow).int(0, 3), suppliers);
      lLine[l] = j + 1;
      lQty[l] = qty;
      lPrice[l] = priceCents / 100;
      lDisc[l] = disc / 100;
      lTax[l] = tax / 100;
      lShip[l] = ship;
      lCommit[l] = orderDate + rcommit.seek(lineRow).int(30, 90);
      lReceipt[l] = receipt;
      lReturnFlag.byte(receipt <= CURRENT_DATE ? (rflag.seek(lineRow).int(0, 1) === 0 ? CH_R : CH_A) : CH_N).end();
      const isShipped = ship <= CURRENT_DATE;
      if (isShipped) shipped++;
      lLineStatus.byte(isShipped ? CH_F : CH_O).end();
      lInstruct.value(INSTRUCTIONS[rinstr.seek(lineRow).int(0, 3)]!);
      lMode.value(SHIP_MODES[rmode.seek(lineRow).int(0, 6)]!);
      ctx.pool.comment(lComment, rlcomment.seek(lineRow), 10, 43);
      // Exact: cents · (100 + tax) · (100 − disc) < 2^53, rounded once to cents.
      totalCents += Math.round((priceCents * (100 + tax) * (100 - disc)) / 10_000);
    }
    oTotal[i] = totalCents / 100;
    oStatus.byte(shipped === count ? CH_F : shipped === 0 ? CH_O : CH_P).end();
  }

  const orders = makeBatch(TPCH_SCHEMAS.orders, [
    fixedColumn('int32', oKeys), fixedColumn('int32', oCust), oStatus.finish(), fixedColumn('float64', oTotal),
    fixedColumn('date32', oDate), oPriority.finish(), oClerk.finish(), fixedColumn('int32', oShipPriority), oComment.finish(),
  ], n);
  const lineitem = makeBatch(TPCH_SCHEMAS.lineitem, [
    fixedColumn('int32', lOrderKey), fixedColumn('int32', lPart), fixedColumn('int32', lSupp), fixedColumn('int32', lLine),
    fixedColumn('float64', lQty), fixedColumn('float64', lPrice), fixedColumn('float64', lDisc), fixedColumn('float64', lTax),
    lReturnFlag.finish(), lLineStatus.finish(), fixedColumn('date32', lShip), fixedColumn('date32', lCommit),
    fixedColumn('date32', lReceipt), lInstruct.finish(), lMode.finish(), lComment.finish(),
  ], lines);
  return { orders, lineitem };
}
