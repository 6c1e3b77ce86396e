// SVG charts: the Pareto scatter (points, each series' front as a staircase, constraint lines, hover and click)
// and a line chart (hypervolume per generation).
import { h, s } from "./dom.js";

const W = 720;
const H = 420;
const M = { left: 64, right: 24, top: 16, bottom: 48 };

/**
 * Round tick values covering [lo, hi].
 * @param {number} lo
 * @param {number} hi
 * @param {number} count
 */
function ticks(lo, hi, count) {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= raw) ?? raw) || 1;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * @param {number[]} values
 * @param {number} [pad]
 * @returns {[number, number]}
 */
function extent(values, pad = 0.06) {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.05 || 1;
    hi += Math.abs(hi) * 0.05 || 1;
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/**
 * Axes, grid and labels of a chart `height` high; returns the scales.
 * @param {SVGElement} svg
 * @param {{ xs: [number, number]; ys: [number, number]; height: number; xLabel: string; yLabel: string;
 *   integerX?: boolean }} o
 */
function axes(svg, o) {
  const { xs, ys, height } = o;
  const x = (/** @type {number} */ v) => M.left + ((v - xs[0]) / (xs[1] - xs[0])) * (W - M.left - M.right);
  const y = (/** @type {number} */ v) =>
    height - M.bottom - ((v - ys[0]) / (ys[1] - ys[0])) * (height - M.top - M.bottom);
  const grid = s("g", { class: "grid" });
  for (const t of ticks(xs[0], xs[1], 8).filter((v) => !o.integerX || Number.isInteger(v))) {
    grid.append(
      s("line", { x1: x(t), x2: x(t), y1: M.top, y2: height - M.bottom }),
      s("text", { x: x(t), y: height - M.bottom + 16, "text-anchor": "middle", class: "tick" }, String(t)),
    );
  }
  for (const t of ticks(ys[0], ys[1], height > 300 ? 6 : 4)) {
    grid.append(
      s("line", { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }),
      s("text", { x: M.left - 6, y: y(t) + 4, "text-anchor": "end", class: "tick" }, String(t)),
    );
  }
  const plotHeight = height - M.top - M.bottom;
  svg.append(
    grid,
    s("rect", { class: "frame", x: M.left, y: M.top, width: W - M.left - M.right, height: plotHeight }),
    s("text", { class: "axis-label", x: (M.left + W - M.right) / 2, y: height - 8, "text-anchor": "middle" }, o.xLabel),
    s(
      "text",
      { class: "axis-label", x: -(M.top + plotHeight / 2), y: 16, transform: "rotate(-90)", "text-anchor": "middle" },
      o.yLabel,
    ),
  );
  return { x, y };
}

/**
 * @typedef {{ x: number; y: number; key: string; color: string; data: unknown }} PlotPoint
 * @typedef {{ name: string; color: string; shape: "circle" | "square"; points: PlotPoint[];
 *   front: { x: number; y: number }[] }} PlotSeries
 * @typedef {{ x: number; label: string }} Constraint
 * @typedef {{ series: PlotSeries[]; constraints: Constraint[]; xLabel: string; yLabel: string;
 *   tooltip: (point: PlotPoint, series: PlotSeries) => Node; onClick?: (point: PlotPoint) => void }} ScatterOptions
 */

/**
 * Quality (up) against latency (down is better): every point, each series' Pareto front as a staircase (what is
 * reachable at each latency), and vertical constraint lines. Hover shows a tooltip; click calls onClick.
 * @param {HTMLElement} container
 * @param {ScatterOptions} options
 */
export function scatterPlot(container, options) {
  const all = options.series.flatMap((sr) => sr.points);
  const xs = extent([...all.map((p) => p.x), ...options.constraints.map((c) => c.x)]);
  const ys = extent(all.map((p) => p.y));
  const svg = s("svg", { class: "plot pareto", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": options.yLabel });
  const { x, y } = axes(svg, { xs, ys, height: H, xLabel: options.xLabel, yLabel: options.yLabel });
  const tip = h("div", { class: "tooltip", hidden: true });

  for (const c of options.constraints) {
    svg.append(
      s(
        "g",
        { class: "constraint", "data-max": c.x },
        s("line", { x1: x(c.x), x2: x(c.x), y1: M.top, y2: H - M.bottom }),
        s("text", { x: x(c.x) + 4, y: M.top + 12 }, c.label),
      ),
    );
  }
  for (const [index, series] of options.series.entries()) {
    const front = [...series.front].sort((a, b) => a.x - b.x || a.y - b.y);
    if (front.length > 0) {
      const first = /** @type {{ x: number; y: number }} */ (front[0]);
      let d = `M${x(first.x)},${y(first.y)}`;
      for (let i = 1; i < front.length; i++) {
        const p = /** @type {{ x: number; y: number }} */ (front[i]);
        d += ` H${x(p.x)} V${y(p.y)}`;
      }
      d += ` H${W - M.right}`;
      svg.append(
        s("path", {
          class: "front-line",
          d,
          stroke: series.color,
          "data-series": index,
          "data-points": front.length,
        }),
      );
    }
    const layer = s("g", { class: "points", "data-series": index });
    for (const p of series.points) {
      const attrs = {
        class: "point",
        "data-key": p.key,
        "data-series": index,
        fill: p.color,
        tabindex: 0,
        onmouseenter: () => show(p, series),
        onfocus: () => show(p, series),
        onmouseleave: () => (tip.hidden = true),
        onblur: () => (tip.hidden = true),
        onclick: () => options.onClick?.(p),
        onkeydown: (/** @type {Event} */ e) => {
          if (/** @type {KeyboardEvent} */ (e).key === "Enter") options.onClick?.(p);
        },
      };
      layer.append(
        series.shape === "square"
          ? s("rect", { ...attrs, x: x(p.x) - 4, y: y(p.y) - 4, width: 8, height: 8 })
          : s("circle", { ...attrs, cx: x(p.x), cy: y(p.y), r: 4.5 }),
      );
    }
    svg.append(layer);
  }

  /**
   * @param {PlotPoint} p
   * @param {PlotSeries} series
   */
  function show(p, series) {
    tip.replaceChildren(options.tooltip(p, series));
    tip.hidden = false;
    const box = svg.getBoundingClientRect();
    const px = (x(p.x) / W) * box.width;
    const py = (y(p.y) / H) * box.height;
    tip.style.left = `${Math.min(px + 12, box.width - 260)}px`;
    tip.style.top = `${py + 12}px`;
  }

  container.replaceChildren(h("div", { class: "plot-wrap" }, svg, tip));
}

/**
 * A line chart with markers.
 * @param {HTMLElement} container
 * @param {{ x: number; y: number }[]} points
 * @param {string} xLabel
 * @param {string} yLabel
 */
export function lineChart(container, points, xLabel, yLabel) {
  const svg = s("svg", { class: "plot line", viewBox: `0 0 ${W} ${H * 0.6}`, role: "img", "aria-label": yLabel });
  const { x, y } = axes(svg, {
    xs: extent(points.map((p) => p.x)),
    ys: extent(points.map((p) => p.y)),
    height: H * 0.6,
    xLabel,
    yLabel,
    integerX: true,
  });
  if (points.length > 0) {
    svg.append(
      s("path", { class: "series", d: points.map((p, i) => `${i ? "L" : "M"}${x(p.x)},${y(p.y)}`).join(" ") }),
    );
    for (const p of points) {
      svg.append(
        s(
          "circle",
          { class: "hv-point", cx: x(p.x), cy: y(p.y), r: 3.5 },
          s("title", {}, `${p.x}: ${p.y.toPrecision(5)}`),
        ),
      );
    }
  }
  container.replaceChildren(svg);
}
