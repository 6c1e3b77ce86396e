import { MfnasError } from "../errors.ts";

export interface PlotPoint {
  readonly x: number;
  readonly y: number;
  /** Drawn as a front member (filled, joined by the front's staircase). */
  readonly front: boolean;
  /** Hover text. */
  readonly label?: string;
}

export interface FrontPlotOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** A vertical constraint line, e.g. a latency limit. */
  readonly xLimit?: number;
  /** A horizontal reference line, e.g. bicubic quality. */
  readonly yReference?: { readonly value: number; readonly label: string };
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { left: 64, right: 24, top: 40, bottom: 52 };

/**
 * A Pareto-front scatter plot as standalone SVG: every candidate as a point, the front (x minimised, y maximised)
 * as filled points joined by its staircase, optional constraint and reference lines, and labelled axes with ticks.
 */
export function renderFrontSvg(points: readonly PlotPoint[], options: FrontPlotOptions): string {
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (finite.length === 0) throw new MfnasError("invalid_input", "front plot: no point with finite coordinates");
  const width = options.width ?? 720;
  const height = options.height ?? 440;
  const xs = finite.map((p) => p.x).concat(options.xLimit ?? []);
  const ys = finite.map((p) => p.y).concat(options.yReference?.value ?? []);
  const [x0, x1] = padded(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = padded(Math.min(...ys), Math.max(...ys));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(
      `<line x1="${f(sx(t))}" y1="${MARGIN.top + plotH}" x2="${f(sx(t))}" y2="${MARGIN.top + plotH + 5}" stroke="#888"/>`,
      `<text x="${f(sx(t))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${tickLabel(t)}</text>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    parts.push(
      `<line x1="${MARGIN.left - 5}" y1="${f(sy(t))}" x2="${MARGIN.left}" y2="${f(sy(t))}" stroke="#888"/>`,
      `<text x="${MARGIN.left - 8}" y="${f(sy(t) + 4)}" text-anchor="end">${tickLabel(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  if (options.xLimit !== undefined) {
    const x = f(sx(options.xLimit));
    parts.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#c0392b" stroke-dasharray="6 4"/>`,
      `<text x="${x}" y="${MARGIN.top - 4}" text-anchor="middle" fill="#c0392b">limit ${tickLabel(options.xLimit)}</text>`,
    );
  }
  if (options.yReference) {
    const y = f(sy(options.yReference.value));
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#7f8c8d" stroke-dasharray="2 3"/>`,
      `<text x="${MARGIN.left + plotW - 4}" y="${f(Number(y) - 4)}" text-anchor="end" fill="#7f8c8d">${escapeXml(options.yReference.label)}</text>`,
    );
  }
  const front = finite.filter((p) => p.front).sort((a, b) => a.x - b.x);
  if (front.length > 1) {
    const steps = front.flatMap((p, i) => {
      const prev = front[i - 1];
      return prev ? [`${f(sx(p.x))},${f(sy(prev.y))}`, `${f(sx(p.x))},${f(sy(p.y))}`] : [`${f(sx(p.x))},${f(sy(p.y))}`];
    });
    parts.push(`<polyline points="${steps.join(" ")}" fill="none" stroke="#2471a3" stroke-width="1.5"/>`);
  }
  for (const p of [...finite.filter((q) => !q.front), ...front]) {
    const title = p.label ? `<title>${escapeXml(p.label)}</title>` : "";
    const style = p.front ? `fill="#2471a3" r="4.5"` : `fill="none" stroke="#95a5a6" r="3"`;
    parts.push(`<circle cx="${f(sx(p.x))}" cy="${f(sy(p.y))}" ${style}>${title}</circle>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}

function padded(lo: number, hi: number): [number, number] {
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - 0.06 * span, hi + 0.06 * span];
}

/** About five round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function tickLabel(t: number): string {
  return Math.abs(t) >= 1000 || Number.isInteger(t) ? String(Math.round(t)) : String(Number(t.toPrecision(4)));
}

function f(v: number): string {
  return v.toFixed(1);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
