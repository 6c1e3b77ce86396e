// Schedules: the list with pause/resume, a form that creates or edits one (its search spec checked against the
// API's schema as you type), and one schedule's page: its nights' fronts on one plot, hypervolume and front size
// night over night, and every slot with the search it started.
import { allPages, api, sendJson } from "../api.js";
import { badge, fixed, h, ramp, replace, table, when } from "../dom.js";
import { jsonEditor, sendWhenValid, showProblem } from "../editor.js";
import { linesChart, scatterPlot } from "../plot.js";
import { actionButton, submitButton } from "../session.js";
import { starterSpec } from "./submit.js";

/**
 * @typedef {{ id: string; name: string; cron: string; timezone: string; searchSpec: Record<string, unknown>;
 *   enabled: boolean; missedRunPolicy: string; nextRuns: string[]; createdAt: string }} Schedule
 * @typedef {{ runId: string; slot: string; searchId: string | null; searchName: string | null; status: string;
 *   finishedAt: string | null; generations: number; hypervolume: number | null; frontSize: number | null }} TrendPoint
 * @typedef {{ runs: TrendPoint[]; comparison: { latest: TrendPoint | null; previous: TrendPoint | null;
 *   changeFromPrevious: number | null; bestEarlierHypervolume: number | null; latestIsBest: boolean | null } }} Trend
 * @typedef {{ candidateId: string; quality: number; latencyMs: number; generationIndex: number }} FrontPoint
 */

/** Nights drawn on the fronts plot, newest first. */
const NIGHTS = 6;

/**
 * The create-or-edit form. `current` absent: a new schedule (POST); present: a change of it (PATCH).
 * @param {Schedule | null} current
 * @param {Record<string, unknown>} spec the spec to start from
 * @param {() => void} done
 */
function scheduleForm(current, spec, done) {
  const outcome = h("div", { class: "outcome" });
  const input = (/** @type {string} */ name, /** @type {string} */ value, /** @type {number} */ size) =>
    h("input", { type: "text", name, value, size, required: true });
  const name = input("name", current?.name ?? "nightly search", 30);
  const cron = input("cron", current?.cron ?? "0 2 * * *", 14);
  const timezone = input("timezone", current?.timezone ?? "UTC", 18);
  const policy = h(
    "select",
    { name: "missedRunPolicy" },
    ["skip", "run_once"].map((p) => h("option", { value: p, selected: p === (current?.missedRunPolicy ?? "skip") }, p)),
  );
  const editor = jsonEditor({
    name: "searchSpec",
    label: "Search spec of each run (JSON)",
    path: "/v1/searches",
    method: "post",
    initial: spec,
    rows: 14,
  });
  const { element: submit, button } = submitButton(current ? "Save changes" : "Create schedule", "admin");
  const form = h(
    "form",
    { class: "schedule-form", "data-mode": current ? "edit" : "create" },
    h(
      "div",
      { class: "fields" },
      h("label", {}, "Name ", name),
      h("label", {}, "Cron (minute hour day month weekday) ", cron),
      h("label", {}, "Time zone ", timezone),
      h("label", {}, "Missed slots ", policy),
    ),
    editor.element,
    h("div", { class: "form-actions" }, submit),
    outcome,
  );
  sendWhenValid({
    form,
    editor,
    outcome,
    button,
    what: "spec",
    send: async () => {
      await sendJson(current ? "PATCH" : "POST", current ? `/v1/schedules/${current.id}` : "/v1/schedules", {
        name: name.value.trim(),
        cron: cron.value.trim(),
        timezone: timezone.value.trim(),
        missedRunPolicy: policy.value,
        searchSpec: editor.value(),
      });
      done();
    },
  });
  return form;
}

/**
 * Pause or resume a schedule.
 * @param {Schedule} s
 * @param {(e: unknown) => void} fail
 * @param {() => Promise<void>} after
 */
function pauseButton(s, fail, after) {
  return actionButton({
    label: s.enabled ? "Pause" : "Resume",
    scope: "admin",
    fail,
    attrs: { class: s.enabled ? "pause" : "unpause", "data-schedule": s.name },
    run: async () => {
      await sendJson("PATCH", `/v1/schedules/${s.id}`, { enabled: !s.enabled });
      await after();
    },
  });
}

/** @param {HTMLElement} root */
export function schedulesPage(root) {
  const list = h("div", { id: "schedules-list" });
  const editing = h("section", { id: "schedule-edit" });
  const note = h("div", { id: "schedules-note" });
  const fail = (/** @type {unknown} */ e) => showProblem(note, e);
  const create = actionButton({
    label: "New schedule",
    scope: "admin",
    fail,
    attrs: { class: "new-schedule" },
    run: async () => {
      const spec = await starterSpec("nightly");
      replace(
        editing,
        h("h2", {}, "New schedule"),
        scheduleForm(null, spec, () => void load().then(() => replace(editing))),
      );
    },
  });
  replace(root, h("div", { class: "page-head" }, h("h1", {}, "Schedules"), create), note, list, editing);

  const load = async () => {
    const rows = /** @type {Schedule[]} */ (await allPages("/v1/schedules", 200));
    replace(
      list,
      rows.length === 0
        ? h("p", { class: "muted empty" }, "No schedule yet: create one to re-run a search every night.")
        : table(
            ["name", "cron", "time zone", "state", "next runs", "missed slots", ""],
            rows.map((s) => {
              const edit = actionButton({
                label: "Edit",
                scope: "admin",
                fail,
                attrs: { class: "edit", "data-schedule": s.name },
                run: () => {
                  replace(
                    editing,
                    h("h2", {}, `Edit ${s.name}`),
                    scheduleForm(s, s.searchSpec, () => void load().then(() => replace(editing))),
                  );
                  return Promise.resolve();
                },
              });
              return [
                h("a", { href: `#/schedules/${s.id}` }, s.name),
                h("span", { class: "mono" }, s.cron),
                s.timezone,
                badge(s.enabled ? "enabled" : "paused"),
                s.nextRuns.length === 0 ? "– (paused)" : s.nextRuns.map(when).join(", "),
                s.missedRunPolicy,
                h("span", { class: "actions" }, pauseButton(s, fail, load), edit),
              ];
            }),
            { class: "schedules" },
          ),
    );
  };
  void load().catch(fail);
  return () => {};
}

/**
 * @param {HTMLElement} root
 * @param {Record<string, string>} params
 */
export function schedulePage(root, params) {
  const id = params["id"] ?? "";
  const head = h("div", { class: "page-head" });
  const fronts = h("div", { class: "front-plot", id: "nights-plot" });
  const frontsNote = h("p", { class: "muted", id: "nights-summary" });
  const trendPlot = h("div", { id: "trend-plot" });
  const trendTable = h("div", { id: "trend-table" });
  const note = h("div", { id: "schedule-note" });
  replace(
    root,
    head,
    note,
    h("section", {}, h("h2", {}, "Fronts night over night"), fronts, frontsNote),
    h("section", {}, h("h2", {}, "Final-front hypervolume per night"), trendPlot),
    h("section", {}, h("h2", {}, "Slots"), trendTable),
  );
  const fail = (/** @type {unknown} */ e) => showProblem(note, e);
  let stopped = false;

  const load = async () => {
    const [schedule, trend] = await Promise.all([
      /** @type {Promise<Schedule>} */ (api(`/v1/schedules/${id}`)),
      /** @type {Promise<Trend>} */ (api(`/v1/schedules/${id}/trend?limit=60`)),
    ]);
    if (stopped) return;
    replace(
      head,
      h("h1", {}, schedule.name),
      badge(schedule.enabled ? "enabled" : "paused"),
      h("span", { class: "mono" }, `${schedule.cron} (${schedule.timezone})`),
      pauseButton(schedule, fail, load),
    );
    const c = trend.comparison;
    replace(
      note,
      h(
        "p",
        { class: "trend-comparison" },
        c.latest === null
          ? "No night has run yet."
          : c.previous === null
            ? `One night so far (${when(c.latest.slot)}).`
            : `Latest night's hypervolume ${fixed(c.latest.hypervolume, 4)}: ` +
              `${c.changeFromPrevious === null ? "–" : `${c.changeFromPrevious >= 0 ? "+" : ""}${fixed(c.changeFromPrevious, 4)}`} ` +
              `from the night before; ${c.latestIsBest ? "the best night so far" : `best earlier ${fixed(c.bestEarlierHypervolume, 4)}`}.`,
      ),
    );
    const nights = [...trend.runs].reverse();
    const measured = nights.filter((r) => r.hypervolume !== null);
    if (measured.length > 0) {
      linesChart(
        trendPlot,
        [
          {
            name: "hypervolume",
            color: "#0969da",
            points: measured.map((r, i) => ({ x: i + 1, y: /** @type {number} */ (r.hypervolume) })),
          },
        ],
        "night (oldest first)",
        "final-front hypervolume",
      );
    } else replace(trendPlot, h("p", { class: "muted empty" }, "No night has finished with a front yet."));
    replace(
      trendTable,
      trend.runs.length === 0
        ? h("p", { class: "muted empty" }, "No slot has come yet.")
        : table(
            ["slot", "search", "status", "generations", "hypervolume", "front size"],
            trend.runs.map((r) => [
              when(r.slot),
              r.searchId ? h("a", { href: `#/searches/${r.searchId}` }, r.searchName ?? r.searchId) : "– (skipped)",
              badge(r.status),
              String(r.generations),
              fixed(r.hypervolume, 4),
              r.frontSize === null ? "–" : String(r.frontSize),
            ]),
            { class: "trend" },
          ),
    );
    await drawFronts(schedule, trend.runs.filter((r) => r.searchId).slice(0, NIGHTS));
  };

  /**
   * @param {Schedule} schedule
   * @param {TrendPoint[]} runs newest first
   */
  const drawFronts = async (schedule, runs) => {
    const targets = /** @type {{ name?: string; deviceClass: string }[]} */ (schedule.searchSpec["targets"] ?? []);
    const first = targets[0];
    const target = first ? (first.name ?? first.deviceClass) : null;
    if (!target || runs.length === 0) {
      replace(
        fronts,
        h("p", { class: "muted empty" }, target ? "No night has started a search yet." : "The spec has no target."),
      );
      return;
    }
    const objectives = /** @type {string[]} */ (schedule.searchSpec["objectives"] ?? []);
    const series = [];
    const missing = [];
    for (const [i, r] of runs.entries()) {
      try {
        const body = /** @type {{ points: FrontPoint[] }} */ (
          await api(`/v1/searches/${r.searchId}/fronts/${encodeURIComponent(target)}`)
        );
        // Newest night darkest: the ramp runs from yellow (oldest) to violet (tonight).
        const color = ramp(1 - i / Math.max(1, runs.length - 1));
        series.push({
          name: `${when(r.slot)}`,
          color,
          shape: /** @type {"circle"} */ ("circle"),
          points: body.points.map((p) => ({
            x: p.latencyMs,
            y: p.quality,
            key: p.candidateId,
            color,
            data: { run: r, point: p },
          })),
          front: body.points.map((p) => ({ x: p.latencyMs, y: p.quality })),
        });
      } catch (e) {
        if (!(e instanceof Error && "status" in e && e.status === 404)) throw e;
        missing.push(when(r.slot));
      }
    }
    if (stopped) return;
    if (series.length === 0) {
      replace(fronts, h("p", { class: "muted empty" }, `No night's search has a front on ${target} yet.`));
      return;
    }
    scatterPlot(fronts, {
      series,
      constraints: [],
      xLabel: `latency on ${target} (ms)`,
      yLabel: objectives.includes("ssim") ? "SSIM" : "PSNR (dB)",
      tooltip: (p, sr) => {
        const { point } = /** @type {{ point: FrontPoint }} */ (p.data);
        return h(
          "div",
          {},
          h("div", {}, `night of ${sr.name}`),
          h("div", {}, `quality ${fixed(point.quality, 4)} · ${fixed(point.latencyMs)} ms`),
          h("div", { class: "muted" }, "click for the candidate"),
        );
      },
      onClick: (p) => {
        const { run } = /** @type {{ run: TrendPoint }} */ (p.data);
        location.hash = `#/searches/${run.searchId}/candidates/${p.key}`;
      },
    });
    replace(
      frontsNote,
      h(
        "span",
        { class: "legend-list" },
        series.map((sr) => {
          const swatch = h("span", { class: "swatch" });
          swatch.style.background = sr.color;
          return h("span", { class: "legend-item" }, swatch, sr.name);
        }),
      ),
      h(
        "span",
        { class: "nights-count" },
        `${series.length} nights' fronts on ${target}, newest darkest` +
          (missing.length > 0 ? ` · no front yet for ${missing.join(", ")}` : ""),
      ),
    );
  };

  void load().catch(fail);
  return () => {
    stopped = true;
  };
}
