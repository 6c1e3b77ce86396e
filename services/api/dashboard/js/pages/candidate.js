// One candidate: its SubGenerator as a diagram, its cost next to ESRGAN's, its latency per target, the phone
// measurements with their conditions, and its exported models to download.
import { api, download, objectUrl } from "../api.js";
import { bytes, fixed, h, int, replace, si, table, when } from "../dom.js";
import { generatorDiagram } from "../diagram.js";

/**
 * @typedef {import("./search.js").Candidate & {
 *   measurements: Measurement[];
 *   exports: { sha256: string; kind: string; sizeBytes: number; metadata: unknown; downloadUrl: string }[];
 *   samples: Samples | null }} CandidateDetail
 * @typedef {{ sha256: string; imageUrl: string; checkpointStep: number; image: string; scale: number;
 *   window: { top: number; left: number; size: number };
 *   panels: { name: string; psnrY: number | null }[]; teacherMissing?: string }} Samples
 * @typedef {{ id: string; device: { serial: string; model: string; soc: string | null }; deviceClass: string;
 *   runtime: string; runtimeVersion: string; runtimeConfig: Record<string, unknown>;
 *   input: { height: number; width: number }; samples: number; medianMs: number; p90Ms: number; stdMs: number;
 *   minMs: number; maxMs: number; initMs: number | null; peakMemoryMb: number | null;
 *   conditions: Record<string, unknown>; createdAt: string }} Measurement
 * @typedef {{ params: number; macs: number; peakActivationBytes: number; memoryTrafficBytes: number }} Totals
 * @typedef {{ hash: string; encoded: string; input: { height: number; width: number };
 *   genome: import("../dom.js").Genome; cost: Totals & { layers: import("../diagram.js").Layer[] };
 *   esrgan: Totals & { description: string } }} Architecture
 */

/**
 * Temperatures and battery from a health snapshot, if present.
 * @param {unknown} health
 */
export function healthText(health) {
  if (typeof health !== "object" || health === null) return "–";
  const hh =
    /** @type {{ battery?: { levelPercent?: number | null; temperatureC?: number | null };
     *   thermalZones?: { celsius?: number }[]; screenOn?: boolean | null }} */ (health);
  const zones = (hh.thermalZones ?? []).map((z) => z.celsius).filter((c) => typeof c === "number");
  const parts = [];
  if (typeof hh.battery?.levelPercent === "number") parts.push(`battery ${hh.battery.levelPercent}%`);
  if (typeof hh.battery?.temperatureC === "number") parts.push(`${fixed(hh.battery.temperatureC, 1)} °C battery`);
  if (zones.length > 0) parts.push(`max ${fixed(Math.max(.../** @type {number[]} */ (zones)), 1)} °C`);
  if (typeof hh.screenOn === "boolean") parts.push(hh.screenOn ? "screen on" : "screen off");
  return parts.join(", ") || "–";
}

/** @param {Measurement} m */
function conditionsOf(m) {
  const c = m.conditions;
  const r = m.runtimeConfig;
  const text = (/** @type {unknown} */ v) => (typeof v === "string" || typeof v === "number" ? String(v) : "?");
  const facts = [
    `${text(r["threads"])} threads`,
    text(r["delegate"]),
    text(r["precision"]),
    `${m.input.height}×${m.input.width}`,
    c["emulated"] === true ? "emulated phone" : null,
    typeof c["stopReason"] === "string" ? `stop: ${c["stopReason"]}` : null,
  ].filter(Boolean);
  return h(
    "div",
    {},
    h("div", {}, facts.join(" · ")),
    h(
      "div",
      { class: "muted small" },
      `before: ${healthText(c["healthBefore"])}; after: ${healthText(c["healthAfter"])}`,
    ),
    h("details", {}, h("summary", {}, "all conditions"), h("pre", {}, JSON.stringify(c, null, 2))),
  );
}

const PANEL_LABELS = /** @type {Record<string, string>} */ ({
  bicubic: "bicubic",
  subgenerator: "this SubGenerator",
  teacher: "teacher",
  hr: "HR (ground truth)",
});

/**
 * The sample crops section: the sheet (fetched with the key) with each panel's label and Y-PSNR under it.
 * @param {Samples | null} samples
 * @param {(e: unknown) => void} fail
 */
function samplesSection(samples, fail) {
  if (!samples) {
    return h(
      "section",
      { class: "samples" },
      h("h2", {}, "Sample crops"),
      h("p", { class: "muted" }, "No sample crops yet: they are made when the candidate is evaluated."),
    );
  }
  const size = samples.window.size;
  const img = h("img", {
    class: "sample-sheet",
    alt: `sample crops of ${samples.image}: ${samples.panels.map((p) => PANEL_LABELS[p.name] ?? p.name).join(", ")}`,
    // Shown at twice its size, pixels kept sharp, so detail (and its absence) is visible.
    width: String(2 * (samples.panels.length * size + (samples.panels.length - 1) * 4)),
    height: String(2 * size),
  });
  void objectUrl(samples.imageUrl)
    .then((url) => img.setAttribute("src", url))
    .catch(fail);
  return h(
    "section",
    { class: "samples" },
    h("h2", {}, "Sample crops"),
    h(
      "p",
      { class: "muted" },
      `${samples.image}, ${size}×${size} HR pixels at (${samples.window.top}, ${samples.window.left}), ` +
        `x${samples.scale}, checkpoint step ${samples.checkpointStep}`,
    ),
    h("div", { class: "sample-wrap" }, img),
    table(
      samples.panels.map((p) => PANEL_LABELS[p.name] ?? p.name),
      [samples.panels.map((p) => (p.psnrY === null ? "reference" : `${fixed(p.psnrY)} dB Y-PSNR`))],
      { class: "sample-panels" },
    ),
    samples.teacherMissing ? h("p", { class: "muted" }, `No teacher panel: ${samples.teacherMissing}`) : null,
  );
}

/**
 * Which targets take their headline latency from this measurement, and the figure (the fastest run or the median,
 * as the target's spec asks), so that the number at the top of the page can be found in the table.
 * @param {Measurement} m
 * @param {import("./search.js").Latency[]} latencies
 */
function headlineOf(m, latencies) {
  const used = latencies.filter((l) => l.measurementId === m.id && l.measuredMs !== null);
  if (used.length === 0) return "–";
  return h(
    "span",
    { class: "headline" },
    used.map((l) => {
      const figure = l.measuredMs === m.minMs ? "fastest run" : l.measuredMs === m.medianMs ? "median" : "figure";
      return h("div", { "data-target": l.target }, `${l.target}: ${fixed(l.measuredMs)} ms (${figure})`);
    }),
  );
}

/**
 * @param {HTMLElement} root
 * @param {Record<string, string>} params
 */
export function candidatePage(root, params) {
  const id = params["id"] ?? "";
  const candidateId = params["candidateId"] ?? "";
  const note = h("p", { class: "muted" });
  replace(root, note);
  /** @param {unknown} e */
  const fail = (e) => replace(note, h("span", { class: "error" }, e instanceof Error ? e.message : String(e)));

  const load = async () => {
    const c = /** @type {CandidateDetail} */ (await api(`/v1/searches/${id}/candidates/${candidateId}`));
    const a = /** @type {Architecture} */ (await api(`/v1/architectures/${c.genomeHash}`));
    const ratio = (/** @type {number} */ mine, /** @type {number} */ theirs) =>
      theirs > 0 ? `${fixed((100 * mine) / theirs, 2)}%` : "–";
    const costRow = (
      /** @type {string} */ label,
      /** @type {keyof Totals} */ key,
      /** @type {(n: number) => string} */ f,
    ) => [label, f(a.cost[key]), f(a.esrgan[key]), ratio(a.cost[key], a.esrgan[key])];
    const downloads = c.exports.map((e) => {
      const button = h(
        "button",
        { type: "button", class: "download", "data-kind": e.kind, "data-sha": e.sha256 },
        `Download .${e.kind}`,
      );
      button.addEventListener(
        "click",
        () => void download(e.downloadUrl, `${c.genomeHash.slice(0, 12)}.${e.kind}`).catch(fail),
      );
      return h("li", {}, button, ` ${bytes(e.sizeBytes)} · sha256 ${e.sha256.slice(0, 16)}…`);
    });
    replace(
      root,
      h(
        "div",
        { class: "page-head" },
        h("h1", { class: "mono genome" }, a.encoded),
        h("a", { href: `#/searches/${id}` }, "back to the search"),
      ),
      h(
        "p",
        { class: "muted" },
        `generation ${c.generationIndex} · rank ${c.rank ?? "–"} · ${c.feasible === false ? "infeasible" : "feasible"} · ` +
          `PSNR ${fixed(c.psnr)} dB · SSIM ${fixed(c.ssim, 4)} · genome ${c.genomeHash.slice(0, 12)}`,
      ),
      c.error ? h("p", { class: "error", role: "alert" }, `Failed for good: ${c.error}`) : null,
      h(
        "section",
        {},
        h("h2", {}, "Architecture"),
        h("div", { class: "diagram-wrap" }, generatorDiagram(a.genome, a.cost.layers)),
      ),
      h(
        "section",
        {},
        h("h2", {}, `Cost at ${a.input.height}×${a.input.width} input`),
        table(
          ["", "this SubGenerator", a.esrgan.description, "share"],
          [
            costRow("parameters", "params", int),
            costRow("MACs", "macs", si),
            costRow("peak activation memory", "peakActivationBytes", bytes),
            costRow("memory traffic (memory access cost)", "memoryTrafficBytes", bytes),
          ],
          { class: "cost" },
        ),
      ),
      samplesSection(c.samples, fail),
      h(
        "section",
        {},
        h("h2", {}, "Latency per target"),
        table(
          ["target", "predicted ms", "measured ms", "measurement"],
          c.latencies.map((l) => [
            l.target,
            l.predictedMs === null ? "–" : `${fixed(l.predictedMs)} ± ${fixed(l.predictedStdMs)}`,
            fixed(l.measuredMs),
            l.measurementId ?? "–",
          ]),
          { class: "latencies" },
        ),
      ),
      h(
        "section",
        {},
        h("h2", {}, "Measurements"),
        c.measurements.length === 0
          ? h("p", { class: "muted" }, "Not measured on a phone.")
          : table(
              [
                "phone",
                "class",
                "runtime",
                "headline",
                "fastest ms",
                "median ms",
                "p90 ms",
                "std ms",
                "samples",
                "peak MB",
                "conditions",
                "at",
              ],
              c.measurements.map((m) => [
                `${m.device.model} (${m.device.serial})`,
                m.deviceClass,
                `${m.runtime} ${m.runtimeVersion}`,
                headlineOf(m, c.latencies),
                fixed(m.minMs),
                fixed(m.medianMs),
                fixed(m.p90Ms),
                fixed(m.stdMs),
                String(m.samples),
                fixed(m.peakMemoryMb, 1),
                conditionsOf(m),
                when(m.createdAt),
              ]),
              { class: "measurements" },
            ),
      ),
      h(
        "section",
        {},
        h("h2", {}, "Downloads"),
        downloads.length === 0
          ? h("p", { class: "muted" }, "No exported model yet.")
          : h("ul", { class: "downloads" }, downloads),
      ),
      note,
    );
  };
  void load().catch(fail);
  return () => {};
}
