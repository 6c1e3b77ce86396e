// A diagram of a SubGenerator drawn from its genome and per-layer costs: head conv, the MFA blocks with their
// branches and widths, trunk, upsampler stages and tail, with the global and output skips.
import { s, si } from "./dom.js";

/**
 * @typedef {{ name: string; op: string; outputShape: number[]; kernel?: number; dilation?: number;
 *   params: number; macs: number }} Layer
 */

const BRANCH_LABEL = /** @type {Record<string, string>} */ ({
  conv3: "3×3 conv",
  dil2: "3×3 conv, dilation 2",
  down2: "avgpool 2 → 3×3 conv → ×2",
  down4: "avgpool 4 → 3×3 conv → ×4",
});

/**
 * @param {import("./dom.js").Genome} genome
 * @param {Layer[]} layers
 */
export function generatorDiagram(genome, layers) {
  const macsOf = (/** @type {string} */ prefix) =>
    layers.filter((l) => l.name === prefix || l.name.startsWith(`${prefix}.`)).reduce((sum, l) => sum + l.macs, 0);
  const C = genome.trunkWidth;
  const stages = Math.round(Math.log2(genome.scale));
  const BOX_W = 170;
  const GAP = 26;
  const ROW = 20;
  /** @type {SVGElement[]} */
  const parts = [];
  let x = 10;
  const blockHeight = (/** @type {number} */ branches) => 46 + branches * (ROW + 4) + 30;
  const tallest = Math.max(60, ...genome.blocks.map((b) => blockHeight(b.branches.length) / 2));
  const mid = tallest + 80;

  /**
   * A box with lines of text, centred vertically on `mid`, and an arrow from the previous box.
   * @param {string} kind css class
   * @param {string[]} lines
   * @param {number} [height]
   * @param {Record<string, string | number>} [attrs]
   */
  const box = (kind, lines, height = 24 + lines.length * 14, attrs = {}) => {
    if (x > 10)
      parts.push(
        s("line", { class: "arrow", x1: x - GAP, y1: mid, x2: x - 4, y2: mid, "marker-end": "url(#arrowhead)" }),
      );
    const g = s("g", { class: `node ${kind}`, ...attrs });
    g.append(s("rect", { x, y: mid - height / 2, width: BOX_W, height, rx: 6 }));
    lines.forEach((text, i) =>
      g.append(
        s(
          "text",
          {
            x: x + BOX_W / 2,
            y: mid - height / 2 + 18 + i * 14,
            "text-anchor": "middle",
            class: i === 0 ? "title" : "",
          },
          text,
        ),
      ),
    );
    parts.push(g);
    const left = x;
    x += BOX_W + GAP;
    return left;
  };

  box("io", ["LR input", "3 channels"]);
  const head = box("conv", ["head", `3×3 conv 3→${C}`, `${si(macsOf("head"))} MACs`]);

  genome.blocks.forEach((block, i) => {
    const n = block.branches.length;
    const height = blockHeight(n);
    const left = x;
    box("block", [`MFA block ${i + 1}`], height, { "data-block": i, "data-branches": n });
    block.branches.forEach((kind, j) => {
      const y = mid - height / 2 + 26 + j * (ROW + 4);
      parts.push(
        s(
          "g",
          { class: `branch branch-${kind}`, "data-branch": kind },
          s("rect", { x: left + 8, y, width: BOX_W - 16, height: ROW, rx: 3 }),
          s("text", { x: left + 14, y: y + 14 }, `${kind} ${block.branchWidth}ch`),
          s(
            "title",
            {},
            `${BRANCH_LABEL[kind] ?? kind}, ${C}→${block.branchWidth} channels, ${si(macsOf(`blocks[${i}].${kind}`))} MACs`,
          ),
        ),
      );
    });
    const footer = [`concat ${n * block.branchWidth} → 1×1 → ${C}, + x`, `${si(macsOf(`blocks[${i}]`))} MACs`];
    footer.forEach((text, k) =>
      parts.push(
        s(
          "text",
          { x: left + BOX_W / 2, y: mid + height / 2 - 22 + k * 14, "text-anchor": "middle", class: "small" },
          text,
        ),
      ),
    );
  });

  const trunk = box("conv", ["trunk", `3×3 conv ${C}→${C}`, "+ head features"]);
  for (let k = 0; k < stages; k++) {
    box(
      "up",
      genome.upsampler === "pixel-shuffle"
        ? [`upsample ×2 (${k + 1}/${stages})`, `3×3 conv ${C}→${4 * C}`, "pixel shuffle"]
        : [`upsample ×2 (${k + 1}/${stages})`, "nearest ×2", `3×3 conv ${C}→${C}`],
    );
  }
  box("conv", ["tail", `3×3 conv ${C}→${C}`, `3×3 conv ${C}→3`]);
  const out = box("io", [`SR output ×${genome.scale}`, "+ bicubic ×" + genome.scale + " of input"]);

  // Skips: head features to the trunk's sum, and the LR input (MATLAB bicubic) to the output.
  const skip = (
    /** @type {number} */ from,
    /** @type {number} */ to,
    /** @type {number} */ y,
    /** @type {string} */ label,
  ) => {
    const a = from + BOX_W / 2;
    const b = to + BOX_W / 2;
    parts.push(
      s("path", { class: "skip", d: `M${a},${mid - 30} V${y} H${b} V${mid - 30}`, "marker-end": "url(#arrowhead)" }),
      s("text", { x: (a + b) / 2, y: y - 4, "text-anchor": "middle", class: "small" }, label),
    );
  };
  skip(head, trunk, mid - tallest - 20, "global residual");
  skip(10, out, mid - tallest - 50, `bicubic ×${genome.scale} skip`);

  const width = x - GAP + 10;
  const total = mid + tallest + 16;
  return s(
    "svg",
    {
      class: "diagram",
      viewBox: `0 0 ${width} ${total}`,
      width,
      height: total,
      role: "img",
      "aria-label": "SubGenerator diagram",
    },
    s(
      "defs",
      {},
      s(
        "marker",
        { id: "arrowhead", markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: "auto" },
        s("path", { d: "M0,0 L8,4 L0,8 z" }),
      ),
    ),
    parts,
  );
}
