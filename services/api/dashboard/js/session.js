// What the signed-in key may do: its scopes from /v1/whoami (asked once per key), and buttons that are disabled,
// with the reason shown beside them, when the key's scope is too small for the route they call.
import { api, apiKey } from "./api.js";
import { h, replace } from "./dom.js";

/** @typedef {{ id: string; name: string; prefix: string; scopes: string[]; deviceClass: string | null }} Me */
/** @typedef {"read" | "submit" | "admin"} Scope */

/** The people's scopes in order: each includes the ones before it (as the API's auth.ts ranks them). */
const RANK = { read: 1, submit: 2, admin: 3 };

/** @type {{ key: string | null; me: Promise<Me> } | null} */
let cached = null;

/** The signed-in key, asked of the API once per key. @returns {Promise<Me>} */
export function whoami() {
  const key = apiKey();
  if (!cached || cached.key !== key) {
    const me = /** @type {Promise<Me>} */ (api("/v1/whoami"));
    cached = { key, me };
    me.catch(() => {
      if (cached?.me === me) cached = null;
    });
  }
  return cached.me;
}

/**
 * Whether scopes allow a route that needs `needed`.
 * @param {string[]} scopes
 * @param {Scope} needed
 */
function allows(scopes, needed) {
  const rank = Math.max(0, ...scopes.map((s) => (s in RANK ? RANK[/** @type {Scope} */ (s)] : 0)));
  return rank >= RANK[needed];
}

/**
 * Enables a button once the key's scopes are known to allow `scope`; otherwise keeps it disabled and writes the
 * reason beside it. Returns the button and its reason in one element, and whether it was allowed.
 * @param {HTMLButtonElement} button
 * @param {Scope} scope
 */
function gate(button, scope) {
  button.disabled = true;
  button.setAttribute("data-scope", scope);
  const reason = h("span", { class: "reason muted small" });
  const allowed = whoami().then((me) => {
    if (allows(me.scopes, scope)) {
      button.disabled = false;
      return true;
    }
    const why = `needs the ${scope} scope; this key has ${me.scopes.join(", ") || "none"}`;
    button.title = why;
    button.setAttribute("data-reason", why);
    replace(reason, ` ${why}`);
    return false;
  });
  return { element: h("span", { class: "action" }, button, reason), allowed };
}

/**
 * A button for an action that needs a scope (disabled with the reason beside it for a key without it). On click
 * it runs `run`, disabled until that settles, and hands a failure to `fail`.
 * @param {{ label: string; scope: Scope; run: () => Promise<unknown>; fail: (e: unknown) => void;
 *   attrs?: import("./dom.js").Attrs }} o
 */
export function actionButton(o) {
  const button = h("button", { type: "button", ...(o.attrs ?? {}) }, o.label);
  const { element, allowed } = gate(button, o.scope);
  button.addEventListener("click", () => {
    button.disabled = true;
    void o
      .run()
      .catch(o.fail)
      .finally(() => {
        button.disabled = false;
      });
  });
  allowed.catch(o.fail);
  return element;
}

/**
 * A form's submit button gated the same way.
 * @param {string} label
 * @param {Scope} scope
 */
export function submitButton(label, scope) {
  const button = h("button", { type: "submit" }, label);
  return { button, ...gate(button, scope) };
}
