// A JSON editor checked as you type against a schema from the API's OpenAPI document: each keystroke parses the
// text and lists every field the schema refuses (or the JSON syntax error), before anything is sent.
import { h, replace } from "./dom.js";
import { requestSchema, validate } from "./schema.js";

/**
 * @typedef {{ element: HTMLElement; textarea: HTMLTextAreaElement; value(): unknown; valid(): boolean;
 *   ready: Promise<void> }} JsonEditor
 */

/**
 * @param {{ name: string; label: string; path: string; method: string; property?: string; initial: unknown;
 *   rows?: number; onChange?: () => void }} o `property`: check against one property of the body schema
 * @returns {JsonEditor}
 */
export function jsonEditor(o) {
  const textarea = h("textarea", {
    name: o.name,
    rows: o.rows ?? 18,
    spellcheck: false,
    class: "json-editor mono",
    "aria-label": o.label,
  });
  textarea.value = JSON.stringify(o.initial, null, 2);
  const status = h("div", { class: "editor-status", role: "status", "aria-live": "polite" }, "Loading the schema…");
  /** @type {{ schema: import("./schema.js").Schema; root: import("./schema.js").Schema } | null} */
  let checker = null;
  /** @type {unknown} */
  let parsed;
  let ok = false;

  const check = () => {
    ok = false;
    parsed = undefined;
    try {
      parsed = JSON.parse(textarea.value);
    } catch (e) {
      replace(status, h("p", { class: "error" }, `Not JSON: ${e instanceof Error ? e.message : String(e)}`));
      textarea.setAttribute("aria-invalid", "true");
      o.onChange?.();
      return;
    }
    if (!checker) return;
    const errors = validate(parsed, checker.schema, checker.root, o.property ? [o.property] : []);
    ok = errors.length === 0;
    textarea.setAttribute("aria-invalid", String(!ok));
    replace(
      status,
      ok
        ? h("p", { class: "ok" }, "Valid against the API's schema.")
        : h(
            "ul",
            { class: "schema-errors error" },
            errors.map((e) => h("li", {}, e)),
          ),
    );
    o.onChange?.();
  };
  textarea.addEventListener("input", check);

  const ready = requestSchema(o.path, o.method).then(({ schema, root }) => {
    const properties = /** @type {Record<string, import("./schema.js").Schema> | undefined} */ (schema["properties"]);
    const picked = o.property ? properties?.[o.property] : schema;
    if (!picked) throw new Error(`the body of ${o.method.toUpperCase()} ${o.path} has no ${o.property ?? ""}`);
    checker = { schema: picked, root };
    check();
  });
  ready.catch((/** @type {unknown} */ e) =>
    replace(
      status,
      h("p", { class: "error" }, `No schema to check against: ${e instanceof Error ? e.message : String(e)}`),
    ),
  );

  return {
    element: h("div", { class: "editor" }, h("label", { class: "editor-label" }, o.label), textarea, status),
    textarea,
    value: () => parsed,
    valid: () => ok,
    ready,
  };
}

/**
 * The fields of an API problem (or its message) as list items under a form.
 * @param {HTMLElement} into
 * @param {unknown} e
 */
export function showProblem(into, e) {
  const problem = /** @type {{ problem?: { fields?: unknown } }} */ (e).problem;
  const fields = Array.isArray(problem?.fields) ? problem.fields.map(String) : [];
  replace(
    into,
    h("p", { class: "error", role: "alert" }, e instanceof Error ? e.message : String(e)),
    fields.length > 0
      ? h(
          "ul",
          { class: "error problem-fields" },
          fields.map((f) => h("li", {}, f)),
        )
      : null,
  );
}

/**
 * Sends a form whose JSON editor is valid (`send`), or says what to fix; the button is disabled while it is sent
 * and the API's refusal is shown field by field under the form.
 * @param {{ form: HTMLFormElement; editor: JsonEditor; outcome: HTMLElement; button: HTMLButtonElement;
 *   what: string; send: () => Promise<void> }} o
 */
export function sendWhenValid(o) {
  o.form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!o.editor.valid()) {
      replace(
        o.outcome,
        h("p", { class: "error", role: "alert" }, `Fix the ${o.what} first: see the fields listed above.`),
      );
      return;
    }
    o.button.disabled = true;
    void o
      .send()
      .catch((e) => showProblem(o.outcome, e))
      .finally(() => {
        o.button.disabled = false;
      });
  });
}
