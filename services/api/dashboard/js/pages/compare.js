// Two searches' Pareto fronts on one target, on one plot, with how much of each front the other dominates.
import { api } from "../api.js";
import { encodeGenome, fixed, h, replace, si } from "../dom.js";
import { scatterPlot } from "../plot.js";

/**
 * @typedef {{ candidateId: string; genome: import("../dom.js").Genome; generationIndex: number; quality: number;
 *   latencyMs: number; latencyBasis: string; cost: { params: number; macs: number } }} FrontPoint
 */

const COLORS = ["#0969da", "#d97706"];

/**
 * Share of `b`'s points that some point of `a` weakly dominates (quality at least, latency at most).
 * @param {FrontPoint[]} a
 * @param {FrontPoint[]} b
 */
function coverage(a, b) {
  if (b.length === 0) return null;
  const covered = b.filter((q) => a.some((p) => p.quality >= q.quality && p.latencyMs <= q.latencyMs));
  return covered.length / b.length;
}

/**
 * @param {HTMLElement} root
 * @param {Record<string, string>} _params
 * @param {URLSearchParams} query
 */
export function comparePage(root, _params, query) {
  const form = h("form", { class: "controls compare-form" });
  const plot = h("div", { class: "front-plot", id: "compare-plot" });
  const summary = h("div", { class: "plot-summary", id: "compare-summary" });
  const note = h("p", { class: "muted" });
  replace(root, h("div", { class: "page-head" }, h("h1", {}, "Compare two searches")), form, plot, summary, note);
  let stopped = false;
  /** @param {unknown} e */
  const fail = (e) => replace(note, h("span", { class: "error" }, e instanceof Error ? e.message : String(e)));

  const load = async () => {
    const list = /** @type {{ items: { id: string; name: string; status: string }[] }} */ (
      await api("/v1/searches?limit=200")
    ).items;
    const a = query.get("a") ?? list[0]?.id ?? "";
    const b = query.get("b") ?? list.find((x) => x.id !== a)?.id ?? "";
    const q = query.get("quality") === "ssim" ? "ssim" : "psnr";
    const pick = (/** @type {string} */ name, /** @type {string} */ chosen) =>
      h(
        "select",
        { name, "aria-label": `search ${name}` },
        list.map((x) =>
          h("option", { value: x.id, selected: x.id === chosen }, `${x.name} (${x.status}, ${x.id.slice(0, 8)})`),
        ),
      );
    const [targetsA, targetsB] = await Promise.all(
      [a, b].map(async (id) =>
        id ? /** @type {{ targets: string[] }} */ (await api(`/v1/searches/${id}/fronts`)).targets : [],
      ),
    );
    const common = (targetsA ?? []).filter((t) => (targetsB ?? []).includes(t));
    const choices = common.length > 0 ? common : [...new Set([...(targetsA ?? []), ...(targetsB ?? [])])];
    const target =
      query.get("target") && choices.includes(query.get("target") ?? "")
        ? (query.get("target") ?? "")
        : (choices[0] ?? "");
    const targetSelect = h(
      "select",
      { name: "target", "aria-label": "target" },
      choices.map((t) => h("option", { value: t, selected: t === target }, t)),
    );
    const qualitySelect = h(
      "select",
      { name: "quality", "aria-label": "quality" },
      ["psnr", "ssim"].map((v) => h("option", { value: v, selected: v === q }, v)),
    );
    const selectA = pick("a", a);
    const selectB = pick("b", b);
    replace(
      form,
      h("label", {}, "A ", selectA),
      h("label", {}, " B ", selectB),
      h("label", {}, " target ", targetSelect),
      h("label", {}, " quality ", qualitySelect),
      h("button", { type: "submit" }, "Compare"),
    );
    form.onsubmit = (event) => {
      event.preventDefault();
      const next = new URLSearchParams({
        a: selectA.value,
        b: selectB.value,
        target: targetSelect.value,
        quality: qualitySelect.value,
      });
      location.hash = `#/compare?${next.toString()}`;
    };
    if (!a || !b || !target) {
      replace(plot, h("p", { class: "muted" }, "Choose two searches with a common target."));
      return;
    }
    /** @param {string} id */
    const frontOf = async (id) => {
      try {
        return /** @type {{ points: FrontPoint[] }} */ (
          await api(`/v1/searches/${id}/fronts/${encodeURIComponent(target)}?quality=${q}`)
        ).points;
      } catch (e) {
        if (e instanceof Error && "status" in e && e.status === 404) return [];
        throw e;
      }
    };
    const [frontA, frontB] = await Promise.all([frontOf(a), frontOf(b)]);
    if (stopped || !frontA || !frontB) return;
    const name = (/** @type {string} */ id) => list.find((x) => x.id === id)?.name ?? id.slice(0, 8);
    const series = [
      { id: a, front: frontA },
      { id: b, front: frontB },
    ].map((x, i) => ({
      name: `${i === 0 ? "A" : "B"}: ${name(x.id)}`,
      color: COLORS[i] ?? "#000",
      shape: /** @type {"circle" | "square"} */ (i === 0 ? "circle" : "square"),
      points: x.front.map((p) => ({
        x: p.latencyMs,
        y: p.quality,
        key: p.candidateId,
        color: COLORS[i] ?? "#000",
        data: { ...p, searchId: x.id },
      })),
      front: x.front.map((p) => ({ x: p.latencyMs, y: p.quality })),
    }));
    scatterPlot(plot, {
      series,
      constraints: [],
      xLabel: `latency on ${target} (ms)`,
      yLabel: q === "psnr" ? "PSNR (dB)" : "SSIM",
      tooltip: (p, sr) => {
        const f = /** @type {FrontPoint} */ (p.data);
        return h(
          "div",
          {},
          h("div", {}, sr.name),
          h("div", { class: "mono" }, encodeGenome(f.genome)),
          h(
            "div",
            {},
            `${q.toUpperCase()} ${fixed(f.quality, q === "psnr" ? 2 : 4)} · ${fixed(f.latencyMs)} ms (${f.latencyBasis})`,
          ),
          h("div", {}, `params ${si(f.cost.params)} · MACs ${si(f.cost.macs)} · generation ${f.generationIndex}`),
        );
      },
      onClick: (p) => {
        const f = /** @type {FrontPoint & { searchId: string }} */ (p.data);
        location.hash = `#/searches/${f.searchId}/candidates/${f.candidateId}`;
      },
    });
    const pct = (/** @type {number | null} */ v) => (v === null ? "–" : `${fixed(v * 100, 0)}%`);
    replace(
      summary,
      h(
        "ul",
        { class: "legend-list" },
        series.map((sr, i) =>
          h(
            "li",
            { "data-series": i },
            h("span", { class: `swatch swatch-${i}` }),
            `${sr.name}: ${sr.points.length} points on the front`,
          ),
        ),
      ),
      h(
        "p",
        {},
        `A's front dominates ${pct(coverage(frontA, frontB))} of B's; B's dominates ${pct(coverage(frontB, frontA))} of A's.`,
      ),
    );
  };
  void load().catch(fail);
  return () => {
    stopped = true;
  };
}
