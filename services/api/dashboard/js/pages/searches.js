// Searches: newest first with status and live progress (an event stream per active search, a few at most, and a
// periodic refresh of the list for the rest).
import { api, eventStream } from "../api.js";
import { badge, h, progressBar, replace, when } from "../dom.js";

/**
 * @typedef {{ id: string; name: string; status: string; lastGeneration: number | null; createdAt: string;
 *   finishedAt: string | null; error: string | null }} SearchSummary
 * @typedef {SearchSummary & { progress: { generationsDone: number; generations: number | null;
 *   fraction: number | null }; counts: { candidates: number; generations: number } }} SearchDetail
 */

const ACTIVE = new Set(["queued", "running"]);
/** Browsers allow six connections per host; streams must leave room for the page's other requests. */
const MAX_STREAMS = 3;
const REFRESH_MS = 10_000;

/** @param {number} done @param {number | null} total */
function progressOf(done, total) {
  // The list does not carry each search's budget; a bar is drawn once it is known (active searches).
  return total ? progressBar(done / total, `generation ${done} of ${total}`) : `${done} generations`;
}

/**
 * @param {HTMLElement} root
 * @param {Record<string, string>} _params
 * @param {URLSearchParams} query
 */
export function searchesPage(root, _params, query) {
  const status = query.get("status") ?? "";
  /** @type {Map<string, { close(): void }>} */
  const streams = new Map();
  /** @type {Map<string, number | null>} budget (generations) per search */
  const budgets = new Map();
  const body = h("tbody");
  const filter = h(
    "select",
    { name: "status", "aria-label": "status" },
    ["", "queued", "running", "succeeded", "failed", "cancelled"].map((v) =>
      h("option", { value: v, selected: v === status }, v || "any status"),
    ),
  );
  filter.addEventListener("change", () => {
    location.hash = filter.value ? `#/?status=${filter.value}` : "#/";
  });
  const note = h("p", { class: "muted" });
  const more = h("button", { type: "button", hidden: true }, "More");
  /** @type {string | null} */
  let cursor = null;
  let stopped = false;

  replace(
    root,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Searches"),
      filter,
      h("a", { href: "#/submit", class: "button new-search" }, "New search"),
    ),
    h(
      "table",
      { class: "searches" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Name", "Status", "Progress", "Created", "Finished"].map((c) => h("th", {}, c)),
        ),
      ),
      body,
    ),
    more,
    note,
  );

  /** @param {SearchSummary} s */
  function row(s) {
    const done = (s.lastGeneration ?? -1) + 1;
    return h(
      "tr",
      { "data-search-id": s.id },
      h("td", {}, h("a", { href: `#/searches/${s.id}` }, s.name)),
      h(
        "td",
        { class: "status" },
        badge(s.status),
        s.error ? h("span", { class: "muted small" }, ` ${s.error}`) : null,
      ),
      h("td", { class: "progress-cell" }, progressOf(done, budgets.get(s.id) ?? null)),
      h("td", {}, when(s.createdAt)),
      h("td", {}, when(s.finishedAt)),
    );
  }

  /** @param {SearchSummary} s */
  async function follow(s) {
    if (streams.has(s.id) || streams.size >= MAX_STREAMS || !ACTIVE.has(s.status)) return;
    const detail = /** @type {SearchDetail} */ (await api(`/v1/searches/${s.id}`));
    if (stopped || streams.has(s.id)) return;
    budgets.set(s.id, detail.progress.generations);
    let current = { ...s, lastGeneration: detail.lastGeneration };
    const update = () => {
      const old = body.querySelector(`tr[data-search-id="${s.id}"]`);
      old?.replaceWith(row(current));
    };
    update();
    streams.set(
      s.id,
      eventStream(`/v1/searches/${s.id}/events`, (e) => {
        const data = /** @type {Record<string, unknown>} */ (e.data ?? {});
        if (e.event === "generation" && typeof data["index"] === "number") {
          current = { ...current, lastGeneration: Math.max(current.lastGeneration ?? -1, data["index"]) };
          update();
        } else if (e.event === "status" && typeof data["status"] === "string") {
          current = { ...current, status: data["status"] };
          update();
        } else if (e.event === "end") {
          streams.get(s.id)?.close();
          streams.delete(s.id);
        }
      }),
    );
  }

  /** @param {boolean} append */
  async function load(append) {
    const params = new URLSearchParams({ limit: "50" });
    if (status) params.set("status", status);
    if (append && cursor) params.set("cursor", cursor);
    const page = /** @type {{ items: SearchSummary[]; nextCursor: string | null }} */ (
      await api(`/v1/searches?${params.toString()}`)
    );
    if (stopped) return;
    // A row that an event stream keeps current stays as it is.
    /** @type {Map<string, HTMLTableRowElement>} */
    const kept = new Map();
    for (const tr of body.querySelectorAll("tr")) kept.set(tr.dataset["searchId"] ?? "", tr);
    if (!append) body.replaceChildren();
    for (const s of page.items) body.append((streams.has(s.id) ? kept.get(s.id) : undefined) ?? row(s));
    cursor = page.nextCursor;
    more.hidden = cursor === null;
    replace(note, body.children.length === 0 ? "No searches yet. Submit one with POST /v1/searches or the CLI." : "");
    for (const s of page.items) await follow(s);
  }

  more.addEventListener("click", () => void load(true).catch(show));
  /** @param {unknown} e */
  function show(e) {
    replace(note, h("span", { class: "error" }, e instanceof Error ? e.message : String(e)));
  }
  void load(false).catch(show);
  const timer = setInterval(() => void load(false).catch(show), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
    for (const stream of streams.values()) stream.close();
  };
}
