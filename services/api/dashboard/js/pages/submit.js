// Submit a search: a JSON spec editor checked against the API's schema as you type, prefilled from an existing
// search (`#/submit?from=<id>`) or with a starter built from what this deployment has (a ready supernet, a
// device class with phones).
import { api, sendJson } from "../api.js";
import { h, replace } from "../dom.js";
import { jsonEditor, sendWhenValid, showProblem } from "../editor.js";
import { submitButton } from "../session.js";

/**
 * A starter spec from the given supernet (and checkpoint) or the newest ready one, and the first device class
 * with a phone.
 * @param {string} name
 * @param {string | null} [supernetId]
 * @param {string | null} [step]
 * @returns {Promise<Record<string, unknown>>}
 */
export async function starterSpec(name, supernetId = null, step = null) {
  const [supernets, lab] = await Promise.all([
    /** @type {Promise<{ items: { id: string }[] }>} */ (api("/v1/supernets?status=ready&limit=1")),
    /** @type {Promise<{ classes: { deviceClass: string }[] }>} */ (api("/v1/device-lab")),
  ]);
  const supernet = supernetId
    ? { id: supernetId, ...(step && /^[0-9]+$/.test(step) ? { checkpointStep: Number(step) } : {}) }
    : supernets.items[0] && { id: supernets.items[0].id };
  const deviceClass = lab.classes[0]?.deviceClass ?? "host-cpu";
  return {
    name,
    seed: 0,
    ...(supernet ? { supernet } : {}),
    targets: [{ deviceClass, maxLatencyMs: 50 }],
    objectives: supernet ? ["psnr", "latency"] : ["latency", "macs"],
    budget: { generations: 5, population: 8 },
  };
}

/**
 * @param {HTMLElement} root
 * @param {Record<string, string>} _params
 * @param {URLSearchParams} query
 */
export function submitPage(root, _params, query) {
  const from = query.get("from");
  const outcome = h("div", { class: "outcome", id: "submit-outcome" });
  replace(
    root,
    h("div", { class: "page-head" }, h("h1", {}, "Submit a search")),
    h("p", { class: "muted" }, "Loading…"),
    outcome,
  );
  let stopped = false;

  const load = async () => {
    /** @type {unknown} */
    let initial;
    if (from) {
      const source = /** @type {{ name: string; spec: Record<string, unknown> }} */ (await api(`/v1/searches/${from}`));
      initial = { ...source.spec, name: `${source.name} (edited)` };
    } else initial = await starterSpec("new search", query.get("supernet"), query.get("step"));
    if (stopped) return;
    const { element: submit, button } = submitButton("Submit", "submit");
    const editor = jsonEditor({
      name: "spec",
      label: "Search spec (JSON; the CLI also takes YAML)",
      path: "/v1/searches",
      method: "post",
      initial,
      rows: 24,
    });
    const form = h("form", { class: "submit-form" }, editor.element, h("div", { class: "form-actions" }, submit));
    sendWhenValid({
      form,
      editor,
      outcome,
      button,
      what: "spec",
      send: async () => {
        const created = /** @type {{ id: string; warnings?: string[] }} */ (
          await sendJson("POST", "/v1/searches", editor.value())
        );
        const warnings = created.warnings ?? [];
        if (warnings.length === 0) {
          location.hash = `#/searches/${created.id}`;
          return;
        }
        replace(
          outcome,
          h("p", {}, "Submitted, with warnings: ", h("a", { href: `#/searches/${created.id}` }, "open the search")),
          h(
            "ul",
            { class: "warnings" },
            warnings.map((w) => h("li", {}, w)),
          ),
        );
      },
    });
    replace(
      root,
      h("div", { class: "page-head" }, h("h1", {}, "Submit a search")),
      h(
        "p",
        { class: "muted" },
        from ? "The spec of an earlier search, to change and submit as a new one." : "A starter spec: edit and submit.",
      ),
      form,
      outcome,
    );
  };
  void load().catch((e) => showProblem(outcome, e));
  return () => {
    stopped = true;
  };
}
