/**
 * Tests that start worker threads or processes run the compiled code in dist/. Before any
 * test runs, rebuild when a source file is newer than its compiled output, so a test never
 * silently exercises a stale build; a build that emits nothing stops the run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function staleSources(): string[] {
  return ['src', 'bench'].flatMap((d) => sources(resolve(REPO_ROOT, d))).filter((ts) => {
    const js = resolve(REPO_ROOT, 'dist', relative(REPO_ROOT, ts)).replace(/\.ts$/, '.js');
    return !existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs;
  });
}

export default function setup(): void {
  const stale = staleSources();
  if (stale.length === 0) return;
  console.log(`dist/ is older than ${stale.length} source file(s) (${relative(REPO_ROOT, stale[0]!)} …): building`);
  try {
    execFileSync(process.execPath, [resolve(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  } catch {
    // tsc still emitted what it could; npm test's own type check fails on these errors.
    const left = staleSources();
    if (left.length > 0) throw new Error(`the build did not produce dist/ for ${left.length} source file(s), e.g. ${relative(REPO_ROOT, left[0]!)}`);
    console.warn('the build reported type errors (above); tests run against the code it emitted');
  }
}
