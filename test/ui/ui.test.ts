/**
 * The web page in a real browser (headless Chromium through playwright-core): while a
 * distributed query runs, its page shows the stage DAG as SVG with per-stage figures that
 * change as tasks finish, then EXPLAIN ANALYZE once it ended; the list page shows the query.
 * A screenshot goes to test-output/ui.png.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs
 * it). Without it the test fails with that message when CI is set, and is skipped otherwise.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEndpoint } from '../../src/observe/metrics_server.js';
import type { QueryTracker } from '../../src/observe/progress.js';
import { Session } from '../../src/session.js';
import { startUiServer } from '../../src/ui/ui_server.js';
import { HAVE_SHARED, REPO_ROOT, SHARED_MISSING_MESSAGE, TPCH_SF001 } from '../helpers/paths.js';
import { DIST_MISSING_MESSAGE, HAVE_DIST } from '../scheduler/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const CHROMIUM_MISSING = `${CHROMIUM} is missing: the browser test needs Debian's chromium (apt-get install chromium)`;
if (!HAVE_CHROMIUM) {
  if (process.env.CI) throw new Error(`${CHROMIUM_MISSING}; CI is set, so this is a failure, not a skip`);
  console.log(`skipped: ${CHROMIUM_MISSING}`);
}
if (!HAVE_SHARED) console.log(SHARED_MISSING_MESSAGE);
if (!HAVE_DIST) console.log(DIST_MISSING_MESSAGE);

const OUTPUT = resolve(REPO_ROOT, 'test-output');

async function until<T>(what: string, fn: () => Promise<T | null | undefined> | T | null | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!HAVE_CHROMIUM || !HAVE_SHARED || !HAVE_DIST)('web page (headless Chromium)', () => {
  let data: string;
  let session: Session;
  let ui: HttpEndpoint;
  let browser: Browser;

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'spillway-ui-'));
    const copy = new Session();
    try {
      await copy.sql(`copy (select * from read_parquet('${join(TPCH_SF001, 'lineitem.parquet')}')) to '${join(data, 'lineitem.parquet')}' (format parquet, row_group_size 2048)`);
    } finally {
      await copy.close();
    }
    // Small batches and many partitions: the query runs for seconds, tasks finish one by one.
    session = await Session.create({ tables: data, workers: 2, config: { force_distribution: true, target_partitions: 8, batch_size: 256 } });
    ui = await startUiServer({ port: 0, source: session });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    await session?.close();
    rmSync(data, { recursive: true, force: true });
  });

  it('shows a running query\'s stage DAG with figures that change, then its EXPLAIN ANALYZE', async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    const running = session.sql('select l_suppkey, count(distinct l_comment), sum(l_extendedprice) from lineitem group by 1 order by 1');
    running.catch(() => {});
    const tracker: QueryTracker = await until('the query to run as a stage DAG', () =>
      session.queries.list().find((t) => t.snapshot().mode === 'distributed' && t.state === 'running'));
    const stages = tracker.snapshot().stages.length;
    expect(stages).toBeGreaterThanOrEqual(3);

    await page.goto(`http://${ui.address}/query/${tracker.queryId}`);
    await page.waitForSelector('svg#dag g.stage');
    const figures = () => page.$$eval('svg#dag g.stage', (gs) => gs.map((g) => ({
      stage: Number(g.getAttribute('data-stage')), done: Number(g.getAttribute('data-tasks-done')), tasks: Number(g.getAttribute('data-tasks')),
      state: g.getAttribute('data-state'), text: g.textContent ?? '',
    })));
    const first = await figures();
    expect(first).toHaveLength(stages);
    for (const f of first) expect(f.text).toMatch(new RegExp(`^Stage ${f.stage} · \\w+ · .*tasks ${f.done}/${f.tasks}.*out .* rows, .*spilled`));
    expect(await page.$$eval('svg#dag g.edge path.edge', (ps) => ps.length)).toBe(stages - 1);
    expect(await page.textContent('#state')).toBe('running');
    const doneAtFirst = first.reduce((n, f) => n + f.done, 0);

    // The page polls: the tasks done go up while the query runs (seen without reloading).
    await until('the page to show more tasks done', async () => (await figures()).reduce((n, f) => n + f.done, 0) > doneAtFirst);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'ui-running.png'), fullPage: true });

    await running;
    await page.waitForFunction("document.querySelector('#state').textContent === 'finished'", undefined, { timeout: 20_000 });
    const last = await figures();
    for (const f of last) expect(f).toMatchObject({ state: 'done', done: f.tasks });
    const edgeBytes = await page.$$eval('svg#dag g.edge', (gs) => gs.map((g) => Number(g.getAttribute('data-bytes-out'))));
    for (const b of edgeBytes) expect(b).toBeGreaterThan(0);
    expect(await page.textContent('#explain')).toMatch(/^Physical plan \(analyzed\):\nDistributed plan: \d+ stages/);
    await page.screenshot({ path: join(OUTPUT, 'ui.png'), fullPage: true });

    // The list page names the query, finished, with a link to its page.
    await page.goto(`http://${ui.address}/`);
    const row = await page.waitForSelector(`tr[data-query="${tracker.queryId}"]`);
    expect(await row.textContent()).toContain('finished');
    expect(await row.$eval('a', (a) => a.getAttribute('href'))).toBe(`/query/${tracker.queryId}`);
    await page.close();
  }, 60_000);

  it('serves /metrics and answers an unknown query with a message', async () => {
    const metrics = await fetch(`http://${ui.address}/metrics`);
    expect(await metrics.text()).toMatch(/^spillway_queries_finished_total \d+$/m);
    expect((await fetch(`http://${ui.address}/query/%E0%A4%A`)).status).toBe(400);
    const missing = await fetch(`http://${ui.address}/api/queries/nosuchquery`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no query nosuchquery (only the last ones are kept)' });
  });
});

it('spillway sql --ui with a bad port is one clear error', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [resolve(REPO_ROOT, 'bin/spillway.js'), 'sql', '--ui', '70000', 'select 1'], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe('spillway: error: invalid --ui "70000": expected a port number 0..65535');
});
