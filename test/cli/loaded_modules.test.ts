/**
 * What a plain query loads: the native LZ4 codec (spill and exchange compression),
 * pino-pretty (logs on a terminal) and the web page's server are loaded only when used, so
 * they add nothing to the fixed memory of every process (bench/RESULTS.md, beyond memory).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, REPO_ROOT, SHARED_MISSING_MESSAGE, TPCH_SF001 } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'spillway-modules-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Preloaded into the CLI's process: prints every CommonJS module and the ESM files it loaded at exit. */
const REPORT = join(work, 'report.cjs');
writeFileSync(REPORT, `process.on('exit', () => process.stderr.write('LOADED ' + Object.keys(require.cache).join(' ') + '\\n'));\n`);

function loaded(args: string[]): string {
  const r = spawnSync(process.execPath, ['-r', REPORT, join(REPO_ROOT, 'bin/spillway.js'), ...args], {
    cwd: work, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SPILLWAY_TUNED_RUNTIME: '1', SPILLWAY_SPILL_DIR: join(work, 'spill') },
  });
  expect(r.status, r.stderr).toBe(0);
  return /LOADED (.*)/.exec(r.stderr)?.[1] ?? '';
}

if (!HAVE_SHARED) console.warn(SHARED_MISSING_MESSAGE);

describe('modules loaded on demand', () => {
  it('a query that neither compresses nor logs to a terminal loads no LZ4 codec and no pino-pretty', () => {
    const modules = loaded(['sql', '--workers', '0', '--memory-limit', '16MB', 'select 1']);
    expect(modules).toMatch(/node-sql-parser/);
    expect(modules).not.toMatch(/lz4-napi/);
    expect(modules).not.toMatch(/pino-pretty/);
  });

  it.skipIf(!HAVE_SHARED)('a query that spills with LZ4 loads the codec', () => {
    const args = ['sql', '--workers', '0', '--tables', TPCH_SF001, '-o', join(work, 'sorted.csv'), '--set', 'spill_compression=lz4', '--memory-limit', '1MB'];
    expect(loaded([...args, 'select l_comment from lineitem order by l_comment'])).toMatch(/lz4-napi/);
  });
});
