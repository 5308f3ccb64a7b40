/**
 * A result as a box-drawn table for a terminal: columns as wide as their widest cell (in
 * terminal columns, East Asian wide characters counting two), numbers to the right, the
 * middle of a long result elided, and the whole fitted to the terminal's width by
 * shortening the widest cells and then hiding the rightmost columns.
 */
import { textWidth, truncateText } from './wcwidth.js';

export interface TableView {
  header: readonly string[];
  /** Right-aligned columns. */
  numeric: readonly boolean[];
  /** The rows shown, as cell text. */
  rows: readonly (readonly string[])[];
  /** Rows of the whole result (more than rows.length when the middle was elided). */
  totalRows: number;
  /** The elided rows come after this many of `rows`. */
  elidedAfter?: number;
  /** Appended to the footer, e.g. the elapsed time. */
  seconds?: number;
  /** Terminal columns to fit in; unlimited when absent. */
  width?: number;
}

/** Cells are not shortened below this many columns before columns are hidden. */
const MIN_CELL = 6;

/** Control characters shown as escapes, so that each row stays one line. */
export function cellText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(s) ? s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)) : s;
}

export function renderTable(v: TableView): string {
  const n = v.header.length;
  const natural = v.header.map((h, j) => {
    let w = textWidth(h);
    for (const r of v.rows) w = Math.max(w, textWidth(r[j]!));
    return w;
  });
  const { widths, shown } = fit(natural, v.width);
  const hidden = n - shown;
  // A last column of '…' marks hidden columns.
  const cols = hidden > 0 ? [...widths.slice(0, shown), 1] : widths;
  const pad = (s: string, j: number): string => {
    if (j >= shown) return '…';
    const t = truncateText(s, cols[j]!);
    const gap = ' '.repeat(cols[j]! - textWidth(t));
    return v.numeric[j] ? gap + t : t + gap;
  };
  const line = (cells: readonly string[]) => '│ ' + cols.map((_, j) => pad(cells[j] ?? '', j)).join(' │ ') + ' │';
  const rule = (l: string, m: string, r: string) => l + cols.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const out = [rule('┌', '┬', '┐'), line(v.header), rule('├', '┼', '┤')];
  v.rows.forEach((r, i) => {
    if (i === v.elidedAfter) out.push(line(cols.map(() => '…')));
    out.push(line(r));
  });
  if (v.elidedAfter !== undefined && v.elidedAfter >= v.rows.length) out.push(line(cols.map(() => '…')));
  out.push(rule('└', '┴', '┘'));
  out.push(footer(v.totalRows, v.rows.length, hidden, v.seconds));
  return out.join('\n');
}

/** `N rows (M shown, K columns hidden, X.XX s)`: the parts that apply. */
export function footer(total: number, shown: number, hiddenColumns = 0, seconds?: number): string {
  const notes: string[] = [];
  if (shown < total) notes.push(`${shown} shown`);
  if (hiddenColumns > 0) notes.push(`${hiddenColumns} column${hiddenColumns === 1 ? '' : 's'} hidden`);
  if (seconds !== undefined) notes.push(`${seconds.toFixed(2)} s`);
  return `${total} row${total === 1 ? '' : 's'}` + (notes.length > 0 ? ` (${notes.join(', ')})` : '');
}

/** Total columns of a table with these cell widths: `│ a │ b │`. */
function tableWidth(widths: readonly number[]): number {
  let t = 1;
  for (const w of widths) t += w + 3;
  return t;
}

/** Cell widths that fit in `width`: the widest shortened first, then columns dropped from the right. */
function fit(natural: readonly number[], width: number | undefined): { widths: number[]; shown: number } {
  const widths = [...natural];
  if (width === undefined || tableWidth(widths) <= width) return { widths, shown: widths.length };
  let over = tableWidth(widths) - width;
  while (over > 0) {
    let widest = -1, second = 0;
    for (let j = 0; j < widths.length; j++) {
      if (widths[j]! <= MIN_CELL) continue;
      if (widest < 0 || widths[j]! > widths[widest]!) { if (widest >= 0) second = Math.max(second, widths[widest]!); widest = j; } else second = Math.max(second, widths[j]!);
    }
    if (widest < 0) break;
    const cut = Math.max(1, Math.min(over, widths[widest]! - Math.max(second, MIN_CELL)));
    widths[widest] = widths[widest]! - cut;
    over -= cut;
  }
  if (over <= 0) return { widths, shown: widths.length };
  // Still too wide: keep the columns that fit beside a '…' column (at least one).
  let shown = widths.length - 1;
  while (shown > 1 && tableWidth([...widths.slice(0, shown), 1]) > width) shown--;
  return { widths, shown };
}
