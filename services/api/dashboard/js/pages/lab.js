// The device lab: queue depth per device class, and each phone's state, health and utilization in the last hour.
import { api } from "../api.js";
import { badge, fixed, h, int, progressBar, replace, table, when } from "../dom.js";
import { healthText } from "./candidate.js";

/**
 * @typedef {{ deviceClass: string; queue: string; devices: number; online: number;
 *   counts: { waiting: number; active: number; delayed: number; prioritized: number; failed: number } }} ClassRow
 * @typedef {{ id: string; serial: string; model: string; soc: string | null; deviceClass: string;
 *   agentHost: string | null; state: string; quarantineReason: string | null; lastSeenAt: string | null;
 *   health: unknown; measurements: number; busyMs: number; untimed: number; utilization: number;
 *   lastMeasuredAt: string | null }} DeviceRow
 * @typedef {{ windowStart: string; windowEnd: string; classes: ClassRow[]; devices: DeviceRow[] }} Lab
 */

const REFRESH_MS = 5_000;

/** @param {HTMLElement} root */
export function labPage(root) {
  const classes = h("div", { id: "lab-classes" });
  const phones = h("div", { id: "lab-phones" });
  const note = h("p", { class: "muted" });
  replace(
    root,
    h("div", { class: "page-head" }, h("h1", {}, "Device lab")),
    h("section", {}, h("h2", {}, "Queues per device class"), classes),
    h("section", {}, h("h2", {}, "Phones"), phones),
    note,
  );
  let stopped = false;

  const load = async () => {
    const lab = /** @type {Lab} */ (await api("/v1/device-lab"));
    if (stopped) return;
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
    replace(
      phones,
      table(
        ["phone", "class", "state", "health", "last seen", "measurements (1 h)", "utilization (1 h)", "last measured"],
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
          progressBar(d.utilization, `${fixed(d.utilization * 100, 1)}% (${fixed(d.busyMs / 1000, 1)} s benchmarking)`),
          when(d.lastMeasuredAt),
        ]),
        { class: "lab-phones" },
      ),
    );
    replace(
      note,
      `Utilization: wall time of benchmark repetitions recorded between ${when(lab.windowStart)} and ` +
        `${when(lab.windowEnd)}, over that hour. Refreshed every ${REFRESH_MS / 1000} s.`,
    );
  };
  /** @param {unknown} e */
  const fail = (e) => replace(note, h("span", { class: "error" }, e instanceof Error ? e.message : String(e)));
  void load().catch(fail);
  const timer = setInterval(() => void load().catch(fail), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
