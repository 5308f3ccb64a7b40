/**
 * The layering rules of src/ (ARCHITECTURE.md, "Layers"), checked over the import graph.
 *
 * A unit is a folder directly under src/ (`exec`, `plan`, …); `catalog.ts` and `format.ts`
 * (text renderings of values and batches, which the CSV/JSON file writer in storage uses) are
 * units of their own and the other files at the top of src/ (session, result, index …) form `api`.
 * LAYERS lists the units from the bottom up: a unit may import itself and units of lower
 * layers only. Units that share a layer may not import each other (scheduler and worker
 * meet only through protocol). Type-only and dynamic imports count like any other, so
 * there can be no cycle between units. `bench` is the repository's bench/ folder, which the
 * `spillway bench` command loads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

export const LAYERS: readonly (readonly string[])[] = [
  ['common'],
  ['observe'],
  ['columnar'],
  ['expr'],
  ['format'],
  ['memory'],
  ['spill'],
  ['storage'],
  ['catalog'],
  ['plan'],
  ['distributed', 'sql'],
  ['exchange'],
  ['exec'],
  ['protocol'],
  ['scheduler', 'worker'],
  ['api'],
  ['datagen', 'slt', 'testing', 'ui'],
  ['bench'],
  ['cli'],
];

export interface ImportEdge {
  /** Paths relative to the root, with forward slashes. */
  from: string;
  to: string;
  line: number;
}

export interface Violation extends ImportEdge {
  fromUnit: string;
  toUnit: string;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+)'/g;

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every relative import of every .ts file below root. */
export function importGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of tsFiles(root)) {
    const from = relative(root, file).split(sep).join('/');
    readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
      for (const m of text.matchAll(IMPORT)) {
        const target = normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts');
        edges.push({ from, to: relative(root, target).split(sep).join('/'), line: i + 1 });
      }
    });
  }
  return edges;
}

export function unitOf(path: string): string {
  if (path.startsWith('../bench/')) return 'bench';
  const slash = path.indexOf('/');
  if (slash >= 0) return path.slice(0, slash);
  return path === 'catalog.ts' ? 'catalog' : path === 'format.ts' ? 'format' : 'api';
}

export function layerOf(unit: string, layers: readonly (readonly string[])[] = LAYERS): number {
  const i = layers.findIndex((l) => l.includes(unit));
  return i;
}

/** Imports that break the rules; a unit missing from the table is a violation too. */
export function layerViolations(edges: readonly ImportEdge[], layers: readonly (readonly string[])[] = LAYERS): Violation[] {
  const out: Violation[] = [];
  for (const e of edges) {
    const fromUnit = unitOf(e.from);
    const toUnit = unitOf(e.to);
    if (fromUnit === toUnit) continue;
    const a = layerOf(fromUnit, layers);
    const b = layerOf(toUnit, layers);
    if (a < 0 || b < 0 || b >= a) out.push({ ...e, fromUnit, toUnit });
  }
  return out;
}

export function describeViolation(v: Violation): string {
  return `src/${v.from}:${v.line} imports src/${v.to}: ${v.fromUnit} may not depend on ${v.toUnit}`;
}
