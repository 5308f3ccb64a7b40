/**
 * A line chart as a standalone SVG document, written by hand (no plotting dependency):
 * axes with ticks, a log-scale x axis, one polyline per series, vertical reference lines,
 * point markers, and a legend to the right of the plot.
 *
 *   ┌ title ───────────────────────────────────────┐
 *   │ y ▲        ¦                        legend   │
 *   │   │  ╲     ¦ (vertical line)        ── a      │
 *   │   │   ╲____¦_____                   -- b      │
 *   │   └────────┼───────────────▶ x (log)          │
 *   └───────────────────────────────────────────────┘
 *
 * Numbers are placed with two decimals; text is XML-escaped, so the output is well-formed.
 */

export interface ChartSeries {
  name: string;
  color: string;
  /** SVG stroke-dasharray, e.g. "6 3"; none = solid. */
  dash?: string;
  /** Stroke width (default 2): a thin line stays visible on top of a wide one it equals. */
  width?: number;
  /** [x, y] in data units; x > 0 on the log axis. Drawn in x order. */
  points: readonly (readonly [number, number])[];
}

export interface ChartVertical {
  x: number;
  label: string;
  color: string;
  dash?: string;
}

export interface ChartMarker {
  x: number;
  label: string;
  color: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Vertical lines across the plot (e.g. a model's prediction). */
  verticals?: readonly ChartVertical[];
  /** Triangles on the x axis (e.g. a measured crossover). */
  markers?: readonly ChartMarker[];
  width?: number;
  height?: number;
}

const MARGIN = { left: 70, right: 230, top: 40, bottom: 50 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f2 = (v: number): string => (Math.round(v * 100) / 100).toString();

/** A short label for a tick value: 0.001, 0.5, 20, 1.5k, 3M. */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

/** About `count` round ticks from 0 to at least `max` (1, 2 or 5 × a power of ten apart). */
export function linearTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

/** Powers of ten covering [lo, hi], with 2 and 5 between them when there are few decades. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) {
    for (const m of b - a <= 2 ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e;
      if (v >= lo / 1.0001 && v <= hi * 1.0001) ticks.push(+v.toPrecision(12));
    }
  }
  return ticks;
}

export function renderLineChart(c: LineChart): string {
  const width = c.width ?? 860, height = c.height ?? 420;
  const plotW = width - MARGIN.left - MARGIN.right, plotH = height - MARGIN.top - MARGIN.bottom;
  const xs = [...c.series.flatMap((s) => s.points.map((p) => p[0])), ...(c.verticals ?? []).map((v) => v.x), ...(c.markers ?? []).map((m) => m.x)]
    .filter((x) => x > 0 && Number.isFinite(x));
  const ys = c.series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => Number.isFinite(y));
  let xLo = xs.length > 0 ? Math.min(...xs) : 0.1, xHi = xs.length > 0 ? Math.max(...xs) : 10;
  if (xHi / xLo < 10) { const mid = Math.sqrt(xLo * xHi); xLo = mid / 3.2; xHi = mid * 3.2; }
  xLo /= 1.15; xHi *= 1.15;
  const yTicks = linearTicks(ys.length > 0 ? Math.max(...ys) : 1);
  const yHi = yTicks[yTicks.length - 1]!;
  const px = (x: number) => MARGIN.left + ((Math.log10(x) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * plotW;
  const py = (y: number) => MARGIN.top + plotH - (y / yHi) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${f2(MARGIN.left + plotW / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(c.title)}</text>`);
  // Grid and ticks.
  for (const t of yTicks) {
    const y = f2(py(t));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickLabel(t))}</text>`);
  }
  for (const t of logTicks(xLo, xHi)) {
    const x = f2(px(t));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${escapeXml(tickLabel(t))}</text>`);
  }
  // Axes and their labels.
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="black"/>`);
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="black"/>`);
  out.push(`<text x="${f2(MARGIN.left + plotW / 2)}" y="${height - 10}" text-anchor="middle">${escapeXml(c.xLabel)} (log scale)</text>`);
  out.push(`<text x="16" y="${f2(MARGIN.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 16 ${f2(MARGIN.top + plotH / 2)})">${escapeXml(c.yLabel)}</text>`);
  // Reference lines, then the series, then the markers on top.
  for (const v of c.verticals ?? []) {
    if (!(v.x > 0) || !Number.isFinite(v.x)) continue;
    const x = f2(px(v.x));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="${v.color}" stroke-width="1.5"${v.dash ? ` stroke-dasharray="${v.dash}"` : ''}/>`);
    // Along the line, so the labels of close lines do not overlap.
    const ly = MARGIN.top + 4;
    out.push(`<text x="${f2(px(v.x) - 4)}" y="${ly}" text-anchor="end" fill="${v.color}" font-size="10" transform="rotate(-90 ${f2(px(v.x) - 4)} ${ly})">${escapeXml(v.label)}</text>`);
  }
  for (const s of c.series) {
    const pts = [...s.points].filter((p) => p[0] > 0 && Number.isFinite(p[1])).sort((a, b) => a[0] - b[0]);
    if (pts.length === 0) continue;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${dash} points="${pts.map((p) => `${f2(px(p[0]))},${f2(py(p[1]))}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${f2(px(p[0]))}" cy="${f2(py(p[1]))}" r="2.5" fill="${s.color}"/>`);
  }
  for (const m of c.markers ?? []) {
    if (!(m.x > 0) || !Number.isFinite(m.x)) continue;
    const x = px(m.x), y = MARGIN.top + plotH;
    out.push(`<polygon points="${f2(x)},${f2(y - 2)} ${f2(x - 6)},${f2(y - 13)} ${f2(x + 6)},${f2(y - 13)}" fill="${m.color}" stroke="black" stroke-width="0.5"/>`);
    out.push(`<text x="${f2(x)}" y="${f2(y - 16)}" text-anchor="middle" fill="${m.color}" font-size="10">${escapeXml(m.label)}</text>`);
  }
  // Legend.
  const lx = MARGIN.left + plotW + 20;
  let ly = MARGIN.top + 6;
  for (const s of c.series) {
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${lx + 34}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
    ly += 18;
  }
  for (const v of c.verticals ?? []) {
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${v.color}" stroke-width="1.5"${v.dash ? ` stroke-dasharray="${v.dash}"` : ''}/>`);
    out.push(`<text x="${lx + 34}" y="${ly}" dominant-baseline="middle">${escapeXml(v.label)}</text>`);
    ly += 18;
  }
  for (const m of c.markers ?? []) {
    out.push(`<polygon points="${lx + 14},${ly + 5} ${lx + 8},${ly - 5} ${lx + 20},${ly - 5}" fill="${m.color}" stroke="black" stroke-width="0.5"/>`);
    out.push(`<text x="${lx + 34}" y="${ly}" dominant-baseline="middle">${escapeXml(m.label)}</text>`);
    ly += 18;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
