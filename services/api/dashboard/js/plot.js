// SVG charts: the Pareto scatter (points, each series' front as a staircase, constraint lines, hover and click,
// log axes, zoom and pan) and a line chart (hypervolume per generation, training curves).
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
 * Ticks of a log axis whose range is [10^lo, 10^hi]: 1-2-5 per decade, thinned to about `count`.
 * @param {number} lo log10 of the low end
 * @param {number} hi log10 of the high end
 * @param {number} count
 */
function logTicks(lo, hi, count) {
  /** @param {number[]} mantissas */
  const at = (mantissas) => {
    const out = [];
    for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** d).toPrecision(12));
        if (Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9) out.push(v);
      }
    }
    return out;
  };
  const fine = at([1, 2, 5]);
  if (fine.length > count + 2) return at([1]);
  // Less than a decade shown: plain ticks read better.
  return fine.length >= 2 ? fine : ticks(10 ** lo, 10 ** hi, count);
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
  // Figures that cannot be negative (latency, cost) get no negative margin.
  return [lo >= 0 && lo - d < 0 ? 0 : lo - d, hi + d];
}

/**
 * An axis: its range in plotted units (log10 of the value on a log axis) and the way back to values.
 * @typedef {{ range: [number, number]; log: boolean }} Axis
 */

/** @param {Axis} a @param {number} v */
const toPlot = (a, v) => (a.log ? Math.log10(v) : v);

/** @param {number} v */
function tickText(v) {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(v);
}

/**
 * Axes, grid and labels of a chart `height` high; returns the scales (value -> pixel).
 * @param {SVGElement} svg
 * @param {{ xs: Axis; ys: Axis; height: number; xLabel: string; yLabel: string; integerX?: boolean }} o
 */
function axes(svg, o) {
  const { xs, ys, height } = o;
  const [x0, x1] = xs.range;
  const [y0, y1] = ys.range;
  const x = (/** @type {number} */ v) => M.left + ((toPlot(xs, v) - x0) / (x1 - x0)) * (W - M.left - M.right);
  const y = (/** @type {number} */ v) =>
    height - M.bottom - ((toPlot(ys, v) - y0) / (y1 - y0)) * (height - M.top - M.bottom);
  const grid = s("g", { class: "grid" });
  const xt = xs.log ? logTicks(x0, x1, 8) : ticks(x0, x1, 8);
  for (const t of xt.filter((v) => !o.integerX || Number.isInteger(v))) {
    grid.append(
      s("line", { x1: x(t), x2: x(t), y1: M.top, y2: height - M.bottom }),
      s("text", { x: x(t), y: height - M.bottom + 16, "text-anchor": "middle", class: "tick" }, tickText(t)),
    );
  }
  const count = height > 300 ? 6 : 4;
  for (const t of ys.log ? logTicks(y0, y1, count) : ticks(y0, y1, count)) {
    grid.append(
      s("line", { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }),
      s("text", { x: M.left - 6, y: y(t) + 4, "text-anchor": "end", class: "tick" }, tickText(t)),
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
 * @typedef {{ x: number; y: number; key: string; color: string; data: unknown; emphasis?: boolean }} PlotPoint
 * @typedef {{ name: string; color: string; shape: "circle" | "square"; points: PlotPoint[];
 *   front: { x: number; y: number }[] }} PlotSeries
 * @typedef {{ x: number; label: string }} Constraint
 * @typedef {{ series: PlotSeries[]; constraints: Constraint[]; xLabel: string; yLabel: string;
 *   tooltip: (point: PlotPoint, series: PlotSeries) => Node; onClick?: (point: PlotPoint) => void }} ScatterOptions
 * @typedef {{ logX: boolean; logY: boolean; view: { x: [number, number]; y: [number, number] } | null }} ViewState
 */

/** Each plot's log switches and zoomed view, kept across redraws (live updates redraw the same container). */
/** @type {WeakMap<HTMLElement, ViewState>} */
const views = new WeakMap();

/** @param {HTMLElement} container @returns {ViewState} */
function viewOf(container) {
  let state = views.get(container);
  if (!state) {
    state = { logX: false, logY: false, view: null };
    views.set(container, state);
  }
  return state;
}

/**
 * Quality (up) against latency (down is better): every point, each series' Pareto front as a staircase (what is
 * reachable at each latency), and vertical constraint lines. The ranges fit the points (a constraint far beyond
 * them is an arrow at the edge, not a stretched axis); each axis can be logarithmic; the wheel zooms around the
 * pointer, dragging pans, double-click or "reset view" fits again. Hover shows a tooltip; click calls onClick.
 * @param {HTMLElement} container
 * @param {ScatterOptions} options
 */
export function scatterPlot(container, options) {
  const state = viewOf(container);
  const all = options.series.flatMap((sr) => sr.points);
  // A log axis cannot show zero or less: such points are left out and counted in the note below the plot.
  const shown = all.filter((p) => (!state.logX || p.x > 0) && (!state.logY || p.y > 0));
  const xAxis = { log: state.logX, range: extent(shown.map((p) => toPlot({ log: state.logX, range: [0, 1] }, p.x))) };
  const yAxis = { log: state.logY, range: extent(shown.map((p) => toPlot({ log: state.logY, range: [0, 1] }, p.y))) };
  /** @type {{ x: [number, number]; y: [number, number] }} */
  const fitted = { x: xAxis.range, y: yAxis.range };
  // A constraint just past the points widens the range to show it; one far beyond (more than half the points'
  // span again) would squeeze them into a corner, so it is marked at the edge instead.
  for (const c of options.constraints) {
    const cx = state.logX ? (c.x > 0 ? Math.log10(c.x) : null) : c.x;
    if (cx === null) continue;
    const span = fitted.x[1] - fitted.x[0];
    if (cx > fitted.x[1] && cx <= fitted.x[1] + span / 2) fitted.x = [fitted.x[0], cx + span * 0.04];
    if (cx < fitted.x[0] && cx >= fitted.x[0] - span / 2) fitted.x = [cx - span * 0.04, fitted.x[1]];
  }
  const view = state.view ?? fitted;
  xAxis.range = view.x;
  yAxis.range = view.y;

  const svg = s("svg", {
    class: "plot pareto",
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-label": options.yLabel,
    "data-x-range": view.x.map((v) => (state.logX ? 10 ** v : v).toPrecision(6)).join(" "),
    "data-y-range": view.y.map((v) => (state.logY ? 10 ** v : v).toPrecision(6)).join(" "),
    "data-zoomed": String(state.view !== null),
  });
  const { x, y } = axes(svg, { xs: xAxis, ys: yAxis, height: H, xLabel: options.xLabel, yLabel: options.yLabel });
  const tip = h("div", { class: "tooltip", hidden: true });
  const clipId = `clip-${Math.random().toString(36).slice(2)}`;
  svg.append(
    s(
      "clipPath",
      { id: clipId },
      s("rect", { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom }),
    ),
  );
  const content = s("g", { class: "content", "clip-path": `url(#${clipId})` });
  svg.append(content);

  for (const c of options.constraints) {
    const cx = state.logX ? (c.x > 0 ? Math.log10(c.x) : -Infinity) : c.x;
    if (cx >= view.x[0] && cx <= view.x[1]) {
      content.append(
        s(
          "g",
          { class: "constraint", "data-max": c.x },
          s("line", { x1: x(c.x), x2: x(c.x), y1: M.top, y2: H - M.bottom }),
          s("text", { x: x(c.x) + 4, y: M.top + 12 }, c.label),
        ),
      );
    } else {
      const right = cx > view.x[1];
      svg.append(
        s(
          "g",
          { class: "constraint off-range", "data-max": c.x },
          s(
            "text",
            { x: right ? W - M.right - 4 : M.left + 4, y: H - M.bottom - 6, "text-anchor": right ? "end" : "start" },
            right ? `${c.label} →` : `← ${c.label}`,
          ),
        ),
      );
    }
  }
  for (const [index, series] of options.series.entries()) {
    const front = [...series.front]
      .filter((p) => (!state.logX || p.x > 0) && (!state.logY || p.y > 0))
      .sort((a, b) => a.x - b.x || a.y - b.y);
    if (front.length > 0) {
      const first = /** @type {{ x: number; y: number }} */ (front[0]);
      let d = `M${x(first.x)},${y(first.y)}`;
      for (let i = 1; i < front.length; i++) {
        const p = /** @type {{ x: number; y: number }} */ (front[i]);
        d += ` H${x(p.x)} V${y(p.y)}`;
      }
      d += ` H${W - M.right}`;
      content.append(
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
      if ((state.logX && p.x <= 0) || (state.logY && p.y <= 0)) continue;
      const attrs = {
        class: p.emphasis ? "point on-front" : "point",
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
    content.append(layer);
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

  const redraw = () => scatterPlot(container, options);
  /** The pointer's position in plotted units. @param {MouseEvent} e */
  const at = (e) => {
    const box = svg.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * W;
    const py = ((e.clientY - box.top) / box.height) * H;
    return {
      fx: Math.min(1, Math.max(0, (px - M.left) / (W - M.left - M.right))),
      fy: Math.min(1, Math.max(0, (H - M.bottom - py) / (H - M.top - M.bottom))),
      px,
      py,
    };
  };
  svg.addEventListener(
    "wheel",
    (event) => {
      const e = /** @type {WheelEvent} */ (event);
      e.preventDefault();
      const { fx, fy } = at(e);
      const k = e.deltaY < 0 ? 0.8 : 1.25;
      /** @type {(r: [number, number], f: number) => [number, number]} */
      const zoom = (r, f) => {
        const c = r[0] + (r[1] - r[0]) * f;
        return [c - (c - r[0]) * k, c + (r[1] - c) * k];
      };
      state.view = { x: zoom(view.x, fx), y: zoom(view.y, fy) };
      redraw();
    },
    { passive: false },
  );
  /** @type {{ px: number; py: number } | null} */
  let drag = null;
  svg.addEventListener("pointerdown", (e) => {
    if (/** @type {Element} */ (e.target).classList.contains("point")) return;
    drag = at(e);
    svg.setPointerCapture(e.pointerId);
    svg.classList.add("panning");
  });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const now = at(e);
    content.setAttribute("transform", `translate(${now.px - drag.px},${now.py - drag.py})`);
  });
  svg.addEventListener("pointerup", (e) => {
    if (!drag) return;
    const now = at(e);
    const dx = ((now.px - drag.px) / (W - M.left - M.right)) * (view.x[1] - view.x[0]);
    const dy = ((now.py - drag.py) / (H - M.top - M.bottom)) * (view.y[1] - view.y[0]);
    drag = null;
    if (dx === 0 && dy === 0) {
      svg.classList.remove("panning");
      content.removeAttribute("transform");
      return;
    }
    state.view = { x: [view.x[0] - dx, view.x[1] - dx], y: [view.y[0] + dy, view.y[1] + dy] };
    redraw();
  });
  svg.addEventListener("dblclick", () => {
    state.view = null;
    redraw();
  });

  /** @param {"logX" | "logY"} which @param {string} label */
  const toggle = (which, label) => {
    const box = h("input", { type: "checkbox", name: which, checked: state[which] });
    box.addEventListener("change", () => {
      state[which] = box.checked;
      state.view = null;
      redraw();
    });
    return h("label", {}, box, ` ${label}`);
  };
  const reset = h("button", { type: "button", class: "reset-view", disabled: state.view === null }, "Reset view");
  reset.addEventListener("click", () => {
    state.view = null;
    redraw();
  });
  const hidden = all.length - shown.length;
  container.replaceChildren(
    h(
      "div",
      { class: "plot-tools" },
      toggle("logX", "log latency axis"),
      toggle("logY", "log quality axis"),
      reset,
      h("span", { class: "muted small" }, "wheel: zoom · drag: pan · double-click: fit"),
      hidden > 0
        ? h("span", { class: "muted small" }, ` · ${hidden} points at or below zero not on the log axis`)
        : null,
    ),
    h("div", { class: "plot-wrap" }, svg, tip),
  );
}

/**
 * @typedef {{ name: string; color: string; points: { x: number; y: number }[] }} LineSeries
 */

/**
 * A line chart of one or more series (a legend when there are several), markers where points are few.
 * @param {HTMLElement} container
 * @param {LineSeries[]} series
 * @param {string} xLabel
 * @param {string} yLabel
 * @param {{ logY?: boolean }} [o]
 */
export function linesChart(container, series, xLabel, yLabel, o = {}) {
  const logY = o.logY === true;
  const all = series.flatMap((sr) => sr.points).filter((p) => !logY || p.y > 0);
  const svg = s("svg", { class: "plot line", viewBox: `0 0 ${W} ${H * 0.6}`, role: "img", "aria-label": yLabel });
  const { x, y } = axes(svg, {
    xs: { range: extent(all.map((p) => p.x)), log: false },
    ys: { range: extent(all.map((p) => (logY ? Math.log10(p.y) : p.y))), log: logY },
    height: H * 0.6,
    xLabel,
    yLabel,
    integerX: true,
  });
  for (const [index, sr] of series.entries()) {
    const points = sr.points.filter((p) => !logY || p.y > 0);
    if (points.length === 0) continue;
    svg.append(
      s("path", {
        class: "series",
        stroke: sr.color,
        "data-series": sr.name,
        "data-points": points.length,
        d: points.map((p, i) => `${i ? "L" : "M"}${x(p.x)},${y(p.y)}`).join(" "),
      }),
    );
    if (points.length > 60) continue;
    for (const p of points) {
      const marker = s(
        "circle",
        { class: "hv-point", cx: x(p.x), cy: y(p.y), r: 3.5, "data-series": index },
        s("title", {}, `${sr.name} ${p.x}: ${p.y.toPrecision(5)}`),
      );
      marker.style.fill = sr.color;
      svg.append(marker);
    }
  }
  const legend =
    series.length > 1
      ? h(
          "div",
          { class: "legend-list" },
          series.map((sr) => {
            const swatch = h("span", { class: "swatch" });
            swatch.style.background = sr.color;
            return h("span", { class: "legend-item" }, swatch, ` ${sr.name}`);
          }),
        )
      : null;
  container.replaceChildren(svg, ...(legend ? [legend] : []));
}

/**
 * A line chart with markers.
 * @param {HTMLElement} container
 * @param {{ x: number; y: number }[]} points
 * @param {string} xLabel
 * @param {string} yLabel
 */
export function lineChart(container, points, xLabel, yLabel) {
  linesChart(container, [{ name: yLabel, color: "#0969da", points }], xLabel, yLabel);
}
