/**
 * A small, dependency-free SVG line chart: axes with "nice" ticks (1, 2, 5 x 10^k), axis labels,
 * a title, a legend, gaps where a value is missing. The output is a standalone `<svg>` element
 * (no scripts, no external fonts or styles), so a report that inlines it opens anywhere.
 */

export interface Point {
  x: number;
  /** null: no value here; the line breaks. */
  y: number | null;
}

export interface Series {
  name: string;
  points: readonly Point[];
  color?: string;
  dashed?: boolean;
  /** Draw the line across missing values (e.g. test accuracy evaluated every few epochs) instead of breaking it. */
  connectGaps?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** Keep the y axis within these bounds (e.g. [0, 100] for percentages); the data decides within them. */
  yBounds?: [number, number];
  /** Only integer x ticks (epochs). */
  integerX?: boolean;
  /** Shown instead of lines when no series has a value. */
  emptyMessage?: string;
}

export const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Escape text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A round step near range/target: 1, 2 or 5 times a power of ten. */
export function niceStep(range: number, target = 5): number {
  const raw = range / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
}

/** Ticks covering [min, max]: the axis runs from the first to the last tick. */
export function niceTicks(min: number, max: number, target = 5, integer = false): number[] {
  if (!(max > min)) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, target, integer);
  }
  let step = niceStep(max - min, target);
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(min / step + 1e-9) * step;
  const count = Math.max(1, Math.ceil((max - first) / step - 1e-9));
  const ticks: number[] = [];
  // Snap to the step's decimal grid so labels read 0.3, not 0.30000000000000004.
  for (let k = 0; k <= count; k++) ticks.push(Number((first + k * step).toPrecision(12)));
  return ticks;
}

/** A tick label with as many decimals as the step needs. */
export function formatTick(value: number, step: number): string {
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-4)) return value.toExponential(1);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(Math.min(decimals, 10));
}

const fmt = (v: number): string => String(Math.round(v * 100) / 100);

export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 320;
  const series = options.series.map((s, i) => ({ ...s, color: s.color ?? palette[i % palette.length]! }));
  const legendRows = Math.ceil(series.length / 3);
  const margin = { left: 64, right: 20, top: 36 + legendRows * 18, bottom: 46 };
  const plot = { x: margin.left, y: margin.top, w: width - margin.left - margin.right, h: height - margin.top - margin.bottom };

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`);

  series.forEach((s, i) => {
    const lx = margin.left + (i % 3) * Math.floor(plot.w / 3);
    const ly = 34 + Math.floor(i / 3) * 18;
    out.push(`<g class="legend"><line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${lx + 28}" y="${ly}">${escapeXml(s.name)}</text></g>`);
  });

  const values = series.flatMap((s) => s.points.filter((p): p is { x: number; y: number } => p.y !== null && Number.isFinite(p.y) && Number.isFinite(p.x)));
  const axisLabels = () => {
    out.push(`<text x="${plot.x + plot.w / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
    out.push(`<text transform="translate(16 ${plot.y + plot.h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  };
  if (values.length === 0) {
    out.push(`<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="#999"/>`);
    out.push(`<text x="${plot.x + plot.w / 2}" y="${plot.y + plot.h / 2}" text-anchor="middle" fill="#666">${escapeXml(options.emptyMessage ?? 'No data')}</text>`);
    axisLabels();
    out.push('</svg>');
    return out.join('\n');
  }

  const xs = values.map((p) => p.x);
  let ys = values.map((p) => p.y);
  if (options.yBounds) ys = ys.map((y) => Math.min(options.yBounds![1], Math.max(options.yBounds![0], y)));
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 6, options.integerX);
  let yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 5);
  if (options.yBounds) {
    const [lo, hi] = options.yBounds;
    const clipped = yTicks.filter((t) => t >= lo && t <= hi);
    if (clipped.length >= 2) yTicks = clipped;
  }
  const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const px = (x: number) => plot.x + ((x - x0) / (x1 - x0)) * plot.w;
  const py = (y: number) => plot.y + plot.h - ((Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0)) * plot.h;
  const xStep = xTicks.length > 1 ? xTicks[1]! - xTicks[0]! : 1;
  const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;

  out.push('<g class="grid" stroke="#e5e5e5">');
  for (const t of yTicks) out.push(`<line x1="${plot.x}" y1="${fmt(py(t))}" x2="${plot.x + plot.w}" y2="${fmt(py(t))}"/>`);
  out.push('</g>');
  out.push('<g class="axes" fill="#333">');
  out.push(`<line x1="${plot.x}" y1="${plot.y + plot.h}" x2="${plot.x + plot.w}" y2="${plot.y + plot.h}" stroke="#333"/>`);
  out.push(`<line x1="${plot.x}" y1="${plot.y}" x2="${plot.x}" y2="${plot.y + plot.h}" stroke="#333"/>`);
  for (const t of xTicks) {
    out.push(`<line x1="${fmt(px(t))}" y1="${plot.y + plot.h}" x2="${fmt(px(t))}" y2="${plot.y + plot.h + 4}" stroke="#333"/><text x="${fmt(px(t))}" y="${plot.y + plot.h + 17}" text-anchor="middle">${formatTick(t, xStep)}</text>`);
  }
  for (const t of yTicks) {
    out.push(`<line x1="${plot.x - 4}" y1="${fmt(py(t))}" x2="${plot.x}" y2="${fmt(py(t))}" stroke="#333"/><text x="${plot.x - 7}" y="${fmt(py(t) + 4)}" text-anchor="end">${formatTick(t, yStep)}</text>`);
  }
  out.push('</g>');
  axisLabels();

  for (const s of series) {
    const segments: string[][] = [[]];
    for (const p of s.points) {
      if (p.y === null || !Number.isFinite(p.y)) {
        if (!s.connectGaps && segments[segments.length - 1]!.length > 0) segments.push([]);
        continue;
      }
      segments[segments.length - 1]!.push(`${fmt(px(p.x))},${fmt(py(p.y))}`);
    }
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    for (const seg of segments.filter((g) => g.length > 0)) {
      if (seg.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${seg.join(' ')}"/>`);
    }
    // Markers make short runs (a few epochs, or isolated evaluations) visible.
    const shown = s.points.filter((p) => p.y !== null && Number.isFinite(p.y));
    if (shown.length <= 60) {
      for (const p of shown) out.push(`<circle cx="${fmt(px(p.x))}" cy="${fmt(py(p.y!))}" r="2.5" fill="${s.color}"/>`);
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
