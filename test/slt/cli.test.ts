import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sltCommand } from '../../src/cli/slt_command.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    const code = await sltCommand(argv);
    return { code, out };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => { vi.restoreAllMocks(); });

describe('spillway slt', () => {
  it('exits 0 and prints the counts when every record passes', async () => {
    const { code, out } = await run([fixture('basic.slt')]);
    expect(code).toBe(0);
    expect(out).toMatch(/basic\.slt: 12 run, 12 passed, 0 failed, 3 skipped \(100\.00%\)/);
    expect(out).not.toMatch(/FAIL/);
  });

  it('exits 1 and prints the first failures with their SQL and line', async () => {
    const { code, out } = await run([fixture('failing.slt'), fixture('basic.slt'), '--show', '2']);
    expect(code).toBe(1);
    expect(out).toMatch(/failing\.slt: 9 run, 3 passed, 6 failed/);
    expect(out).toMatch(/FAIL .*failing\.slt:8\n {4}SELECT x FROM t ORDER BY x\n {4}expected: 1 \| 2 \| 4\n {4}actual: {3}1 \| 2 \| 3/);
    expect(out.match(/FAIL/g)).toHaveLength(2);
    expect(out).toMatch(/total: 21 run, 15 passed, 6 failed, 3 skipped/);
  });

  it('--quiet prints only summaries; --max-failures stops a file', async () => {
    const { code, out } = await run(['--quiet', '--max-failures', '1', fixture('failing.slt')]);
    expect(code).toBe(1);
    expect(out).not.toMatch(/FAIL/);
    expect(out).toMatch(/1 failed.*stopped at --max-failures/);
  });

  it('--engine changes which conditional records run', async () => {
    const { out } = await run(['--engine', 'mysql', '--quiet', fixture('basic.slt')]);
    expect(out).toMatch(/basic\.slt: 13 run, .* 2 skipped/);
  });

  it('rejects bad arguments with a config error', async () => {
    await expect(sltCommand([])).rejects.toMatchObject({ kind: 'config' });
    await expect(sltCommand(['--max-failures', 'x', 'f.slt'])).rejects.toMatchObject({ kind: 'config' });
    await expect(sltCommand(['--bogus', 'f.slt'])).rejects.toMatchObject({ kind: 'config' });
  });
});
