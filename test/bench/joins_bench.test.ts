/**
 * The join strategy sweep: a tiny real run (one point, one run of each strategy, one worker
 * thread) writes a CSV, two SVG charts and an HTML page that are well-formed; and the pieces
 * that summarize a sweep (crossovers, auto's score, the chart helper) on known figures.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chosenStrategy, measuredCrossover, modelCrossover, runJoinsBench, strategySettings, summarizePoints, type JoinRun,
} from '../../bench/joins_bench.js';
import { renderLineChart } from '../../bench/svg_chart.js';
import type { EdgeFigures } from '../../src/common/figures.js';
import { benchCommand, parseCountList } from '../../src/cli/bench_command.js';

const VOID = new Set(['meta', 'img', 'br', 'hr', 'link', 'input']);

/** Throws unless every tag is closed in order (void HTML elements aside) and attributes are quoted. */
function checkTags(text: string, html: boolean): void {
  const body = text.replace(/<!DOCTYPE[^>]*>/i, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|>/g;
  for (const m of body.matchAll(tag)) {
    if (m[2] === undefined) {
      // A lone < or > outside a tag: only > is harmless in text.
      if (m[0] === '<') throw new Error(`stray "<" at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
      continue;
    }
    const name = m[2].toLowerCase();
    if (m[1] === '/') {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? 'nothing'}> at ${m.index}`);
    } else if (m[4] !== '/' && !(html && VOID.has(name))) {
      stack.push(name);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

describe('bench joins', () => {
  const out = mkdtempSync(join(tmpdir(), 'spillway-joins-bench-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('one small point on one worker thread writes results.csv, time.svg, bytes.svg and index.html', async () => {
    const report = await runJoinsBench({ workers: [1], buildRows: [200], probeRows: [3000], runs: 1, out, mode: 'threads' });
    for (const f of ['results.csv', 'time.svg', 'bytes.svg', 'index.html']) expect(existsSync(join(out, f)), f).toBe(true);

    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(csv[0]).toEqual(['workers', 'mode', 'build_rows', 'build_bytes', 'probe_rows', 'probe_bytes', 'strategy', 'chosen', 'run', 'elapsed_ms', 'bytes_sent']);
    expect(csv.slice(1).map((r) => r[6]).sort()).toEqual(['auto', 'broadcast', 'partitioned']);
    for (const r of csv.slice(1)) {
      expect(r).toHaveLength(11);
      expect(r.slice(0, 3)).toEqual(['1', 'threads', '200']);
      expect(r[4]).toBe('3000');
      for (const i of [3, 5, 9, 10]) expect(Number(r[i]), `column ${csv[0]![i]}`).toBeGreaterThanOrEqual(0);
      expect(Number(r[3])).toBeGreaterThan(0);
    }
    expect(report.runs).toHaveLength(3);

    for (const f of ['time.svg', 'bytes.svg']) {
      const svg = readFileSync(join(out, f), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(() => checkTags(svg, false), f).not.toThrow();
      expect(svg.match(/<polyline /g)?.length, f).toBe(3); // one line per strategy, one worker count
    }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(() => checkTags(html, true)).not.toThrow();
    expect(html).toContain('<img src="time.svg"');
    expect(html).toContain('<img src="bytes.svg"');
    expect(html).toContain('<a href="results.csv">');
    expect(html).toMatch(/auto picked the faster strategy in \d+ of \d+ points/);
  }, 60_000);

  it('the well-formedness check catches a broken document', () => {
    expect(() => checkTags('<svg><g></svg>', false)).toThrow(/closes/);
    expect(() => checkTags('<svg><text>a < b</text></svg>', false)).toThrow(/stray/);
    expect(() => checkTags('<svg><line x1=3/></svg>', false)).toThrow();
  });

  it('reads its command line: size lists with k and M, one clear error for a bad value or a missing flag', async () => {
    expect(parseCountList('build-rows', '10k, 1M,250,10k', 1)).toEqual([10_000, 1_000_000, 250]);
    expect(parseCountList('workers', '1,2,3', 1)).toEqual([1, 2, 3]);
    expect(() => parseCountList('workers', '0,2', 1)).toThrow(/--workers: "0" is not an integer of at least 1/);
    expect(() => parseCountList('probe-rows', '1.5k2', 1)).toThrow(/--probe-rows/);
    await expect(benchCommand(['joins', '--probe-rows', '10', '--out', out])).rejects.toThrow(/needs --build-rows/);
    await expect(benchCommand(['joins', '--build-rows', '1', '--probe-rows', '10', '--out', out, '--mode', 'cluster'])).rejects.toThrow(/--mode must be threads or processes/);
  });

  it('forces a strategy through one function', () => {
    expect(strategySettings('partitioned')).toEqual({ join_strategy: "'partitioned'", distribute_max_exchange_ratio: '0', distribute_min_decoded_bytes: '0' });
    expect(strategySettings('broadcast').join_strategy).toBe("'broadcast'");
    expect(strategySettings('auto').join_strategy).toBe("'auto'");
  });

  it('reads the strategy a plan used from its exchange edges', () => {
    const edge = (partitioning: string) => ({ partitioning }) as EdgeFigures;
    expect(chosenStrategy([])).toBe('local');
    expect(chosenStrategy([edge('broadcast'), edge('single'), edge('result')])).toBe('broadcast');
    expect(chosenStrategy([edge('hash'), edge('hash'), edge('result')])).toBe('partitioned');
    expect(chosenStrategy([edge('single'), edge('result')])).toBe('other');
  });

  it('finds the measured crossover, scores auto on clear points only, and puts the model at 1/(N−1)', () => {
    const run = (b: number, strategy: JoinRun['strategy'], chosen: string, elapsedMs: number): JoinRun => ({
      workers: 3, mode: 'threads', buildRows: b, buildBytes: b * 10, probeRows: 1000, probeBytes: 10_000, strategy, chosen, run: 1, elapsedMs, bytesSent: 0,
    });
    // Broadcast wins at B/P = 0.1, partitioned at 1; the two meet between them. At 0.3 they are within 10 %.
    const runs = [
      run(100, 'broadcast', 'broadcast', 50), run(100, 'partitioned', 'partitioned', 100), run(100, 'auto', 'broadcast', 51),
      run(300, 'broadcast', 'broadcast', 95), run(300, 'partitioned', 'partitioned', 100), run(300, 'auto', 'partitioned', 99),
      run(1000, 'broadcast', 'broadcast', 400), run(1000, 'partitioned', 'partitioned', 100), run(1000, 'auto', 'broadcast', 400),
    ];
    const points = summarizePoints(runs);
    expect(points.map((p) => [p.ratio, p.faster, p.clear, p.autoChose])).toEqual([
      [0.1, 'broadcast', true, 'broadcast'], [0.3, 'broadcast', false, 'partitioned'], [1, 'partitioned', true, 'broadcast'],
    ]);
    const x = measuredCrossover(points)!;
    expect(x).toBeGreaterThan(0.3);
    expect(x).toBeLessThan(1);
    expect(modelCrossover(3)).toBe(0.5);
    expect(modelCrossover(1)).toBeNull();
    // A strategy that did not run as forced (one worker: the same local plan) judges nothing.
    const same = summarizePoints([run(100, 'broadcast', 'local', 50), run(100, 'partitioned', 'local', 100), run(100, 'auto', 'local', 60)]);
    expect(same[0]!.clear).toBe(false);
  });

  it('escapes text in charts', () => {
    const svg = renderLineChart({
      title: 'a < b & "c"', xLabel: 'x', yLabel: 'y',
      series: [{ name: '<s>', color: 'red', points: [[0.1, 1], [1, 2]] }],
      verticals: [{ x: 0.5, label: 'v&', color: 'gray' }], markers: [{ x: 0.3, label: 'm>', color: 'blue' }],
    });
    expect(() => checkTags(svg, false)).not.toThrow();
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(svg).toContain('&lt;s&gt;');
  });
});
