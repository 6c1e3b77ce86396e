// Supernets: the list with a form that starts a training (its config checked against the API's schema as you
// type) and one that uploads a teacher or a dataset, and one supernet's page with its loss and image-rate curves
// over steps, its checkpoints and a cancel.
import { allPages, api, eventStream, sendJson } from "../api.js";
import { badge, fixed, h, progressBar, replace, table, when } from "../dom.js";
import { jsonEditor, sendWhenValid, showProblem } from "../editor.js";
import { linesChart } from "../plot.js";
import { actionButton, submitButton } from "../session.js";
import { uploadForm } from "../upload-form.js";

/**
 * @typedef {{ id: string; name: string; status: string; step: number; error: string | null; createdAt: string;
 *   startedAt: string | null; finishedAt: string | null }} SupernetSummary
 * @typedef {{ step: number; artifactSha256: string; metrics: unknown; createdAt: string }} Checkpoint
 * @typedef {SupernetSummary & { trainingConfig: Record<string, unknown>; progress: { step: number;
 *   steps: number | null; fraction: number | null; latest: { step: number } | null };
 *   checkpoints: Checkpoint[] }} SupernetDetail
 * @typedef {{ step: number; losses: Record<string, number>; imagesPerSecond: number }} Progress
 */

const TERMINAL = new Set(["ready", "failed", "cancelled"]);
/** Distinct colours for loss curves (Okabe-Ito, readable by colour-blind viewers). */
const COLORS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"];

/** A starter training config: the photographs shipped with the project, a short run. */
const STARTER = { data: { train: "photos-train", val: "photos-val" }, steps: 800, batch: 4, patchSize: 64 };

/** @param {HTMLElement} root */
export function supernetsPage(root) {
  const list = h("div", { id: "supernets-list" });
  const outcome = h("div", { class: "outcome", id: "train-outcome" });
  const { element: submit, button } = submitButton("Start training", "submit");
  const name = h("input", { type: "text", name: "name", required: true, size: 40, value: "supernet" });
  const editor = jsonEditor({
    name: "trainingConfig",
    label: "Training config (JSON)",
    path: "/v1/supernets",
    method: "post",
    property: "trainingConfig",
    initial: STARTER,
    rows: 10,
  });
  const form = h(
    "form",
    { class: "train-form" },
    h("label", {}, "Name ", name),
    editor.element,
    h("div", { class: "form-actions" }, submit),
  );
  sendWhenValid({
    form,
    editor,
    outcome,
    button,
    what: "config",
    send: async () => {
      const created = /** @type {{ id: string }} */ (
        await sendJson("POST", "/v1/supernets", { name: name.value.trim(), trainingConfig: editor.value() })
      );
      location.hash = `#/supernets/${created.id}`;
    },
  });
  replace(
    root,
    h("div", { class: "page-head" }, h("h1", {}, "Supernets")),
    list,
    h("section", {}, h("details", { class: "new-supernet" }, h("summary", {}, "Train a new supernet"), form), outcome),
    h(
      "section",
      {},
      h("details", { class: "upload-artifact" }, h("summary", {}, "Upload a teacher or a dataset"), uploadForm()),
    ),
  );

  const load = async () => {
    const rows = /** @type {SupernetSummary[]} */ (await allPages("/v1/supernets", 200));
    replace(
      list,
      rows.length === 0
        ? h("p", { class: "muted empty" }, "No supernet yet: train one below, then search its SubGenerators.")
        : table(
            ["name", "status", "step", "started", "finished", ""],
            rows.map((r) => [
              h("a", { href: `#/supernets/${r.id}` }, r.name),
              badge(r.status),
              String(r.step),
              when(r.startedAt),
              when(r.finishedAt),
              r.error ? h("span", { class: "error small" }, r.error) : "",
            ]),
            { class: "supernets" },
          ),
    );
  };
  void load().catch((e) => showProblem(outcome, e));
  return () => {};
}

/**
 * @param {HTMLElement} root
 * @param {Record<string, string>} params
 */
export function supernetPage(root, params) {
  const id = params["id"] ?? "";
  const head = h("div", { class: "page-head" });
  const progress = h("div", { class: "supernet-progress" });
  const losses = h("div", { class: "loss-plot", id: "loss-plot" });
  const rate = h("div", { class: "rate-plot", id: "rate-plot" });
  const checkpoints = h("div", { id: "checkpoints" });
  const config = h("pre", { class: "small" });
  const note = h("div", { id: "supernet-note" });
  replace(
    root,
    head,
    progress,
    note,
    h("section", {}, h("h2", {}, "Losses"), losses),
    h("section", {}, h("h2", {}, "Training images per second"), rate),
    h("section", {}, h("h2", {}, "Checkpoints"), checkpoints),
    h("section", {}, h("details", {}, h("summary", {}, "Training config"), config)),
  );
  /** @type {Progress[]} */
  const history = [];
  /** @type {SupernetDetail | null} */
  let supernet = null;
  /** @type {{ close(): void } | null} */
  let stream = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const fail = (/** @type {unknown} */ e) => showProblem(note, e);

  const drawHead = () => {
    if (!supernet) return;
    const s = supernet;
    const cancel =
      s.status === "queued" || s.status === "training"
        ? actionButton({
            label: "Cancel training",
            scope: "submit",
            fail,
            attrs: { class: "cancel" },
            run: async () => {
              supernet = /** @type {SupernetDetail} */ (await api(`/v1/supernets/${id}/cancel`, { method: "POST" }));
              drawHead();
            },
          })
        : null;
    if (head.getAttribute("data-status") !== s.status) {
      head.setAttribute("data-status", s.status);
      replace(head, h("h1", {}, s.name), badge(s.status), cancel);
    }
    const total = s.progress.steps;
    // The supernet's step moves at checkpoints; the logged steps (replayed or live) can be further on.
    const step = Math.max(s.step, s.progress.latest?.step ?? 0, history[history.length - 1]?.step ?? 0);
    replace(
      progress,
      progressBar(total ? step / total : null, total ? `step ${step} of ${total}` : `step ${step}`),
      s.error ? h("p", { class: "error", role: "alert" }, `Training failed: ${s.error}`) : null,
    );
  };

  const drawCurves = () => {
    if (history.length === 0) {
      const words =
        supernet && TERMINAL.has(supernet.status)
          ? `This supernet is ${supernet.status} and logged no training step.`
          : "No training step logged yet.";
      replace(losses, h("p", { class: "muted empty" }, words));
      replace(rate, h("p", { class: "muted empty" }, words));
      return;
    }
    const names = [...new Set(history.flatMap((p) => Object.keys(p.losses)))].sort();
    linesChart(
      losses,
      names.map((n, i) => ({
        name: n,
        color: COLORS[i % COLORS.length] ?? "#000",
        points: history.filter((p) => typeof p.losses[n] === "number").map((p) => ({ x: p.step, y: p.losses[n] ?? 0 })),
      })),
      "step",
      "loss (log scale)",
      { logY: true },
    );
    linesChart(
      rate,
      [
        {
          name: "images/s",
          color: COLORS[0] ?? "#000",
          points: history.map((p) => ({ x: p.step, y: p.imagesPerSecond })),
        },
      ],
      "step",
      "images per second",
    );
  };

  const drawCheckpoints = () => {
    if (!supernet) return;
    replace(
      checkpoints,
      supernet.checkpoints.length === 0
        ? h("p", { class: "muted empty" }, "No checkpoint saved yet.")
        : table(
            ["step", "metrics", "artifact", "saved", ""],
            supernet.checkpoints.map((c) => [
              String(c.step),
              metricsText(c.metrics),
              h("span", { class: "mono small" }, `${c.artifactSha256.slice(0, 16)}…`),
              when(c.createdAt),
              h("a", { href: `#/submit?supernet=${id}&step=${c.step}` }, "search with it"),
            ]),
            { class: "checkpoints" },
          ),
    );
  };

  const refresh = async () => {
    supernet = /** @type {SupernetDetail} */ (await api(`/v1/supernets/${id}`));
    drawHead();
    drawCheckpoints();
  };

  const start = async () => {
    await refresh();
    replace(config, JSON.stringify(supernet?.trainingConfig ?? {}, null, 2));
    drawCurves();
    // The stream replays every logged step from the start, then follows new ones until training ends.
    stream = eventStream(`/v1/supernets/${id}/events?after=-1`, (e) => {
      const data = /** @type {Record<string, unknown>} */ (e.data ?? {});
      if (e.event === "progress" && typeof data["step"] === "number") {
        history.push(/** @type {Progress} */ (/** @type {unknown} */ (data)));
        clearTimeout(timer);
        timer = setTimeout(() => {
          drawCurves();
          drawHead();
        }, 100);
      } else if (e.event === "checkpoint" || e.event === "status" || e.event === "end") {
        void refresh().then(drawCurves).catch(fail);
      } else if (e.event === "error") {
        fail(new Error(typeof data["detail"] === "string" ? data["detail"] : "event stream failed"));
      }
    });
  };
  void start().catch(fail);
  return () => {
    clearTimeout(timer);
    stream?.close();
  };
}

/** @param {unknown} metrics */
function metricsText(metrics) {
  if (typeof metrics !== "object" || metrics === null) return "–";
  return /** @type {[string, unknown][]} */ (Object.entries(metrics))
    .flatMap(([k, v]) => (typeof v === "number" ? [`${k} ${fixed(v, 3)}`] : []))
    .join(" · ");
}
