// The device lab: queue depth per device class, each phone's state, health and utilization in the last hour, and
// the accuracy of each class's latency predictor on held-out measured SubGenerators.
import { api, download, sendJson } from "../api.js";
import { badge, fixed, h, int, progressBar, replace, table, when } from "../dom.js";
import { actionButton } from "../session.js";
import { healthText } from "./candidate.js";

/**
 * @typedef {{ deviceClass: string; queue: string; devices: number; online: number;
 *   counts: { waiting: number; active: number; delayed: number; prioritized: number; failed: number } }} ClassRow
 * @typedef {{ id: string; serial: string; model: string; soc: string | null; deviceClass: string;
 *   agentHost: string | null; state: string; quarantineReason: string | null; lastSeenAt: string | null;
 *   health: unknown; measurements: number; busyMs: number; untimed: number; utilization: number;
 *   lastMeasuredAt: string | null }} DeviceRow
 * @typedef {{ id: string; name: string; status: string; deviceClasses: string[] }} WaitingSearch
 * @typedef {{ windowStart: string; windowEnd: string; classes: ClassRow[]; devices: DeviceRow[];
 *   waitingSearches: WaitingSearch[] }} Lab
 * @typedef {{ deviceClass?: string; predictorVersion?: string; statistic?: string;
 *   input?: { height: number; width: number }; count?: number; trainSamples?: number; rmseMs?: number;
 *   mapePct?: number; within5?: number; within10?: number; coverage2Std?: number }} ReportFigures
 * @typedef {{ sha256: string; metadata: ReportFigures; createdAt: string; downloadUrl: string }} PredictorReport
 */

/** @param {number | undefined} share */
const percent = (share) => (share === undefined ? "–" : `${fixed(share * 100, 1)}%`);

/**
 * A button that downloads a report's JSON (through the API, with the session's key).
 * @param {string} url
 * @param {ReportFigures} m
 * @param {(e: unknown) => void} fail
 */
function reportButton(url, m, fail) {
  const name = m.predictorVersion ?? "report";
  const button = h("button", { type: "button", class: "download mono small" }, name);
  button.addEventListener(
    "click",
    () => void download(url, `${m.deviceClass ?? "predictor"}-${name}.json`).catch(fail),
  );
  return button;
}

/**
 * The latest report of each device class, as a table (reports come newest first).
 * @param {PredictorReport[]} reports
 * @param {(e: unknown) => void} fail
 */
function predictorTable(reports, fail) {
  /** @type {Map<string, PredictorReport>} */
  const latest = new Map();
  for (const r of reports) {
    const cls = r.metadata.deviceClass ?? "?";
    if (!latest.has(cls)) latest.set(cls, r);
  }
  if (latest.size === 0) return h("p", { class: "muted" }, "No latency predictor has been fitted yet.");
  return table(
    [
      "device class",
      "latency",
      "input",
      "held out",
      "RMSE",
      "MAPE",
      "within ±5%",
      "within ±10%",
      "±2 std coverage",
      "fitted on",
      "predictor",
      "fitted",
    ],
    [...latest.values()].map(({ metadata: m, createdAt, downloadUrl }) => [
      m.deviceClass ?? "?",
      m.statistic === "min" ? "fastest run" : "median",
      m.input ? `${m.input.height}x${m.input.width}` : "–",
      String(m.count ?? "–"),
      m.rmseMs === undefined ? "–" : `${fixed(m.rmseMs, 2)} ms`,
      m.mapePct === undefined ? "–" : `${fixed(m.mapePct, 1)}%`,
      percent(m.within5),
      percent(m.within10),
      percent(m.coverage2Std),
      m.trainSamples === undefined ? "–" : `${m.trainSamples} models`,
      reportButton(downloadUrl, m, fail),
      when(createdAt),
    ]),
    { class: "lab-predictors" },
  );
}

const REFRESH_MS = 5_000;

/** @param {HTMLElement} root */
export function labPage(root) {
  const classes = h("div", { id: "lab-classes" });
  const phones = h("div", { id: "lab-phones" });
  const waiting = h("div", { id: "lab-waiting" });
  const predictors = h("div", { id: "lab-predictors" });
  const note = h("p", { class: "muted" });
  // Failures get their own line: the note is rewritten by every refresh, a failure stays until the next action.
  const problem = h("p", { class: "lab-problem", role: "alert" });
  replace(
    root,
    h("div", { class: "page-head" }, h("h1", {}, "Device lab")),
    h("section", {}, h("h2", {}, "Queues per device class"), classes),
    h("section", {}, h("h2", {}, "Phones"), phones),
    h("section", {}, h("h2", {}, "Searches waiting for phones"), waiting),
    h("section", {}, h("h2", {}, "Latency predictors (held-out accuracy)"), predictors),
    note,
    problem,
  );
  let stopped = false;
  /** @param {unknown} e */
  const fail = (e) => replace(problem, h("span", { class: "error" }, e instanceof Error ? e.message : String(e)));

  /** Reason boxes kept across refreshes, so a reason being typed survives the next one. */
  /** @type {Map<string, HTMLInputElement>} */
  const reasons = new Map();

  /** @param {string} id @param {"quarantine" | "release"} verb @param {object} [body] */
  const act = async (id, verb, body = {}) => {
    await sendJson("POST", `/v1/devices/${id}/${verb}`, body);
    if (verb === "quarantine") reasons.delete(id);
    replace(problem);
    await load();
  };

  /** Quarantine (with a reason) or release, as the phone's state allows. @param {DeviceRow} d */
  const deviceActions = (d) => {
    if (d.state === "quarantined") {
      return actionButton({
        label: "Release",
        scope: "admin",
        fail,
        attrs: { class: "release", "data-device": d.serial },
        run: () => act(d.id, "release"),
      });
    }
    let input = reasons.get(d.id);
    if (!input) {
      input = h("input", { type: "text", name: "reason", placeholder: "reason", size: 14, "aria-label": "reason" });
      reasons.set(d.id, input);
    }
    const reason = input;
    return h(
      "span",
      { class: "quarantine" },
      reason,
      actionButton({
        label: "Quarantine",
        scope: "admin",
        fail,
        attrs: { class: "quarantine", "data-device": d.serial },
        run: async () => {
          if (!reason.value.trim()) throw new Error("Say why the phone is taken out of service (the reason box).");
          await act(d.id, "quarantine", { reason: reason.value.trim() });
        },
      }),
    );
  };

  const load = async () => {
    const [lab, reports] = await Promise.all([
      /** @type {Promise<Lab>} */ (api("/v1/device-lab")),
      /** @type {Promise<{ items: PredictorReport[] }>} */ (api("/v1/predictors")),
    ]);
    if (stopped) return;
    replace(predictors, predictorTable(reports.items, fail));
    replace(
      classes,
      lab.classes.length === 0
        ? h("p", { class: "muted" }, "No phones have registered yet.")
        : table(
            ["device class", "queue", "phones online", "waiting", "active", "delayed", "failed"],
            lab.classes.map((c) => [
              c.deviceClass,
              h("span", { class: "mono" }, c.queue),
              `${c.online} / ${c.devices}`,
              int(c.counts.waiting + c.counts.prioritized),
              int(c.counts.active),
              int(c.counts.delayed),
              int(c.counts.failed),
            ]),
            { class: "lab-classes" },
          ),
    );
    // Someone typing a reason keeps the table they are typing in until they leave it.
    if (phones.contains(document.activeElement) && document.activeElement instanceof HTMLInputElement) return;
    replace(
      phones,
      lab.devices.length === 0
        ? h("p", { class: "muted" }, "No phone has registered: start a device-lab agent with a phone attached.")
        : table(
            [
              "phone",
              "class",
              "state",
              "health",
              "last seen",
              "measurements (1 h)",
              "utilization (1 h)",
              "last measured",
              "",
            ],
            lab.devices.map((d) => [
              h(
                "span",
                {},
                `${d.model} `,
                h("span", { class: "mono small" }, d.serial),
                d.soc ? h("div", { class: "muted small" }, d.soc) : null,
              ),
              d.deviceClass,
              h(
                "span",
                {},
                badge(d.state),
                d.quarantineReason ? h("div", { class: "muted small" }, d.quarantineReason) : null,
              ),
              healthText(d.health),
              when(d.lastSeenAt),
              String(d.measurements),
              progressBar(
                d.utilization,
                `${fixed(d.utilization * 100, 1)}% (${fixed(d.busyMs / 1000, 1)} s benchmarking)`,
              ),
              when(d.lastMeasuredAt),
              deviceActions(d),
            ]),
            { class: "lab-phones" },
          ),
    );
    replace(
      waiting,
      lab.waitingSearches.length === 0
        ? h("p", { class: "muted" }, "Every queued or running search has a phone online for each of its targets.")
        : table(
            ["search", "status", "waiting for"],
            lab.waitingSearches.map((w) => [
              h("a", { href: `#/searches/${w.id}` }, w.name),
              badge(w.status),
              `waiting for phones of class ${w.deviceClasses.join(", ")}`,
            ]),
            { class: "lab-waiting" },
          ),
    );
    replace(
      note,
      `Utilization: wall time of benchmark repetitions recorded between ${when(lab.windowStart)} and ` +
        `${when(lab.windowEnd)}, over that hour. Refreshed every ${REFRESH_MS / 1000} s.`,
    );
  };
  void load().catch(fail);
  const timer = setInterval(() => void load().catch(fail), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
