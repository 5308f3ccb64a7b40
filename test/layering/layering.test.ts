/** The layering rules hold for src/, and the checker catches a forbidden import. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';
import { describeViolation, importGraph, LAYERS, layerViolations, unitOf } from './check_layers.js';

describe('layering of src/', () => {
  it('has no import that breaks the layering rules', () => {
    const edges = importGraph(resolve(REPO_ROOT, 'src'));
    expect(edges.length).toBeGreaterThan(500);
    expect(layerViolations(edges).map(describeViolation)).toEqual([]);
  });

  it('names every unit of src/ in the layer table', () => {
    const units = new Set(importGraph(resolve(REPO_ROOT, 'src')).flatMap((e) => [unitOf(e.from), unitOf(e.to)]));
    expect([...units].filter((u) => !LAYERS.some((l) => l.includes(u)))).toEqual([]);
  });
});

describe('the layering checker', () => {
  let root: string | null = null;
  afterEach(() => { if (root) rmSync(root, { recursive: true, force: true }); root = null; });

  function tree(files: Record<string, string>): string {
    root = mkdtempSync(join(tmpdir(), 'spillway-layers-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  const allowed = {
    'common/types.ts': 'export type X = number;\n',
    'plan/physical.ts': "import type { X } from '../common/types.js';\n",
    'exec/filter.ts': "import { y } from '../plan/physical.js';\nimport './sort/sort.js';\n",
    'exec/sort/sort.ts': '',
  };

  it('accepts imports that go down the layers', () => {
    expect(layerViolations(importGraph(tree(allowed)))).toEqual([]);
  });

  it('refuses plan → exec, even type-only', () => {
    const v = layerViolations(importGraph(tree({ ...allowed, 'plan/explain.ts': "\nimport type { M } from '../exec/filter.js';\n" })));
    expect(v.map(describeViolation)).toEqual(['src/plan/explain.ts:2 imports src/exec/filter.ts: plan may not depend on exec']);
  });

  it('refuses imports between units of one layer, and dynamic imports upwards', () => {
    const v = layerViolations(importGraph(tree({
      'scheduler/a.ts': "import { w } from '../worker/b.js';\n",
      'worker/b.ts': '',
      'columnar/c.ts': "const m = await import('../cli/main.js');\n",
      'cli/main.ts': '',
    })));
    expect(v.map((x) => `${x.fromUnit}->${x.toUnit}`).sort()).toEqual(['columnar->cli', 'scheduler->worker']);
  });

  it('refuses a unit missing from the table', () => {
    const v = layerViolations(importGraph(tree({ 'gadgets/g.ts': "import '../common/types.js';\n", 'common/types.ts': '' })));
    expect(v.map((x) => x.fromUnit)).toEqual(['gadgets']);
  });
});
