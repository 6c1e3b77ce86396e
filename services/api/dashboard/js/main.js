// The dashboard's shell: the key prompt, the hash router and the page lifecycle (each page returns a cleanup
// function that closes its event streams and timers).
import { api, apiKey, clearApiKey, setApiKey } from "./api.js";
import { h, replace } from "./dom.js";
import { whoami } from "./session.js";
import { candidatePage } from "./pages/candidate.js";
import { comparePage } from "./pages/compare.js";
import { labPage } from "./pages/lab.js";
import { schedulePage, schedulesPage } from "./pages/schedules.js";
import { searchPage } from "./pages/search.js";
import { searchesPage } from "./pages/searches.js";
import { submitPage } from "./pages/submit.js";
import { supernetPage, supernetsPage } from "./pages/supernets.js";

/** @typedef {(root: HTMLElement, params: Record<string, string>, query: URLSearchParams) => (() => void)} Page */

/** @type {[RegExp, string[], Page][]} */
const ROUTES = [
  [/^\/?$/, [], searchesPage],
  [/^\/searches\/([0-9a-f-]{36})$/, ["id"], searchPage],
  [/^\/searches\/([0-9a-f-]{36})\/candidates\/([0-9a-f-]{36})$/, ["id", "candidateId"], candidatePage],
  [/^\/submit$/, [], submitPage],
  [/^\/supernets$/, [], supernetsPage],
  [/^\/supernets\/([0-9a-f-]{36})$/, ["id"], supernetPage],
  [/^\/schedules$/, [], schedulesPage],
  [/^\/schedules\/([0-9a-f-]{36})$/, ["id"], schedulePage],
  [/^\/lab$/, [], labPage],
  [/^\/compare$/, [], comparePage],
];

const root = /** @type {HTMLElement} */ (document.getElementById("app"));
const who = /** @type {HTMLElement} */ (document.getElementById("who"));
let cleanup = () => {};

function loginForm(message = "") {
  const input = h("input", {
    type: "password",
    name: "apiKey",
    autocomplete: "off",
    placeholder: "mfnas_<prefix>_<secret>",
    required: true,
    size: 64,
  });
  const error = h("p", { class: "error", role: "alert" }, message);
  const form = h(
    "form",
    { class: "login" },
    h("h1", {}, "Sign in with an API key"),
    h("p", { class: "muted" }, "The key stays in this tab (sessionStorage) and is sent as a Bearer token."),
    input,
    h("button", { type: "submit" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setApiKey(input.value.trim());
    void api("/v1/whoami")
      .then(() => route())
      .catch((/** @type {unknown} */ e) => {
        clearApiKey();
        replace(error, e instanceof Error ? e.message : String(e));
      });
  });
  replace(root, form);
  input.focus();
}

async function showWho() {
  try {
    const me = await whoami();
    const out = h("button", { type: "button", class: "link" }, "sign out");
    out.addEventListener("click", () => {
      clearApiKey();
      route();
    });
    replace(who, `${me.name} (${me.scopes.join(", ")}) `, out);
  } catch {
    replace(who);
  }
}

function route() {
  cleanup();
  cleanup = () => {};
  if (!apiKey()) {
    replace(who);
    loginForm();
    return;
  }
  void showWho();
  const hash = location.hash.replace(/^#/, "");
  const [path = "", queryText = ""] = hash.split("?");
  for (const [pattern, names, page] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const params = Object.fromEntries(names.map((name, i) => [name, match[i + 1] ?? ""]));
    root.replaceChildren();
    cleanup = page(root, params, new URLSearchParams(queryText));
    return;
  }
  replace(root, h("p", { class: "error" }, `No page at ${path}.`), h("a", { href: "#/" }, "Searches"));
}

window.addEventListener("hashchange", route);
window.addEventListener("mfnas:unauthenticated", () => {
  cleanup();
  cleanup = () => {};
  loginForm("The key was refused (unknown or revoked). Sign in again.");
});
route();
