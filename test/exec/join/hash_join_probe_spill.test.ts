/**
 * HashJoin whose build side fitted, asked by the pool to spill while probing: inner, left,
 * semi and anti joins hand the table to the grace path and join the rest of the probe input
 * there; right and full joins keep it. Every answer equals the in-memory one.
 */
import { describe, expect, it } from 'vitest';
import { fixedColumn, makeBatch, utf8Column, type Batch } from '../../../src/columnar/column.js';
import { batchRows } from '../../../src/columnar/kernels.js';
import { collect, executePlan } from '../../../src/exec/execute.js';
import type { HashJoinNode, JoinType } from '../../../src/plan/physical.js';
import { field, schema, type Schema } from '../../../src/common/types.js';
import { testContext } from '../../helpers/context.js';
import { sourceNode } from '../../helpers/source.js';
import { spillContexts, type SpillTestContext } from '../../spill/spill_context.js';
import { cmp, hashJoinNode, JOIN_TYPES, sortRows } from './reference.js';

const L = schema([field('k', 'int32'), field('lv', 'int32'), field('lp', 'utf8')]);
const R = schema([field('k', 'int32'), field('rv', 'int32'), field('rp', 'utf8')]);

/** `rows` rows in batches of `batchRows`, keys in 0..keys-1 with a NULL key now and then. */
function side(s: Schema, rows: number, keys: number, batchRows: number, seed: number): Batch[] {
  const out: Batch[] = [];
  let x = seed >>> 0;
  const rnd = () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x; };
  for (let start = 0; start < rows; start += batchRows) {
    const n = Math.min(batchRows, rows - start);
    const k = new Int32Array(n), kv = new Uint8Array(n), v = new Int32Array(n);
    const p: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = rnd();
      k[i] = (r >>> 4) % keys; kv[i] = r % 53 === 0 ? 0 : 1;
      v[i] = (r >>> 8) % 100;
      p.push(`p${start + i}`);
    }
    out.push(makeBatch(s, [fixedColumn('int32', k, kv), fixedColumn('int32', v), utf8Column(p)], n));
  }
  return out;
}

const left = side(L, 6000, 2500, 400, 11);
const right = side(R, 3000, 2500, 500, 12);

const spillCtx = spillContexts();

/** Run `node` under a pool the build fits in; after the first output batch, fill the pool. */
async function squeezedWhileProbing(node: HashJoinNode): Promise<{ rows: string[]; s: SpillTestContext }> {
  const limit = 4 * 1024 * 1024;
  const s = spillCtx(limit, 256);
  const out: Batch[] = [];
  const ballast = s.pool.register('ballast');
  for await (const b of executePlan(node, 0, s.ctx)) {
    if (out.length === 0) {
      expect(s.pool.used).toBeGreaterThan(0); // the table is held
      // An unspillable consumer takes the pool over its high watermark: the join is asked to spill.
      expect(ballast.tryGrow(Math.floor(0.95 * limit) - s.pool.used)).toBe(true);
    }
    out.push(b);
  }
  ballast.free();
  return { rows: sortRows(out.flatMap(batchRows)), s };
}

async function inMemory(node: HashJoinNode): Promise<string[]> {
  return sortRows((await collect(node, testContext({ batch_size: 256 }))).flatMap(batchRows));
}

describe('hash join asked to spill while probing', () => {
  for (const t of JOIN_TYPES) {
    const switches = t === 'inner' || t === 'left' || t === 'semi' || t === 'anti';
    it(`${t}: ${switches ? 'joins the rest of the probe side on the grace path' : 'keeps its table'}, same answer`, async () => {
      const node = hashJoinNode(sourceNode(left, L), sourceNode(right, R), t as JoinType, [0], [0], cmp('<', L, 1, R, 1));
      const { rows, s } = await squeezedWhileProbing(node);
      expect(rows).toEqual(await inMemory(node));
      const m = s.ctx.metrics.forNode(node.id);
      if (switches) {
        expect(m.extra.probeSpills).toBe(1);
        expect(m.spillCount).toBeGreaterThan(0);
      } else {
        expect(m.extra.probeSpills).toBeUndefined();
      }
      expect(m.extra.buildRows).toBe(3000);
      expect(m.extra.probeRows).toBe(6000);
      expect(s.files()).toEqual([]);
      expect(s.pool.used).toBe(0);
    });
  }

  it('null-aware anti join (NOT IN) keeps dropping probe rows with a NULL key after the switch', async () => {
    const noNullRight = side(R, 3000, 2500, 500, 12).map((b) => makeBatch(R, [
      fixedColumn('int32', (b.columns[0] as { values: Int32Array }).values), b.columns[1]!, b.columns[2]!], b.length));
    const node = hashJoinNode(sourceNode(left, L), sourceNode(noNullRight, R), 'anti', [0], [0], null, { nullAware: true });
    const { rows, s } = await squeezedWhileProbing(node);
    expect(s.ctx.metrics.forNode(node.id).extra.probeSpills).toBe(1);
    const want = await inMemory(node);
    expect(want.length).toBeGreaterThan(0);
    expect(rows).toEqual(want);
  });
});
