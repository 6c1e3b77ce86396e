// A search's candidates for analysis: a table (sort by any column, filter by text and status, a link to each
// candidate) and parallel coordinates of genes against objectives.
import { encodeGenome, fixed, h, ramp, replace, s, si } from "./dom.js";

/** @typedef {import("./pages/search.js").Candidate} Candidate */

const SHOWN_ROWS = 200;
const CANDIDATE_STATUSES = ["evaluated", "infeasible", "failed", "pending"];

/**
 * Where a candidate stands: failed for good (with the reason in `error`), pending (no quality and no latency yet),
 * infeasible (violates a constraint) or evaluated.
 * @param {Candidate} c
 */
function candidateStatus(c) {
  if (c.error) return "failed";
  const anyLatency = c.latencies.some((l) => l.measuredMs !== null || l.predictedMs !== null);
  if (c.psnr === null && c.ssim === null && !anyLatency) return "pending";
  return c.feasible === false ? "infeasible" : "evaluated";
}

/**
 * @typedef {{ key: string; label: string; value: (c: Candidate) => number | string | null;
 *   show: (c: Candidate) => import("./dom.js").Child }} Column
 */

/**
 * @param {string} searchId
 * @param {string[]} targets
 * @returns {Column[]}
 */
function columns(searchId, targets) {
  /** @param {Candidate} c @param {string} t */
  const lat = (c, t) => c.latencies.find((l) => l.target === t);
  return [
    {
      key: "genome",
      label: "genome",
      value: (c) => encodeGenome(c.genome),
      show: (c) => h("a", { href: `#/searches/${searchId}/candidates/${c.id}`, class: "mono" }, encodeGenome(c.genome)),
    },
    { key: "generation", label: "gen", value: (c) => c.generationIndex, show: (c) => String(c.generationIndex) },
    { key: "psnr", label: "PSNR dB", value: (c) => c.psnr, show: (c) => fixed(c.psnr, 3) },
    { key: "ssim", label: "SSIM", value: (c) => c.ssim, show: (c) => fixed(c.ssim, 4) },
    { key: "params", label: "params", value: (c) => c.cost.params, show: (c) => si(c.cost.params) },
    { key: "macs", label: "MACs", value: (c) => c.cost.macs, show: (c) => si(c.cost.macs) },
    ...targets.flatMap((t) => [
      {
        key: `predicted:${t}`,
        label: `${t} predicted ms`,
        value: (/** @type {Candidate} */ c) => lat(c, t)?.predictedMs ?? null,
        show: (/** @type {Candidate} */ c) => {
          const l = lat(c, t);
          return l?.predictedMs == null ? "–" : `${fixed(l.predictedMs)} ± ${fixed(l.predictedStdMs)}`;
        },
      },
      {
        key: `measured:${t}`,
        label: `${t} measured ms`,
        value: (/** @type {Candidate} */ c) => lat(c, t)?.measuredMs ?? null,
        show: (/** @type {Candidate} */ c) => fixed(lat(c, t)?.measuredMs),
      },
    ]),
    {
      key: "status",
      label: "status",
      value: (c) => candidateStatus(c),
      show: (c) => h("span", { class: `cstatus cstatus-${candidateStatus(c)}` }, candidateStatus(c)),
    },
    { key: "error", label: "failure reason", value: (c) => c.error ?? "", show: (c) => c.error ?? "" },
  ];
}

/**
 * The candidates table with its sort and filter controls; `update` redraws it with new candidates, keeping the
 * sort and the filter.
 * @param {string} searchId
 */
export function candidatesTable(searchId) {
  let sortKey = "generation";
  let ascending = true;
  let text = "";
  let status = "";
  /** @type {Candidate[]} */
  let rows = [];
  /** @type {string[]} */
  let targets = [];
  const filter = h("input", { type: "search", name: "candidate-filter", placeholder: "genome or reason contains…" });
  const statusSelect = h(
    "select",
    { name: "candidate-status", "aria-label": "status" },
    h("option", { value: "" }, "every status"),
    CANDIDATE_STATUSES.map((v) => h("option", { value: v }, v)),
  );
  const body = h("div", { class: "candidates-body" });
  const count = h("p", { class: "muted small", id: "candidates-count" });
  filter.addEventListener("input", () => {
    text = filter.value.trim().toLowerCase();
    draw();
  });
  statusSelect.addEventListener("change", () => {
    status = statusSelect.value;
    draw();
  });

  function draw() {
    const cols = columns(searchId, targets);
    const col = cols.find((c) => c.key === sortKey) ?? cols[1];
    const matching = rows.filter(
      (c) =>
        (!status || candidateStatus(c) === status) &&
        (!text || `${encodeGenome(c.genome)} ${c.error ?? ""}`.toLowerCase().includes(text)),
    );
    if (col) {
      // Missing figures sort last either way.
      matching.sort((a, b) => {
        const va = col.value(a);
        const vb = col.value(b);
        if (va === null || va === "") return vb === null || vb === "" ? 0 : 1;
        if (vb === null || vb === "") return -1;
        const order = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
        return ascending ? order : -order;
      });
    }
    const head = cols.map((c) => {
      const th = h(
        "th",
        { "data-key": c.key, "aria-sort": c.key === sortKey ? (ascending ? "ascending" : "descending") : "none" },
        h(
          "button",
          { type: "button", class: "link sort" },
          c.label,
          c.key === sortKey ? (ascending ? " ▲" : " ▼") : "",
        ),
      );
      th.addEventListener("click", () => {
        if (sortKey === c.key) ascending = !ascending;
        else {
          sortKey = c.key;
          ascending = true;
        }
        draw();
      });
      return th;
    });
    replace(
      count,
      rows.length === 0
        ? "No candidates yet."
        : matching.length === 0
          ? `No candidate matches (${rows.length} in all).`
          : `${matching.length} of ${rows.length} candidates` +
            (matching.length > SHOWN_ROWS ? `; the first ${SHOWN_ROWS} shown` : ""),
    );
    replace(
      body,
      matching.length === 0
        ? null
        : h(
            "table",
            { class: "candidates" },
            h("thead", {}, h("tr", {}, head)),
            h(
              "tbody",
              {},
              matching.slice(0, SHOWN_ROWS).map((c) =>
                h(
                  "tr",
                  { "data-candidate-id": c.id, "data-status": candidateStatus(c) },
                  cols.map((col) => h("td", { "data-key": col.key }, col.show(c))),
                ),
              ),
            ),
          ),
    );
  }

  return {
    element: h(
      "div",
      { class: "candidates-table", id: "candidates" },
      h("div", { class: "controls" }, filter, statusSelect),
      count,
      h("div", { class: "table-scroll" }, body),
    ),
    /**
     * @param {Candidate[]} candidates
     * @param {string[]} names target names
     */
    update(candidates, names) {
      rows = candidates;
      targets = names;
      draw();
    },
  };
}

const PW = 900;
const PH = 360;
const PM = { left: 40, right: 40, top: 36, bottom: 28 };

/**
 * @typedef {{ label: string; value: (c: Candidate) => number | null }} Dimension
 */

/**
 * Genes and objectives as axes, one line per candidate (coloured by generation); missing figures break a line.
 * @param {HTMLElement} container
 * @param {Candidate[]} candidates
 * @param {{ target: string; basis: (c: Candidate) => number | null; quality: "psnr" | "ssim"; top: number }} o
 */
export function parallelCoordinates(container, candidates, o) {
  const blocks = Math.max(0, ...candidates.map((c) => c.genome.blocks.length));
  /** @type {Dimension[]} */
  const dims = [
    { label: "trunk width", value: (c) => c.genome.trunkWidth },
    { label: "blocks", value: (c) => c.genome.blocks.length },
    ...Array.from({ length: blocks }, (_, i) => ({
      label: `b${i + 1} branches`,
      value: (/** @type {Candidate} */ c) => c.genome.blocks[i]?.branches.length ?? null,
    })),
    { label: "MACs (G)", value: (c) => c.cost.macs / 1e9 },
    { label: o.quality === "psnr" ? "PSNR dB" : "SSIM", value: (c) => c[o.quality] },
    { label: `${o.target} ms`, value: o.basis },
  ];
  if (candidates.length === 0) {
    replace(container, h("p", { class: "muted" }, "No candidates to draw yet."));
    return;
  }
  const ranges = dims.map((d) => {
    const values = candidates.map(d.value).filter((v) => v !== null);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  });
  const x = (/** @type {number} */ i) => PM.left + (i / Math.max(1, dims.length - 1)) * (PW - PM.left - PM.right);
  const y = (/** @type {number} */ i, /** @type {number} */ v) => {
    const [lo, hi] = /** @type {number[]} */ (ranges[i]);
    return PH - PM.bottom - ((v - (lo ?? 0)) / ((hi ?? 1) - (lo ?? 0))) * (PH - PM.top - PM.bottom);
  };
  const svg = s("svg", { class: "plot parallel", viewBox: `0 0 ${PW} ${PH}`, role: "img", "aria-label": "genes" });
  const lines = s("g", { class: "lines" });
  for (const c of candidates) {
    let d = "";
    let pen = false;
    dims.forEach((dim, i) => {
      const v = dim.value(c);
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(i, v).toFixed(1)} `;
      pen = true;
    });
    const path = s("path", { class: "pc-line", d, "data-candidate-id": c.id }, s("title", {}, encodeGenome(c.genome)));
    path.style.stroke = ramp(c.generationIndex / Math.max(1, o.top));
    lines.append(path);
  }
  svg.append(lines);
  dims.forEach((dim, i) => {
    const [lo, hi] = /** @type {number[]} */ (ranges[i]);
    svg.append(
      s(
        "g",
        { class: "pc-axis", "data-axis": dim.label },
        s("line", { x1: x(i), x2: x(i), y1: PM.top, y2: PH - PM.bottom }),
        s("text", { x: x(i), y: PM.top - 20, "text-anchor": "middle", class: "axis-label" }, dim.label),
        s("text", { x: x(i), y: PM.top - 6, "text-anchor": "middle", class: "tick" }, short(hi ?? 0)),
        s("text", { x: x(i), y: PH - PM.bottom + 16, "text-anchor": "middle", class: "tick" }, short(lo ?? 0)),
      ),
    );
  });
  replace(container, svg);
}

/** @param {number} v */
function short(v) {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
