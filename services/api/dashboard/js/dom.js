// Element builders (text always goes in as text nodes, never as markup) and number formatting.

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {Record<string, string | number | boolean | EventListener | null | undefined>} Attrs */

/**
 * @param {Element} element
 * @param {Attrs} attrs
 * @param {Child[]} children
 */
function fill(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * An HTML element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  fill(element, attrs, /** @type {Child[]} */ (children.flat()));
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * An SVG element.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  fill(element, attrs, /** @type {Child[]} */ (children.flat()));
  return element;
}

/**
 * Replaces an element's content.
 * @param {Element} element
 * @param {...(Child | Child[])} children
 */
export function replace(element, ...children) {
  element.replaceChildren();
  fill(element, {}, /** @type {Child[]} */ (children.flat()));
}

/** @param {number | null | undefined} n */
export function int(n) {
  return n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US");
}

/**
 * @param {number | null | undefined} n
 * @param {number} [digits]
 */
export function fixed(n, digits = 2) {
  return n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

/**
 * 1234567 -> "1.23 M".
 * @param {number | null | undefined} n
 */
export function si(n) {
  if (n === null || n === undefined) return "–";
  const units = ["", " k", " M", " G", " T"];
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0)}${units[unit]}`;
}

/** @param {number | null | undefined} n */
export function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** @param {string | null | undefined} iso */
export function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return `${date.toLocaleDateString("en-CA")} ${date.toLocaleTimeString("en-GB")}`;
}

/**
 * @typedef {{ scale: number; trunkWidth: number; blocks: { branchWidth: number; branches: string[] }[];
 *   upsampler: string }} Genome
 */

/**
 * The canonical genome string (as @mfnas/core's encodeGenome writes it).
 * @param {Genome} g
 */
export function encodeGenome(g) {
  const blocks = g.blocks.map((b) => `${b.branchWidth}:${b.branches.join("+")}`).join("|");
  return `x${g.scale}-c${g.trunkWidth}-u:${g.upsampler === "pixel-shuffle" ? "ps" : "nc"}-b[${blocks}]`;
}

/**
 * A status badge.
 * @param {string} status
 */
export function badge(status) {
  return h("span", { class: `badge badge-${status}`, "data-status": status }, status);
}

/**
 * A progress bar with its label.
 * @param {number | null} fraction
 * @param {string} label
 */
export function progressBar(fraction, label) {
  const pct = fraction === null ? 0 : Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  const fill = h("span", { class: "fill" });
  // Through the CSSOM: the page's content security policy refuses style attributes.
  fill.style.width = `${pct}%`;
  return h(
    "span",
    { class: "progress" },
    h(
      "span",
      { class: "bar", role: "progressbar", "aria-valuenow": pct, "aria-valuemin": 0, "aria-valuemax": 100 },
      fill,
    ),
    h("span", { class: "progress-label" }, label),
  );
}

/**
 * A table from a header row and body rows.
 * @param {string[]} head
 * @param {Child[][]} rows
 * @param {Attrs} [attrs]
 */
export function table(head, rows, attrs = {}) {
  return h(
    "table",
    attrs,
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        head.map((c) => h("th", {}, c)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((r) =>
        h(
          "tr",
          {},
          r.map((c) => h("td", {}, c)),
        ),
      ),
    ),
  );
}

/**
 * Generation colours: a perceptual ramp from dark violet (first) to yellow (last), as viridis.
 * @param {number} t 0..1
 */
export function ramp(t) {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = /** @type {number[]} */ (stops[i]);
  const b = /** @type {number[]} */ (stops[i + 1]);
  const c = a.map((v, k) => Math.round(v + ((b[k] ?? v) - v) * f));
  return `rgb(${c.join(",")})`;
}
