/** Checks shared by the distributed COPY tests: nothing relayed, nothing left behind. */
import { existsSync, readdirSync } from 'node:fs';
import { expect } from 'vitest';
import type { QueryStats } from '../../src/result.js';
import type { Session } from '../../src/session.js';

/** The result edge of a COPY written by the workers carries no rows. */
export function expectNoRowsRelayed(stats: QueryStats): void {
  const result = stats.edges.filter((e) => e.consumerStage === null);
  expect(result).toHaveLength(1);
  expect(result[0]).toMatchObject({ rows: 0, wireBytes: 0, rawBytes: 0 });
}

/** Temporary files of a COPY (parts, the joined file) in `dir`. */
export function copyLeftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('.tmp-'));
}

/**
 * Run COPY `sql` to `out` in `dir`, which must fail (or, with `cancel`, is cancelled as soon
 * as its first temporary file appears): neither `out` nor any temporary file is left.
 */
export async function expectNothingLeft(session: Session, dir: string, out: string, sql: string, cancel: boolean): Promise<void> {
  const controller = new AbortController();
  let watching = cancel;
  const watcher = (async () => {
    while (watching && copyLeftovers(dir).length === 0) await new Promise((r) => setTimeout(r, 1));
    if (watching) controller.abort();
  })();
  const err = await session.sql(sql, { signal: controller.signal }).then(() => null, (e: unknown) => e);
  watching = false;
  await watcher;
  expect(err).toBeInstanceOf(Error);
  expect(existsSync(out)).toBe(false);
  expect(copyLeftovers(dir)).toEqual([]);
}
