// One search: live progress, the interactive Pareto front per target, hypervolume per generation and the final
// result (the Pareto set re-measured on phones, with its exported models).
import { allPages, api, download, eventStream, sendJson } from "../api.js";
import { badge, encodeGenome, fixed, h, int, progressBar, ramp, replace, s, si } from "../dom.js";
import { lineChart, scatterPlot } from "../plot.js";
import { actionButton } from "../session.js";
import { candidatesTable, parallelCoordinates } from "../candidates.js";

/**
 * @typedef {{ target: string; predictedMs: number | null; predictedStdMs: number | null;
 *   measuredMs: number | null; measurementId: string | null }} Latency
 * @typedef {{ params: number; macs: number; peakActivationBytes: number; memoryTrafficBytes: number }} Cost
 * @typedef {{ id: string; generationIndex: number; genome: import("../dom.js").Genome; genomeHash: string;
 *   psnr: number | null; ssim: number | null; rank: number | null; feasible: boolean | null; cost: Cost;
 *   latencies: Latency[]; error?: string | null }} Candidate
 * @typedef {{ name?: string; deviceClass: string; maxLatencyMs?: number }} Target
 * @typedef {{ id: string; name: string; status: string; error: string | null; lastGeneration: number | null;
 *   spec: { targets?: Target[]; objectives?: string[]; budget?: { generations?: number };
 *     constraints?: { maxMemoryTrafficMb?: number } };
 *   progress: { generationsDone: number; generations: number | null; fraction: number | null };
 *   counts: { candidates: number; generations: number }; waitingForPhones?: string[] }} SearchDetail
 * @typedef {{ candidateId: string; quality: number; latencyMs: number; latencyBasis: string; x: number }} FrontPoint
 * @typedef {{ index: number; hypervolume: number | null }} GenerationSummary
 * @typedef {{ hash: string; candidateId: string | null; genome: string; params: number; macs: number;
 *   peakActivationBytes?: number; memoryTrafficBytes?: number;
 *   latency: Record<string, { searchMs: number | null; finalMs: number | null }>;
 *   exports: Record<string, string>; targetModels: Record<string, string>; errors?: string[] }} FinalMember
 * @typedef {{ status: string; result: null | { axes: { name: string; unit: string }[];
 *   checkpointStep: number | null; measurementsRequested: number; measurementsSaved?: number;
 *   front: FinalMember[] } }} SearchResult
 */

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * "waiting for phones of class X" while a queued or running search has targets no online phone serves.
 * @param {SearchDetail} search
 */
function waitingNote(search) {
  const classes = TERMINAL.has(search.status) ? [] : (search.waitingForPhones ?? []);
  if (classes.length === 0) return null;
  return h(
    "p",
    { class: "warning", id: "waiting-for-phones" },
    `waiting for phones of class ${classes.join(", ")}: no phone of ${classes.length > 1 ? "these classes" : "this class"} ` +
      "is online, so its measurements wait in the queue until one attaches",
  );
}
const BASES = ["measured-else-predicted", "measured", "predicted"];
/**
 * The costs a front can rank against quality (the API's `axis`): latency on the target, or a cost-model figure at
 * the search's reference input, in the searcher's units.
 * @type {Record<string, { label: string; unit: string; of: (c: Candidate) => number }>}
 */
const COST_AXES = {
  memory: {
    label: "memory: weights + peak activations",
    unit: "MB",
    of: (c) => (c.cost.params * 4 + c.cost.peakActivationBytes) / 1e6,
  },
  traffic: { label: "memory traffic (memory access cost)", unit: "MB", of: (c) => c.cost.memoryTrafficBytes / 1e6 },
  macs: { label: "MACs", unit: "GMAC", of: (c) => c.cost.macs / 1e9 },
};
const AXES = ["latency", ...Object.keys(COST_AXES)];

/**
 * A candidate's latency on a target by the chosen basis, and which figure it is.
 * @param {Candidate} c
 * @param {string} target
 * @param {string} basis
 * @returns {{ ms: number; basis: string } | null}
 */
function latencyOf(c, target, basis) {
  const l = c.latencies.find((x) => x.target === target);
  if (!l) return null;
  if (basis !== "predicted" && l.measuredMs !== null) return { ms: l.measuredMs, basis: "measured" };
  if (basis !== "measured" && l.predictedMs !== null) return { ms: l.predictedMs, basis: "predicted" };
  return null;
}

/** @param {Target} t */
function targetName(t) {
  return t.name ?? t.deviceClass;
}

/**
 * @param {HTMLElement} root
 * @param {Record<string, string>} params
 * @param {URLSearchParams} query
 */
export function searchPage(root, params, query) {
  const id = params["id"] ?? "";
  /** @type {Map<string, Candidate>} */
  const candidates = new Map();
  /** @type {Map<number, number | null>} */
  const hypervolumes = new Map();
  /** @type {SearchDetail | null} */
  let search = null;
  /** @type {string[]} */
  let targets = [];
  let target = query.get("target") ?? "";
  let basis = query.get("latency") ?? BASES[0] ?? "measured-else-predicted";
  let axis = AXES.includes(query.get("axis") ?? "") ? (query.get("axis") ?? "latency") : "latency";
  let lastGeneration = -1;
  let stopped = false;
  /** @type {{ close(): void } | null} */
  let stream = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let redrawTimer;

  const head = h("div", { class: "page-head" });
  const progress = h("div", { class: "search-progress" });
  const controls = h("div", { class: "controls" });
  const plot = h("div", { class: "front-plot", id: "front-plot" });
  const summary = h("p", { class: "plot-summary", id: "plot-summary" });
  const legend = h("div", { class: "legend" });
  const hv = h("div", { class: "hypervolume" });
  const result = h("div", { class: "result", id: "result" });
  const table = candidatesTable(id);
  const parallel = h("div", { class: "parallel-plot", id: "parallel-plot" });
  const note = h("p", { class: "muted", id: "search-note" });
  replace(
    root,
    head,
    progress,
    note,
    h("section", {}, h("h2", {}, "Pareto front"), controls, plot, legend, summary),
    h("section", {}, h("h2", {}, "Hypervolume per generation"), hv),
    h("section", {}, h("h2", {}, "Genes against objectives"), parallel),
    h("section", {}, h("h2", {}, "Candidates"), table.element),
    h("section", {}, h("h2", {}, "Final result"), result),
  );

  /** @param {unknown} e */
  const fail = (e) => replace(note, h("span", { class: "error" }, e instanceof Error ? e.message : String(e)));

  function quality() {
    const objectives = search?.spec.objectives ?? [];
    return objectives.includes("ssim") ? "ssim" : "psnr";
  }

  function drawHead() {
    if (!search) return;
    const compare = h("a", { href: `#/compare?a=${id}`, class: "button" }, "Compare with another search");
    // Rebuilt only when the state changes, so a button is never swapped under the pointer by a progress event.
    if (head.getAttribute("data-status") !== search.status) {
      head.setAttribute("data-status", search.status);
      replace(
        head,
        h("h1", {}, search.name),
        badge(search.status),
        compare,
        h("span", { class: "actions" }, actions()),
      );
    }
    const done = lastGeneration + 1;
    const total = search.progress.generations;
    replace(
      progress,
      progressBar(total ? done / total : null, total ? `generation ${done} of ${total}` : `${done} generations`),
      h("span", { class: "muted" }, ` ${int(candidates.size)} candidates`),
      search.error ? h("p", { class: "error" }, search.error) : null,
      waitingNote(search),
    );
  }

  /** @param {string} verb */
  async function act(verb) {
    const body = /** @type {SearchDetail} */ (await sendJson("POST", `/v1/searches/${id}/${verb}`, {}));
    if (stopped || !search) return;
    search = { ...search, status: body.status, error: body.error };
    replace(note);
    drawHead();
    // A resumed search runs again: follow its stream anew (the previous one ended with the search).
    if (verb === "resume") {
      replace(result, h("p", { class: "muted" }, "Not finished yet."));
      stream?.close();
      follow();
    }
  }

  /** The buttons this search's state allows: cancel while it may still run, resume once stopped, clone always. */
  function actions() {
    if (!search) return [];
    const status = search.status;
    const buttons = [];
    if (status === "queued" || status === "running") {
      buttons.push(
        actionButton({ label: "Cancel", scope: "submit", run: () => act("cancel"), fail, attrs: { class: "cancel" } }),
      );
    }
    if (status === "failed" || status === "cancelled") {
      buttons.push(
        actionButton({ label: "Resume", scope: "submit", run: () => act("resume"), fail, attrs: { class: "resume" } }),
      );
    }
    buttons.push(
      actionButton({
        label: "Clone",
        scope: "submit",
        fail,
        attrs: { class: "clone" },
        run: async () => {
          const name = `${search?.name ?? "search"} (clone)`.slice(0, 200);
          const created = /** @type {{ id: string }} */ (await sendJson("POST", `/v1/searches/${id}/clone`, { name }));
          location.hash = `#/searches/${created.id}`;
        },
      }),
      h("a", { href: `#/submit?from=${id}`, class: "button edit-spec" }, "Edit spec as new"),
    );
    return buttons;
  }

  function drawControls() {
    const targetSelect = h(
      "select",
      { name: "target", "aria-label": "target" },
      targets.map((t) => h("option", { value: t, selected: t === target }, t)),
    );
    targetSelect.addEventListener("change", () => {
      target = targetSelect.value;
      scheduleRedraw();
    });
    const basisSelect = h(
      "select",
      { name: "latency", "aria-label": "latency figure" },
      BASES.map((b) => h("option", { value: b, selected: b === basis }, b)),
    );
    basisSelect.addEventListener("change", () => {
      basis = basisSelect.value;
      scheduleRedraw();
    });
    const axisSelect = h(
      "select",
      { name: "axis", "aria-label": "cost axis" },
      AXES.map((a) =>
        h("option", { value: a, selected: a === axis }, a === "latency" ? "latency" : COST_AXES[a]?.label),
      ),
    );
    axisSelect.addEventListener("change", () => {
      axis = axisSelect.value;
      scheduleRedraw();
    });
    replace(
      controls,
      h("label", {}, "Target ", targetSelect),
      h("label", {}, " Latency ", basisSelect),
      h("label", {}, " Against ", axisSelect),
    );
  }

  function maxGeneration() {
    const budget = search?.progress.generations;
    return Math.max(1, (budget ?? lastGeneration + 1) - 1);
  }

  async function redraw() {
    if (stopped || !search) return;
    drawHead();
    table.update([...candidates.values()], targets);
    if (!target) {
      replace(plot, h("p", { class: "muted" }, "This search has no latency target yet."));
      replace(parallel, h("p", { class: "muted" }, "No latency target to draw against yet."));
      return;
    }
    const q = quality();
    /** @type {FrontPoint[]} */
    let front = [];
    try {
      const body = /** @type {{ points: FrontPoint[] }} */ (
        await api(`/v1/searches/${id}/fronts/${encodeURIComponent(target)}?quality=${q}&latency=${basis}&axis=${axis}`)
      );
      front = body.points;
    } catch (e) {
      // No candidate has figures on this target yet.
      if (!(e instanceof Error && "status" in e && e.status === 404)) throw e;
    }
    if (stopped) return;
    const onFront = new Set(front.map((p) => p.candidateId));
    const top = maxGeneration();
    const cost = COST_AXES[axis];
    const points = [];
    for (const c of candidates.values()) {
      const lat = latencyOf(c, target, basis);
      const qual = c[q];
      if (lat === null || qual === null) continue;
      points.push({
        x: cost ? cost.of(c) : lat.ms,
        y: qual,
        key: c.id,
        color: ramp(c.generationIndex / top),
        data: { candidate: c, latency: lat, onFront: onFront.has(c.id) },
        emphasis: onFront.has(c.id),
      });
    }
    const spec = (search.spec.targets ?? []).find((t) => targetName(t) === target);
    const trafficLimit = search.spec.constraints?.maxMemoryTrafficMb;
    // The limit drawn on the plot: the target's latency limit, or the search's memory-traffic limit.
    const limit =
      axis === "latency" && spec?.maxLatencyMs !== undefined
        ? { x: spec.maxLatencyMs, what: "latency", unit: "ms" }
        : axis === "traffic" && trafficLimit !== undefined
          ? { x: trafficLimit, what: "memory traffic", unit: "MB" }
          : undefined;
    const constraints = limit ? [{ x: limit.x, label: `max ${limit.x} ${limit.unit}` }] : [];
    if (points.length === 0) {
      const why =
        candidates.size === 0
          ? TERMINAL.has(search.status)
            ? `This search ${search.status} without evaluating any candidate.`
            : "No candidate evaluated yet."
          : `None of the ${candidates.size} candidates has both a ${q.toUpperCase()} and a ${basis} latency on ${target}.`;
      replace(plot, h("p", { class: "muted empty" }, why));
    } else {
      scatterPlot(plot, {
        series: [
          {
            name: search.name,
            color: "#d1242f",
            shape: "circle",
            points,
            front: front.map((p) => ({ x: p.x, y: p.quality })),
          },
        ],
        constraints,
        xLabel: cost ? `${cost.label} (${cost.unit})` : `latency on ${target} (ms, ${basis})`,
        yLabel: q === "psnr" ? "PSNR (dB)" : "SSIM",
        tooltip: (p) => {
          const { candidate: c, latency } =
            /** @type {{ candidate: Candidate; latency: { ms: number; basis: string } }} */ (p.data);
          return h(
            "div",
            {},
            h("div", { class: "mono" }, encodeGenome(c.genome)),
            h("div", {}, `generation ${c.generationIndex}${onFront.has(c.id) ? " · on the front" : ""}`),
            h("div", {}, `PSNR ${fixed(c.psnr)} dB · SSIM ${fixed(c.ssim, 4)}`),
            h("div", {}, `latency ${fixed(latency.ms)} ms (${latency.basis})`),
            h("div", {}, `params ${si(c.cost.params)} · MACs ${si(c.cost.macs)}`),
            h(
              "div",
              {},
              `peak activations ${fixed(c.cost.peakActivationBytes / 1e6, 3)} MB · ` +
                `memory traffic ${fixed(c.cost.memoryTrafficBytes / 1e6)} MB`,
            ),
            h("div", { class: "muted" }, "click for details"),
          );
        },
        onClick: (p) => {
          location.hash = `#/searches/${id}/candidates/${p.key}`;
        },
      });
    }
    if (points.length > 0) {
      replace(
        summary,
        `${points.length} candidates plotted · ${front.length} on the front` +
          (limit ? ` · constraint: ${limit.what} ≤ ${limit.x} ${limit.unit}` : ""),
      );
      drawLegend(top);
    } else {
      replace(summary);
      replace(legend);
    }
    parallelCoordinates(parallel, [...candidates.values()], {
      target,
      quality: q,
      top,
      basis: (c) => latencyOf(c, target, basis)?.ms ?? null,
    });
    const hvPoints = [...hypervolumes.entries()]
      .filter((e) => e[1] !== null)
      .map(([x, y]) => ({ x, y: /** @type {number} */ (y) }))
      .sort((a, b) => a.x - b.x);
    if (hvPoints.length > 0) lineChart(hv, hvPoints, "generation", "hypervolume");
    else replace(hv, h("p", { class: "muted" }, "No hypervolume recorded yet."));
  }

  /** @param {number} top */
  function drawLegend(top) {
    const stops = Array.from({ length: 6 }, (_, i) => s("stop", { offset: `${i * 20}%`, "stop-color": ramp(i / 5) }));
    replace(
      legend,
      h("span", {}, "generation 0 "),
      s(
        "svg",
        { width: 160, height: 12, class: "ramp" },
        s("defs", {}, s("linearGradient", { id: "gen-ramp" }, stops)),
        s("rect", { width: 160, height: 12, fill: "url(#gen-ramp)" }),
      ),
      h("span", {}, ` ${top}`),
    );
  }

  function scheduleRedraw() {
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(() => void redraw().catch(fail), 100);
  }

  /** @param {number} [generation] */
  async function loadCandidates(generation) {
    const path = `/v1/searches/${id}/candidates${generation === undefined ? "" : `?generation=${generation}`}`;
    for (const c of /** @type {Candidate[]} */ (await allPages(path))) candidates.set(c.id, c);
  }

  async function loadResult() {
    const body = /** @type {SearchResult} */ (await api(`/v1/searches/${id}/result`));
    if (stopped) return;
    if (!body.result) {
      replace(
        result,
        h("p", { class: "muted" }, TERMINAL.has(body.status) ? "No result was stored." : "Not finished yet."),
      );
      return;
    }
    const r = body.result;
    const names = targets.length > 0 ? targets : Object.keys(r.front[0]?.latency ?? {});
    const rows = r.front.map((m) =>
      h(
        "tr",
        { "data-hash": m.hash },
        h(
          "td",
          { class: "mono" },
          m.candidateId ? h("a", { href: `#/searches/${id}/candidates/${m.candidateId}` }, m.genome) : m.genome,
        ),
        h("td", {}, si(m.params)),
        h("td", {}, si(m.macs)),
        h("td", {}, m.peakActivationBytes === undefined ? "–" : fixed(m.peakActivationBytes / 1e6, 3)),
        h("td", {}, m.memoryTrafficBytes === undefined ? "–" : fixed(m.memoryTrafficBytes / 1e6)),
        names.map((t) => h("td", {}, `${fixed(m.latency[t]?.searchMs)} / ${fixed(m.latency[t]?.finalMs)}`)),
        h(
          "td",
          {},
          Object.entries(m.exports).map(([format, sha]) => {
            const button = h("button", { type: "button", class: "download", "data-format": format }, `.${format}`);
            button.addEventListener(
              "click",
              () => void download(`/v1/artifacts/${sha}/download`, `${m.hash.slice(0, 12)}.${format}`).catch(fail),
            );
            return button;
          }),
        ),
        h("td", { class: "error small" }, (m.errors ?? []).join("; ")),
      ),
    );
    replace(
      result,
      h(
        "p",
        { class: "muted" },
        `${r.front.length} SubGenerators in the final Pareto set · checkpoint step ${r.checkpointStep ?? "–"} · ` +
          `${r.measurementsRequested} device measurements requested` +
          (r.measurementsSaved !== undefined ? ` · ${r.measurementsSaved} answered by the latency predictor` : ""),
      ),
      h(
        "table",
        { class: "final" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [
              "Genome",
              "Params",
              "MACs",
              "Peak act. MB",
              "Mem. traffic MB",
              ...names.map((t) => `${t}: search / final ms`),
              "Downloads",
              "",
            ].map((c) => h("th", {}, c)),
          ),
        ),
        h("tbody", {}, rows),
      ),
    );
  }

  function follow() {
    stream = eventStream(`/v1/searches/${id}/events?after=${lastGeneration}`, (e) => {
      const data = /** @type {Record<string, unknown>} */ (e.data ?? {});
      if (e.event === "generation" && typeof data["index"] === "number") {
        const index = data["index"];
        hypervolumes.set(index, typeof data["hypervolume"] === "number" ? data["hypervolume"] : null);
        lastGeneration = Math.max(lastGeneration, index);
        void loadCandidates(index)
          .then(async () => {
            if (!targets.includes(target) || targets.length === 0) await loadTargets();
            scheduleRedraw();
          })
          .catch(fail);
      } else if (e.event === "status" && search && typeof data["status"] === "string") {
        search = { ...search, status: data["status"], error: typeof data["error"] === "string" ? data["error"] : null };
        drawHead();
        // Whether it still waits for phones is part of the detail, read again on each change of status.
        /** @type {Promise<SearchDetail>} */ (api(`/v1/searches/${id}`))
          .then((detail) => {
            if (search) search = { ...search, waitingForPhones: detail.waitingForPhones ?? [] };
            drawHead();
          })
          .catch(fail);
        if (TERMINAL.has(search.status)) void loadResult().catch(fail);
      } else if (e.event === "error") {
        fail(new Error(typeof data["detail"] === "string" ? data["detail"] : "event stream failed"));
      }
    });
  }

  async function loadTargets() {
    const named = (search?.spec.targets ?? []).map(targetName);
    const stored = /** @type {{ targets: string[] }} */ (await api(`/v1/searches/${id}/fronts`)).targets;
    targets = [...new Set([...named, ...stored])];
    if (!targets.includes(target)) target = targets[0] ?? "";
    drawControls();
  }

  async function start() {
    search = /** @type {SearchDetail} */ (await api(`/v1/searches/${id}`));
    // Generations first, then candidates: a generation written in between is picked up by the stream.
    const generations = /** @type {GenerationSummary[]} */ (await allPages(`/v1/searches/${id}/generations`, 200));
    for (const g of generations) {
      hypervolumes.set(g.index, g.hypervolume);
      lastGeneration = Math.max(lastGeneration, g.index);
    }
    await loadCandidates();
    await loadTargets();
    if (stopped) return;
    await redraw();
    await loadResult();
    if (!stopped) follow();
  }
  void start().catch(fail);

  return () => {
    stopped = true;
    clearTimeout(redrawTimer);
    stream?.close();
  };
}
